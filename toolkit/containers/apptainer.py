"""Apptainer: find the runtime, build and test the toolkit image, run elements inside it.

The runtime is ``$EXPACT_APPTAINER`` (a path), else ``apptainer`` on ``PATH``, else the
wrapper ``containers/bin/apptainer`` of this checkout when ``containers/apptainer-up.sh`` has
installed its root (Debian 12 has no Apptainer package).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import InputError
from toolkit.provenance import container_info  # where it lives: what a record states

__all__ = [
    "ENV_VAR",
    "BuildResult",
    "build",
    "check",
    "container_info",
    "exec_python",
    "find_apptainer",
    "image_labels",
    "job_binds",
]

ENV_VAR = "EXPACT_APPTAINER"
SETUP_HINT = (
    "install Apptainer, or on Debian 12 run `bash containers/apptainer-up.sh` as root "
    "(then containers/bin/apptainer works), or set EXPACT_APPTAINER to its path"
)
# what submitit's requeue (`scontrol requeue` inside the element) needs to see in the image
SLURM_CONF_DIR = "/etc/slurm"
MUNGE_SOCKET_DIR = "/run/munge"


def _wrapper() -> Path:
    return Path(__file__).resolve().parents[2] / "containers" / "bin" / "apptainer"


def _wrapper_root() -> Path:
    env = os.environ.get("EXPACT_APPTAINER_ROOT")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "expact" / "apptainer" / "rootfs"


def find_apptainer() -> str:
    """Path of the ``apptainer`` to run.

    Raises
    ------
    InputError
        When ``EXPACT_APPTAINER`` names no executable, or no runtime is found.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        if not (Path(env).is_file() and os.access(env, os.X_OK)):
            raise InputError(None, ENV_VAR, f"{env} is not an executable file; {SETUP_HINT}")
        return env
    found = shutil.which("apptainer")
    if found:
        return found
    wrapper = _wrapper()
    if wrapper.is_file() and (_wrapper_root() / "usr" / "bin" / "apptainer").is_file():
        return str(wrapper)
    raise InputError(None, "apptainer", f"no Apptainer runtime found; {SETUP_HINT}")


