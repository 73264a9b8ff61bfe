"""The endpoint handlers, loaded from the trained artifact with the network cut off.

Each contract point inference.py relies on is written down here once, next to the file of the
serving stack that defines it (aws/sagemaker-pytorch-inference-toolkit, which vendors
sagemaker_inference, and pytorch/serve's Python worker, ts/). The toolkit cannot be installed here
(it is not packaged for Debian), so `Toolkit` and `ServingContext` below follow those files step by
step; docs/training.md says which versions they were checked against and how inference.py was run
under the real code.
"""
import base64
import inspect
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import zlib

import pytest
from PIL import Image

import inference
import synthetic

RED, GREEN, BLUE = synthetic.CLASSES


class RequestProcessor:
    """ts/context.py RequestProcessor: one request's headers in, its status and headers out."""

    def __init__(self, headers):
        self._headers = headers
        self.status = (200, None)
        self.response_headers = {}

    def get_request_properties(self):
        return self._headers

    def report_status(self, code, reason_phrase=None):
        self.status = (code, reason_phrase)


class ServingContext:
    """ts/context.py Context, the methods the toolkit and inference.py call. TorchServe's Service
    (ts/service.py) keeps one Context per model and sets `request_processor` to the current batch's
    requests before every call; the toolkit hands the Context it got at model load to every handler."""

    def __init__(self):
        self.system_properties = {}
        self.request_processor = None

    def set_response_status(self, code=200, phrase="", idx=0):
        self.request_processor[idx].report_status(code, reason_phrase=phrase)

    def set_response_content_type(self, idx, value):
        self.request_processor[idx].response_headers["content-type"] = value


class Toolkit:
    """sagemaker_inference/transformer.py Transformer.transform for a batch of one request, as the
    worker delivers it (ts/service.py retrieve_data_for_inference)."""

    # transformer.py _validate_user_module_and_set_functions: the names looked up in the module.
    HANDLERS = ("model_fn", "transform_fn", "input_fn", "predict_fn", "output_fn")
    # content_types.py UTF8_TYPES: bodies with exactly these content types are decoded to str.
    UTF8_TYPES = ("application/json", "text/csv")
    # environment.py: SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT, default application/json.
    DEFAULT_ACCEPT = "application/json"

    def __init__(self, model_dir):
        names = [n for n in self.HANDLERS if hasattr(inference, n)]
        if "transform_fn" in names and {"input_fn", "predict_fn", "output_fn"} & set(names):
            raise ValueError("Cannot use transform_fn implementation in conjunction with input_fn, predict_fn, and/or output_fn")
        self.context = ServingContext()  # the one the worker created at load (initialize)
        self.context.system_properties["model_dir"] = model_dir
        self.model = self.call(inference.model_fn, model_dir)

    def call(self, func, *argv):
        """transformer.py _run_handler_function: the context is appended only when the signature
        has exactly one more parameter than the arguments."""
        n = len(inspect.signature(func).parameters)
        if n == len(argv):
            return func(*argv)
        if n == len(argv) + 1:
            return func(*(argv + (self.context,)))
        raise TypeError("%s takes %d arguments but %d were given" % (func.__name__, n, len(argv)))

    def invoke(self, body, headers):
        """-> (status, reason phrase, response content type, body text)."""
        processor = RequestProcessor(dict(headers))
        self.context.request_processor = [processor]
        # The worker's parameter value is a bytearray (otf_message_handler.py _retrieve_buffer,
        # decode_input_request=false in the toolkit's etc/default-ts.properties).
        data = bytearray(body) if isinstance(body, bytes) else body
        properties = processor.get_request_properties()
        content_type = next((properties[k] for k in properties if re.match("^[Cc]ontent-?[Tt]ype", k)), None)
        accept = properties.get("Accept") or properties.get("accept")
        if not accept or accept == "*/*":
            accept = self.DEFAULT_ACCEPT
        if content_type in self.UTF8_TYPES:
            data = data.decode("utf-8")
        result = self.call(inference.transform_fn, self.model, data, content_type, accept)
        response, response_type = result if isinstance(result, tuple) else (result, accept)
        self.context.set_response_content_type(0, response_type)
        status, phrase = processor.status
        text = response.decode("utf-8") if isinstance(response, (bytes, bytearray)) else response
        return status, phrase, processor.response_headers["content-type"], text


