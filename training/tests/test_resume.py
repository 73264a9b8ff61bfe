"""Spot safety: a checkpoint each epoch in the job's own folder; a restarted job resumes at the next
epoch and ends exactly where an uninterrupted run does; another job's or another spec's checkpoint
is never resumed."""
import json
import logging
import os
import re
import shutil
import time

import pytest
import torch

from conftest import TRAIN_ARGS, clean_env, run_train, scrape_metrics, start_train
from dogbreed import checkpoint

SPEC = {"arch": "resnet18", "batch_size": 8, "epochs": 4, "class_folders": ["001.A", "002.B"], "dataset_files": "ab12"}


def _own(directory):
    """The checkpoint files a run wrote into a folder, with the run digest masked."""
    return sorted(re.sub(r"-[0-9a-f]{12}-", "-<run>-", n) for n in os.listdir(directory))


def _with_args(**changes):
    args = list(TRAIN_ARGS)
    for flag, value in changes.items():
        args[args.index("--" + flag) + 1] = str(value)
    return args


def test_interrupted_job_resumes_with_data_loader_workers_and_ends_bit_equal_to_an_uninterrupted_run(
        dataset, trained, tmp_path):
    """The reference run used no data-loader workers and no job; this one uses 2 workers and is a
    SageMaker job: neither changes a single weight, and neither does a SIGKILL and restart."""
    model_dir, checkpoint_dir = str(tmp_path / "model"), str(tmp_path / "checkpoints")
    args = ["--data", dataset, "--model-dir", model_dir, "--checkpoint-dir", checkpoint_dir] + _with_args(workers=2)
    env = clean_env(TRAINING_JOB_NAME="spot-job-1")
    job_dir = os.path.join(checkpoint_dir, "spot-job-1")
    proc = start_train(args, env=env)
    deadline = time.monotonic() + 240
    # Interrupt like a spot reclaim: SIGKILL as soon as the first epoch's checkpoint exists.
    while not (os.path.isdir(job_dir) and any(n.endswith(".pt") for n in os.listdir(job_dir))):
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "no checkpoint after 240 s"
        time.sleep(0.02)
    proc.kill()
    proc.communicate()
    done = max(int(re.search(r"epoch-(\d+)", n).group(1)) for n in os.listdir(job_dir) if n.endswith(".pt"))
    assert done < 4, "the run finished before it could be interrupted"
    assert not os.path.exists(os.path.join(model_dir, "model.pth"))

    restarted = run_train(args, env=env)  # the same job: SageMaker keeps the job name across spot restarts
    assert restarted.returncode == 0, restarted.stdout
    assert "epoch %d was completed, continuing at epoch %d" % (done, done + 1) in restarted.stdout
    assert [int(e) for e in re.findall(r"epoch (\d+)/4:", restarted.stdout)] == list(range(done + 1, 5))
    assert os.listdir(checkpoint_dir) == ["spot-job-1"]
    assert _own(job_dir) == ["checkpoint-<run>-epoch-0003.pt", "checkpoint-<run>-epoch-0004.pt"]
    assert scrape_metrics(restarted.stdout) == scrape_metrics(trained["output"])
    resumed = torch.load(os.path.join(model_dir, "model.pth"), weights_only=True)
    reference = torch.load(os.path.join(trained["model_dir"], "model.pth"), weights_only=True)
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)


def test_a_finished_run_restarted_only_rewrites_the_artifact(dataset, trained, tmp_path):
    # A spot interruption after the last epoch but before the upload: nothing is retrained.
    checkpoint_dir = str(tmp_path / "checkpoints")
    shutil.copytree(trained["checkpoint_dir"], checkpoint_dir)
    model_dir = str(tmp_path / "model")
    result = run_train(["--data", dataset, "--model-dir", model_dir, "--checkpoint-dir", checkpoint_dir] + TRAIN_ARGS)
    assert result.returncode == 0, result.stdout
    assert not re.findall(r"epoch \d+/4:", result.stdout)
    assert scrape_metrics(result.stdout) == scrape_metrics(trained["output"])


