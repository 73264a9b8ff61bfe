"""One training epoch of the real loaders and engine, alone or as one process of a group; saves the weights.

    python one_epoch.py DATA OUT GLOBAL_BATCH

test_distributed.py runs it once alone and as 3 gloo processes (RANK/WORLD_SIZE/MASTER_* in the
environment) and compares the weights. The backbone is frozen as with --pretrained (its BatchNorm
statistics fixed), so each step's result depends only on the step's gradient, not on how the global
batch was split for BatchNorm's per-process batch statistics.
"""
import os
import sys

import torch
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogbreed import data, debugger, distributed, engine, modeling  # noqa: E402

SEED = 11


def main(data_dir, out, global_batch):
    ctx = distributed.setup(os.environ)
    torch.manual_seed(SEED)
    model = modeling.build_model("resnet18", 3, pretrained=False)
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith("fc.")
    splits = data.load_splits(data_dir, 32)
    loaders, batches = data.make_loaders(splits, ctx, global_batch, workers=0, seed=SEED)
    # Plain SGD, so equal gradients show as equal weights (Adam divides by the gradients' running RMS,
    # which turns float rounding in near-zero gradients into visible differences).
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05)
    train_model = DistributedDataParallel(model) if ctx.distributed else model
    batches.set_epoch(1)
    result = engine.train_epoch(train_model, loaders["train"], batches.step_sizes(), optimizer, None, ctx,
                                debugger.Hook(), torch.nn.CrossEntropyLoss(reduction="sum"))
    print("rank %d trained on %d of %d images" % (ctx.rank, result.local_samples, result.samples), flush=True)
    if ctx.is_main:
        torch.save(model.state_dict(), out)
    distributed.teardown(ctx)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
