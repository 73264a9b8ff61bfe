"""SageMaker PyTorch serving handlers for the dog-breed classifier (shipped as code/inference.py).

Request: image/jpeg, image/png or application/x-image bytes, or application/json {"image": "<base64>"}.
Optional header X-Amzn-SageMaker-Custom-Attributes: top_k=N (default 5).
Response (application/json): {"predictions": [{"label": "Affenpinscher", "index": 0, "probability": 0.93}, ...]}
sorted by probability; a refused or failed request: {"error": {"code": "INVALID_IMAGE", "message": "..."}}
with its HTTP status.

The toolkit (sagemaker_inference/transformer.py, vendored in sagemaker-pytorch-inference-toolkit)
calls model_fn once and transform_fn per request. transform_fn, not input_fn/predict_fn/output_fn,
because an exception that leaves a handler reaches the caller as the exception's message followed by
a Python traceback (Transformer.handle_error): every error is therefore answered here, as the JSON
error body, with the status set on the serving context (TorchServe's ts/context.py
set_response_status). The toolkit passes that context as the trailing argument when the signature
has room for it; it is the one Context object TorchServe keeps for the model and refills per batch.

Nothing here touches the network: there is no URL input (the by-hand project's endpoint fetched any URL it was
given) and the model is rebuilt from labels.json + model.pth, never from downloaded weights.
"""
import base64
import binascii
import http
import io
import json
import logging
import os
import re
import sys
import warnings
from dataclasses import dataclass

import torch
from PIL import Image, UnidentifiedImageError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dogbreed.modeling import load_for_inference  # noqa: E402

log = logging.getLogger(__name__)

IMAGE_TYPES = ("image/jpeg", "image/png", "application/x-image")
JSON_TYPE = "application/json"
CUSTOM_ATTRIBUTES_HEADER = "x-amzn-sagemaker-custom-attributes"
DEFAULT_TOP_K = 5
# A real-time endpoint accepts at most 6 MB; base64 inflates by 4/3.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Far beyond any photo worth classifying at 224 px, far below what would exhaust the worker's memory.
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP", "TIFF")

# Media ranges of an Accept header that cover the one type this endpoint answers, most specific first.
_JSON_RANGES = (JSON_TYPE, "application/*", "*/*")
# RFC 9110 section 12.4.2: a weight is 0 or 1 with at most three decimals.
_QVALUE = re.compile(r"^(0(\.\d{0,3})?|1(\.0{0,3})?)$")


class RequestError(Exception):
    """A refused request: the HTTP status, a stable code and a message saying why, for the caller."""

    def __init__(self, status_code, code, message):
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message

    def __str__(self):
        return self.message


INTERNAL_ERROR = RequestError(500, "INTERNAL_ERROR", "the model failed to classify the image; the endpoint's log has the details")


@dataclass
class Model:
    network: torch.nn.Module
    transform: object
    labels: list
    device: torch.device


@dataclass
class Request:
    image: Image.Image  # decoded, RGB
    top_k: int


def model_fn(model_dir, context=None):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    network, transform, doc = load_for_inference(model_dir, device)
    log.info("loaded %s with %d classes on %s", doc["arch"], doc["num_classes"], device)
    return Model(network=network, transform=transform, labels=doc["labels"], device=device)


def transform_fn(model, request_body, content_type, accept, context=None):
    """One request, start to finish: (JSON body, content type), and the status on the context."""
    try:
        response_type = choose_response_type(accept)
        request = read_request(request_body, content_type, request_headers(context))
        status, body = 200, predict(model, request)
    except RequestError as refused:
        log.info("request refused: %d %s: %s", refused.status_code, refused.code, refused.message)
        status, body = refused.status_code, error_body(refused)
        response_type = JSON_TYPE
    except Exception:  # the traceback belongs in the endpoint's log, never in the answer
        log.exception("request failed")
        status, body = INTERNAL_ERROR.status_code, error_body(INTERNAL_ERROR)
        response_type = JSON_TYPE
    if context is not None:
        # The phrase becomes the HTTP status line; the reason is in the body.
        context.set_response_status(code=status, phrase=http.HTTPStatus(status).phrase)
    # A tuple names the response's Content-Type; a bare body would be labelled with the raw Accept.
    return json.dumps(body), response_type


def error_body(error):
    return {"error": {"code": error.code, "message": error.message}}


def choose_response_type(accept):
    """The media type to answer with for an Accept header (a list of media ranges with optional
    q-values, RFC 9110 section 12.5.1): JSON when the most specific range covering it has a weight
    above 0; no header means anything is acceptable."""
    if accept is None or not str(accept).strip():
        return JSON_TYPE
    best = None  # (specificity, weight) of the most specific range covering JSON
    for item in str(accept).split(","):
        media_range, *parameters = [part.strip() for part in item.split(";")]
        media_range = media_range.lower()
        if media_range not in _JSON_RANGES:
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                weight = float(value) if _QVALUE.match(value) else None
                break
        if weight is None:
            continue  # a malformed weight makes the range meaningless, not the whole header
        specificity = len(_JSON_RANGES) - _JSON_RANGES.index(media_range)
        if best is None or specificity > best[0] or (specificity == best[0] and weight > best[1]):
            best = (specificity, weight)
    if best is not None and best[1] > 0:
        return JSON_TYPE
    raise RequestError(406, "NOT_ACCEPTABLE", "accept %r does not allow %s, the only type this endpoint answers"
                       % (str(accept), JSON_TYPE))


