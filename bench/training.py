#!/usr/bin/env python3
"""Benchmark the training and inference code on the CPU: `npm run bench:training`.

Prints, side by side from one run on the same synthetic data: training throughput (images/s) for
one process and for two processes (started by torchrun, gloo), and the endpoint handlers' latency per image
(inference.transform_fn: decode, predict, serialize) for the small benchmark model and for the production
architecture (ResNet-50 at 224 px, random weights: latency does not depend on their values).

Not a test: nothing here asserts a speed. Options: --images-per-class, --image-size, --epochs,
--batch-size, --requests.
"""
import argparse
import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINING = os.path.join(ROOT, "training")
sys.path.insert(0, TRAINING)
sys.path.insert(0, os.path.join(TRAINING, "tests"))

import torch  # noqa: E402

import inference  # noqa: E402
import synthetic  # noqa: E402
from dogbreed import artifact, modeling  # noqa: E402

THROUGHPUT = re.compile(r"epoch (\d+)/\d+: .* \| ([0-9.]+) train images/s")
LAUNCH_VARS = re.compile(r"^(SM_.*|TRAINING_JOB_NAME|RANK|WORLD_SIZE|LOCAL_RANK|MASTER_ADDR|MASTER_PORT|TORCHELASTIC_.*|PET_.*)$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train(processes, data_dir, work, opts):
    model_dir = os.path.join(work, "model-%dp" % processes)
    args = ["--data", data_dir, "--model-dir", model_dir, "--checkpoint-dir", os.path.join(work, "ckpt-%dp" % processes),
            "--arch", "resnet18", "--no-pretrained", "--image-size", str(opts.image_size),
            "--batch-size", str(opts.batch_size), "--epochs", str(opts.epochs), "--patience", str(opts.epochs),
            "--workers", "0"]
    env = {k: v for k, v in os.environ.items() if not LAUNCH_VARS.match(k)}
    train_py = os.path.join(TRAINING, "train.py")
    if processes == 1:
        command = [sys.executable, train_py] + args
    else:
        # The launcher the PyTorch container uses for torch_distributed. torch 1.13's launcher cannot
        # parse its own default "--redirects 0 --tee 0" on Python 3.11; a mapping naming no local rank
        # means the same "no redirection".
        env.update(PET_REDIRECTS="9:0", PET_TEE="9:0")
        command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node",
                   str(processes), "--master_addr", "127.0.0.1", "--master_port", str(free_port()), train_py] + args
    started = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, failed = result.stdout, result.returncode != 0
    wall = time.perf_counter() - started
    if failed:
        sys.exit("training with %d process(es) failed:\n%s" % (processes, output))
    rates = [float(r) for e, r in THROUGHPUT.findall(output) if int(e) > 1]  # epoch 1 warms up
    accuracy = float(re.findall(r"Test Accuracy: ([0-9.]+)", output)[-1])
    return {"rate": statistics.median(rates), "wall": wall, "accuracy": accuracy, "model_dir": model_dir}


def latency(model_dir, image_size, requests):
    model = inference.model_fn(model_dir)
    buffer = io.BytesIO()
    synthetic.draw((220, 40, 40), "circle", max(64, image_size * 2), __import__("random").Random(1)).save(buffer, "JPEG")
    body = buffer.getvalue()
    timings = []
    for i in range(requests + 5):
        started = time.perf_counter()
        inference.transform_fn(model, body, "image/jpeg", "application/json")
        if i >= 5:  # warm-up requests are not counted
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images-per-class", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32, help="global batch size")
    parser.add_argument("--requests", type=int, default=50)
    opts = parser.parse_args()
    load_at_start = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="bench-training-") as work:
        data_dir = synthetic.make_dataset(os.path.join(work, "data"), size=opts.image_size + 8, per_class={
            "train": opts.images_per_class, "valid": 8, "test": 8})
        n_train = opts.images_per_class * len(synthetic.CLASSES)
        one = train(1, data_dir, work, opts)
        two = train(2, data_dir, work, opts)
        small_p50, small_p95 = latency(one["model_dir"], opts.image_size, opts.requests)
        big_dir = os.path.join(work, "resnet50")
        artifact.write(big_dir, modeling.build_model("resnet50", 133, pretrained=False).state_dict(), "resnet50", 224,
                       ["%03d.Breed_%d" % (i + 1, i) for i in range(133)])
        big_p50, big_p95 = latency(big_dir, 224, opts.requests)

    print()
    print("training/inference benchmark: %s, torch %s, %d CPU(s), %d torch thread(s) per process, "
          "load average %.1f at start / %.1f at end (other work on the machine slows every figure)"
          % (sys.platform, torch.__version__, os.cpu_count(), torch.get_num_threads(), load_at_start,
             os.getloadavg()[0]))
    print("synthetic data: %d training images of %dx%d px (%d classes), resnet18 from scratch, global batch %d, "
          "%d epochs (epoch 1 excluded as warm-up)" % (n_train, opts.image_size + 8, opts.image_size + 8,
                                                       len(synthetic.CLASSES), opts.batch_size, opts.epochs))
    print()
    print("%-38s %14s %14s" % ("", "1 process", "2 processes"))
    print("%-38s %14.1f %14.1f" % ("training throughput (images/s)", one["rate"], two["rate"]))
    print("%-38s %14.2f %14.2f" % ("speed-up vs 1 process", 1.0, two["rate"] / one["rate"]))
    print("%-38s %14.1f %14.1f" % ("wall time incl. start-up (s)", one["wall"], two["wall"]))
    print("%-38s %14.3f %14.3f" % ("test accuracy", one["accuracy"], two["accuracy"]))
    print()
    print("%-38s %14s %14s" % ("inference latency per image (ms)", "median", "p95"))
    print("%-38s %14.1f %14.1f" % ("resnet18 @ %d px (benchmark model)" % opts.image_size, small_p50, small_p95))
    print("%-38s %14.1f %14.1f" % ("resnet50 @ 224 px, 133 classes", big_p50, big_p95))
    print(json.dumps({"train_images_per_s": {"1": one["rate"], "2": two["rate"]},
                      "latency_ms": {"resnet18_%d" % opts.image_size: [small_p50, small_p95],
                                     "resnet50_224": [big_p50, big_p95]}}))


if __name__ == "__main__":
    main()
