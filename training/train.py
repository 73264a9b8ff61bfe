#!/usr/bin/env python3
"""Train the dog-breed classifier: one entry point for SageMaker, the EC2 trainer and the tests.

    python train.py --data <dir> --model-dir <dir> --checkpoint-dir <dir> [--epochs N ...]

Transfer learning as in the by-hand project (ImageNet ResNet-50, frozen backbone, new head) but with its
defects fixed: real epochs with early stopping on validation loss (best weights kept), the GPU with
mixed precision when present, ImageNet normalization, unshuffled evaluation, per-sample metrics in
the format the tuning job's regex reads (training/metrics.json), data-parallel training across
processes or hosts with --batch-size as the global batch of each step, per-epoch checkpoints in the
job's own folder resumed exactly after a spot interruption, and an artifact the endpoint can serve
with network isolation. The hyperparameter flags come from training/hyperparameters.json, shared
with the Pulumi program. See docs/training.md.
"""
import logging
import math
import os
import sys
import time

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dogbreed import (  # noqa: E402
    artifact, checkpoint, cli, data, debugger, distributed, engine, hyperparameters, metrics, modeling)

log = logging.getLogger("train")


def _cpu_state(model):
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _configure_logging(ctx=None):
    prefix = "" if ctx is None or not ctx.distributed else "[rank %d/%d] " % (ctx.rank, ctx.world_size)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, force=True,
                        format="%(asctime)s %(levelname)s " + prefix + "%(name)s: %(message)s")


def _run_spec(args, class_folders, dataset_files):
    """What makes two runs the same run: every hyperparameter in the table and the dataset's identity."""
    spec = {hp.dest: getattr(args, hp.dest) for hp in hyperparameters.load()}
    spec.update(class_folders=list(class_folders), dataset_files=dataset_files)
    return spec


def _resume_state(ctx, directory, identity):
    """rank 0 reads this run's newest checkpoint and every rank gets it (hosts may not all have the files)."""
    payload = None
    if ctx.is_main:
        path, state = checkpoint.load_newest(directory, identity)
        if state is not None:
            payload = {"path": path, "state": state}
    return distributed.broadcast_object(ctx, payload)


