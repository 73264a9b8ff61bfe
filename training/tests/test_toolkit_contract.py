"""What train.py relies on from the SageMaker PyTorch training container, one test per contract point.

The container runs train.py through two public toolkits; each test names the file that defines the
behaviour it encodes (checked against aws/sagemaker-training-toolkit v5.1.0, commit 33839372, and
aws/sagemaker-pytorch-training-toolkit v3.0.0, commit d9298721; docs/training.md says how they were
run locally):

- training toolkit (``sagemaker_training/...``): reads /opt/ml/input/config/hyperparameters.json,
  removes its own hyperparameters, builds train.py's argv and SM_* environment, downloads and
  unpacks sagemaker_submit_directory, and starts ``python train.py ...`` through a shell;
- PyTorch toolkit (``sagemaker_pytorch_container/training.py``): the container's framework entry
  point; exports MASTER_ADDR/MASTER_PORT and picks the runner (one process per host, or torchrun
  when the job sets sagemaker_torch_distributed_enabled).
"""
import json
import logging
import os
import re

import pytest

from conftest import TRAINING_DIR, clean_env, run_train
from dogbreed import checkpoint, cli, distributed, hyperparameters

TABLE = hyperparameters.load()

# sagemaker_training/params.py SAGEMAKER_HYPERPARAMETERS: removed before argv is built, as is every
# key starting with params.SAGEMAKER_PREFIX ("sagemaker_").
TOOLKIT_OWN = ("sagemaker_program", "sagemaker_submit_directory", "sagemaker_enable_cloudwatch_metrics",
               "sagemaker_region", "sagemaker_container_log_level", "sagemaker_job_name",
               "default_user_module_name", "_tuning_objective_metric", "sagemaker_s3_output")


def program_hyperparameters(values=None):
    """hyperparameters.json as the Pulumi program writes it: every value a string (String(value) in
    TypeScript), plus the script-mode ones."""
    values = values or {hp.name: hp.default for hp in TABLE}
    written = {name: (json.dumps(v) if not isinstance(v, str) else v) for name, v in values.items()}
    written.update(sagemaker_program="train.py", sagemaker_submit_directory="s3://bucket/code/sourcedir.tar.gz",
                   sagemaker_region="us-east-1", sagemaker_container_log_level="20")
    return written


def toolkit_argv(hyperparameters_json):
    """The argv the training toolkit gives train.py for a hyperparameters.json:
    sagemaker_training/environment.py read_hyperparameters (json.loads of each value, the raw string
    where that fails), Environment.__init__ (mapping.split_by_criteria drops the toolkit's own) and
    sagemaker_training/mapping.py to_cmd_args (sorted keys, "--<key>", str(value))."""
    decoded = {}
    for key, raw in hyperparameters_json.items():
        try:
            decoded[key] = json.loads(raw)
        except ValueError:
            decoded[key] = raw
    kept = {k: v for k, v in decoded.items() if k not in TOOLKIT_OWN and not k.startswith("sagemaker_")}
    return [item for key in sorted(kept) for item in ("--" + key, str(kept[key]))]


def sagemaker_env(job="train-single-0123", hosts=("algo-1",), current="algo-1"):
    """The environment train.py starts with in the container (on top of the instance's own)."""
    training_env = {"job_name": job, "hosts": list(hosts), "current_host": current,
                    "channel_input_dirs": {"training": "/opt/ml/input/data/training"}}
    return {
        # sagemaker_training/environment.py Environment.to_env_vars, via mapping.to_env_vars: SM_<KEY>,
        # lists as compact JSON; channel "training" -> SM_CHANNEL_TRAINING; training_env = the whole
        # Environment as JSON, with job_name read from the platform's TRAINING_JOB_NAME.
        "SM_MODEL_DIR": "/opt/ml/model",
        "SM_CHANNEL_TRAINING": "/opt/ml/input/data/training",
        "SM_OUTPUT_DIR": "/opt/ml/output",
        "SM_HOSTS": json.dumps(list(hosts), separators=(",", ":")),
        "SM_CURRENT_HOST": current,
        "SM_NETWORK_INTERFACE_NAME": "eth0",
        "SM_TRAINING_ENV": json.dumps(training_env, sort_keys=True, separators=(",", ":")),
        "TRAINING_JOB_NAME": job,
        # sagemaker_pytorch_container/training.py _set_distributed_environment: the first host, port '7777'.
        "MASTER_ADDR": sorted(hosts)[0],
        "MASTER_PORT": "7777",
    }


def test_the_programs_hyperparameters_reach_train_py_as_their_table_values(caplog):
    argv = toolkit_argv(program_hyperparameters())
    assert argv == ["--arch", "resnet50", "--batch-size", "64", "--epochs", "10", "--image-size", "224",
                    "--learning-rate", "0.001", "--patience", "3", "--pretrained", "True", "--seed", "42"]
    with caplog.at_level(logging.WARNING):
        args = cli.parse_args(argv, sagemaker_env())
    assert {hp.dest: getattr(args, hp.dest) for hp in TABLE} == {hp.dest: hp.default for hp in TABLE}
    assert caplog.text == ""


def test_a_tuning_trial_gets_no_objective_argument_and_so_no_warning(caplog):
    """The tuner adds _tuning_objective_metric to each trial's hyperparameters; the toolkit removes
    it (sagemaker_training/params.py TUNING_METRIC_PARAM is in SAGEMAKER_HYPERPARAMETERS)."""
    trial = program_hyperparameters()
    trial.update({"_tuning_objective_metric": "Test Loss", "batch-size": "128",
                  "learning-rate": "0.0016673553502911797"})
    argv = toolkit_argv(trial)
    assert "--_tuning_objective_metric" not in argv
    with caplog.at_level(logging.WARNING):
        args = cli.parse_args(argv, sagemaker_env(job="tune-0123-004-5c1a2b3d"))
    assert (args.batch_size, args.learning_rate) == (128, 0.0016673553502911797)
    assert caplog.text == ""


def test_no_hyperparameter_is_named_like_one_the_toolkit_removes():
    for hp in TABLE:
        assert not hp.name.startswith("sagemaker_") and hp.name not in TOOLKIT_OWN, hp.name


def test_every_name_and_value_survives_the_shell_the_toolkit_starts_train_py_through():
    """sagemaker_training/process.py run_async joins the command with spaces and runs it with
    asyncio.create_subprocess_shell: a value with a space or a shell character would be split or
    interpreted. Every default, allowed value and tuning value is a plain token."""
    token = re.compile(r"^[A-Za-z0-9._+-]+$")
    for hp in TABLE:
        candidates = [hp.default] + list(hp.values or [])
        if hp.tuning:
            candidates += hp.tuning.get("values", []) + [hp.tuning.get("min"), hp.tuning.get("max")]
        for value in [c for c in candidates if c is not None]:
            for item in toolkit_argv({hp.name: json.dumps(value) if not isinstance(value, str) else value}):
                assert token.match(item), (hp.name, value, item)


def test_paths_come_from_the_toolkit_environment_and_the_checkpoint_default():
    args = cli.parse_args([], sagemaker_env())
    assert args.data == "/opt/ml/input/data/training"   # the channel the program names "training"
    assert args.model_dir == "/opt/ml/model"            # sagemaker_training/environment.py model_dir
    # Not the toolkit's: CheckpointConfig.LocalPath defaults to /opt/ml/checkpoints in the job API.
    assert args.checkpoint_dir == "/opt/ml/checkpoints"


def test_the_job_name_gives_each_job_its_checkpoint_folder():
    """sagemaker_training/environment.py Environment.job_name is TRAINING_JOB_NAME (set by SageMaker
    in the container and kept across spot restarts) and reaches train.py inside SM_TRAINING_ENV."""
    env = sagemaker_env(job="tune-0123-004-5c1a2b3d")
    assert checkpoint.job_name(env) == "tune-0123-004-5c1a2b3d"
    assert checkpoint.job_name({k: v for k, v in env.items() if k != "SM_TRAINING_ENV"}) == "tune-0123-004-5c1a2b3d"
    assert checkpoint.job_directory(cli.parse_args([], env).checkpoint_dir, checkpoint.job_name(env)) == \
        "/opt/ml/checkpoints/tune-0123-004-5c1a2b3d"


