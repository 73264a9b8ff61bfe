"""The model, its preprocessing and the labels.json that lets inference rebuild both.

One module for what training and serving must agree on: architecture and head, ImageNet
normalization, evaluation transform, class-name parsing and the labels.json schema. The endpoint
imports only this module (it is copied into the model artifact), so it must not import anything
beyond torch, torchvision and the standard library.
"""
import json
import os
import re

import torch
from torch import nn
from torchvision import models, transforms

# ImageNet statistics: the pretrained backbones were trained on inputs normalized with them, and
# the by-hand project forgot this. Stored in labels.json so serving uses the very same values.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# The by-hand project's head: backbone features -> 128 -> ReLU -> classes.
HEAD_HIDDEN = 128

# torchvision constructor and the name of its ImageNet weights enum, per supported arch.
ARCHS = {
    "resnet18": (models.resnet18, "ResNet18_Weights"),
    "resnet34": (models.resnet34, "ResNet34_Weights"),
    "resnet50": (models.resnet50, "ResNet50_Weights"),
    "resnet101": (models.resnet101, "ResNet101_Weights"),
}

LABELS_FILE = "labels.json"
WEIGHTS_FILE = "model.pth"
LABELS_FORMAT_VERSION = 1

_CLASS_PREFIX = re.compile(r"^\d+\.")


def check_arch(arch):
    if arch not in ARCHS:
        raise ValueError("unknown arch %r: allowed %s" % (arch, ", ".join(sorted(ARCHS))))
    return arch


def build_model(arch, num_classes, pretrained):
    """ResNet backbone + the by-hand project's two-layer head.

    With ``pretrained`` the ImageNet backbone is frozen and only the head trains (transfer learning,
    as the by-hand project did). Without it (tests, or training from scratch) everything trains: freezing random
    weights would only cripple the model. Inference always passes ``pretrained=False``: the weights
    come from model.pth, never from the network.
    """
    check_arch(arch)
    if num_classes < 2:
        raise ValueError("num_classes must be >= 2 (got %d)" % num_classes)
    constructor, weights_enum = ARCHS[arch]
    weights = getattr(models, weights_enum).IMAGENET1K_V1 if pretrained else None
    model = constructor(weights=weights)
    if pretrained:
        for param in model.parameters():
            param.requires_grad = False
    model.fc = nn.Sequential(
        nn.Linear(model.fc.in_features, HEAD_HIDDEN),
        nn.ReLU(inplace=True),
        nn.Linear(HEAD_HIDDEN, num_classes),
    )
    return model


def backbone_frozen(model):
    return not all(p.requires_grad for name, p in model.named_parameters() if not name.startswith("fc."))


def set_train_mode(model):
    """model.train(), except that a frozen backbone keeps its BatchNorm running statistics.

    A frozen backbone's BatchNorm layers in train mode would still drift their running statistics
    towards this dataset while their affine weights stay fixed, so evaluation would no longer use
    the statistics the pretrained weights expect.
    """
    model.train()
    if backbone_frozen(model):
        for name, module in model.named_modules():
            if not name.startswith("fc") and isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()


def resize_size(image_size):
    # The usual ImageNet ratio: resize the short side to 256 for a 224 crop.
    return int(round(image_size * 256 / 224))


def eval_transform(image_size, mean=IMAGENET_MEAN, std=IMAGENET_STD, resize=None):
    """Deterministic preprocessing for validation, test and serving (one definition for all three)."""
    return transforms.Compose([
        transforms.Resize(resize or resize_size(image_size)),
        transforms.CenterCrop(image_size),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ])


def train_transform(image_size, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    return transforms.Compose([
        transforms.RandomResizedCrop(image_size),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ])


def label_from_folder(folder):
    """'001.Affenpinscher' -> 'Affenpinscher'; 'Labrador_retriever' -> 'Labrador retriever'."""
    return _CLASS_PREFIX.sub("", folder).replace("_", " ")


def labels_document(arch, image_size, class_folders):
    """Everything inference needs to rebuild the model and its preprocessing."""
    return {
        "format_version": LABELS_FORMAT_VERSION,
        "arch": arch,
        "head_hidden": HEAD_HIDDEN,
        "image_size": image_size,
        "resize_size": resize_size(image_size),
        "normalization": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
        "num_classes": len(class_folders),
        "class_folders": list(class_folders),
        "labels": [label_from_folder(f) for f in class_folders],
    }


def read_labels(model_dir):
    """Read and validate labels.json; errors name the file and the bad field."""
    path = os.path.join(model_dir, LABELS_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError("%s not found: the model artifact must contain %s beside %s"
                                % (path, LABELS_FILE, WEIGHTS_FILE)) from None
    if doc.get("format_version") != LABELS_FORMAT_VERSION:
        raise ValueError("%s: format_version %r is not supported (expected %d)"
                         % (path, doc.get("format_version"), LABELS_FORMAT_VERSION))
    check_arch(doc.get("arch"))
    if doc.get("head_hidden") != HEAD_HIDDEN:
        raise ValueError("%s: head_hidden %r does not match this code's head (%d)"
                         % (path, doc.get("head_hidden"), HEAD_HIDDEN))
    labels = doc.get("labels")
    if not isinstance(labels, list) or len(labels) != doc.get("num_classes") or len(labels) < 2:
        raise ValueError("%s: labels must be a list of num_classes (>= 2) names (got %r labels, num_classes %r)"
                         % (path, None if not isinstance(labels, list) else len(labels), doc.get("num_classes")))
    size = doc.get("image_size")
    if not isinstance(size, int) or size < 16:
        raise ValueError("%s: image_size must be an integer >= 16 (got %r)" % (path, size))
    resize = doc.get("resize_size")
    if not isinstance(resize, int) or resize < size:
        raise ValueError("%s: resize_size must be an integer >= image_size %d (got %r)" % (path, size, resize))
    return doc


def load_for_inference(model_dir, device):
    """Rebuild the model from labels.json + model.pth without touching the network."""
    doc = read_labels(model_dir)
    model = build_model(doc["arch"], doc["num_classes"], pretrained=False)
    weights_path = os.path.join(model_dir, WEIGHTS_FILE)
    # weights_only: model.pth is a plain state_dict, so refuse anything that would unpickle code.
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.to(device).eval()
    norm = doc["normalization"]
    transform = eval_transform(doc["image_size"], tuple(norm["mean"]), tuple(norm["std"]), doc["resize_size"])
    return model, transform, doc