def run(args, ctx, job=None):
    definitions = metrics.load_definitions()
    metrics.check_definitions(definitions)
    torch.manual_seed(args.seed)
    if ctx.device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed input size: let cuDNN pick the fastest kernels

    splits = data.load_splits(args.data, args.image_size)
    class_folders = splits["train"].classes
    loaders, train_batches = data.make_loaders(splits, ctx, args.batch_size, args.workers, args.seed)
    log.info("device %s, %d classes, %d/%d/%d train/valid/test images, global batch %d = %s over %d process(es)",
             ctx.device, len(class_folders), len(splits["train"]), len(splits["valid"]), len(splits["test"]),
             args.batch_size, "+".join(str(n) for n in data.split_sizes(args.batch_size, ctx.world_size)),
             ctx.world_size)

    if args.pretrained and not ctx.is_main:
        distributed.barrier(ctx)  # rank 0 downloads the ImageNet weights first, the others reuse its cache
    model = modeling.build_model(args.arch, len(class_folders), args.pretrained)
    if args.pretrained and ctx.is_main:
        distributed.barrier(ctx)
    model.to(ctx.device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.learning_rate)
    scaler = engine.make_grad_scaler(ctx.device)
    criterion = nn.CrossEntropyLoss(reduction="sum")  # engine.train_epoch weights the sum by the global batch

    identity = checkpoint.run_identity(job, _run_spec(args, class_folders, data.fingerprint(splits)))
    checkpoint_dir = checkpoint.job_directory(args.checkpoint_dir, job)
    digest = checkpoint.run_digest(identity)
    start_epoch, best_loss, best_state, stale, stopped = 1, math.inf, None, 0, False
    resume = _resume_state(ctx, checkpoint_dir, identity)
    if resume:
        state = resume["state"]
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scaler is not None and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        start_epoch = state["epoch"] + 1
        best_loss, best_state = state["best_loss"], state["best_model"]
        stale, stopped = state["epochs_without_improvement"], state["stopped_early"]
        log.info("resuming from %s: epoch %d was completed, continuing at epoch %d",
                 resume["path"], state["epoch"], start_epoch)

    # DDP broadcasts rank 0's parameters on construction, so every replica starts identical.
    train_model = model
    if ctx.distributed:
        train_model = DistributedDataParallel(
            model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
    hook = debugger.create(model, criterion)

    for epoch in range(start_epoch, args.epochs + 1):
        if stopped:
            break
        train_batches.set_epoch(epoch)
        started = time.perf_counter()
        train = engine.train_epoch(train_model, loaders["train"], train_batches.step_sizes(), optimizer, scaler,
                                   ctx, hook, criterion)
        train_seconds = time.perf_counter() - started
        distributed.sync_buffers(ctx, model)
        valid = engine.evaluate(model, loaders["valid"], ctx, hook)
        log.info("epoch %d: this process trained on %d of %d images and validated %d of %d",
                 epoch, train.local_samples, train.samples, valid.local_samples, valid.samples)
        if valid.loss < best_loss:
            best_loss, best_state, stale = valid.loss, _cpu_state(model), 0
        else:
            stale += 1
        stopped = stale >= args.patience
        if ctx.is_main:
            log.info("epoch %d/%d: train loss %.4f acc %.4f | valid loss %.4f acc %.4f | best valid loss %.4f | "
                     "%.1f train images/s", epoch, args.epochs, train.loss, train.accuracy, valid.loss,
                     valid.accuracy, best_loss, train.samples / train_seconds)
            path = checkpoint.save(checkpoint_dir, digest, epoch, {
                "epoch": epoch, **identity,
                "model": _cpu_state(model), "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict() if scaler is not None else None,
                "best_model": best_state, "best_loss": best_loss,
                "epochs_without_improvement": stale, "stopped_early": stopped,
            })
            log.info("checkpoint written: %s", path)
        if stopped:
            log.info("early stop: validation loss has not improved for %d epochs", stale)

    if best_state is None:
        raise ValueError("validation loss was never finite: no weights to keep (try a lower --learning-rate)")
    model.load_state_dict(best_state)
    test = engine.evaluate(model, loaders["test"], ctx, hook)
    log.info("test: this process evaluated %d of %d images", test.local_samples, test.samples)
    if ctx.is_main:
        print(metrics.metric_line(metrics.TEST_LOSS, test.loss), flush=True)
        print(metrics.metric_line(metrics.TEST_ACCURACY, test.accuracy), flush=True)
        artifact.write(args.model_dir, best_state, args.arch, args.image_size, class_folders)
        log.info("model artifact written to %s", args.model_dir)
    distributed.barrier(ctx)


def _report_failure(env, message):
    # SageMaker shows /opt/ml/output/failure as the job's FailureReason.
    output_dir = env.get("SM_OUTPUT_DIR")
    if output_dir and os.path.isdir(output_dir):
        with open(os.path.join(output_dir, "failure"), "w", encoding="utf-8") as f:
            f.write(message)


def main(argv=None, env=None):
    env = dict(os.environ) if env is None else env
    _configure_logging()
    try:
        args = cli.parse_args(sys.argv[1:] if argv is None else argv, env)
        job = checkpoint.job_name(env)
        spec = distributed.detect(env)
        # Checked before joining the group, so every process refuses at once instead of waiting.
        data.check_global_batch(args.batch_size, spec.world_size if spec else 1)
        ctx = distributed.setup(env)
    except (ValueError, FileNotFoundError) as exc:
        log.error("%s", exc)
        _report_failure(env, str(exc))
        return 2
    _configure_logging(ctx)
    try:
        run(args, ctx, job)
    except (ValueError, FileNotFoundError) as exc:
        log.error("%s", exc)
        _report_failure(env, str(exc))
        return 2
    finally:
        distributed.teardown(ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
