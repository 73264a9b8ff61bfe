"""train.py's command line: DESIGN.md section 4, with SageMaker's environment as defaults.

SageMaker script mode runs ``python train.py --<hyperparameter> <value> ...`` with the job's
hyperparameters JSON-decoded then stringified (so a boolean arrives as ``True``/``false``) and, in
tuning jobs, extra ones such as ``_tuning_objective_metric``. Unknown arguments are therefore
logged and ignored rather than fatal. Paths default to SageMaker's environment when it is present
and are required flags everywhere else.
"""
import argparse
import logging
import os

from .modeling import ARCHS

log = logging.getLogger(__name__)

SAGEMAKER_CHECKPOINT_DIR = "/opt/ml/checkpoints"


def in_sagemaker(env):
    return "SM_TRAINING_ENV" in env or "SM_MODEL_DIR" in env


def _unquote(value):
    # Hyperparameters set as JSON strings ("\"resnet50\"") keep their quotes when a caller forgets
    # to JSON-encode consistently; the seeds stripped them by hand. Accept both.
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _typed(name, convert, check, allowed):
    def parse(raw):
        try:
            value = convert(_unquote(raw))
        except ValueError:
            value = None
        if value is None or not check(value):
            raise argparse.ArgumentTypeError("--%s must be %s (got %r)" % (name, allowed, raw))
        return value
    return parse


def parse_bool(raw, name="pretrained"):
    value = _unquote(str(raw)).lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError("--%s must be true or false (got %r)" % (name, raw))


def build_parser(env):
    sm = in_sagemaker(env)
    p = argparse.ArgumentParser(
        prog="train.py", allow_abbrev=False,
        description="Train the dog-breed classifier (SageMaker training/tuning jobs, the EC2 trainer, tests).")
    p.add_argument("--data", default=env.get("SM_CHANNEL_TRAINING"),
                   help="dataset root holding train/ valid/ test/ ImageFolders (default: $SM_CHANNEL_TRAINING)")
    p.add_argument("--model-dir", "--model_dir", dest="model_dir", default=env.get("SM_MODEL_DIR"),
                   help="where model.pth, labels.json and code/ are written (default: $SM_MODEL_DIR)")
    p.add_argument("--checkpoint-dir", "--checkpoint_dir", dest="checkpoint_dir",
                   default=SAGEMAKER_CHECKPOINT_DIR if sm else None,
                   help="per-epoch checkpoints, resumed from on restart (default in SageMaker: %s)"
                        % SAGEMAKER_CHECKPOINT_DIR)
    p.add_argument("--epochs", type=_typed("epochs", int, lambda v: v >= 1, "an integer >= 1"), default=10)
    p.add_argument("--batch-size", "--batch_size", dest="batch_size",
                   type=_typed("batch-size", int, lambda v: v >= 1, "an integer >= 1"), default=64,
                   help="global batch size, split across the processes of a distributed run")
    p.add_argument("--learning-rate", "--learning_rate", "--lr", dest="learning_rate",
                   type=_typed("learning-rate", float, lambda v: 0 < v < 10, "a number in (0, 10)"),
                   default=0.001)
    p.add_argument("--arch", type=_typed("arch", str, lambda v: v in ARCHS, "one of " + ", ".join(sorted(ARCHS))),
                   default="resnet50")
    p.add_argument("--image-size", "--image_size", dest="image_size",
                   type=_typed("image-size", int, lambda v: 16 <= v <= 1024, "an integer in 16..1024"),
                   default=224)
    # Bare flag, valued flag (SageMaker sends "--pretrained True") and the negative flag.
    p.add_argument("--pretrained", nargs="?", const=True, default=True, type=parse_bool,
                   help="start from ImageNet weights and freeze the backbone (default); accepts a value")
    p.add_argument("--no-pretrained", dest="pretrained", action="store_false",
                   help="train the whole network from random weights (tests, offline runs)")
    p.add_argument("--patience", type=_typed("patience", int, lambda v: v >= 1, "an integer >= 1"), default=3,
                   help="stop after this many epochs without a lower validation loss")
    p.add_argument("--seed", type=_typed("seed", int, lambda v: v >= 0, "an integer >= 0"), default=42)
    p.add_argument("--workers", type=_typed("workers", int, lambda v: v >= 0, "an integer >= 0"),
                   default=min(4, os.cpu_count() or 1), help="data-loading worker processes per training process")
    return p


def parse_args(argv, env):
    parser = build_parser(env)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Tuning jobs add hyperparameters such as _tuning_objective_metric; they are not ours.
        log.warning("ignoring arguments this script does not define: %s", " ".join(unknown))
    for flag, dest, env_name in (("--data", "data", "SM_CHANNEL_TRAINING"),
                                 ("--model-dir", "model_dir", "SM_MODEL_DIR"),
                                 ("--checkpoint-dir", "checkpoint_dir", None)):
        if not getattr(args, dest):
            hint = (" (or set %s)" % env_name) if env_name else " (defaults to %s only inside SageMaker)" % SAGEMAKER_CHECKPOINT_DIR
            parser.error("%s is required outside SageMaker%s" % (flag, hint))
    return args
