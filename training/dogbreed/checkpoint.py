"""Per-epoch checkpoints for spot interruptions: each job's own, written atomically, resumed from the newest.

SageMaker syncs the checkpoint directory (/opt/ml/checkpoints) with the job's checkpoint S3 URI and
copies it back when a spot job restarts, so a restart loses at most the epoch in progress. The
trials of a tuning job share one checkpoint URI, so each job writes into a subfolder named after
the job (a spot restart keeps its job name, another trial has another), and every checkpoint
records the job and the run's spec (the hyperparameters and the dataset's identity). A checkpoint
of another job or another spec is never resumed: it is named in the log and the run starts fresh,
leaving that file alone.

Files are named ``checkpoint-<run>-epoch-NNNN.pt``: <run> is a digest of the job and the spec, so
a run lists, resumes and prunes only its own files even when another run's share the folder, and
the newest is the highest epoch (independent of mtimes an S3 copy may change). The previous one is
kept in case the newest is unreadable; older ones are removed.
"""
import hashlib
import json
import logging
import os
import re

import torch

log = logging.getLogger(__name__)

_NAME = re.compile(r"^checkpoint-(?:([0-9a-f]{12})-)?epoch-(\d{4,})\.pt$")
KEEP = 2
# SageMaker's training job name pattern: it names a folder, so nothing else is accepted.
_JOB_NAME = re.compile(r"^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$")


def job_name(env):
    """The training job's name (SM_TRAINING_ENV's job_name, else TRAINING_JOB_NAME), or None outside a job."""
    name = None
    if env.get("SM_TRAINING_ENV"):
        try:
            name = json.loads(env["SM_TRAINING_ENV"]).get("job_name")
        except (ValueError, AttributeError):
            raise ValueError("SM_TRAINING_ENV must be a JSON object (got %.80r)" % env["SM_TRAINING_ENV"]) from None
    name = name or env.get("TRAINING_JOB_NAME") or None
    if name is not None and not _JOB_NAME.match(name):
        raise ValueError("training job name %r is not a SageMaker job name (letters, digits and '-', at most 63)" % name)
    return name


def job_directory(checkpoint_dir, job):
    """Where this job's checkpoints live: a subfolder per job, the directory itself outside a job."""
    return os.path.join(checkpoint_dir, job) if job else checkpoint_dir


def run_identity(job, spec):
    return {"job": job, "spec": spec}


def run_digest(identity):
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def path_for(directory, digest, epoch):
    return os.path.join(directory, "checkpoint-%s-epoch-%04d.pt" % (digest, epoch))


def _scan(directory):
    """[(epoch, digest or None, path)] newest first."""
    if not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        match = _NAME.match(name)
        if match:
            found.append((int(match.group(2)), match.group(1), os.path.join(directory, name)))
    return sorted(found, key=lambda t: (t[0], t[2]), reverse=True)


def list_checkpoints(directory, digest):
    """This run's checkpoints as [(epoch, path)], newest first."""
    return [(epoch, path) for epoch, d, path in _scan(directory) if d == digest]


def other_checkpoints(directory, digest):
    """Checkpoints in the folder that are not this run's, [(epoch, path)] newest first."""
    return [(epoch, path) for epoch, d, path in _scan(directory) if d != digest]


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


def save(directory, digest, epoch, state):
    """Write atomically. Non-tensor structure goes to JSON so that loading needs no unpickling of
    arbitrary objects (torch.load(weights_only=True) on every torch version, including 1.13, which
    cannot read plain floats that way) while dict keys keep their types (the optimizer's are ints)."""
    os.makedirs(directory, exist_ok=True)
    final = path_for(directory, digest, epoch)
    tmp = final + ".tmp"
    tensors = []
    structure = json.dumps(_encode(state, tensors))
    torch.save({"structure": structure, "tensors": tensors}, tmp)
    os.replace(tmp, final)  # a reader (or S3 sync) never sees a half-written checkpoint
    for _, old in list_checkpoints(directory, digest)[KEEP:]:
        os.remove(old)
    return final


def read(path):
    # weights_only: never unpickle code from a file an S3 prefix handed back.
    raw = torch.load(path, map_location="cpu", weights_only=True)
    return _decode(json.loads(raw["structure"]), raw["tensors"])


def _show(key, value):
    if isinstance(value, list) and len(value) > 3:
        return "[%d items: %s, ...]" % (len(value), ", ".join(str(v) for v in value[:3]))
    return repr(value)


def mismatch(state, identity):
    """Why a checkpoint's state does not belong to this run, in words, or None if it does."""
    if state.get("job") != identity["job"]:
        return "it was written by job %r and this is job %r" % (state.get("job"), identity["job"])
    theirs = state.get("spec")
    if not isinstance(theirs, dict):
        return "it records no run spec (written by an older train.py)"
    ours = identity["spec"]
    keys = [k for k in sorted(set(theirs) | set(ours)) if theirs.get(k) != ours.get(k)]
    if keys:
        return "it was written for %s and this run has %s" % (
            ", ".join("%s=%s" % (k, _show(k, theirs.get(k))) for k in keys),
            ", ".join("%s=%s" % (k, _show(k, ours.get(k))) for k in keys))
    return None


def load_newest(directory, identity):
    """This run's newest readable checkpoint as (path, state), or (None, None) to start fresh.

    Checkpoints of other runs in the folder are named in the log (with the reason they are not
    resumed) and left alone.
    """
    digest = run_digest(identity)
    for epoch, path in list_checkpoints(directory, digest):
        try:
            state = read(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable file: fall back to the previous one
            log.warning("checkpoint %s is unreadable (%s); trying an older one", path, exc)
            continue
        reason = mismatch(state, identity) or (
            None if state.get("epoch") == epoch else "it records epoch %r" % state.get("epoch"))
        if reason:
            log.warning("not resuming checkpoint %s: %s", path, reason)
            continue
        return path, state
    others = other_checkpoints(directory, digest)
    if others:
        path = others[0][1]
        try:
            reason = mismatch(read(path), identity) or "its file name does not carry this run's digest %s" % digest
        except Exception as exc:  # noqa: BLE001 - only explaining why it is not used
            reason = "it is unreadable (%s)" % exc
        log.warning("not resuming checkpoint %s: %s; starting fresh (this run writes checkpoint-%s-epoch-NNNN.pt)",
                    path, reason, digest)
    return None, None
