"""Cluster profiles (``slurm/profiles/*.yaml``): what each array element asks Slurm for."""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from toolkit.errors import InputError

PROFILE_DIR = Path(__file__).resolve().parents[2] / "slurm" / "profiles"


@dataclass
class Profile:
    """Resources and packing of the array elements of a sweep.

    Attributes
    ----------
    partition, account, qos, constraint : str or None
        Slurm ``--partition``, ``--account``, ``--qos``, ``--constraint`` (None: cluster default).
    time_min : int
        Wall-time limit of one element in minutes (all of its packed runs together).
    mem_gb : float
        Memory of one element.
    cpus_per_task, gpus_per_node : int
        CPUs and GPUs of one element.
    array_parallelism : int
        Elements of one array running at once (``--array=0-N%P``).
    runs_per_element : int
        Runs packed into one element, so TF import and container start are paid once.
    concurrent_runs : int
        Runs of an element trained at the same time (at most ``runs_per_element``), each in
        its own process with ``cpus_per_task // concurrent_runs`` threads; with a GPU they
        share it (TensorFlow's memory growth). 1: one after another.
    max_array_size : int or None
        Cap on elements per array submission, below the cluster's MaxArraySize.
    srun_args : list of str
        Extra arguments of the ``srun`` line (each passed as one quoted word).
    signal_delay_s : int
        Seconds before the time limit at which Slurm sends USR2 (checkpoint and requeue).
    container : str or None
        Apptainer image (SIF) every element runs in: ``apptainer exec [--nv] --bind ... IMAGE
        python3`` (see containers/README.md). A relative path is taken from the profile's folder.
    container_binds : list of str
        Extra ``--bind`` specifications (``src[:dest[:ro]]``) for such elements; the results
        and data folders, the Slurm configuration and the munge socket are bound anyway.
    """

    name: str = "default"  # where the profile came from (file path), for error messages
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    time_min: int = 120
    mem_gb: float = 4.0
    cpus_per_task: int = 1
    gpus_per_node: int = 0
    array_parallelism: int = 32
    runs_per_element: int = 1
    concurrent_runs: int = 1
    max_array_size: int | None = None
    srun_args: list[str] = field(default_factory=list)
    signal_delay_s: int = 120
    container: str | None = None
    container_binds: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def load_profile(name_or_path: str | Path | None = None) -> Profile:
    """Read and validate a profile: a name in ``slurm/profiles/`` or a YAML path.

    Raises
    ------
    InputError
        For a missing profile, unknown keys and values of the wrong type or range.
    """
    if name_or_path is None:
        return Profile()
    path = Path(name_or_path)
    if not path.suffix:
        path = PROFILE_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))
        raise InputError(path, None, f"profile not found; profiles in slurm/profiles: {known}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError(path, None, f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise InputError(path, None, "expected a mapping of profile keys")
    return parse_profile(raw, source=str(path), name=str(path))


def parse_profile(raw: dict, source: str = "profile", name: str = "profile") -> Profile:
    """Validate a profile mapping (see :func:`load_profile`)."""
    known = {f.name: f for f in dataclasses.fields(Profile)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InputError(source, unknown[0], f"unknown profile key; valid keys: {sorted(known)}")
    values = {"name": name} | raw
    for key in (
        "time_min",
        "cpus_per_task",
        "array_parallelism",
        "runs_per_element",
        "concurrent_runs",
        "signal_delay_s",
    ):
        _check_int(values, key, source, minimum=1)
    _check_concurrency(values, source)
    _check_int(values, "gpus_per_node", source, minimum=0)
    if values.get("max_array_size") is not None:
        _check_int(values, "max_array_size", source, minimum=1)
    mem = values.get("mem_gb", Profile.mem_gb)
    if not isinstance(mem, int | float) or isinstance(mem, bool) or mem <= 0:
        raise InputError(source, "mem_gb", f"expected a positive number of GB, got {mem!r}")
    for key in ("partition", "account", "qos", "constraint", "container"):
        value = values.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InputError(source, key, f"expected a non-empty string or null, got {value!r}")
    for key in ("partition", "account", "qos"):
        value = values.get(key)
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_.,-]+", value):
            raise InputError(source, key, f"{value!r} is not a valid Slurm name")
    srun_args = values.get("srun_args", [])
    if not isinstance(srun_args, list) or not all(isinstance(a, str) for a in srun_args):
        raise InputError(source, "srun_args", f"expected a list of strings, got {srun_args!r}")
    binds = values.get("container_binds", [])
    if not isinstance(binds, list) or not all(
        isinstance(b, str) and b and "," not in b for b in binds
    ):
        raise InputError(
            source,
            "container_binds",
            f"expected a list of bind specifications without ',', got {binds!r}",
        )
    if values.get("container") is not None:
        values["container"] = _image_path(values["container"], source)
    return Profile(**values)


def _check_concurrency(values: dict, source: str) -> None:
    """``concurrent_runs`` fits the element: no more than its runs, at least a CPU each."""
    concurrent = values.get("concurrent_runs", Profile.concurrent_runs)
    runs = values.get("runs_per_element", Profile.runs_per_element)
    cpus = values.get("cpus_per_task", Profile.cpus_per_task)
    if concurrent > runs:
        raise InputError(
            source,
            "concurrent_runs",
            f"{concurrent} concurrent runs, but an element holds only runs_per_element = "
            f"{runs}; raise runs_per_element to at least {concurrent}",
        )
    if concurrent > cpus:
        raise InputError(
            source,
            "concurrent_runs",
            f"{concurrent} concurrent runs need at least one CPU each, but cpus_per_task = "
            f"{cpus}; raise cpus_per_task to at least {concurrent}",
        )


def _image_path(value: str, source: str) -> str:
    """Absolute path of an existing image file (``~`` and ``$VARS`` expanded; relative to the
    profile file's folder)."""
    import os

    path = Path(os.path.expandvars(value)).expanduser()
    if not path.is_absolute():
        base = Path(source).parent if Path(source).is_file() else Path.cwd()
        path = base / path
    if not path.is_file():
        raise InputError(
            source,
            "container",
            f"image {str(path)!r} not found (build one with `expact containers build`)",
        )
    return str(path.absolute())


def check_against_cluster(profile: Profile, limits: dict, source: str = "profile") -> None:
    """Reject requests the cluster can never satisfy, before anything is submitted.

    Parameters
    ----------
    limits : dict
        From :func:`toolkit.cluster.slurm.partition_limits`: ``partitions`` (names), and for
        the profile's partition ``max_cpus``, ``max_mem_mb`` and ``gres`` of its nodes.
    """
    partition = profile.partition or limits.get("default_partition")
    if profile.partition and profile.partition not in limits["partitions"]:
        raise InputError(
            source,
            "partition",
            f"{profile.partition!r} does not exist; partitions: {limits['partitions']}",
        )
    if profile.cpus_per_task > limits["max_cpus"]:
        raise InputError(
            source,
            "cpus_per_task",
            f"{profile.cpus_per_task} CPUs requested, but the nodes of partition "
            f"{partition!r} have at most {limits['max_cpus']}",
        )
    if profile.mem_gb * 1024 > limits["max_mem_mb"]:
        raise InputError(
            source,
            "mem_gb",
            f"{profile.mem_gb} GB requested, but the nodes of partition "
            f"{partition!r} have at most {limits['max_mem_mb'] / 1024:.1f} GB",
        )
    if profile.gpus_per_node and "gpu" not in limits.get("gres", ""):
        raise InputError(
            source,
            "gpus_per_node",
            f"{profile.gpus_per_node} GPUs requested, but partition {partition!r} "
            "has no GPUs (no gpu GRES)",
        )


def _check_int(values: dict, key: str, source: str, minimum: int) -> None:
    value = values.get(key, getattr(Profile, key))
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InputError(source, key, f"expected an integer >= {minimum}, got {value!r}")


def check_profile(profile: str | os.PathLike | Profile) -> str:
    """Load and check a cluster profile (and its container image); one line saying what."""
    if not isinstance(profile, Profile):
        profile = load_profile(profile)  # parses it; a container image must be a file
    elif profile.container is not None and not Path(profile.container).is_file():
        raise InputError(
            profile.name,
            "container",
            f"image {profile.container!r} not found or not a file "
            "(build one with `expact containers build`)",
        )
    line = (
        f"profile {profile.name}: {profile.cpus_per_task} CPU(s), {profile.mem_gb:g} GB, "
        f"{profile.time_min} min, {profile.runs_per_element} run(s) per element"
    )
    if profile.concurrent_runs > 1:
        line += f", {profile.concurrent_runs} at a time"
    if profile.gpus_per_node:
        line += f", {profile.gpus_per_node} GPU(s) (checked before training)"
    if profile.container is not None:
        line += f"; container image {profile.container}"
        _check_image(profile)
    return line


def _check_image(profile: Profile) -> None:
    """The image is a readable, non-empty file (not a folder, not an unreadable path)."""
    path = Path(profile.container)
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise InputError(path, None, f"cannot read the container image: {exc.strerror}") from None
    if not head:
        raise InputError(
            path,
            None,
            f"container image (profile {profile.name}) is empty; expected an Apptainer SIF",
        )
