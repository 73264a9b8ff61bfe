"""Per-epoch checkpoints for spot interruptions: write atomically, resume from the newest.

SageMaker syncs the checkpoint directory (/opt/ml/checkpoints) to the job's checkpoint S3 prefix
and copies it back when a spot job restarts, so a restart loses at most the epoch in progress.
Files are named by epoch (newest = highest number, independent of mtimes an S3 copy may change);
the previous one is kept in case the newest is unreadable, older ones are removed.
"""
import json
import logging
import os
import re

import torch

log = logging.getLogger(__name__)

_NAME = re.compile(r"^checkpoint-epoch-(\d{4,})\.pt$")
KEEP = 2


def path_for(directory, epoch):
    return os.path.join(directory, "checkpoint-epoch-%04d.pt" % epoch)


def list_checkpoints(directory):
    """[(epoch, path)] newest first."""
    if not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        match = _NAME.match(name)
        if match:
            found.append((int(match.group(1)), os.path.join(directory, name)))
    return sorted(found, reverse=True)


def _encode(obj, tensors):
    if isinstance(obj, torch.Tensor):
        tensors.append(obj)
        return {"__tensor__": len(tensors) - 1}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, tensors), _encode(v, tensors)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, tensors) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, tensors) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError("cannot checkpoint a %s" % type(obj).__name__)


def _decode(obj, tensors):
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__tuple__" in obj:
            return tuple(_decode(v, tensors) for v in obj["__tuple__"])
        return {_decode(k, tensors): _decode(v, tensors) for k, v in obj["__dict__"]}
    return obj


def save(directory, epoch, state):
    """Write atomically. Non-tensor structure goes to JSON so that loading needs no unpickling of
    arbitrary objects (torch.load(weights_only=True) on every torch version, including 1.13, which
    cannot read plain floats that way) while dict keys keep their types (the optimizer's are ints)."""
    os.makedirs(directory, exist_ok=True)
    final = path_for(directory, epoch)
    tmp = final + ".tmp"
    tensors = []
    structure = json.dumps(_encode(state, tensors))
    torch.save({"structure": structure, "tensors": tensors}, tmp)
    os.replace(tmp, final)  # a reader (or S3 sync) never sees a half-written checkpoint
    for _, old in list_checkpoints(directory)[KEEP:]:
        os.remove(old)
    return final


def load_newest(directory):
    """The newest readable checkpoint as (path, state), or (None, None)."""
    for epoch, path in list_checkpoints(directory):
        try:
            # weights_only: never unpickle code from a file an S3 prefix handed back.
            raw = torch.load(path, map_location="cpu", weights_only=True)
            state = _decode(json.loads(raw["structure"]), raw["tensors"])
        except Exception as exc:  # noqa: BLE001 - any unreadable file: fall back to the previous one
            log.warning("checkpoint %s is unreadable (%s); trying an older one", path, exc)
            continue
        if state.get("epoch") != epoch:
            log.warning("checkpoint %s records epoch %r; skipping it", path, state.get("epoch"))
            continue
        return path, state
    return None, None


def _show(key, value):
    if key == "class_folders" and isinstance(value, list):
        return "%d classes (%s...)" % (len(value), ", ".join(value[:3]))
    return repr(value)


def check_compatible(path, state, run):
    """Refuse to resume a checkpoint written for a different model or dataset."""
    for key in ("arch", "image_size", "pretrained", "class_folders"):
        if state.get(key) != run[key]:
            raise ValueError(
                "checkpoint %s was written for %s=%s but this run has %s=%s: point --checkpoint-dir at an "
                "empty directory (or at this run's own)" % (path, key, _show(key, state.get(key)), key, _show(key, run[key])))
