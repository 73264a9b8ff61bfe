"""Shared fixtures: synthetic data, one trained artifact, and helpers to run train.py as SageMaker would."""
import json
import os
import re
import socket
import subprocess
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
TRAINING_DIR = os.path.dirname(TESTS_DIR)
TRAIN_PY = os.path.join(TRAINING_DIR, "train.py")
METRICS_JSON = os.path.join(TRAINING_DIR, "metrics.json")

sys.path.insert(0, TRAINING_DIR)
sys.path.insert(0, TESTS_DIR)

import synthetic  # noqa: E402

# Small enough for 2 CPU cores, large enough for the from-scratch ResNet-18 to learn the classes.
TRAIN_ARGS = ["--arch", "resnet18", "--image-size", "32", "--no-pretrained", "--batch-size", "8",
              "--learning-rate", "0.001", "--epochs", "4", "--patience", "3", "--seed", "7", "--workers", "0"]

# Variables that would make train.py believe it runs in SageMaker (or as a job) or under a launcher.
_LAUNCH_VARS = re.compile(r"^(SM_.*|TRAINING_JOB_NAME|RANK|WORLD_SIZE|LOCAL_RANK|MASTER_ADDR|MASTER_PORT|TORCHELASTIC_.*|PET_.*)$")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not _LAUNCH_VARS.match(k)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_train(args, env=None, timeout=300):
    """Run train.py to completion; return the CompletedProcess (stdout and stderr merged)."""
    return subprocess.run([sys.executable, TRAIN_PY] + list(args), env=env or clean_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)


def start_train(args, env=None):
    return subprocess.Popen([sys.executable, TRAIN_PY] + list(args), env=env or clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric_regexes():
    """The tuning job's metric regexes, read from the one file that defines them."""
    with open(METRICS_JSON, encoding="utf-8") as f:
        return {d["Name"]: d["Regex"] for d in json.load(f)["definitions"]}


def scrape_metrics(output):
    """What SageMaker would scrape from the job log with metrics.json's regexes."""
    found = {}
    for name, regex in metric_regexes().items():
        matches = re.findall(regex, output)
        if matches:
            found[name] = float(matches[-1])
    return found


def epoch_valid_losses(output):
    return [float(v) for v in re.findall(r"epoch \d+/\d+: train loss [0-9.]+ acc [0-9.]+ \| valid loss ([0-9.]+)", output)]


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    return synthetic.make_dataset(str(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="session")
def trained(dataset, tmp_path_factory):
    """One single-process training run shared by the tests that only read its results."""
    root = tmp_path_factory.mktemp("trained")
    model_dir, checkpoint_dir = str(root / "model"), str(root / "checkpoints")
    result = run_train(["--data", dataset, "--model-dir", model_dir, "--checkpoint-dir", checkpoint_dir] + TRAIN_ARGS)
    assert result.returncode == 0, result.stdout
    return {"model_dir": model_dir, "checkpoint_dir": checkpoint_dir, "output": result.stdout}


@pytest.fixture
def no_network(monkeypatch):
    """Fail any attempt to open a network connection (the endpoint runs with network isolation)."""
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network access attempted in a test that forbids it: %r" % (address,))

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts
