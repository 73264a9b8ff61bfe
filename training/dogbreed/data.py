"""The dataset splits and their loaders: train shuffled in global batches, evaluation in order.

Layout: <data>/{train,valid,test}/<NNN.Breed>/*.jpg.

Training: ``--batch-size`` is the global batch of one optimizer step. Each epoch's order is a
permutation drawn from (seed, epoch) alone; it is cut into global batches and each global batch is
split between the processes (floor(B/N) each, one more for the first B mod N), so the processes'
batches add up to exactly B. Every random augmentation of a sample is drawn from (seed, epoch,
index) in whichever process or data-loader worker loads it. Nothing random carries from one epoch
to the next, so a run resumed at epoch k sees exactly what an uninterrupted run sees there, with any
number of data-loader workers (and the same batches with 0 or 8 workers).

Evaluation splits are read in order and split between processes without padding, so summed
metrics count every image exactly once.
"""
import hashlib
import logging
import os

import torch
from PIL import Image, ImageFile
from torch.utils.data import DataLoader, Dataset, Sampler
from torchvision import datasets

from .modeling import eval_transform, train_transform

SPLITS = ("train", "valid", "test")

log = logging.getLogger(__name__)


def load_rgb(path):
    """ImageFolder's loader, except that a truncated file is used as far as it decodes.

    The dogImages set holds at least one truncated JPEG (the by-hand project set LOAD_TRUNCATED_IMAGES for the
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


def derived_seed(*parts):
    """A 63-bit seed from integers such as (seed, epoch, index): equal inputs, equal seeds, anywhere."""
    digest = hashlib.blake2b(":".join(str(int(p)) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def split_sizes(total, world_size):
    """Each process's share of a step of ``total`` samples: they differ by at most one and add up to total."""
    base, extra = divmod(total, world_size)
    return [base + (1 if rank < extra else 0) for rank in range(world_size)]


def check_global_batch(global_batch, world_size):
    if global_batch < world_size:
        raise ValueError("--batch-size %d is smaller than the %d training processes: every process needs at least "
                         "one image per step, so use --batch-size >= %d (it is the global batch of one step, "
                         "summed over all processes)" % (global_batch, world_size, world_size))


class GlobalBatches(Sampler):
    """This process's part of each global batch, as (epoch, index) keys for SeededAugmentation.

    Every process draws the same permutation from (seed, epoch), cuts it into global batches of
    ``global_batch`` and takes its share of each, so all processes run the same number of steps. A
    last global batch smaller than the number of processes (at most N - 1 images) is left out of
    that epoch, since some process would have no image for that step.
    """

    def __init__(self, length, global_batch, rank, world_size, seed):
        check_global_batch(global_batch, world_size)
        self.length, self.global_batch = length, global_batch
        self.rank, self.world_size, self.seed = rank, world_size, seed
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def global_batches(self):
        generator = torch.Generator()
        generator.manual_seed(derived_seed(self.seed, self.epoch))
        order = torch.randperm(self.length, generator=generator).tolist()
        batches = [order[i:i + self.global_batch] for i in range(0, self.length, self.global_batch)]
        if batches and len(batches[-1]) < self.world_size:
            batches.pop()
        return batches

    def step_sizes(self):
        """The global batch size of each step of this epoch (the same list on every process)."""
        return [len(batch) for batch in self.global_batches()]

    def __iter__(self):
        for batch in self.global_batches():
            sizes = split_sizes(len(batch), self.world_size)
            start = sum(sizes[:self.rank])
            yield [(self.epoch, index) for index in batch[start:start + sizes[self.rank]]]

    def __len__(self):
        full, rest = divmod(self.length, self.global_batch)
        return full + (1 if rest >= self.world_size else 0)


class SeededAugmentation(Dataset):
    """``dataset[(epoch, index)]``: the sample, its random transform drawn from (seed, epoch, index).

    Seeding per sample, in whichever process or worker loads it, makes the augmentation independent
    of worker count, worker start-up and everything loaded before (torchvision's transforms draw
    from torch's default CPU generator).
    """

    def __init__(self, dataset, seed):
        self.dataset, self.seed = dataset, seed

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, key):
        epoch, index = key
        torch.random.default_generator.manual_seed(derived_seed(self.seed, epoch, index))
        return self.dataset[index]


def make_loaders(splits, ctx, global_batch, workers, seed):
    """Train loader (this process's share of each global batch) and sharded valid/test loaders."""
    pin = ctx.device.type == "cuda"
    # The loaders' own generator: creating an iterator then never draws from the global RNG.
    common = dict(num_workers=workers, pin_memory=pin, persistent_workers=workers > 0,
                  generator=torch.Generator().manual_seed(seed))
    train_batches = GlobalBatches(len(splits["train"]), global_batch, ctx.rank, ctx.world_size, seed)
    loaders = {"train": DataLoader(SeededAugmentation(splits["train"], seed), batch_sampler=train_batches, **common)}
    eval_batch = max(1, global_batch // ctx.world_size)
    for split in ("valid", "test"):
        sampler = ShardSampler(len(splits[split]), ctx.rank, ctx.world_size)
        loaders[split] = DataLoader(splits[split], batch_size=eval_batch, sampler=sampler, shuffle=False, **common)
    return loaders, train_batches


def fingerprint(splits):
    """A digest of every split's files (relative path and size): the dataset's identity for checkpoints.

    Sizes rather than contents: reading every image at start-up would cost minutes on the full set,
    and a changed image almost always changes its size.
    """
    digest = hashlib.sha256()
    for split in SPLITS:
        root = splits[split].root
        for path, _ in splits[split].samples:
            digest.update(("%s/%s\t%d\n" % (split, os.path.relpath(path, root), os.path.getsize(path))).encode())
    return digest.hexdigest()[:16]
