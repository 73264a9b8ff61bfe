"""Spot safety: a checkpoint each epoch, and a restarted job resumes at the next epoch."""
import os
import re
import time

import pytest
import torch

from conftest import TRAIN_ARGS, run_train, scrape_metrics, start_train
from dogbreed import checkpoint


def test_interrupted_run_resumes_at_the_next_epoch_and_ends_where_an_uninterrupted_run_does(dataset, trained, tmp_path):
    model_dir, checkpoint_dir = str(tmp_path / "model"), str(tmp_path / "checkpoints")
    args = ["--data", dataset, "--model-dir", model_dir, "--checkpoint-dir", checkpoint_dir] + TRAIN_ARGS
    proc = start_train(args)
    deadline = time.monotonic() + 240
    # Interrupt like a spot reclaim: SIGKILL as soon as the first epoch's checkpoint exists.
    while not checkpoint.list_checkpoints(checkpoint_dir):
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "no checkpoint after 240 s"
        time.sleep(0.02)
    proc.kill()
    proc.communicate()
    done = checkpoint.list_checkpoints(checkpoint_dir)[0][0]
    assert done < 4, "the run finished before it could be interrupted"
    assert not os.path.exists(os.path.join(model_dir, "model.pth"))

    restarted = run_train(args)
    assert restarted.returncode == 0, restarted.stdout
    assert "epoch %d was completed, continuing at epoch %d" % (done, done + 1) in restarted.stdout
    epochs_run = [int(e) for e in re.findall(r"epoch (\d+)/4:", restarted.stdout)]
    assert epochs_run == list(range(done + 1, 5))
    # Seeding per epoch makes the resumed run finish exactly where the uninterrupted one did.
    assert scrape_metrics(restarted.stdout) == scrape_metrics(trained["output"])
    resumed = torch.load(os.path.join(model_dir, "model.pth"), weights_only=True)
    reference = torch.load(os.path.join(trained["model_dir"], "model.pth"), weights_only=True)
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)


def test_a_finished_run_restarted_only_rewrites_the_artifact(dataset, trained, tmp_path):
    # A spot interruption after the last epoch but before the upload: nothing is retrained.
    import shutil
    checkpoint_dir = str(tmp_path / "checkpoints")
    shutil.copytree(trained["checkpoint_dir"], checkpoint_dir)
    model_dir = str(tmp_path / "model")
    result = run_train(["--data", dataset, "--model-dir", model_dir, "--checkpoint-dir", checkpoint_dir] + TRAIN_ARGS)
    assert result.returncode == 0, result.stdout
    assert not re.findall(r"epoch \d+/4:", result.stdout)
    assert scrape_metrics(result.stdout) == scrape_metrics(trained["output"])


def test_checkpoint_of_another_model_is_refused_with_a_clear_error(dataset, trained, tmp_path):
    import shutil
    checkpoint_dir = str(tmp_path / "checkpoints")
    shutil.copytree(trained["checkpoint_dir"], checkpoint_dir)
    args = [a if a != "resnet18" else "resnet34" for a in TRAIN_ARGS]
    result = run_train(["--data", dataset, "--model-dir", str(tmp_path / "m"), "--checkpoint-dir", checkpoint_dir] + args)
    assert result.returncode == 2
    assert "was written for arch='resnet18' but this run has arch='resnet34'" in result.stdout


def test_unreadable_newest_checkpoint_falls_back_to_the_previous_one(tmp_path):
    directory = str(tmp_path)
    for epoch in (1, 2, 3):
        checkpoint.save(directory, epoch, {"epoch": epoch, "x": torch.tensor([epoch])})
    assert [e for e, _ in checkpoint.list_checkpoints(directory)] == [3, 2]  # older ones pruned
    with open(checkpoint.path_for(directory, 3), "wb") as f:
        f.write(b"truncated by an interrupted upload")
    path, state = checkpoint.load_newest(directory)
    assert path == checkpoint.path_for(directory, 2) and state["epoch"] == 2


def test_no_checkpoint_directory_means_a_fresh_start(tmp_path):
    assert checkpoint.load_newest(str(tmp_path / "absent")) == (None, None)
