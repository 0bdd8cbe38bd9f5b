"""Start Horovod in this process, however it was launched.

Three launches reach :func:`init`:

- ``horovodrun -np N --gloo ...`` (local, or inside an allocation): horovodrun started the Gloo
  rendezvous server and set ``HOROVOD_RANK``/``HOROVOD_SIZE``/...; ``hvd.init()`` uses them.
- One Slurm job with N tasks (``srun``, e.g. submitit with ``tasks_per_node=N``; what
  ``expact submit`` does for a task with a ``distributed`` section): there is no horovodrun,
  so rank 0 (``SLURM_PROCID`` 0) starts Horovod's HTTP rendezvous server in a thread,
  publishes its address in ``<rendezvous_dir>/<job>_<restart>.json``, and every task sets the
  Gloo environment of its slot (from ``SLURM_PROCID``, ``SLURM_NTASKS`` and the step's node
  list, with Horovod's own slot assignment) before ``hvd.init()``. Horovod here is built
  with Gloo only (no MPI), so this is the Slurm path; an MPI build could use
  ``srun --mpi=pmix`` instead.
- A plain process: Horovod with size 1.

On one node the rendezvous and Gloo use the loopback interface; across nodes set
``EXPACT_HOROVOD_IFACE`` to the network interface the nodes share.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import time
from pathlib import Path

from toolkit.files import write_json

log = logging.getLogger(__name__)
_SERVER = None  # rank 0's rendezvous server, kept alive for the life of the process
RENDEZVOUS_TIMEOUT_S = 300


def launched() -> bool:
    """True when this process is one rank of a multi-process launch: started by horovodrun
    (``HOROVOD_RANK`` set) or one task of a multi-task Slurm step."""
    return "HOROVOD_RANK" in os.environ or slurm_tasks() > 1


def slurm_tasks() -> int:
    """Tasks of the current Slurm step (1 outside Slurm or in a one-task step)."""
    return int(os.environ.get("SLURM_STEP_NUM_TASKS") or os.environ.get("SLURM_NTASKS") or 1)


def init(rendezvous_dir: str | Path | None = None):
    """Initialise Horovod once per process and return ``horovod.tensorflow``.

    Parameters
    ----------
    rendezvous_dir : str or Path, optional
        Shared folder where rank 0 of a multi-task Slurm step publishes the rendezvous
        address (needed only for that launch).
    """
    import horovod.tensorflow as hvd

    try:
        hvd.size()
        return hvd  # already initialised
    except ValueError:
        pass
    if "HOROVOD_RANK" not in os.environ and slurm_tasks() > 1:
        if rendezvous_dir is None:
            raise RuntimeError("a multi-task Slurm step needs a rendezvous folder")
        _slurm_gloo_env(Path(rendezvous_dir))
    hvd.init()
    log.info(
        "horovod rank %d of %d (local %d), controller %s",
        hvd.rank(),
        hvd.size(),
        hvd.local_rank(),
        "gloo" if hvd.gloo_enabled() else "mpi",
    )
    return hvd


def _nodes() -> list[str]:
    nodelist = os.environ.get("SLURM_STEP_NODELIST") or os.environ.get("SLURM_JOB_NODELIST")
    if not nodelist:
        return [socket.gethostname()]
    try:
        out = subprocess.run(
            ["scontrol", "show", "hostnames", nodelist],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
        return out or [nodelist]
    except (OSError, subprocess.SubprocessError):
        return [nodelist]


def _tasks_per_node(n_nodes: int, size: int) -> list[int]:
    """``SLURM_STEP_TASKS_PER_NODE`` ("2", "2(x3),1") expanded to one count per node."""
    spec = os.environ.get("SLURM_STEP_TASKS_PER_NODE") or os.environ.get("SLURM_TASKS_PER_NODE")
    counts: list[int] = []
    for part in (spec or "").split(","):
        if not part:
            continue
        count, _, rep = part.partition("(x")
        counts.extend([int(count)] * (int(rep.rstrip(")")) if rep else 1))
    if len(counts) != n_nodes or sum(counts) != size:
        per = -(-size // n_nodes)
        counts = [min(per, size - i * per) for i in range(n_nodes)]
    return counts


def _slurm_gloo_env(rendezvous_dir: Path) -> None:
    """Set the Gloo environment of this task's slot; rank 0 runs the rendezvous server."""
    from horovod.runner.common.util.hosts import HostInfo, get_host_assignments

    rank, size = int(os.environ["SLURM_PROCID"]), slurm_tasks()
    nodes = _nodes()
    plan = get_host_assignments(
        [HostInfo(h, n) for h, n in zip(nodes, _tasks_per_node(len(nodes), size), strict=True)],
        size,
    )
    one_node = len(nodes) == 1
    iface = os.environ.get("EXPACT_HOROVOD_IFACE") or ("lo" if one_node else None)
    if iface is None:
        raise RuntimeError(
            "Horovod across several nodes: set EXPACT_HOROVOD_IFACE to the "
            "network interface the nodes share"
        )
    job = os.environ.get("SLURM_JOB_ID", "job")
    restart = os.environ.get("SLURM_RESTART_COUNT", "0")
    step = os.environ.get("SLURM_STEP_ID", "0")
    address_file = rendezvous_dir / f"{job}_{step}_{restart}.json"
    if rank == 0:
        from horovod.runner.http.http_server import RendezvousServer

        global _SERVER
        _SERVER = RendezvousServer()
        port = _SERVER.start()
        _SERVER.init(plan)
        addr = "127.0.0.1" if one_node else socket.gethostbyname(socket.gethostname())
        write_json(address_file, {"addr": addr, "port": port, "size": size, "nodes": nodes})
    else:
        deadline = time.time() + RENDEZVOUS_TIMEOUT_S
        while not address_file.exists():
            if time.time() > deadline:
                raise RuntimeError(
                    f"rank {rank}: no rendezvous address from rank 0 in "
                    f"{RENDEZVOUS_TIMEOUT_S} s ({address_file})"
                )
            time.sleep(0.2)
    info = json.loads(address_file.read_text())
    slot = plan[rank]
    os.environ.update(
        {
            "HOROVOD_GLOO_RENDEZVOUS_ADDR": str(info["addr"]),
            "HOROVOD_GLOO_RENDEZVOUS_PORT": str(info["port"]),
            "HOROVOD_CONTROLLER": "gloo",
            "HOROVOD_CPU_OPERATIONS": "gloo",
            "HOROVOD_GLOO_IFACE": iface,
            "HOROVOD_HOSTNAME": slot.hostname,
            "HOROVOD_RANK": str(slot.rank),
            "HOROVOD_SIZE": str(slot.size),
            "HOROVOD_LOCAL_RANK": str(slot.local_rank),
            "HOROVOD_LOCAL_SIZE": str(slot.local_size),
            "HOROVOD_CROSS_RANK": str(slot.cross_rank),
            "HOROVOD_CROSS_SIZE": str(slot.cross_size),
        }
    )
