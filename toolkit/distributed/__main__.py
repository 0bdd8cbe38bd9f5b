"""``horovodrun -np N --gloo python -m toolkit.distributed CONFIG [--results DIR]``.

Kept as an alias: ``expact run CONFIG`` detects a horovodrun launch by itself.
"""

from __future__ import annotations

from toolkit.cli import main

if __name__ == "__main__":
    import sys

    raise SystemExit(main(["run", *sys.argv[1:], "--no-progress"]))