def test_a_checkpoint_of_another_spec_is_named_and_left_alone_and_the_run_starts_fresh(dataset, trained, tmp_path):
    checkpoint_dir = str(tmp_path / "checkpoints")
    shutil.copytree(trained["checkpoint_dir"], checkpoint_dir)
    theirs = sorted(os.listdir(checkpoint_dir))
    result = run_train(["--data", dataset, "--model-dir", str(tmp_path / "m"), "--checkpoint-dir", checkpoint_dir]
                       + _with_args(epochs=1))
    assert result.returncode == 0, result.stdout
    assert re.search(r"not resuming checkpoint \S+/checkpoint-[0-9a-f]{12}-epoch-0004\.pt: it was written for epochs=4 "
                     r"and this run has epochs=1; starting fresh", result.stdout), result.stdout
    assert re.findall(r"epoch (\d+)/1:", result.stdout) == ["1"]
    assert set(theirs) < set(os.listdir(checkpoint_dir))  # its files untouched, ours beside them
    assert len(os.listdir(checkpoint_dir)) == len(theirs) + 1


def test_tuning_trials_sharing_a_checkpoint_folder_never_resume_each_other(dataset, trained, tmp_path):
    """Trials share one checkpoint S3 URI; each writes into its own job folder, and a checkpoint of
    trial A found in trial B's folder is refused by the job name it records."""
    shared = tmp_path / "checkpoints"
    newest = checkpoint.list_checkpoints(trained["checkpoint_dir"], _digest_of(trained["checkpoint_dir"]))[0][1]
    state = checkpoint.read(newest)
    state["job"] = "trial-a"  # trial A's checkpoint of exactly the same spec
    digest_a = checkpoint.run_digest(checkpoint.run_identity("trial-a", state["spec"]))
    written = checkpoint.save(str(shared / "trial-a"), digest_a, state["epoch"], state)
    os.makedirs(shared / "trial-b")
    shutil.copy(written, shared / "trial-b")

    env = clean_env(SM_TRAINING_ENV=json.dumps({"job_name": "trial-b"}), SM_OUTPUT_DIR=str(tmp_path))
    result = run_train(["--data", dataset, "--model-dir", str(tmp_path / "m"), "--checkpoint-dir", str(shared)]
                       + _with_args(epochs=1), env=env)
    assert result.returncode == 0, result.stdout
    assert re.search(r"not resuming checkpoint \S+/trial-b/checkpoint-%s-epoch-0004\.pt: it was written by job "
                     r"'trial-a' and this is job 'trial-b'; starting fresh" % digest_a, result.stdout), result.stdout
    assert re.findall(r"epoch (\d+)/1:", result.stdout) == ["1"]
    assert "trial-a" not in re.sub(r"not resuming checkpoint .*", "", result.stdout)
    assert _own(shared / "trial-a") == ["checkpoint-<run>-epoch-0004.pt"]
    assert _own(shared / "trial-b") == ["checkpoint-<run>-epoch-0001.pt", "checkpoint-<run>-epoch-0004.pt"]


def _digest_of(directory):
    return re.search(r"checkpoint-([0-9a-f]{12})-", sorted(os.listdir(directory))[0]).group(1)


def test_the_job_name_comes_from_the_toolkit_environment_or_the_platform():
    assert checkpoint.job_name({"SM_TRAINING_ENV": json.dumps({"job_name": "tune-0123-001-abcd"})}) == "tune-0123-001-abcd"
    assert checkpoint.job_name({"TRAINING_JOB_NAME": "train-single-1"}) == "train-single-1"
    assert checkpoint.job_name({"SM_TRAINING_ENV": json.dumps({"job_name": None})}) is None
    assert checkpoint.job_name({}) is None
    assert checkpoint.job_directory("/opt/ml/checkpoints", "train-single-1") == "/opt/ml/checkpoints/train-single-1"
    assert checkpoint.job_directory("/tmp/c", None) == "/tmp/c"
    with pytest.raises(ValueError, match=r"training job name '\.\./x' is not a SageMaker job name"):
        checkpoint.job_name({"TRAINING_JOB_NAME": "../x"})