def encode(image, fmt, **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def sample(cls, mode="RGB", size=40, seed=3):
    _, colour, shape = cls
    return synthetic.draw(colour, shape, size, random.Random(seed)).convert(mode)


@pytest.fixture(scope="module")
def toolkit(trained):
    attempts = []
    import socket
    original = socket.socket.connect

    def refuse(self, address, *args):
        attempts.append(address)
        raise OSError("network access attempted while loading the model: %r" % (address,))

    socket.socket.connect = refuse
    try:
        loaded = Toolkit(trained["model_dir"])
    finally:
        socket.socket.connect = original
    assert attempts == []
    return loaded


@pytest.fixture(scope="module")
def model(toolkit):
    return toolkit.model


def ok(toolkit, body, content_type, **headers):
    status, _, response_type, text = toolkit.invoke(body, {"Content-Type": content_type, **headers})
    assert (status, response_type) == (200, "application/json"), text
    return json.loads(text)


def refused(toolkit, body, content_type, **headers):
    """-> (status, phrase, error code, message), after checking the body is the error contract."""
    status, phrase, response_type, text = toolkit.invoke(body, {"Content-Type": content_type, **headers})
    assert response_type == "application/json"
    assert "Traceback" not in text and ".py" not in text, text
    doc = json.loads(text)
    assert list(doc) == ["error"] and sorted(doc["error"]) == ["code", "message"], text
    return status, phrase, doc["error"]["code"], doc["error"]["message"]


def test_the_module_offers_the_handlers_the_toolkit_looks_up():
    """transformer.py: model_fn once, then transform_fn per request; a transform_fn next to any of
    input_fn/predict_fn/output_fn makes the toolkit refuse the module."""
    assert callable(inference.model_fn) and callable(inference.transform_fn)
    assert not any(hasattr(inference, n) for n in ("input_fn", "predict_fn", "output_fn"))
    assert list(inspect.signature(inference.model_fn).parameters) == ["model_dir", "context"]
    assert list(inspect.signature(inference.transform_fn).parameters) == ["model", "request_body", "content_type", "accept", "context"]


def test_jpeg_is_classified_with_labels_probabilities_and_indices(toolkit, no_network):
    response = ok(toolkit, encode(sample(RED), "JPEG"), "image/jpeg", Accept="application/json")
    predictions = response["predictions"]
    assert [p["label"] for p in predictions][0] == "Red circle"
    assert predictions[0]["index"] == 0
    assert len(predictions) == 3  # default top_k 5, capped at the number of classes
    probabilities = [p["probability"] for p in predictions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
    assert no_network == []


def test_png_with_alpha_is_flattened_to_rgb(toolkit):
    image = sample(GREEN, "RGBA")
    image.putpixel((0, 0), (10, 20, 30, 0))  # a fully transparent pixel hiding a dark colour
    body = encode(image, "PNG")
    assert ok(toolkit, body, "image/png")["predictions"][0]["label"] == "Green square"
    flattened = inference.decode_image(body)
    assert flattened.mode == "RGB"
    assert flattened.getpixel((0, 0)) == (255, 255, 255)  # transparent -> white, not the hidden colour
    assert flattened.getpixel((20, 20)) == image.getpixel((20, 20))[:3]  # opaque pixels unchanged


def test_grayscale_and_16_bit_images_are_converted_to_rgb(toolkit):
    gray = sample(BLUE, "L")
    assert ok(toolkit, encode(gray, "JPEG"), "image/jpeg")["predictions"][0]["index"] in (0, 1, 2)
    deep = gray.convert("I").point(lambda v: v * 256)
    assert deep.mode == "I"
    assert len(ok(toolkit, encode(deep, "PNG"), "image/png")["predictions"]) == 3
    decoded = inference.decode_image(encode(deep, "PNG"))
    assert decoded.mode == "RGB" and max(decoded.getextrema()[0]) > 200  # stretched, not clipped to black/white


def test_json_base64_and_application_x_image_are_accepted(toolkit):
    """Exactly application/json arrives as str (the toolkit decodes it); with a charset parameter
    it stays bytes; image types are always bytes."""
    raw = encode(sample(BLUE), "PNG")
    body = json.dumps({"image": base64.b64encode(raw).decode()}).encode()
    assert ok(toolkit, body, "application/json")["predictions"][0]["label"] == "Blue triangle"
    assert ok(toolkit, body, "application/json; charset=utf-8")["predictions"][0]["label"] == "Blue triangle"
    assert ok(toolkit, raw, "application/x-image")["predictions"][0]["label"] == "Blue triangle"


def test_header_names_in_any_case_reach_the_handler(toolkit):
    """The worker passes headers with the caller's spelling (ts/service.py); the toolkit finds the
    content type by ^[Cc]ontent-?[Tt]ype (utils.py) and Accept as "Accept" or "accept"."""
    body = encode(sample(RED), "JPEG")
    status, _, _, text = toolkit.invoke(body, {"content-type": "image/jpeg", "accept": "application/json",
                                               "x-amzn-sagemaker-custom-attributes": "top_k=1"})
    assert status == 200 and len(json.loads(text)["predictions"]) == 1


def test_top_k_comes_from_the_custom_attributes_header(toolkit):
    body = encode(sample(RED), "JPEG")
    assert len(ok(toolkit, body, "image/jpeg", **{"X-Amzn-SageMaker-Custom-Attributes": "trace=abc,top_k=2"})["predictions"]) == 2
    assert len(ok(toolkit, body, "image/jpeg")["predictions"]) == 3


def test_each_request_reads_the_headers_the_worker_set_for_it(toolkit):
    """The context handed over at model load is the one TorchServe refills per batch."""
    body = encode(sample(RED), "JPEG")
    first = toolkit.context
    assert len(ok(toolkit, body, "image/jpeg", **{"X-Amzn-SageMaker-Custom-Attributes": "top_k=1"})["predictions"]) == 1
    assert len(ok(toolkit, body, "image/jpeg", **{"X-Amzn-SageMaker-Custom-Attributes": "top_k=2"})["predictions"]) == 2
    assert toolkit.context is first


@pytest.mark.parametrize("accept", [
    None,  # no header: the toolkit substitutes its default (application/json)
    "*/*",
    "application/json",
    "APPLICATION/JSON",
    "application/json; charset=utf-8",
    "application/json, text/plain",
    "text/plain, application/json;q=0.5",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # a browser's
    "application/*",
    "text/csv, application/*;q=0.2",
    "text/plain;q=1, */*;q=0.001",
    "application/json;q=abc, application/*",  # a malformed weight voids its range only
])
def test_accept_lists_that_allow_json_are_answered_in_json(toolkit, accept):
    headers = {} if accept is None else {"Accept": accept}
    assert len(ok(toolkit, encode(sample(RED), "JPEG"), "image/jpeg", **headers)["predictions"]) == 3


@pytest.mark.parametrize("accept", [
    "text/csv",
    "text/plain, text/html",
    "application/xml",
    "application/json;q=0",
    "application/json;q=0, */*",  # the explicit refusal is more specific than the wildcard
    "application/*;q=0, text/plain",
    "*/*;q=0",
    "application/json;q=abc",
])
def test_accept_lists_without_json_are_refused_with_406(toolkit, accept):
    status, phrase, code, message = refused(toolkit, encode(sample(RED), "JPEG"), "image/jpeg", Accept=accept)
    assert (status, phrase, code) == (406, "Not Acceptable", "NOT_ACCEPTABLE")
    assert message == "accept %r does not allow application/json, the only type this endpoint answers" % accept


def _png_header_only(width, height):
    """A valid PNG signature + IHDR claiming width x height, and an empty image: a decompression bomb's header."""
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def _truncated_jpeg():
    data = encode(sample(RED, size=64), "JPEG")
    return data[: len(data) // 2]


@pytest.mark.parametrize("body,content_type,status,code,message", [
    (b"hello", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE", "content type 'text/plain' is not supported (allowed: image/jpeg, image/png"),
    (b"a,b", "text/csv", 415, "UNSUPPORTED_MEDIA_TYPE", "content type 'text/csv' is not supported"),
    (b"\xff\xd8", None, 415, "UNSUPPORTED_MEDIA_TYPE", "the request has no content type (allowed: image/jpeg"),
    (b"", "image/jpeg", 400, "EMPTY_BODY", "request body is empty"),
    (b"not an image at all", "image/jpeg", 400, "INVALID_IMAGE", "body could not be decoded as an image (not a recognised image format)"),
    (_truncated_jpeg(), "image/jpeg", 400, "INVALID_IMAGE", "body could not be decoded as an image (image file is truncated"),
    (encode(sample(RED), "ICO"), "application/x-image", 415, "UNSUPPORTED_IMAGE_FORMAT", "image format ICO is not accepted (allowed: JPEG, PNG, GIF"),
    (b"{not json", "application/json", 400, "INVALID_JSON", "request body is not valid JSON"),
    (json.dumps({"url": "http://169.254.169.254/latest/meta-data/"}).encode(), "application/json", 400, "INVALID_BODY",
     "this endpoint does not fetch URLs"),
    (json.dumps({"image": "%%%not-base64%%%"}).encode(), "application/json", 400, "INVALID_BASE64", '"image" is not valid base64'),
    (_png_header_only(10000, 10000), "image/png", 413, "IMAGE_TOO_LARGE", "image has too many pixels"),
    (_png_header_only(8000, 6000), "image/png", 413, "IMAGE_TOO_LARGE", "image is 8000x6000 pixels; at most 40000000 pixels are accepted"),
    (b"x" * (inference.MAX_BODY_BYTES + 1), "image/jpeg", 413, "BODY_TOO_LARGE", "at most 8388608 are accepted"),
])
def test_bad_requests_are_refused_with_a_status_and_a_reason(toolkit, body, content_type, status, code, message):
    headers = {} if content_type is None else {"Content-Type": content_type}
    got_status, phrase, response_type, text = toolkit.invoke(body, headers)
    assert response_type == "application/json" and "Traceback" not in text
    doc = json.loads(text)
    assert (got_status, doc["error"]["code"]) == (status, code)
    assert phrase == {400: "Bad Request", 413: "Request Entity Too Large", 415: "Unsupported Media Type"}[status]
    assert message in doc["error"]["message"]


@pytest.mark.parametrize("attributes", ["top_k=0", "top_k=abc", "top_k=-2"])
def test_bad_top_k_is_refused(toolkit, attributes):
    status, _, code, message = refused(toolkit, encode(sample(RED), "JPEG"), "image/jpeg",
                                       **{"X-Amzn-SageMaker-Custom-Attributes": attributes})
    assert (status, code) == (400, "INVALID_TOP_K")
    assert message.startswith("custom attribute top_k must be an integer >= 1")


def test_an_unexpected_failure_is_a_500_with_no_traceback_and_the_traceback_is_logged(toolkit, caplog, monkeypatch):
    def broken(*args):
        raise RuntimeError("CUDA error: device-side assert triggered at /opt/conda/lib/python3.10/site-packages/torch/nn/x.py")

    monkeypatch.setattr(toolkit.model, "network", broken)
    with caplog.at_level("ERROR"):
        status, phrase, code, message = refused(toolkit, encode(sample(RED), "JPEG"), "image/jpeg")
    assert (status, phrase, code) == (500, "Internal Server Error", "INTERNAL_ERROR")
    assert message == "the model failed to classify the image; the endpoint's log has the details"
    assert "Traceback" in caplog.text and "device-side assert" in caplog.text


def test_prediction_matches_the_evaluation_preprocessing(model, trained):
    """Serving uses the evaluation transform recorded in labels.json (same resize, crop, normalization)."""
    from dogbreed import modeling
    _, transform, _ = modeling.load_for_inference(trained["model_dir"], model.device)
    image = sample(GREEN)
    request = inference.read_request(encode(image, "PNG"), "image/png")
    assert (transform(image) - model.transform(request.image)).abs().max().item() == 0


def test_defect5_artifact_code_serves_alone_without_network(trained, tmp_path):
    """Seed defect 5: inference fetched URLs, downloaded weights at load, ignored device and RGB,
    and had no output_fn. The artifact is laid out as the container extracts model.tar.gz
    (model_dir = /opt/ml/model with model.pth, labels.json, code/): the toolkit puts model_dir/code
    on the path and imports the module SAGEMAKER_PROGRAM names, minus .py (environment.py,
    default_handler_service.py). Here that module serves in a fresh interpreter that can only import
    what the artifact holds (plus torch/torchvision/PIL) and has every socket connect refused."""
    script = r"""
import json, socket, sys
def refuse(self, address, *a):
    raise OSError("network access attempted: %r" % (address,))
socket.socket.connect = refuse
model_dir, image, program = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, model_dir + "/code")
import importlib, dogbreed
handlers = importlib.import_module(program[:-3])
assert handlers.__file__ == model_dir + "/code/inference.py", handlers.__file__
assert dogbreed.__file__.startswith(model_dir + "/code/"), dogbreed.__file__
model = handlers.model_fn(model_dir)
body, content_type = handlers.transform_fn(model, open(image, "rb").read(), "image/png", "application/json")
print(content_type, body)
"""
    program = _endpoint_program()
    image_path = tmp_path / "gray.png"
    sample(RED, "LA").save(image_path)
    result = subprocess.run([sys.executable, "-I", "-B", "-c", script, trained["model_dir"], str(image_path), program],
                            cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    content_type, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert content_type == "application/json"
    assert len(json.loads(body)["predictions"]) == 3
    assert not os.path.exists(os.path.join(trained["model_dir"], "code", "requirements.txt"))  # nothing to pip install


def _endpoint_program():
    """SAGEMAKER_PROGRAM as the Pulumi program sets it on the endpoint's model."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "components", "model-endpoint.ts"), encoding="utf-8") as f:
        found = re.findall(r'SAGEMAKER_PROGRAM:\s*"([^"]+)"', f.read())
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("field,value,message", [
    ("arch", "vgg16", "unknown arch 'vgg16'"),
    ("format_version", 99, "format_version 99 is not supported"),
    ("labels", ["only one"], "labels must be a list of num_classes"),
    ("resize_size", 8, "resize_size must be an integer >= image_size"),
])
def test_a_bad_labels_json_fails_model_loading_with_the_field_named(trained, tmp_path, field, value, message):
    import shutil
    model_dir = tmp_path / "model"
    shutil.copytree(trained["model_dir"], model_dir)
    doc = json.loads((model_dir / "labels.json").read_text())
    doc[field] = value
    (model_dir / "labels.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=message):
        inference.model_fn(str(model_dir))
