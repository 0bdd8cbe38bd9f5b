"""The device a run trains on: what the record states, and the GPU preflight of an element.

TensorFlow falls back to the CPU without a word when it finds no GPU (a CPU-only wheel, an
image started without ``--nv``, a job without a GPU allocation); a run then trains for days
at a fraction of the speed. An element whose profile asks for GPUs calls
:func:`gpu_preflight` before its first run and fails at once, saying which of those it is.
"""

from __future__ import annotations

import glob
import os
import platform
import subprocess
from pathlib import Path

__all__ = ["GpuUnavailable", "device_record", "gpu_preflight"]


class GpuUnavailable(RuntimeError):
    """The profile asks for GPUs and TensorFlow sees fewer (the message says why)."""


def device_record() -> dict:
    """What this process trains on, for the run record.

    Returns
    -------
    dict
        ``kind`` (``"gpu"`` when TensorFlow sees a GPU, else ``"cpu"``); ``cpu`` (model
        name, logical cores, bf16/AVX-512 flags); ``gpus`` (per visible GPU: ``name``,
        ``compute_capability``); ``driver`` (the NVIDIA driver version, None without one);
        ``cuda`` and ``cudnn`` (the versions TensorFlow was built with, None for a CPU-only
        build); ``built_with_cuda``.
    """
    import tensorflow as tf

    gpus = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capability = details.get("compute_capability")
        gpus.append(
            {
                "name": details.get("device_name", gpu.name),
                "compute_capability": ".".join(map(str, capability)) if capability else None,
            }
        )
    build = tf.sysconfig.get_build_info()
    return {
        "kind": "gpu" if gpus else "cpu",
        "cpu": _cpu_description(),
        "gpus": gpus,
        "driver": _nvidia_driver_version(),
        "cuda": build.get("cuda_version"),
        "cudnn": build.get("cudnn_version"),
        "built_with_cuda": bool(tf.test.is_built_with_cuda()),
    }


def gpu_preflight(expected: int) -> dict:
    """Fail unless TensorFlow sees at least ``expected`` GPUs; the device record otherwise.

    Parameters
    ----------
    expected : int
        GPUs the element's profile asks for (``gpus_per_node``).

    Returns
    -------
    dict
        :func:`device_record` of this process.

    Raises
    ------
    GpuUnavailable
        Naming what TensorFlow sees and the likely cause: a CPU-only TensorFlow, an image
        started without ``--nv``, no NVIDIA device files, an empty ``CUDA_VISIBLE_DEVICES``.
    """
    record = device_record()
    seen = len(record["gpus"])
    if seen >= expected:
        return record
    causes = _gpu_causes(
        built_with_cuda=record["built_with_cuda"],
        in_container=bool(os.environ.get("APPTAINER_CONTAINER")),
        nvidia_devices=bool(glob.glob("/dev/nvidia[0-9]*")),
        nvidia_libs_bound=Path("/.singularity.d/libs/libcuda.so.1").exists(),
        cuda_visible=os.environ.get("CUDA_VISIBLE_DEVICES"),
    )
    raise GpuUnavailable(
        f"the profile asks for {expected} GPU(s) but TensorFlow sees {seen}; not training "
        f"on the CPU instead. Why: {'; '.join(causes)}"
    )


def _gpu_causes(
    built_with_cuda: bool,
    in_container: bool,
    nvidia_devices: bool,
    nvidia_libs_bound: bool,
    cuda_visible: str | None,
) -> list[str]:
    """The likely reasons TensorFlow sees no GPU, most fundamental first (never empty)."""
    causes = []
    if not built_with_cuda:
        causes.append(
            "this TensorFlow is a CPU-only build (tensorflow-cpu): run the element in the GPU "
            "image (`expact containers build --base gpu`) or install tensorflow[and-cuda]"
        )
    if in_container and not nvidia_libs_bound:
        causes.append(
            "the Apptainer image was started without --nv (no NVIDIA driver libraries bound "
            "in); a profile with gpus_per_node > 0 adds it"
        )
    if not nvidia_devices:
        causes.append(
            "no /dev/nvidia<N> device files: the job got no GPU (check the partition's gres "
            "and the profile's gpus_per_node)"
        )
    if cuda_visible is not None and cuda_visible.strip() in ("", "-1", "NoDevFiles"):
        causes.append(f"CUDA_VISIBLE_DEVICES={cuda_visible!r} hides every GPU")
    return causes or ["TensorFlow found no usable GPU (see the element's log for CUDA errors)"]


def _cpu_description() -> dict:
    """The CPU's model name, logical cores and the instruction sets that set TF's speed."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model in ("", platform.machine()):
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    notable = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni")
    return {
        "model": model,
        "cores": os.cpu_count(),
        "flags": [f for f in notable if f in flags],
    }


def _nvidia_driver_version() -> str | None:
    """The loaded NVIDIA kernel driver's version (None without one)."""
    try:
        text = Path("/proc/driver/nvidia/version").read_text()
        for word in text.split():
            if word.count(".") >= 1 and word.replace(".", "").isdigit():
                return word
    except OSError:
        pass
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout else None
    except (OSError, subprocess.SubprocessError, IndexError):
        return None
