"""Fault injection for the tests of failure handling on real clusters, and nothing else.

Two hooks, each acting only when ``EXPACT_TESTING=1`` is set as well (a hook variable left
in a user's environment by accident does nothing but log a warning):

- ``EXPACT_FAULT_INJECT=<glob>``: runs whose name matches raise at their start;
- ``EXPACT_FAULT_KILL_RANK=<rank>@<epoch>``: that Horovod rank SIGKILLs itself when that
  (0-based) epoch starts, as a node failure would.

A run made while a hook was active says so in its record (``faults``).
"""

from __future__ import annotations

import fnmatch
import logging
import os
import signal

log = logging.getLogger(__name__)

TESTING = "EXPACT_TESTING"
INJECT = "EXPACT_FAULT_INJECT"
KILL_RANK = "EXPACT_FAULT_KILL_RANK"
HOOKS = (INJECT, KILL_RANK)


def active() -> dict[str, str]:
    """The hooks that act in this process (``{variable: value}``; empty in normal use)."""
    hooks = {name: os.environ[name] for name in HOOKS if os.environ.get(name)}
    if hooks and os.environ.get(TESTING) != "1":
        log.warning("ignoring %s: fault hooks act only with %s=1", ", ".join(hooks), TESTING)
        return {}
    return hooks


def fail_run(name: str) -> None:
    """Raise when ``EXPACT_FAULT_INJECT`` matches the run ``name``."""
    pattern = active().get(INJECT)
    if pattern and fnmatch.fnmatch(name, pattern):
        raise RuntimeError(f"fault injected by {INJECT}={pattern}")


def kill_rank(rank: int, epoch: int) -> None:
    """SIGKILL this process when ``EXPACT_FAULT_KILL_RANK`` is ``<rank>@<epoch>``."""
    if active().get(KILL_RANK) == f"{rank}@{epoch}":
        log.error("fault injection: rank %d kills itself at the start of epoch %d", rank, epoch)
        logging.shutdown()
        os.kill(os.getpid(), signal.SIGKILL)
