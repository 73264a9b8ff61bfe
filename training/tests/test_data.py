"""Global batches and seeded augmentation: what makes distributed steps exact and resumed runs equal."""
import pytest
import torch

from dogbreed import data, distributed, hyperparameters


def _ctx(rank=0, world_size=1):
    return distributed.Context(rank=rank, world_size=world_size, device=torch.device("cpu"), backend=None)


@pytest.mark.parametrize("world_size", [1, 2, 3, 4])
def test_every_tunable_and_default_batch_size_is_split_exactly_over_the_processes(world_size):
    table = hyperparameters.by_name()
    sizes = set(table["batch-size"].tuning["values"]) | {table["batch-size"].default}
    for batch in sorted(sizes):
        shares = data.split_sizes(batch, world_size)
        assert sum(shares) == batch and max(shares) - min(shares) <= 1, (batch, shares)
    assert data.split_sizes(64, 3) == [22, 21, 21]


def test_a_batch_smaller_than_the_number_of_processes_is_refused():
    with pytest.raises(ValueError, match=r"--batch-size 2 is smaller than the 3 training processes: .* "
                                         r"use --batch-size >= 3"):
        data.GlobalBatches(100, 2, rank=0, world_size=3, seed=1)


@pytest.mark.parametrize("length,batch,world_size", [(72, 8, 3), (100, 64, 3), (50, 7, 2), (10, 4, 4)])
def test_the_processes_shares_of_each_step_add_up_to_the_global_batch(length, batch, world_size):
    samplers = [data.GlobalBatches(length, batch, rank, world_size, seed=5) for rank in range(world_size)]
    for s in samplers:
        s.set_epoch(3)
    per_rank = [list(s) for s in samplers]
    steps = samplers[0].step_sizes()
    assert all(len(steps_of_rank) == len(steps) == len(s) for steps_of_rank, s in zip(per_rank, samplers))
    seen = []
    for step, size in enumerate(steps):
        keys = [key for rank in range(world_size) for key in per_rank[rank][step]]
        assert len(keys) == size and all(epoch == 3 for epoch, _ in keys)
        assert [len(per_rank[r][step]) for r in range(world_size)] == data.split_sizes(size, world_size)
        seen += [index for _, index in keys]
    assert len(seen) == len(set(seen))  # no image twice in an epoch
    assert all(size == batch for size in steps[:-1])
    # Only a last global batch too small to give every process an image is left out.
    assert length - len(seen) == (length % batch if length % batch < world_size else 0)


def test_each_epoch_order_depends_only_on_seed_and_epoch():
    walked = data.GlobalBatches(60, 8, rank=1, world_size=2, seed=9)
    orders = {}
    for epoch in (1, 2, 3):
        walked.set_epoch(epoch)
        orders[epoch] = list(walked)
    fresh = data.GlobalBatches(60, 8, rank=1, world_size=2, seed=9)
    fresh.set_epoch(3)  # a run resumed at epoch 3
    assert list(fresh) == orders[3]
    assert orders[1] != orders[2] != orders[3]
    other_seed = data.GlobalBatches(60, 8, rank=1, world_size=2, seed=10)
    other_seed.set_epoch(3)
    assert list(other_seed) != orders[3]


def _train_batches(splits, workers, epochs):
    loaders, batches = data.make_loaders(splits, _ctx(), 8, workers, seed=3)
    out = {}
    for epoch in epochs:
        batches.set_epoch(epoch)
        out[epoch] = [images for images, _ in loaders["train"]]
    return out


def test_augmented_batches_are_the_same_with_any_number_of_workers_and_after_a_restart(dataset):
    splits = data.load_splits(dataset, 32)
    uninterrupted = _train_batches(splits, workers=2, epochs=(1, 2, 3))
    resumed = _train_batches(splits, workers=2, epochs=(3,))   # new loader, new workers, epoch 3 first
    no_workers = _train_batches(splits, workers=0, epochs=(2,))
    assert all(torch.equal(a, b) for a, b in zip(uninterrupted[3], resumed[3]))
    assert all(torch.equal(a, b) for a, b in zip(uninterrupted[2], no_workers[2]))
    assert len(uninterrupted[3]) == len(resumed[3]) == 9
    # The augmentation really is random from epoch to epoch (same images, other crops and flips).
    first = data.SeededAugmentation(splits["train"], 3)
    assert not torch.equal(first[(1, 0)][0], first[(2, 0)][0])
    assert torch.equal(first[(1, 0)][0], first[(1, 0)][0])


def test_the_dataset_fingerprint_changes_with_the_files(tmp_path):
    import synthetic
    root = synthetic.make_dataset(str(tmp_path / "d"), per_class={"train": 2, "valid": 1, "test": 1})
    before = data.fingerprint(data.load_splits(root, 32))
    assert data.fingerprint(data.load_splits(root, 32)) == before
    extra = tmp_path / "d" / "train" / "001.Red_circle" / "extra.jpg"
    extra.write_bytes((tmp_path / "d" / "train" / "001.Red_circle" / "train_000.jpg").read_bytes())
    assert data.fingerprint(data.load_splits(root, 32)) != before
