"""Data-parallel setup: torchrun's environment, SageMaker's SM_HOSTS, or a single process.

Precedence: a launcher that set RANK and WORLD_SIZE wins. That is torchrun, which the PyTorch
container runs when the job asks for torch_distributed (GPU instances: one process per GPU, each on
cuda:LOCAL_RANK, joining through the store torchrun gives it). Otherwise a multi-host SageMaker job
runs one process per host (CPU instances), with rank = position of SM_CURRENT_HOST in the sorted
SM_HOSTS and the master at MASTER_ADDR:MASTER_PORT, which the PyTorch container sets to the first
host and 7777 before it starts train.py. NCCL on CUDA, gloo on CPU.
"""
import datetime
import json
import logging
import os
from dataclasses import dataclass
from typing import Optional

import torch
import torch.distributed as dist

log = logging.getLogger(__name__)

# The port the SageMaker PyTorch container exports as MASTER_PORT (and passes to torchrun as
# --master_port); used when a multi-host job's environment lacks it.
DEFAULT_MASTER_PORT = 7777


@dataclass(frozen=True)
class Spec:
    """Who this process is in the job, before any process group exists."""
    rank: int
    world_size: int
    local_rank: int
    master_addr: str
    master_port: int
    source: str  # "torchrun" | "sagemaker"


@dataclass(frozen=True)
class Context:
    rank: int
    world_size: int
    device: torch.device
    backend: Optional[str]

    @property
    def is_main(self):
        return self.rank == 0

    @property
    def distributed(self):
        return self.backend is not None


def _int(env, name):
    try:
        return int(env[name])
    except ValueError:
        raise ValueError("%s must be an integer (got %r)" % (name, env[name])) from None


def detect(env):
    """Return the Spec for a distributed run, or None for a single process."""
    if "RANK" in env and "WORLD_SIZE" in env:
        world = _int(env, "WORLD_SIZE")
        if world <= 1:
            return None
        return Spec(rank=_int(env, "RANK"), world_size=world,
                    local_rank=_int(env, "LOCAL_RANK") if "LOCAL_RANK" in env else 0,
                    master_addr=env.get("MASTER_ADDR", "127.0.0.1"),
                    master_port=_int(env, "MASTER_PORT") if "MASTER_PORT" in env else DEFAULT_MASTER_PORT,
                    source="torchrun")
    if "SM_HOSTS" in env and "SM_CURRENT_HOST" in env:
        try:
            hosts = json.loads(env["SM_HOSTS"])
        except json.JSONDecodeError:
            raise ValueError("SM_HOSTS must be a JSON list of host names (got %r)" % env["SM_HOSTS"]) from None
        if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) for h in hosts):
            raise ValueError("SM_HOSTS must be a JSON list of host names (got %r)" % env["SM_HOSTS"])
        hosts = sorted(hosts)
        current = env["SM_CURRENT_HOST"]
        if current not in hosts:
            raise ValueError("SM_CURRENT_HOST %r is not among SM_HOSTS %s" % (current, hosts))
        if len(hosts) == 1:
            return None
        return Spec(rank=hosts.index(current), world_size=len(hosts), local_rank=0,
                    # MASTER_ADDR may be set by the SageMaker toolkit (or a test on loopback).
                    master_addr=env.get("MASTER_ADDR", hosts[0]),
                    master_port=_int(env, "MASTER_PORT") if "MASTER_PORT" in env else DEFAULT_MASTER_PORT,
                    source="sagemaker")
    return None


def pick_device(spec, cuda_devices):
    """cuda:LOCAL_RANK for a launcher's process (one per GPU), the only/first GPU otherwise, else the CPU."""
    if cuda_devices == 0:
        return torch.device("cpu")
    if spec is None:
        return torch.device("cuda")
    if spec.local_rank >= cuda_devices:
        raise ValueError("LOCAL_RANK is %d but this host has %d GPU(s): start at most one process per GPU "
                         "(torchrun --nproc_per_node %d)" % (spec.local_rank, cuda_devices, cuda_devices))
    return torch.device("cuda", spec.local_rank)


def setup(env=None, timeout_s=1800):
    """Initialise the process group (if any) and pick this process's device."""
    env = os.environ if env is None else env
    spec = detect(env)
    cuda = torch.cuda.is_available()
    if cuda and torch.cuda.device_count() > 1 and (spec is None or spec.source == "sagemaker"):
        log.warning("%d GPUs visible but one process per host uses only one: launch with torchrun "
                    "(SageMaker: distribution torch_distributed) to use them all", torch.cuda.device_count())
    device = pick_device(spec, torch.cuda.device_count() if cuda else 0)
    if spec is None:
        return Context(rank=0, world_size=1, device=device, backend=None)
    if cuda:
        torch.cuda.set_device(device)
    backend = "nccl" if cuda else "gloo"
    if env.get("SM_NETWORK_INTERFACE_NAME"):
        # Bind the collectives to the instance's training network interface.
        os.environ.setdefault("GLOO_SOCKET_IFNAME", env["SM_NETWORK_INTERFACE_NAME"])
        os.environ.setdefault("NCCL_SOCKET_IFNAME", env["SM_NETWORK_INTERFACE_NAME"])
    log.info("joining process group: rank %d of %d via %s, master %s:%d, backend %s",
             spec.rank, spec.world_size, spec.source, spec.master_addr, spec.master_port, backend)
    # torchrun's workers must use env:// (newer torchrun hands them its own store); the
    # SageMaker path has no launcher, so rank 0 hosts the rendezvous store on the master port.
    init_method = "env://" if spec.source == "torchrun" else "tcp://%s:%d" % (spec.master_addr, spec.master_port)
    dist.init_process_group(
        backend=backend, init_method=init_method,
        rank=spec.rank, world_size=spec.world_size,
        timeout=datetime.timedelta(seconds=timeout_s))
    return Context(rank=spec.rank, world_size=spec.world_size, device=device, backend=backend)


def all_reduce_sum(ctx, values):
    """Sum a list of floats over every process (identity in a single process)."""
    tensor = torch.tensor(values, dtype=torch.float64,
                          device=ctx.device if ctx.backend == "nccl" else torch.device("cpu"))
    if ctx.distributed:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.cpu().tolist()


def broadcast_object(ctx, obj):
    """rank 0's object on every rank."""
    if not ctx.distributed:
        return obj
    holder = [obj if ctx.is_main else None]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def sync_buffers(ctx, model):
    """Give every replica rank 0's BatchNorm statistics.

    DDP broadcasts buffers at the start of each forward pass, but the last forward of an epoch
    still updates each replica's running statistics from its own batch; evaluating (and saving)
    with identical buffers keeps the replicas, and so the all-reduced metrics, consistent.
    """
    if ctx.distributed:
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)


def barrier(ctx):
    if ctx.distributed:
        dist.barrier()


def teardown(ctx):
    if ctx.distributed:
        dist.destroy_process_group()
