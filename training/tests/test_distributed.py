"""Data parallelism: who joins the process group, exact global-batch steps, and real gloo runs on the CPU."""
import json
import math
import os
import re
import subprocess
import sys

import pytest
import torch

from conftest import TESTS_DIR, TRAIN_ARGS, TRAIN_PY, clean_env, free_port, run_train, scrape_metrics, start_train
from dogbreed import distributed, modeling


def test_no_launcher_and_no_sagemaker_hosts_means_a_single_process():
    assert distributed.detect({}) is None
    assert distributed.detect({"SM_HOSTS": '["algo-1"]', "SM_CURRENT_HOST": "algo-1"}) is None


def test_torchrun_environment_wins():
    env = {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "1234",
           "SM_HOSTS": '["algo-1","algo-2"]', "SM_CURRENT_HOST": "algo-2"}
    spec = distributed.detect(env)
    assert (spec.rank, spec.world_size, spec.local_rank, spec.master_addr, spec.master_port, spec.source) == \
        (3, 4, 1, "10.0.0.1", 1234, "torchrun")


def test_sagemaker_hosts_give_one_process_per_host_with_the_first_sorted_host_as_master():
    env = {"SM_HOSTS": '["algo-3","algo-1","algo-2"]', "SM_CURRENT_HOST": "algo-2"}
    spec = distributed.detect(env)
    assert (spec.rank, spec.world_size, spec.master_addr, spec.source) == (1, 3, "algo-1", "sagemaker")
    # The PyTorch container exports MASTER_PORT=7777; without it the same port is used.
    assert spec.master_port == 7777
    assert distributed.detect(dict(env, MASTER_PORT="7777", MASTER_ADDR="algo-1")).master_port == 7777