def test_only_this_runs_files_are_resumed_and_pruned(tmp_path, caplog):
    directory = str(tmp_path)
    ours = checkpoint.run_identity("job-1", SPEC)
    other = checkpoint.run_identity("job-1", dict(SPEC, batch_size=16))
    for epoch in (1, 2, 3, 4, 5):
        checkpoint.save(directory, checkpoint.run_digest(other), epoch, {"epoch": epoch, **other})
    for epoch in (1, 2, 3):
        checkpoint.save(directory, checkpoint.run_digest(ours), epoch, {"epoch": epoch, **ours, "x": torch.tensor([epoch])})
    assert [e for e, _ in checkpoint.list_checkpoints(directory, checkpoint.run_digest(ours))] == [3, 2]
    assert [e for e, _ in checkpoint.list_checkpoints(directory, checkpoint.run_digest(other))] == [5, 4]
    with caplog.at_level(logging.WARNING):
        path, state = checkpoint.load_newest(directory, ours)
    assert state["epoch"] == 3 and torch.equal(state["x"], torch.tensor([3])) and caplog.text == ""


def test_the_refusal_names_each_field_that_differs(tmp_path, caplog):
    theirs = checkpoint.run_identity("job-1", dict(SPEC, batch_size=16, class_folders=["001.A", "002.B", "003.C", "004.D"]))
    checkpoint.save(str(tmp_path), checkpoint.run_digest(theirs), 7, {"epoch": 7, **theirs})
    with caplog.at_level(logging.WARNING):
        assert checkpoint.load_newest(str(tmp_path), checkpoint.run_identity("job-1", SPEC)) == (None, None)
    assert ("it was written for batch_size=16, class_folders=[4 items: 001.A, 002.B, 003.C, ...] and this run has "
            "batch_size=8, class_folders=['001.A', '002.B']; starting fresh") in caplog.text


def test_a_checkpoint_from_before_run_specs_is_refused(tmp_path, caplog):
    checkpoint.save(str(tmp_path), "0" * 12, 2, {"epoch": 2, "arch": "resnet18"})
    os.rename(checkpoint.path_for(str(tmp_path), "0" * 12, 2), tmp_path / "checkpoint-epoch-0002.pt")
    with caplog.at_level(logging.WARNING):
        assert checkpoint.load_newest(str(tmp_path), checkpoint.run_identity(None, SPEC)) == (None, None)
    assert "checkpoint-epoch-0002.pt: it was written by job None" not in caplog.text
    assert "checkpoint-epoch-0002.pt: it records no run spec (written by an older train.py); starting fresh" in caplog.text


def test_unreadable_newest_checkpoint_falls_back_to_the_previous_one(tmp_path):
    directory, identity = str(tmp_path), checkpoint.run_identity(None, SPEC)
    digest = checkpoint.run_digest(identity)
    for epoch in (1, 2, 3):
        checkpoint.save(directory, digest, epoch, {"epoch": epoch, **identity, "x": torch.tensor([epoch])})
    assert [e for e, _ in checkpoint.list_checkpoints(directory, digest)] == [3, 2]  # older ones pruned
    with open(checkpoint.path_for(directory, digest, 3), "wb") as f:
        f.write(b"truncated by an interrupted upload")
    path, state = checkpoint.load_newest(directory, identity)
    assert path == checkpoint.path_for(directory, digest, 2) and state["epoch"] == 2


def test_no_checkpoint_directory_means_a_fresh_start(tmp_path):
    assert checkpoint.load_newest(str(tmp_path / "absent"), checkpoint.run_identity(None, SPEC)) == (None, None)