def test_cpu_hosts_run_one_process_each_and_meet_at_the_first_host_on_port_7777():
    """Without torch_distributed the PyTorch toolkit uses the plain process runner (one train.py per
    host: sagemaker_training/runner.py, processes_per_host 1 without GPUs) and exports MASTER_ADDR =
    the first host and MASTER_PORT = '7777' (sagemaker_pytorch_container/training.py)."""
    hosts = ("algo-1", "algo-2", "algo-3")
    spec = distributed.detect(sagemaker_env(hosts=hosts, current="algo-2"))
    assert (spec.source, spec.rank, spec.world_size, spec.master_addr, spec.master_port) == \
        ("sagemaker", 1, 3, "algo-1", 7777)
    assert distributed.pick_device(spec, 0).type == "cpu"


def test_gpu_hosts_under_torch_distributed_run_one_process_per_gpu_on_its_own_device():
    """With sagemaker_torch_distributed_enabled the toolkit runs `torchrun --nnodes 2 --nproc_per_node
    <GPUs> --master_addr algo-1 --master_port 7777 --node_rank <host index> train.py <args>`
    (sagemaker_training/torch_distributed.py); torchrun gives each process RANK, LOCAL_RANK,
    WORLD_SIZE, MASTER_ADDR and MASTER_PORT."""
    env = dict(sagemaker_env(hosts=("algo-1", "algo-2"), current="algo-2"),
               RANK="6", LOCAL_RANK="2", WORLD_SIZE="8", MASTER_ADDR="algo-1", MASTER_PORT="7777")
    spec = distributed.detect(env)
    assert (spec.source, spec.rank, spec.world_size, spec.local_rank, spec.master_port) == ("torchrun", 6, 8, 2, 7777)
    assert str(distributed.pick_device(spec, 4)) == "cuda:2"
    with pytest.raises(ValueError, match=r"LOCAL_RANK is 2 but this host has 2 GPU\(s\)"):
        distributed.pick_device(spec, 2)


def test_the_archive_runs_as_a_script_with_nothing_installed_at_job_start():
    """sagemaker_training/_entry_point_type.py: a setup.py beside train.py would make the archive a
    package that the toolkit pip-installs; sagemaker_training/entry_point.py install: a
    requirements.txt would be pip-installed at job start. The archive holds neither, so the
    container runs `python train.py ...` in /opt/ml/code."""
    assert os.path.isfile(os.path.join(TRAINING_DIR, "train.py"))
    assert not os.path.exists(os.path.join(TRAINING_DIR, "setup.py"))
    assert not os.path.exists(os.path.join(TRAINING_DIR, "requirements.txt"))
    # What train.py reads beside itself at run time travels in the archive with it.
    assert os.path.isfile(hyperparameters.TABLE_PATH) and os.path.dirname(hyperparameters.TABLE_PATH) == TRAINING_DIR


def test_a_refused_run_leaves_its_reason_as_the_jobs_failure_reason(tmp_path):
    """train.py writes $SM_OUTPUT_DIR/failure and exits non-zero; the toolkit writes its own failure
    file only when none exists (sagemaker_training/files.py write_failure_file), so SageMaker shows
    train.py's one-line reason as FailureReason instead of a traceback."""
    output = tmp_path / "output"
    output.mkdir()
    env = clean_env(SM_OUTPUT_DIR=str(output))
    result = run_train(["--data", str(tmp_path / "missing"), "--model-dir", str(tmp_path / "m"),
                        "--checkpoint-dir", str(tmp_path / "c"), "--no-pretrained", "--workers", "0"], env=env, timeout=60)
    assert result.returncode == 2
    reason = (output / "failure").read_text()
    assert reason.startswith("--data %s is not a directory" % (tmp_path / "missing")) and "Traceback" not in reason
