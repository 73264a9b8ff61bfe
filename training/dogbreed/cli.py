"""train.py's command line: the hyperparameter flags come from training/hyperparameters.json.

SageMaker script mode runs ``python train.py --<hyperparameter> <value> ...``: the training toolkit
reads the job's hyperparameters, removes its own (``sagemaker_*`` and the tuner's
``_tuning_objective_metric``), JSON-decodes each value and passes ``str()`` of it, so a boolean
arrives as ``True``. The flags, their types, defaults and ranges are built from the shared table;
only what is not a hyperparameter lives here: the paths (defaulting to SageMaker's environment
when it is present, required everywhere else) and ``--workers``.
"""
import argparse
import logging
import os

from . import hyperparameters

log = logging.getLogger(__name__)

# CheckpointConfig.LocalPath's default: SageMaker syncs this folder with the job's checkpoint S3 URI.
SAGEMAKER_CHECKPOINT_DIR = "/opt/ml/checkpoints"


def in_sagemaker(env):
    return "SM_TRAINING_ENV" in env or "SM_MODEL_DIR" in env


def _argparse_type(convert):
    def parse(raw):
        try:
            return convert(raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def _add_hyperparameter(parser, hp):
    names = ["--" + hp.name]
    if hp.dest != hp.name:
        names.append("--" + hp.dest)  # the by-hand project's spelling: --batch_size
    described = "%s (%s; default %s)" % (hp.description, hp.allowed(), hp.default)
    if hp.type == "boolean":
        # Bare flag, valued flag (SageMaker sends "--pretrained True") and the negative flag.
        parser.add_argument(*names, dest=hp.dest, nargs="?", const=True, default=hp.default,
                            type=_argparse_type(hp.parse), help=described)
        parser.add_argument("--no-" + hp.name, dest=hp.dest, action="store_false", help="--%s false" % hp.name)
    else:
        parser.add_argument(*names, dest=hp.dest, default=hp.default, type=_argparse_type(hp.parse),
                            metavar=hp.name.upper().replace("-", "_"), help=described)


def _non_negative_int(raw):
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError("--workers must be an integer >= 0 (got %r)" % raw)
    return value


def build_parser(env, table=None):
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
                   help="per-epoch checkpoints, resumed from on restart (default in SageMaker: %s; a job "
                        "writes into its own subfolder named after the job)" % SAGEMAKER_CHECKPOINT_DIR)
    for hp in (table if table is not None else hyperparameters.load()):
        _add_hyperparameter(p, hp)
    p.add_argument("--workers", type=_non_negative_int, default=min(4, os.cpu_count() or 1),
                   help="data-loading worker processes per training process (results do not depend on it)")
    return p


def parse_args(argv, env, table=None):
    parser = build_parser(env, table)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # SageMaker only passes what the job sets (its own sagemaker_* and the tuner's objective are
        # removed before train.py starts), so anything here is a mismatch worth seeing in the log.
        log.warning("ignoring arguments this script does not define: %s", " ".join(unknown))
    for flag, dest, env_name in (("--data", "data", "SM_CHANNEL_TRAINING"),
                                 ("--model-dir", "model_dir", "SM_MODEL_DIR"),
                                 ("--checkpoint-dir", "checkpoint_dir", None)):
        if not getattr(args, dest):
            hint = (" (or set %s)" % env_name) if env_name else " (defaults to %s only inside SageMaker)" % SAGEMAKER_CHECKPOINT_DIR
            parser.error("%s is required outside SageMaker%s" % (flag, hint))
    return args