def _media_type(content_type):
    return (content_type or "").split(";", 1)[0].strip().lower()


def request_headers(context):
    """Headers of the current request from the serving context (TorchServe's Context), or {}."""
    if context is None:
        return {}
    try:
        properties = context.request_processor[0].get_request_properties()
    except (AttributeError, IndexError, TypeError):
        return {}
    return {str(k).lower(): v for k, v in dict(properties or {}).items()}


def parse_top_k(custom_attributes):
    """top_k from 'top_k=3' (other comma- or semicolon-separated attributes are ignored)."""
    if isinstance(custom_attributes, (bytes, bytearray)):
        custom_attributes = custom_attributes.decode("utf-8", "replace")
    for part in (custom_attributes or "").replace(";", ",").split(","):
        key, sep, value = part.partition("=")
        if sep and key.strip().lower() == "top_k":
            value = value.strip()
            if not value.isdigit() or int(value) < 1:
                raise RequestError(400, "INVALID_TOP_K", "custom attribute top_k must be an integer >= 1 (got %r)" % value)
            return int(value)
    return DEFAULT_TOP_K


def _decode_json(body):
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise RequestError(400, "INVALID_JSON", "request body is not valid JSON (%s)" % exc.msg) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("image"), str):
        raise RequestError(400, "INVALID_BODY", 'JSON body must be {"image": "<base64-encoded JPEG or PNG>"}; '
                                                "this endpoint does not fetch URLs")
    try:
        return base64.b64decode(doc["image"], validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(400, "INVALID_BASE64", '"image" is not valid base64') from None


def _to_rgb(image):
    """Any PIL mode -> RGB; transparent pixels become white rather than whatever colour they hide."""
    if image.mode.startswith("I") or image.mode == "F":
        # 16/32-bit grayscale: stretch to 8 bits (a plain convert would clip everything above 255).
        image = image.convert("F")
        low, high = image.getextrema()
        scale = 255.0 / (high - low) if high > low else 0.0
        image = image.point(lambda v: (v - low) * scale).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def decode_image(data):
    """Bytes -> RGB PIL image, refusing what is not an image and decompression bombs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise RequestError(415, "UNSUPPORTED_IMAGE_FORMAT", "image format %s is not accepted (allowed: %s)"
                                   % (image.format, ", ".join(ALLOWED_FORMATS)))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise RequestError(413, "IMAGE_TOO_LARGE", "image is %dx%d pixels; at most %d pixels are accepted"
                                   % (width, height, MAX_PIXELS))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RequestError(413, "IMAGE_TOO_LARGE", "image has too many pixels (at most %d are accepted)" % MAX_PIXELS) from None
    except RequestError:
        raise
    except UnidentifiedImageError:  # its text names an in-memory object, which tells the caller nothing
        raise RequestError(400, "INVALID_IMAGE", "body could not be decoded as an image (not a recognised image format)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise RequestError(400, "INVALID_IMAGE", "body could not be decoded as an image (%s)" % exc) from None
    return _to_rgb(image)


def read_request(request_body, content_type, headers=None):
    """The body as the toolkit hands it over (bytes or bytearray; str for exactly application/json,
    which the toolkit decodes) -> the image to classify and top_k, or RequestError."""
    media_type = _media_type(content_type)
    allowed = ", ".join(IMAGE_TYPES + (JSON_TYPE,))
    if not media_type:
        raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE", "the request has no content type (allowed: %s)" % allowed)
    if media_type not in IMAGE_TYPES + (JSON_TYPE,):
        raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE", "content type %r is not supported (allowed: %s)" % (content_type, allowed))
    if request_body is None or len(request_body) == 0:
        raise RequestError(400, "EMPTY_BODY", "request body is empty")
    if len(request_body) > MAX_BODY_BYTES:
        raise RequestError(413, "BODY_TOO_LARGE", "request body is %d bytes; at most %d are accepted" % (len(request_body), MAX_BODY_BYTES))
    top_k = parse_top_k((headers or {}).get(CUSTOM_ATTRIBUTES_HEADER))
    if media_type == JSON_TYPE:
        data = _decode_json(request_body)
    elif isinstance(request_body, str):
        raise RequestError(400, "INVALID_BODY", "%s body must be binary image bytes" % media_type)
    else:
        data = bytes(request_body)
    return Request(image=decode_image(data), top_k=top_k)


def predict(model, request):
    tensor = model.transform(request.image).unsqueeze(0).to(model.device)
    with torch.no_grad():
        probabilities = torch.softmax(model.network(tensor).float(), dim=1)[0]
    k = min(request.top_k, len(model.labels))
    values, indices = torch.topk(probabilities, k)
    return {"predictions": [
        {"label": model.labels[i], "index": i, "probability": round(p, 6)}
        for p, i in zip(values.cpu().tolist(), indices.cpu().tolist())
    ]}
