"""SageMaker PyTorch serving handlers for the dog-breed classifier (shipped as code/inference.py).

Request: image/jpeg, image/png or application/x-image bytes, or application/json {"image": "<base64>"}.
Optional header X-Amzn-SageMaker-Custom-Attributes: top_k=N (default 5).
Response (application/json): {"predictions": [{"label": "Affenpinscher", "index": 0, "probability": 0.93}, ...]}
sorted by probability.

Nothing here touches the network: there is no URL input (the seeds' endpoint fetched any URL it was
given) and the model is rebuilt from labels.json + model.pth, never from downloaded weights. Each
handler takes the serving toolkit's optional trailing ``context`` argument; the toolkit passes it
when the signature has room for it.
"""
import base64
import binascii
import io
import json
import logging
import os
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

try:  # inside the serving container: the toolkit turns these into the given HTTP status
    from sagemaker_inference.errors import GenericInferenceToolkitError as _ToolkitError
except ImportError:  # tests, local use
    _ToolkitError = None


class RequestError(_ToolkitError or Exception):
    """A bad request, with the HTTP status the caller should see and a message saying why."""

    def __init__(self, status_code, message):
        if _ToolkitError is not None:
            super().__init__(status_code, message, message)
        else:
            super().__init__(message)
        self.status_code = status_code
        self.message = message

    def __str__(self):
        return self.message


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


def _media_type(content_type):
    return (content_type or "").split(";", 1)[0].strip().lower()


def _request_headers(context):
    """Headers of the current request from the toolkit's context (TorchServe/MMS), or {}."""
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
                raise RequestError(400, "custom attribute top_k must be an integer >= 1 (got %r)" % value)
            return int(value)
    return DEFAULT_TOP_K


def _decode_json(body):
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise RequestError(400, "request body is not valid JSON (%s)" % exc.msg) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("image"), str):
        raise RequestError(400, 'JSON body must be {"image": "<base64-encoded JPEG or PNG>"}; '
                                "this endpoint does not fetch URLs")
    try:
        return base64.b64decode(doc["image"], validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(400, '"image" is not valid base64') from None


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
                raise RequestError(415, "image format %s is not accepted (allowed: %s)"
                                   % (image.format, ", ".join(ALLOWED_FORMATS)))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise RequestError(413, "image is %dx%d pixels; at most %d pixels are accepted"
                                   % (width, height, MAX_PIXELS))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RequestError(413, "image has too many pixels (at most %d are accepted)" % MAX_PIXELS) from None
    except RequestError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise RequestError(400, "body could not be decoded as an image (%s)" % exc) from None
    return _to_rgb(image)


def input_fn(request_body, content_type, context=None):
    media_type = _media_type(content_type)
    if media_type not in IMAGE_TYPES + (JSON_TYPE,):
        raise RequestError(415, "content type %r is not supported (allowed: %s)"
                           % (content_type, ", ".join(IMAGE_TYPES + (JSON_TYPE,))))
    if request_body is None or len(request_body) == 0:
        raise RequestError(400, "request body is empty")
    if len(request_body) > MAX_BODY_BYTES:
        raise RequestError(413, "request body is %d bytes; at most %d are accepted" % (len(request_body), MAX_BODY_BYTES))
    top_k = parse_top_k(_request_headers(context).get(CUSTOM_ATTRIBUTES_HEADER))
    if media_type == JSON_TYPE:
        data = _decode_json(request_body)
    elif isinstance(request_body, str):
        raise RequestError(400, "%s body must be binary image bytes" % media_type)
    else:
        data = bytes(request_body)
    return Request(image=decode_image(data), top_k=top_k)


def predict_fn(data, model, context=None):
    tensor = model.transform(data.image).unsqueeze(0).to(model.device)
    with torch.no_grad():
        probabilities = torch.softmax(model.network(tensor).float(), dim=1)[0]
    k = min(data.top_k, len(model.labels))
    values, indices = torch.topk(probabilities, k)
    return {"predictions": [
        {"label": model.labels[i], "index": i, "probability": round(p, 6)}
        for p, i in zip(values.cpu().tolist(), indices.cpu().tolist())
    ]}


def output_fn(prediction, accept, context=None):
    media_type = _media_type(accept)
    if media_type not in ("", "*/*", JSON_TYPE):
        raise RequestError(406, "accept %r is not supported (this endpoint answers %s)" % (accept, JSON_TYPE))
    return json.dumps(prediction)
