"""The dataset splits and their loaders: train shuffled and sharded, evaluation neither.

Layout: <data>/{train,valid,test}/<NNN.Breed>/*.jpg. Training uses a DistributedSampler (also in a
single process, so the shuffle order depends only on seed and epoch and a resumed run sees the same
order as an uninterrupted one). Evaluation splits are read in order and split between processes
without the padding DistributedSampler adds, so summed metrics count every image exactly once.
"""
import logging
import os

import torch
from PIL import Image, ImageFile
from torch.utils.data import DataLoader, Sampler
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets

from .modeling import eval_transform, train_transform

SPLITS = ("train", "valid", "test")

log = logging.getLogger(__name__)


def load_rgb(path):
    """ImageFolder's loader, except that a truncated file is used as far as it decodes.

    The dogImages set holds at least one truncated JPEG (the seeds set LOAD_TRUNCATED_IMAGES for the
    whole process because of it). Here it is allowed only while loading a training-set file, and the
    file is named in the log; the endpoint, in its own process, still refuses truncated uploads.
    """
    with open(path, "rb") as f:
        image = Image.open(f)
        try:
            image.load()
        except OSError as exc:
            if "truncated" not in str(exc):
                raise
            log.warning("%s is truncated (%s); using the part that decodes", path, exc)
            image = Image.open(f)
            previous, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, True
            try:
                image.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = previous
        return image.convert("RGB")


class ShardSampler(Sampler):
    """Indices rank, rank + world, ... in order: a disjoint, unpadded, unshuffled shard."""

    def __init__(self, length, rank, world_size):
        self.indices = list(range(rank, length, world_size))

    def __iter__(self):
        return iter(self.indices)

    def __len__(self):
        return len(self.indices)


def load_splits(root, image_size):
    if not os.path.isdir(root):
        raise FileNotFoundError("--data %s is not a directory (expected %s/{train,valid,test}/<class>/*.jpg)"
                                % (root, root))
    for split in SPLITS:
        path = os.path.join(root, split)
        if not os.path.isdir(path):
            raise FileNotFoundError("missing split %s (expected %s/{train,valid,test}/<class>/*.jpg; found %s)"
                                    % (path, root, sorted(os.listdir(root))))
    found = {}
    for split in SPLITS:
        path = os.path.join(root, split)
        transform = train_transform(image_size) if split == "train" else eval_transform(image_size)
        try:
            found[split] = datasets.ImageFolder(path, transform=transform, loader=load_rgb)
        except FileNotFoundError as exc:  # a class folder without images
            raise FileNotFoundError("%s: %s" % (path, exc)) from None
    classes = found["train"].classes
    for split in ("valid", "test"):
        if found[split].classes != classes:
            missing = sorted(set(classes) - set(found[split].classes))
            extra = sorted(set(found[split].classes) - set(classes))
            raise ValueError("%s/%s has different classes from train (missing %s, extra %s): labels would not line up"
                             % (root, split, missing, extra))
    if len(classes) < 2:
        raise ValueError("%s/train has %d class folder(s); at least 2 are needed" % (root, len(classes)))
    return found


def make_loaders(splits, ctx, per_process_batch, workers, seed):
    pin = ctx.device.type == "cuda"
    common = dict(num_workers=workers, pin_memory=pin, persistent_workers=workers > 0)
    train_sampler = DistributedSampler(splits["train"], num_replicas=ctx.world_size, rank=ctx.rank,
                                       shuffle=True, seed=seed)
    loaders = {"train": DataLoader(splits["train"], batch_size=per_process_batch, sampler=train_sampler, **common)}
    for split in ("valid", "test"):
        sampler = ShardSampler(len(splits[split]), ctx.rank, ctx.world_size)
        loaders[split] = DataLoader(splits[split], batch_size=per_process_batch, sampler=sampler,
                                    shuffle=False, **common)
    return loaders, train_sampler


def seed_epoch(seed, epoch):
    """Seed the main RNG per epoch so augmentation and worker seeds do not depend on a restart."""
    torch.manual_seed(seed * 1000 + epoch)
