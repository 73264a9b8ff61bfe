"""One training epoch and one evaluation pass, with metrics summed over every process.

Metrics are means per sample: summed loss and correct predictions divided by the number of
samples (the by-hand project divided a sum of loss x batch size by the number of batches with //, so their
"Test Loss" grew with the batch size and biased the tuner). Mixed precision runs on
CUDA only; on the CPU everything stays float32.
"""
from contextlib import nullcontext
from dataclasses import dataclass

import torch
from torch import nn

from .distributed import all_reduce_sum
from .modeling import set_train_mode


@dataclass(frozen=True)
class Result:
    loss: float       # mean per sample over all processes
    accuracy: float   # fraction of samples over all processes
    samples: int      # over all processes
    local_samples: int  # seen by this process


def make_grad_scaler(device):
    if device.type != "cuda":
        return None
    try:  # torch >= 2.3
        return torch.amp.GradScaler("cuda")
    except (AttributeError, TypeError):
        return torch.cuda.amp.GradScaler()


def _autocast(device):
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.float16)
    return nullcontext()


def _reduce(ctx, loss_sum, correct, count):
    total_loss, total_correct, total = all_reduce_sum(ctx, [loss_sum, correct, count])
    if total == 0:
        raise ValueError("no samples to evaluate")
    return Result(loss=total_loss / total, accuracy=total_correct / total, samples=int(total), local_samples=count)


def train_epoch(model, loader, step_sizes, optimizer, scaler, ctx, hook, criterion):
    """One epoch; each optimizer step is exactly a single-process step on its whole global batch.

    ``step_sizes`` are the global batch sizes of the epoch's steps (GlobalBatches.step_sizes) and
    ``criterion`` sums the loss over its samples. Each process backpropagates its summed loss x
    world size / global batch size; DistributedDataParallel averages gradients over the processes,
    so the step's gradient is the mean over the global batch, each process weighted by the samples
    it had (the processes' shares differ by one when the batch does not divide evenly).
    """
    set_train_mode(model.module if hasattr(model, "module") else model)
    hook.train()
    if len(loader) != len(step_sizes):
        raise ValueError("loader has %d steps but %d global batch sizes were given" % (len(loader), len(step_sizes)))
    loss_sum, correct, count = 0.0, 0, 0
    for (images, targets), global_size in zip(loader, step_sizes):
        images = images.to(ctx.device, non_blocking=True)
        targets = targets.to(ctx.device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        with _autocast(ctx.device):
            logits = model(images)
            summed = criterion(logits.float(), targets)
        loss = summed * (ctx.world_size / global_size)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        loss_sum += summed.item()
        correct += (logits.argmax(1) == targets).sum().item()
        count += targets.size(0)
    return _reduce(ctx, loss_sum, correct, count)


@torch.no_grad()
def evaluate(model, loader, ctx, hook):
    """Mean loss per sample and accuracy on a sharded, unshuffled split (use the unwrapped model)."""
    model.eval()
    hook.eval()
    criterion = nn.CrossEntropyLoss(reduction="sum")
    loss_sum, correct, count = 0.0, 0, 0
    for images, targets in loader:
        images = images.to(ctx.device, non_blocking=True)
        targets = targets.to(ctx.device, non_blocking=True)
        with _autocast(ctx.device):
            logits = model(images)
        loss_sum += criterion(logits.float(), targets).item()
        correct += (logits.argmax(1) == targets).sum().item()
        count += targets.size(0)
    return _reduce(ctx, loss_sum, correct, count)
