"""Replace a whole folder at once: readers see the old report or the new one, never half of each."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def replace_dir(new: str | Path, target: str | Path) -> Path:
    """Move the folder ``new`` to ``target``, replacing an existing ``target`` atomically.

    On Linux the two folders are swapped with one ``renameat2(RENAME_EXCHANGE)`` call, so
    ``target`` always exists and is always complete; the old one is then deleted. Elsewhere
    (or on file systems without the call) the old folder is first renamed aside, which
    leaves a moment without ``target``. ``new`` must be on the same file system as ``target``
    (create it beside ``target``).
    """
    new, target = Path(new), Path(target)
    if not target.exists():
        os.rename(new, target)
        return target
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old report
        return target
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, aside / target.name)
    os.rename(new, target)
    shutil.rmtree(aside, ignore_errors=True)
    return target


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0
