"""Apptainer definitions of the toolkit image, rendered from one template.

``containers/expact.def.in`` is the single source of every definition; a base only changes
the header (``Bootstrap: debootstrap`` Debian bookworm, or ``Bootstrap: docker`` from the
public TensorFlow GPU image), the Python interpreter, the Debian/Ubuntu package names, the
TensorFlow wheel (``tensorflow-cpu``, ``tensorflow[and-cuda]`` or ``tensorflow``, same pinned
version) and, for the GPU bases, a few environment lines and ``%test`` checks. The bases:

- ``debootstrap``: Debian bookworm, CPU TensorFlow (builds anywhere);
- ``debootstrap-gpu``: the same Debian, GPU TensorFlow and the CUDA 12.2 / cuDNN 8.9
  libraries as the public ``nvidia-*`` wheels of ``tensorflow[and-cuda]`` (builds anywhere,
  no registry, no CUDA toolkit; ``--nv`` brings the driver at run time);
- ``docker``: the public ``tensorflow/tensorflow`` GPU image (needs a container registry).

A build context is a folder holding the rendered ``expact.def`` and what its ``%files``
copy, by paths relative to it (``apptainer build`` runs inside it):

- ``src/``: the toolkit sources, ``requirements.txt``, ``requirements-image.txt`` (the
  pinned set with this base's TensorFlow wheel) and ``containers/meme/build_meme.sh``;
- ``ca/``: extra CA certificates for sites whose TLS goes through an intercepting proxy.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import InputError

__all__ = [
    "BASES",
    "CUDA_WHEELS",
    "HOROVOD_VERSION",
    "MEME_VERSION",
    "Base",
    "debian_mirror",
    "image_requirements",
    "read_pins",
    "render",
    "repo_root",
    "stage",
]

HOROVOD_VERSION = "0.28.1"  # jobs/setup.sh builds the same version into .venv
MEME_VERSION = "5.4.1"  # containers/meme/build_meme.sh
DEBIAN_SUITE = "bookworm"  # its python3 is 3.11
GPU_BASE_IMAGE = "tensorflow/tensorflow:2.15.0-gpu"  # Ubuntu 22.04, CUDA 12.2, cuDNN 8.9
TEMPLATE = Path("containers") / "expact.def.in"
# The CUDA 12.2 / cuDNN 8.9 wheels that tensorflow[and-cuda]==2.15.1 pins exactly (its
# metadata's "and-cuda" extra; tensorflow-cpu 2.15.1 declares the same extra, and
# tests/test_containers.py compares the two). The debootstrap-gpu base pins them again in its
# requirements-image.txt, so its labels name each and its %test checks each.
CUDA_WHEELS = {
    "nvidia-cublas-cu12": "12.2.5.6",
    "nvidia-cuda-cupti-cu12": "12.2.142",
    "nvidia-cuda-nvcc-cu12": "12.2.140",
    "nvidia-cuda-nvrtc-cu12": "12.2.140",
    "nvidia-cuda-runtime-cu12": "12.2.140",
    "nvidia-cudnn-cu12": "8.9.4.25",
    "nvidia-cufft-cu12": "11.0.8.103",
    "nvidia-curand-cu12": "10.3.3.141",
    "nvidia-cusolver-cu12": "11.5.2.141",
    "nvidia-cusparse-cu12": "12.1.2.141",
    "nvidia-nccl-cu12": "2.16.5",
    "nvidia-nvjitlink-cu12": "12.2.140",
}
# The shared libraries TensorFlow opens by name on a GPU (CUDA runtime, cuBLAS, cuDNN and the
# two cuDNN 8 parts its shim opens lazily, FFT, RNG, solvers): a GPU image's %test loads
# each, which needs no GPU and no driver. NCCL (multi-GPU collectives) too where it comes as
# a wheel; whether the Docker-Hub base has it is not known here, and one GPU per run does not
# need it.
CUDA_LIBRARIES = (
    "libcudart.so.12",
    "libcublasLt.so.12",
    "libcublas.so.12",
    "libcudnn.so.8",
    "libcudnn_ops_infer.so.8",
    "libcudnn_cnn_infer.so.8",
    "libcufft.so.11",
    "libcurand.so.10",
    "libcusparse.so.12",
    "libcusolver.so.11",
)
NCCL_LIBRARY = "libnccl.so.2"
# the lib/ folders of those wheels in the image's venv (site-packages/nvidia/<name>/lib)
CUDA_WHEEL_LIBS = (
    "cublas",
    "cuda_cupti",
    "cuda_nvrtc",
    "cuda_runtime",
    "cudnn",
    "cufft",
    "curand",
    "cusolver",
    "cusparse",
    "nccl",
    "nvjitlink",
)
IMAGE_SITE_PACKAGES = "/opt/expact/venv/lib/python3.11/site-packages"
WHEELHOUSE_MOUNT = "/mnt"  # where a build binds --wheelhouse (exists in every base)
SOURCES = (
    "pyproject.toml",
    "README.md",
    "requirements.txt",
    "toolkit",
    "containers/meme/build_meme.sh",
)


@dataclass(frozen=True)
class Base:
    """What differs between the image bases."""

    name: str
    bootstrap: str  # "debootstrap" (a Debian mirror) or "docker" (GPU_BASE_IMAGE)
    description: str
    python: str
    runtime_packages: tuple[str, ...]
    # purged again at the end of %post: MEME's C build and the project's kernels' C++
    # (toolkit.training.custom_ops) always, Horovod's C++ build unless the wheelhouse brings
    # a Horovod wheel
    meme_build_packages: tuple[str, ...]
    horovod_build_packages: tuple[str, ...]
    tf_package: str
    tf_extra: str = ""  # "[and-cuda]": TensorFlow brings the CUDA/cuDNN wheels
    gpu: bool = False  # GPU TensorFlow: %test checks the CUDA build and libraries

    @property
    def cuda_wheels(self) -> bool:
        """CUDA and cuDNN come as pip wheels (not from the base image)."""
        return self.tf_extra == "[and-cuda]"

    def header(self, mirror: str | None) -> str:
        if self.bootstrap == "debootstrap":
            if not mirror:
                raise InputError(
                    None,
                    "mirror",
                    "the debootstrap base needs a Debian mirror URL "
                    "(--mirror; none was found in this machine's apt sources)",
                )
            return (
                f"Bootstrap: debootstrap\nOSVersion: {DEBIAN_SUITE}\nMirrorURL: {mirror}\n"
                "Include: ca-certificates"
            )
        return f"Bootstrap: docker\nFrom: {GPU_BASE_IMAGE}"


BASES = {
    "debootstrap": Base(
        name="debootstrap",
        bootstrap="debootstrap",
        description=f"Debian {DEBIAN_SUITE} from a Debian mirror, CPU TensorFlow; builds anywhere",
        python="python3",
        runtime_packages=("python3", "python3-venv", "ca-certificates", "slurm-client"),
        meme_build_packages=("gcc", "g++", "libc6-dev", "make", "perl"),
        horovod_build_packages=("g++", "cmake", "python3-dev"),
        tf_package="tensorflow-cpu",
    ),
    "debootstrap-gpu": Base(
        name="debootstrap-gpu",
        bootstrap="debootstrap",
        description=f"Debian {DEBIAN_SUITE} from a Debian mirror, GPU TensorFlow with the CUDA "
        "12.2 / cuDNN 8.9 wheels of tensorflow[and-cuda] from the package index; builds "
        "anywhere, for clusters with GPUs",
        python="python3",
        runtime_packages=("python3", "python3-venv", "ca-certificates", "slurm-client"),
        meme_build_packages=("gcc", "g++", "libc6-dev", "make", "perl"),
        horovod_build_packages=("g++", "cmake", "python3-dev"),
        tf_package="tensorflow",
        tf_extra="[and-cuda]",
        gpu=True,
    ),
    "docker": Base(
        name="docker",
        bootstrap="docker",
        description=f"{GPU_BASE_IMAGE} (CUDA), GPU TensorFlow; for clusters with GPUs",
        python="python3.11",
        runtime_packages=("python3.11", "python3.11-venv", "ca-certificates", "slurm-client"),
        meme_build_packages=("gcc", "g++", "libc6-dev", "make", "perl"),
        horovod_build_packages=("g++", "cmake", "python3.11-dev"),
        tf_package="tensorflow",
        gpu=True,
    ),
}


def repo_root() -> Path:
    """The expact checkout these modules come from (image builds need its sources)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / TEMPLATE).is_file() or not (root / "requirements.txt").is_file():
        raise InputError(
            root,
            None,
            "not an expact checkout (containers/expact.def.in or "
            "requirements.txt missing): image builds need the sources",
        )
    return root