@pytest.mark.parametrize("env,message", [
    ({"SM_HOSTS": "algo-1", "SM_CURRENT_HOST": "algo-1"}, "SM_HOSTS must be a JSON list"),
    ({"SM_HOSTS": '["algo-1","algo-2"]', "SM_CURRENT_HOST": "algo-9"}, "SM_CURRENT_HOST 'algo-9' is not among"),
    ({"RANK": "x", "WORLD_SIZE": "2"}, "RANK must be an integer"),
])
def test_malformed_distributed_environment_is_refused_clearly(env, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        distributed.detect(env)


def test_a_step_on_three_processes_equals_a_step_on_one_with_the_whole_global_batch(dataset, tmp_path):
    """Global batch 8 on 3 processes is split 3+3+2; gradients weighted by each process's share give
    exactly the single-process steps on the same 8 images, for a whole epoch of 9 steps."""
    script = os.path.join(TESTS_DIR, "one_epoch.py")
    alone = str(tmp_path / "alone.pth")
    result = subprocess.run([sys.executable, script, dataset, alone, "8"], env=clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert result.returncode == 0, result.stdout
    port, group = str(free_port()), str(tmp_path / "group.pth")
    procs = [subprocess.Popen([sys.executable, script, dataset, group, "8"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              env=clean_env(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE="3",
                                            MASTER_ADDR="127.0.0.1", MASTER_PORT=port))
             for r in range(3)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    assert ["rank %d trained on %d of 72 images" % (r, n) in out for r, n, out in zip(range(3), (27, 27, 18), outputs)] \
        == [True] * 3, outputs
    one, three = torch.load(alone, weights_only=True), torch.load(group, weights_only=True)
    for key in one:
        assert torch.allclose(one[key], three[key], rtol=0, atol=1e-6), key
    # Not trivially equal: the epoch moved the head away from its initial weights.
    torch.manual_seed(11)
    initial = modeling.build_model("resnet18", 3, pretrained=False).state_dict()
    assert not torch.allclose(initial["fc.2.weight"], one["fc.2.weight"], atol=1e-3)


def test_defect7_three_hosts_train_one_model_with_the_global_batch_split_exactly(dataset, trained, tmp_path):
    """Seed defect 7: "multi-instance" was a higher instance_count with every host training alone.

    Three processes join one gloo group the way three SageMaker hosts do (SM_HOSTS/SM_CURRENT_HOST,
    MASTER_ADDR/MASTER_PORT as the PyTorch container exports them, on loopback here). --batch-size 8
    stays the global batch: 3+3+2 per step. Metrics are all-reduced; only rank 0 writes checkpoints
    and the artifact, which has the single-process format.
    """
    port = free_port()
    hosts = ["algo-3", "algo-1", "algo-2"]
    procs, dirs = [], []
    for host in sorted(hosts):
        model_dir, checkpoint_dir = str(tmp_path / host / "model"), str(tmp_path / host / "checkpoints")
        dirs.append((model_dir, checkpoint_dir))
        env = clean_env(SM_HOSTS=json.dumps(hosts), SM_CURRENT_HOST=host,
                        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        procs.append(start_train(["--data", dataset, "--model-dir", model_dir, "--checkpoint-dir", checkpoint_dir]
                                 + TRAIN_ARGS, env=env))
    outputs = []
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        outputs.append(out)
        assert proc.returncode == 0, out
    for rank, (out, share) in enumerate(zip(outputs, (27, 27, 18))):
        assert "[rank %d/3]" % rank in out
        assert "global batch 8 = 3+3+2 over 3 process(es)" in out
        assert re.findall(r"this process trained on (\d+) of (\d+) images", out) == [(str(share), "72")] * 4
        assert "this process evaluated 8 of 24 images" in out
    rank0 = outputs[0]
    # Metrics come from rank 0 only, computed over all shards.
    assert set(scrape_metrics(rank0)) == {"Test Loss", "Test Accuracy"}
    assert scrape_metrics(outputs[1]) == scrape_metrics(outputs[2]) == {}
    # Better than chance (loss ln 3, accuracy 1/3): one model learned from all shards.
    assert scrape_metrics(rank0)["Test Loss"] < math.log(3) and scrape_metrics(rank0)["Test Accuracy"] >= 0.6, rank0
    (model0, ckpt0), *others = dirs
    assert all(not os.path.exists(m) and not os.path.exists(c) for m, c in others)
    assert [re.sub(r"-[0-9a-f]{12}-", "-<run>-", n) for n in sorted(os.listdir(ckpt0))] == \
        ["checkpoint-<run>-epoch-0003.pt", "checkpoint-<run>-epoch-0004.pt"]
    single = trained["model_dir"]
    assert sorted(os.listdir(model0)) == sorted(os.listdir(single))
    with open(os.path.join(model0, "labels.json")) as a, open(os.path.join(single, "labels.json")) as b:
        assert json.load(a) == json.load(b)
    multi_state = torch.load(os.path.join(model0, "model.pth"), weights_only=True)
    single_state = torch.load(os.path.join(single, "model.pth"), weights_only=True)
    assert {k: v.shape for k, v in multi_state.items()} == {k: v.shape for k, v in single_state.items()}


def test_a_global_batch_smaller_than_the_number_of_hosts_is_refused_before_joining(dataset, tmp_path):
    output_dir = tmp_path / "output"
    output_dir.mkdir()
    env = clean_env(SM_HOSTS=json.dumps(["algo-1", "algo-2", "algo-3"]), SM_CURRENT_HOST="algo-2",
                    SM_OUTPUT_DIR=str(output_dir))
    args = ["--data", dataset, "--model-dir", str(tmp_path / "m"), "--checkpoint-dir", str(tmp_path / "c")]
    result = run_train(args + [a if a != "8" else "2" for a in TRAIN_ARGS], env=env, timeout=60)
    message = "--batch-size 2 is smaller than the 3 training processes"
    assert result.returncode == 2 and message in result.stdout, result.stdout
    assert "joining process group" not in result.stdout
    assert message in (output_dir / "failure").read_text()


def test_torchrun_starts_one_process_per_slot_and_they_train_one_model(tmp_path):
    """The launcher path (the PyTorch container's torch_distributed on GPU instances, the EC2
    trainer with several GPUs): torchrun sets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR/PORT and
    train.py joins through them (on CUDA each process takes cuda:LOCAL_RANK; gloo on the CPU here)."""
    import synthetic
    data_dir = synthetic.make_dataset(str(tmp_path / "data"), per_class={"train": 8, "valid": 4, "test": 4})
    # torch 1.13's launcher cannot parse its own default "--redirects 0 --tee 0" on Python 3.11 (an
    # enum.Flag change); a mapping naming no local rank means the same "no redirection".
    env = clean_env(PET_REDIRECTS="9:0", PET_TEE="9:0")
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2",
               "--master_addr", "127.0.0.1", "--master_port", str(free_port()), TRAIN_PY,
               "--data", data_dir, "--model-dir", str(tmp_path / "model"), "--checkpoint-dir", str(tmp_path / "ckpt"),
               "--arch", "resnet18", "--image-size", "32", "--no-pretrained", "--batch-size", "5", "--epochs", "1",
               "--workers", "0"]
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert result.returncode == 0, result.stdout
    for rank in (0, 1):
        assert "joining process group: rank %d of 2 via torchrun" % rank in result.stdout
    assert "global batch 5 = 3+2 over 2 process(es)" in result.stdout
    # 24 images in steps of 5 (3+2); the last 4 form a step of 2+2.
    assert "[rank 0/2] train: epoch 1: this process trained on 14 of 24 images and validated 6 of 12" in result.stdout
    assert "[rank 1/2] train: epoch 1: this process trained on 10 of 24 images and validated 6 of 12" in result.stdout
    assert set(scrape_metrics(result.stdout)) == {"Test Loss", "Test Accuracy"}
    assert sorted(os.listdir(tmp_path / "model")) == ["code", "labels.json", "model.pth"]
