"""The project's own TensorFlow kernels: compiled from ``toolkit/training/kernels/*.cc`` on
first use and loaded with ``tf.load_op_library``.

The build needs a C++17 compiler (``g++``, or ``$CXX``) and TensorFlow's headers, which its
wheel ships. The library is cached under ``$EXPACT_OPS_DIR`` (else
``$XDG_CACHE_HOME/expact/ops``, else ``~/.cache/expact/ops``) in a file named after a hash of
the source, TensorFlow's version and the compiler flags, so a changed kernel or TensorFlow
gets a fresh build and concurrent array elements share one. The file is written under a
temporary name and renamed, so an element never loads a half-written library. (TensorFlow
is imported only when a kernel is loaded: the sweep's checks import this module.)
"""

from __future__ import annotations

import functools
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["KernelBuildError", "custom_ops", "require_kernels"]

_SOURCES = Path(__file__).with_name("kernels")
#: Optimised, position-independent; the kernels pick AVX-512/AVX2 at run time themselves
#: (``target_clones``), so no ``-march`` that would tie the library to the build host.
_CXXFLAGS = ["-shared", "-fPIC", "-O3"]


class KernelBuildError(RuntimeError):
    """A kernel could not be compiled or loaded (no compiler, a compiler error...)."""


@functools.cache
def custom_ops(name: str = "act_dropout"):
    """The loaded op library ``kernels/<name>.cc``, built into the cache if needed.

    Parameters
    ----------
    name : str
        The source file's stem.

    Returns
    -------
    module
        What ``tf.load_op_library`` returns: one Python function per registered op.

    Raises
    ------
    KernelBuildError
        When no compiler is found or the build fails (with the compiler's message).
    """
    import tensorflow as tf

    source = _SOURCES / f"{name}.cc"
    compile_flags = tf.sysconfig.get_compile_flags()
    link_flags = tf.sysconfig.get_link_flags()
    key = hashlib.sha256(
        "\0".join([source.read_text(), tf.__version__, *_CXXFLAGS, *compile_flags]).encode()
    ).hexdigest()[:16]
    library = _cache_dir() / f"{name}-{key}.so"
    if not library.exists():
        _build(source, library, compile_flags, link_flags)
    try:
        return tf.load_op_library(str(library))
    except tf.errors.NotFoundError as exc:
        raise KernelBuildError(f"could not load {library}: {exc.message}") from exc


def require_kernels(specs: list) -> None:
    """Build (or load) the kernels that any of ``specs`` (RunSpecs) asks for, before any run
    starts: a machine without a compiler fails the sweep here, naming the config key.

    Raises
    ------
    InputError
        ``train.fused_dropout`` is on (with ``engine: fast``; the keras engine ignores it)
        and the kernel cannot be built.
    """
    from toolkit.errors import InputError

    if not any(s.train.get("fused_dropout") and s.train.get("engine") == "fast" for s in specs):
        return
    try:
        custom_ops("act_dropout")
    except KernelBuildError as exc:
        raise InputError(None, "train.fused_dropout", str(exc)) from exc


def _cache_dir() -> Path:
    if os.environ.get("EXPACT_OPS_DIR"):
        return Path(os.environ["EXPACT_OPS_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "expact" / "ops"


def _build(source: Path, library: Path, compile_flags: list[str], link_flags: list[str]) -> None:
    compiler = os.environ.get("CXX", "g++")
    if shutil.which(compiler) is None:
        raise KernelBuildError(
            f"building {source.name} needs a C++ compiler: {compiler!r} was not found "
            "(install g++, e.g. apt-get install g++, or set CXX)"
        )
    try:
        library.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(prefix=f".{library.name}.", dir=library.parent)
    except OSError as exc:
        raise KernelBuildError(
            f"cannot write the kernel cache {library.parent}: {exc.strerror}; set "
            "EXPACT_OPS_DIR to a writable folder"
        ) from exc
    os.close(fd)
    # the link flags after the source: the linker resolves a library's symbols in order
    command = [compiler, *_CXXFLAGS, *compile_flags, str(source), "-o", partial, *link_flags]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise KernelBuildError(
                f"building {source.name} failed ({shlex.join(command)}):\n{result.stderr[-4000:]}"
            )
        os.replace(partial, library)
    finally:
        Path(partial).unlink(missing_ok=True)


if __name__ == "__main__":  # build every kernel into the cache (the images' %post)
    for source in sorted(_SOURCES.glob("*.cc")):
        custom_ops(source.stem)
        print(f"built {source.stem} into {_cache_dir()}")