def read_pins(requirements: str) -> dict[str, str]:
    """``name -> version`` of every ``name==version`` line (extras stripped, in file order)."""
    pins = {}
    for line in requirements.splitlines():
        line = line.split("#")[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            pins[match.group(1)] = match.group(3)
    return pins


def image_requirements(requirements: str, base: Base) -> str:
    """The pinned set with this base's TensorFlow wheel (same version), and for a base whose
    CUDA comes as wheels, those wheels' pins (:data:`CUDA_WHEELS`)."""
    if base.tf_package == "tensorflow-cpu":
        return requirements
    wheel = base.tf_package + base.tf_extra
    text, n = re.subn(r"(?m)^tensorflow-cpu==", f"{wheel}==", requirements)
    if n != 1:
        raise InputError("requirements.txt", "tensorflow-cpu", "expected exactly one pin")
    text = f"# {base.name} base: {wheel} instead of tensorflow-cpu, same version\n" + text
    if base.cuda_wheels:
        text += (
            f"# the CUDA/cuDNN wheels {wheel} pins (CUDA 12.2, cuDNN 8.9), pinned here too\n"
            + "".join(f"{name}=={version}\n" for name, version in CUDA_WHEELS.items())
        )
    return text


def image_pyproject(pyproject: str, base: Base) -> str:
    """The toolkit's ``pyproject.toml`` as staged for ``base``: its ``tensorflow-cpu``
    dependency names this base's TensorFlow distribution instead (same bounds), so that
    ``pip check`` in the image, which has no ``tensorflow-cpu``, passes."""
    if base.tf_package == "tensorflow-cpu":
        return pyproject
    text, n = re.subn(r'"tensorflow-cpu([<>=!~])', f'"{base.tf_package}\\1', pyproject)
    if n != 1:
        raise InputError("pyproject.toml", "tensorflow-cpu", "expected exactly one dependency")
    return text


def _gpu_environment(base: Base) -> str:
    """``%environment`` lines of a base whose CUDA libraries come as wheels: their folders on
    the library path (TensorFlow opens them by name; ``--nv`` adds the driver's after them),
    and ``ptxas`` (XLA) on ``PATH``."""
    if not base.cuda_wheels:
        return "    # (no CUDA wheels in this base)"
    libs = ":".join(f"{IMAGE_SITE_PACKAGES}/nvidia/{name}/lib" for name in CUDA_WHEEL_LIBS)
    return (
        "    # the CUDA/cuDNN libraries of the nvidia-* wheels: TensorFlow opens them by name\n"
        f'    export LD_LIBRARY_PATH="{libs}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"\n'
        f'    export PATH="$PATH:{IMAGE_SITE_PACKAGES}/nvidia/cuda_nvcc/bin"  # ptxas, for XLA'
    )


def debian_mirror(apt_dir: str | Path = "/etc/apt") -> str | None:
    """The Debian mirror of this machine's apt sources (the first non-"-security"/"-updates"
    suite, deb822 ``.sources`` files first, then one-line ``.list`` files), or None."""
    apt_dir = Path(apt_dir)
    for path in sorted(apt_dir.glob("sources.list.d/*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text(errors="replace")):
            fields = dict(re.findall(r"(?m)^([A-Za-z-]+):\s*(.*)$", stanza))
            suites = fields.get("Suites", "").split()
            if fields.get("Enabled", "yes").lower() == "no" or "deb" not in fields.get("Types", ""):
                continue
            if fields.get("URIs") and any("-" not in s for s in suites):
                return fields["URIs"].split()[0]
    for path in [apt_dir / "sources.list", *sorted(apt_dir.glob("sources.list.d/*.list"))]:
        if not path.is_file():
            continue
        for line in path.read_text(errors="replace").splitlines():
            words = re.sub(r"\[[^\]]*\]", "", line.split("#")[0]).split()
            if len(words) >= 3 and words[0] == "deb" and "-" not in words[2]:
                return words[1]
    return None


def render(
    base: str,
    mirror: str | None = None,
    ca_certs: int = 0,
    image_id: str = "unbuilt",
    commit: str = "unknown",
    root: Path | None = None,
    wheelhouse: bool = False,
) -> str:
    """The definition text of ``base``.

    Parameters
    ----------
    base : {'debootstrap', 'debootstrap-gpu', 'docker'}
    mirror : str, optional
        Debian mirror (debootstrap base only; default: this machine's apt mirror).
    ca_certs : int
        Number of extra CA certificates staged as ``ca/extra-<i>.crt``.
    image_id, commit : str
        Build identifier (names the numba cache copy) and the toolkit's git commit (a label).
    wheelhouse : bool
        Install from a wheelhouse bound at ``/mnt`` (``pip --no-index``; see
        :mod:`toolkit.containers.wheelhouse`) instead of the package index.
    """
    if base not in BASES:
        raise InputError(None, "base", f"expected one of {sorted(BASES)}, got {base!r}")
    spec = BASES[base]
    if spec.bootstrap == "debootstrap":
        mirror = mirror or debian_mirror()
    elif mirror:
        raise InputError(None, "mirror", "--mirror applies to the debootstrap bases only")
    root = root or repo_root()
    requirements = (root / "requirements.txt").read_text()
    pins = read_pins(image_requirements(requirements, spec))
    import toolkit

    files = ["    src /opt/expact/src"] + [
        f"    ca/extra-{i}.crt /usr/local/share/ca-certificates/expact-extra-{i}.crt"
        for i in range(1, ca_certs + 1)
    ]
    labels = {
        "org.opencontainers.image.title": "expact",
        "org.opencontainers.image.description": "expact toolkit: TensorFlow, Horovod, MEME tomtom",
        "expact.version": toolkit.__version__,
        "expact.git-commit": commit,
        "expact.image-id": image_id,
        "expact.base": base,
        "expact.base-image": (
            GPU_BASE_IMAGE if spec.bootstrap == "docker" else f"debian:{DEBIAN_SUITE}"
        ),
        "expact.gpu": "yes" if spec.gpu else "no",
        "expact.python": "3.11",
        "expact.horovod": HOROVOD_VERSION,
        "expact.meme": MEME_VERSION,
        "expact.meme-licence": f"/opt/expact/venv/share/meme-{MEME_VERSION}/COPYING",
        "expact.wheelhouse": "yes" if wheelhouse else "no",
    } | {f"expact.pin.{name}": version for name, version in pins.items()}
    values = {
        "BASE": base,
        "BASE_DESCRIPTION": spec.description,
        "HEADER": spec.header(mirror),
        "FILES": "\n".join(files),
        "LABELS": "\n".join(f"    {k} {v}" for k, v in labels.items()),
        "BASE_SETUP": "\n".join(
            [
                f"    PYTHON={spec.python}",
                f'    RUNTIME_PACKAGES="{" ".join(spec.runtime_packages)}"',
                f'    MEME_BUILD_PACKAGES="{" ".join(spec.meme_build_packages)}"',
                f'    HOROVOD_BUILD_PACKAGES="{" ".join(spec.horovod_build_packages)}"',
                f'    WHEELHOUSE="{WHEELHOUSE_MOUNT if wheelhouse else ""}"',
            ]
        ),
        "IMAGE_ID": image_id,
        "HOROVOD_VERSION": HOROVOD_VERSION,
        "MEME_VERSION": MEME_VERSION,
        "TF_PACKAGE": spec.tf_package,
        "GPU_ENVIRONMENT": _gpu_environment(spec),
        "GPU": str(spec.gpu),
        "CUDA_LIBRARIES": repr(CUDA_LIBRARIES + ((NCCL_LIBRARY,) if spec.cuda_wheels else ())),
    }
    text = "".join(
        line
        for line in (root / TEMPLATE).read_text().splitlines(keepends=True)
        if not line.startswith("##")
    )
    text = re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: values[m.group(1)], text)
    return text


def git_commit(root: Path) -> str:
    """``HEAD`` of the checkout, with ``+dirty`` when tracked files are modified."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def stage(
    base: str,
    context: str | Path,
    mirror: str | None = None,
    ca_certs: list[str | Path] = (),
    root: Path | None = None,
    wheelhouse: bool = False,
) -> Path:
    """Write a build context for ``base`` into ``context``; returns its ``expact.def``."""
    root = root or repo_root()
    context = Path(context)
    certs = [Path(c) for c in ca_certs]
    for cert in certs:
        if not cert.is_file():
            raise InputError(cert, "ca-cert", "CA certificate file not found")
        if "BEGIN CERTIFICATE" not in cert.read_text(errors="replace"):
            raise InputError(cert, "ca-cert", "not a PEM certificate (no BEGIN CERTIFICATE)")
    image_id = time.strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)
    text = render(
        base,
        mirror=mirror,
        ca_certs=len(certs),
        image_id=image_id,
        commit=git_commit(root),
        root=root,
        wheelhouse=wheelhouse,
    )
    src = context / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        source, target = root / name, src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(
                source,
                target,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        else:
            shutil.copy2(source, target)
    requirements = (root / "requirements.txt").read_text()
    (src / "requirements-image.txt").write_text(image_requirements(requirements, BASES[base]))
    pyproject = (root / "pyproject.toml").read_text()
    (src / "pyproject.toml").write_text(image_pyproject(pyproject, BASES[base]))
    if certs:
        (context / "ca").mkdir(exist_ok=True)
        for i, cert in enumerate(certs, 1):
            shutil.copyfile(cert, context / "ca" / f"extra-{i}.crt")
    definition = context / "expact.def"
    definition.write_text(text)
    return definition
