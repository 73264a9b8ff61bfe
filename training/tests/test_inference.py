"""The endpoint handlers, loaded from the trained artifact with the network cut off."""
import base64
import inspect
import io
import json
import os
import random
import struct
import subprocess
import sys
import zlib

import pytest
from PIL import Image

import inference
import synthetic

RED, GREEN, BLUE = synthetic.CLASSES


class FakeRequestProcessor:
    def __init__(self, headers):
        self._headers = headers

    def get_request_properties(self):
        return self._headers


class FakeContext:
    """The shape of the serving toolkit's context (TorchServe/MMS): request_processor[0] headers."""

    def __init__(self, headers):
        self.request_processor = [FakeRequestProcessor(headers)]


def run_handler(func, *argv, context=None):
    """Call a handler the way sagemaker_inference's Transformer does: with the context only if the
    function's signature has one more parameter than the arguments."""
    n = len(inspect.signature(func).parameters)
    return func(*argv) if n == len(argv) else func(*(argv + (context,)))


def serve(model, body, content_type, headers=None, accept="application/json"):
    context = FakeContext(headers or {}) if headers is not None else None
    data = run_handler(inference.input_fn, body, content_type, context=context)
    prediction = run_handler(inference.predict_fn, data, model, context=context)
    return json.loads(run_handler(inference.output_fn, prediction, accept, context=context))


