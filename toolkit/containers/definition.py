"""Apptainer definitions of the toolkit image, rendered from one template.

``containers/expact.def.in`` is the single source of both definitions; a base only changes
the header (``Bootstrap: debootstrap`` Debian bookworm, or ``Bootstrap: docker`` from the
public TensorFlow GPU image), the Python interpreter, the Debian/Ubuntu package names and
the TensorFlow wheel (``tensorflow-cpu`` or ``tensorflow``, same pinned version).

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
    """What differs between the two image bases."""

    name: str
    description: str
    python: str
    runtime_packages: tuple[str, ...]
    # purged again at the end of %post: MEME's C build always, Horovod's C++ build unless
    # the wheelhouse brings a Horovod wheel
    meme_build_packages: tuple[str, ...]
    horovod_build_packages: tuple[str, ...]
    tf_package: str

    def header(self, mirror: str | None) -> str:
        if self.name == "debootstrap":
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
        description=f"Debian {DEBIAN_SUITE} from a Debian mirror, CPU TensorFlow; builds anywhere",
        python="python3",
        runtime_packages=("python3", "python3-venv", "ca-certificates", "slurm-client"),
        meme_build_packages=("gcc", "libc6-dev", "make", "perl"),
        horovod_build_packages=("g++", "cmake", "python3-dev"),
        tf_package="tensorflow-cpu",
    ),
    "docker": Base(
        name="docker",
        description=f"{GPU_BASE_IMAGE} (CUDA), GPU TensorFlow; for clusters with GPUs",
        python="python3.11",
        runtime_packages=("python3.11", "python3.11-venv", "ca-certificates", "slurm-client"),
        meme_build_packages=("gcc", "libc6-dev", "make", "perl"),
        horovod_build_packages=("g++", "cmake", "python3.11-dev"),
        tf_package="tensorflow",
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
    """The pinned set with this base's TensorFlow wheel (same version)."""
    if base.tf_package == "tensorflow-cpu":
        return requirements
    text, n = re.subn(r"(?m)^tensorflow-cpu==", f"{base.tf_package}==", requirements)
    if n != 1:
        raise InputError("requirements.txt", "tensorflow-cpu", "expected exactly one pin")
    return f"# {base.name} base: {base.tf_package} instead of tensorflow-cpu, same version\n" + text


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
    base : {'debootstrap', 'docker'}
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
    if base == "debootstrap":
        mirror = mirror or debian_mirror()
    elif mirror:
        raise InputError(None, "mirror", "--mirror applies to the debootstrap base only")
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
        "expact.base-image": GPU_BASE_IMAGE if base == "docker" else f"debian:{DEBIAN_SUITE}",
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
    if certs:
        (context / "ca").mkdir(exist_ok=True)
        for i, cert in enumerate(certs, 1):
            shutil.copyfile(cert, context / "ca" / f"extra-{i}.crt")
    definition = context / "expact.def"
    definition.write_text(text)
    return definition