def available() -> bool:
    """True when an Apptainer runtime is found and answers ``--version``."""
    try:
        proc = subprocess.run([find_apptainer(), "--version"], capture_output=True, timeout=60)
    except (InputError, OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


@dataclass
class BuildResult:
    image: Path
    size_bytes: int
    seconds: float
    definition: str


def build(
    base: str = "debootstrap",
    output: str | Path | None = None,
    mirror: str | None = None,
    ca_certs: list[str | Path] | None = None,
    log: str | Path | None = None,
    fakeroot: bool = True,
    keep_context: bool = False,
    wheelhouse: str | Path | None = None,
    compression_level: int = 1,
) -> BuildResult:
    """Build the toolkit image with ``apptainer build [--fakeroot]``.

    Parameters
    ----------
    base : {'debootstrap', 'debootstrap-gpu', 'docker'}
    output : path, optional
        The SIF to write (default ``containers/images/expact-<base>.sif`` in the checkout).
    mirror : str, optional
        Debian mirror of the debootstrap bases (default: this machine's apt mirror).
    ca_certs : list of paths, optional
        Extra CA certificates copied into the image before ``pip`` runs (default: this
        machine's locally added ones, ``/usr/local/share/ca-certificates/*.crt``).
    log : path, optional
        Where the build's output goes (default: streamed to this process's stdout).
    wheelhouse : path, optional
        Install Python packages (and the MEME sources) from this folder, offline
        (:func:`toolkit.containers.wheelhouse.prepare_wheelhouse` makes one). It holds the
        CPU set, so only the ``debootstrap`` base takes one; the GPU bases fetch from the index.
    compression_level : int
        gzip level of the SIF's squashfs, 1-9. 1 (default) squashes about 10x faster than
        mksquashfs' default 9 for a 15 % larger image (measured here: TensorFlow's 0.9 GB,
        12 s vs 156 s); gzip keeps the image mountable by every kernel.

    Raises
    ------
    InputError
        Bad options, no runtime, or a failed build (the message names the log).
    """
    from toolkit.containers.definition import BASES, WHEELHOUSE_MOUNT, repo_root, stage

    if base not in BASES:
        raise InputError(None, "base", f"expected one of {sorted(BASES)}, got {base!r}")
    if wheelhouse is not None and BASES[base].tf_package != "tensorflow-cpu":
        raise InputError(
            wheelhouse,
            "wheelhouse",
            f"a wheelhouse holds the CPU TensorFlow set; the {base} base installs "
            f"{BASES[base].tf_package}{BASES[base].tf_extra} from the package index "
            "(build it without --wheelhouse)",
        )
    root = repo_root()
    apptainer = find_apptainer()
    output = Path(output or root / "containers" / "images" / f"expact-{base}.sif").absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    if ca_certs is None:
        ca_certs = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
    binds = []
    if wheelhouse is not None:
        wheelhouse = Path(wheelhouse).absolute()
        if not wheelhouse.is_dir() or any(c in str(wheelhouse) for c in ":,"):
            raise InputError(wheelhouse, "wheelhouse", "not a folder (or ':' or ',' in its path)")
        binds = ["--bind", f"{wheelhouse}:{WHEELHOUSE_MOUNT}:ro"]
    if not 1 <= compression_level <= 9:
        raise InputError(None, "compression-level", f"expected 1-9, got {compression_level}")
    squash = ["--mksquashfs-args", f"-Xcompression-level {compression_level}"]
    context = Path(tempfile.mkdtemp(prefix="expact-image-"))
    try:
        definition = stage(
            base,
            context,
            mirror=mirror,
            ca_certs=list(ca_certs),
            root=root,
            wheelhouse=wheelhouse is not None,
        )
        argv = (
            [apptainer, "build"]
            + (["--fakeroot"] if fakeroot else [])
            + binds
            + squash
            + ["--force", str(output) + ".partial", definition.name]
        )
        start = time.time()
        if log is None:
            proc = subprocess.run(argv, cwd=context)
        else:
            with open(log, "w") as handle:
                proc = subprocess.run(argv, cwd=context, stdout=handle, stderr=subprocess.STDOUT)
        seconds = time.time() - start
        if proc.returncode != 0:
            where = f"; its output is in {log}" if log else ""
            raise InputError(
                definition, None, f"apptainer build failed (exit {proc.returncode})" + where
            )
        os.replace(str(output) + ".partial", output)
        return BuildResult(output, output.stat().st_size, seconds, definition.read_text())
    finally:
        Path(str(output) + ".partial").unlink(missing_ok=True)
        if not keep_context:
            shutil.rmtree(context, ignore_errors=True)


def check(image: str | Path, log: str | Path | None = None) -> int:
    """Run the image's ``%test`` (``apptainer test``); returns its exit code."""
    image = _existing_image(image)
    argv = [find_apptainer(), "test", str(image)]
    if log is None:
        return subprocess.run(argv).returncode
    with open(log, "w") as handle:
        return subprocess.run(argv, stdout=handle, stderr=subprocess.STDOUT).returncode


def image_labels(image: str | Path) -> dict[str, str]:
    """The image's labels (``apptainer inspect --labels --json``)."""
    image = _existing_image(image)
    proc = subprocess.run(
        [find_apptainer(), "inspect", "--labels", "--json", str(image)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise InputError(image, None, f"apptainer inspect failed: {proc.stderr.strip()[-500:]}")
    data = json.loads(proc.stdout)
    return dict(data.get("data", {}).get("attributes", {}).get("labels") or {})


def job_binds(paths: list[str | Path], extra: list[str] = ()) -> list[str]:
    """``--bind`` specifications of an element: the given folders (deduplicated, nested ones
    dropped), the Slurm configuration and munge socket when this host has them (submitit
    requeues from inside the element with ``scontrol``), then ``extra`` as given.

    Raises
    ------
    InputError
        For a path Apptainer's bind syntax cannot express (``:`` or ``,`` in it).
    """
    folders: list[Path] = []
    for path in paths:
        path = Path(path).absolute()
        if not path.is_dir():
            path = path.parent
        if any(c in str(path) for c in ":,"):
            raise InputError(
                path,
                "container",
                "a folder bound into the image may not contain "
                "':' or ',' (Apptainer's bind syntax)",
            )
        folders.append(path)
    kept: list[Path] = []
    for path in sorted(set(folders), key=lambda p: (len(p.parts), str(p))):
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    slurm_conf = Path(os.environ.get("SLURM_CONF", f"{SLURM_CONF_DIR}/slurm.conf")).parent
    system = [str(d) for d in (slurm_conf, Path(MUNGE_SOCKET_DIR)) if d.is_dir()]
    binds = [str(p) for p in kept] + [s for s in system if s not in map(str, kept)]
    return binds + list(extra)


def exec_python(
    image: str | Path, binds: list[str], gpus: bool = False, apptainer: str | None = None
) -> str:
    """The shell command that starts the image's Python (submitit's ``python=``), quoted."""
    argv = [apptainer or find_apptainer(), "exec"]
    if gpus:
        argv.append("--nv")
    for bind in binds:
        argv += ["--bind", bind]
    argv += [str(image), "python3"]
    return " ".join(shlex.quote(a) for a in argv)


def _existing_image(image: str | Path) -> Path:
    path = Path(image).expanduser().absolute()
    if not path.is_file():
        raise InputError(path, "image", "image file not found")
    return path