def encode(image, fmt, **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def sample(cls, mode="RGB", size=40, seed=3):
    _, colour, shape = cls
    return synthetic.draw(colour, shape, size, random.Random(seed)).convert(mode)


@pytest.fixture(scope="module")
def model(trained):
    attempts = []
    import socket
    original = socket.socket.connect

    def refuse(self, address, *args):
        attempts.append(address)
        raise OSError("network access attempted while loading the model: %r" % (address,))

    socket.socket.connect = refuse
    try:
        loaded = run_handler(inference.model_fn, trained["model_dir"], context=FakeContext({}))
    finally:
        socket.socket.connect = original
    assert attempts == []
    return loaded


def test_jpeg_is_classified_with_labels_probabilities_and_indices(model, no_network):
    response = serve(model, encode(sample(RED), "JPEG"), "image/jpeg")
    predictions = response["predictions"]
    assert [p["label"] for p in predictions][0] == "Red circle"
    assert predictions[0]["index"] == 0
    assert len(predictions) == 3  # default top_k 5, capped at the number of classes
    probabilities = [p["probability"] for p in predictions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
    assert no_network == []


def test_png_with_alpha_is_flattened_to_rgb(model):
    image = sample(GREEN, "RGBA")
    image.putpixel((0, 0), (10, 20, 30, 0))  # a fully transparent pixel hiding a dark colour
    body = encode(image, "PNG")
    assert serve(model, body, "image/png")["predictions"][0]["label"] == "Green square"
    flattened = inference.decode_image(body)
    assert flattened.mode == "RGB"
    assert flattened.getpixel((0, 0)) == (255, 255, 255)  # transparent -> white, not the hidden colour
    assert flattened.getpixel((20, 20)) == image.getpixel((20, 20))[:3]  # opaque pixels unchanged


def test_grayscale_and_16_bit_images_are_converted_to_rgb(model):
    gray = sample(BLUE, "L")
    assert serve(model, encode(gray, "JPEG"), "image/jpeg")["predictions"][0]["index"] in (0, 1, 2)
    deep = gray.convert("I").point(lambda v: v * 256)
    assert deep.mode == "I"
    assert len(serve(model, encode(deep, "PNG"), "image/png")["predictions"]) == 3
    decoded = inference.decode_image(encode(deep, "PNG"))
    assert decoded.mode == "RGB" and max(decoded.getextrema()[0]) > 200  # stretched, not clipped to black/white


def test_json_base64_and_application_x_image_are_accepted(model):
    raw = encode(sample(BLUE), "PNG")
    body = json.dumps({"image": base64.b64encode(raw).decode()})
    assert serve(model, body, "application/json")["predictions"][0]["label"] == "Blue triangle"
    assert serve(model, body.encode(), "application/json; charset=utf-8")["predictions"][0]["label"] == "Blue triangle"
    assert serve(model, raw, "application/x-image")["predictions"][0]["label"] == "Blue triangle"


def test_top_k_comes_from_the_custom_attributes_header(model):
    body = encode(sample(RED), "JPEG")
    headers = {"X-Amzn-SageMaker-Custom-Attributes": "trace=abc,top_k=2"}
    assert len(serve(model, body, "image/jpeg", headers=headers)["predictions"]) == 2
    lower = {"x-amzn-sagemaker-custom-attributes": "top_k=1"}
    assert len(serve(model, body, "image/jpeg", headers=lower)["predictions"]) == 1
    assert len(serve(model, body, "image/jpeg", headers={})["predictions"]) == 3


def test_handlers_work_with_and_without_the_toolkit_context(model):
    data = inference.input_fn(encode(sample(RED), "JPEG"), "image/jpeg")
    prediction = inference.predict_fn(data, model)
    assert json.loads(inference.output_fn(prediction, "application/json")) == prediction
    with_context = inference.input_fn(encode(sample(RED), "JPEG"), "image/jpeg",
                                      FakeContext({"X-Amzn-SageMaker-Custom-Attributes": "top_k=1"}))
    assert len(inference.predict_fn(with_context, model, None)["predictions"]) == 1


def test_prediction_matches_the_evaluation_preprocessing(model, trained):
    """Serving uses the evaluation transform recorded in labels.json (same resize, crop, normalization)."""
    from dogbreed import modeling
    _, transform, _ = modeling.load_for_inference(trained["model_dir"], model.device)
    image = sample(GREEN)
    data = inference.input_fn(encode(image, "PNG"), "image/png")
    assert (transform(image) - model.transform(data.image)).abs().max().item() == 0


def _png_header_only(width, height):
    """A valid PNG signature + IHDR claiming width x height, and an empty image: a decompression bomb's header."""
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.parametrize("body,content_type,status,message", [
    (b"hello", "text/plain", 415, "content type 'text/plain' is not supported (allowed: image/jpeg, image/png"),
    (b"", "image/jpeg", 400, "request body is empty"),
    (b"not an image at all", "image/jpeg", 400, "body could not be decoded as an image"),
    (b"{not json", "application/json", 400, "request body is not valid JSON"),
    (json.dumps({"url": "http://169.254.169.254/latest/meta-data/"}), "application/json", 400,
     "this endpoint does not fetch URLs"),
    (json.dumps({"image": "%%%not-base64%%%"}), "application/json", 400, '"image" is not valid base64'),
    (_png_header_only(10000, 10000), "image/png", 413, "image has too many pixels"),
    (_png_header_only(8000, 6000), "image/png", 413, "image is 8000x6000 pixels; at most 40000000 pixels are accepted"),
    (b"x" * (inference.MAX_BODY_BYTES + 1), "image/jpeg", 413, "at most 8388608 are accepted"),
])
def test_bad_requests_are_refused_with_a_status_and_a_reason(body, content_type, status, message):
    with pytest.raises(inference.RequestError) as error:
        inference.input_fn(body, content_type)
    assert error.value.status_code == status
    assert message in str(error.value)


def test_truncated_jpeg_is_refused(model):
    data = encode(sample(RED, size=64), "JPEG")
    with pytest.raises(inference.RequestError, match="could not be decoded"):
        inference.input_fn(data[: len(data) // 2], "image/jpeg")


@pytest.mark.parametrize("attributes", ["top_k=0", "top_k=abc", "top_k=-2"])
def test_bad_top_k_is_refused(attributes):
    with pytest.raises(inference.RequestError, match="top_k must be an integer >= 1"):
        inference.input_fn(encode(sample(RED), "JPEG"), "image/jpeg",
                           FakeContext({"X-Amzn-SageMaker-Custom-Attributes": attributes}))


def test_unsupported_accept_is_refused():
    with pytest.raises(inference.RequestError, match="accept 'text/csv' is not supported") as error:
        inference.output_fn({"predictions": []}, "text/csv")
    assert error.value.status_code == 406


def test_defect5_artifact_code_serves_alone_without_network(trained, tmp_path):
    """Seed defect 5: inference fetched URLs, downloaded weights at load, ignored device and RGB,
    and had no output_fn. Here code/ from the artifact serves in a fresh interpreter that can only
    import what the artifact holds (plus torch/torchvision/PIL) and has every socket connect refused."""
    script = r"""
import json, socket, sys
def refuse(self, address, *a):
    raise OSError("network access attempted: %r" % (address,))
socket.socket.connect = refuse
model_dir, image = sys.argv[1], sys.argv[2]
sys.path.insert(0, model_dir + "/code")
import inference, dogbreed
assert dogbreed.__file__.startswith(model_dir + "/code/"), dogbreed.__file__
model = inference.model_fn(model_dir)
body = open(image, "rb").read()
print(inference.output_fn(inference.predict_fn(inference.input_fn(body, "image/png"), model), "application/json"))
"""
    image_path = tmp_path / "gray.png"
    sample(RED, "LA").save(image_path)
    result = subprocess.run([sys.executable, "-I", "-B", "-c", script, trained["model_dir"], str(image_path)],
                            cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    assert len(json.loads(result.stdout.strip().splitlines()[-1])["predictions"]) == 3
    assert not os.path.exists(os.path.join(trained["model_dir"], "code", "requirements.txt"))  # nothing to pip install


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
