"""Write a matplotlib figure as PDF and PNG, each atomically (private)."""

from __future__ import annotations

import io
from pathlib import Path


def save_figure(fig, path: str | Path, dpi: int = 150) -> list[Path]:
    """Save ``fig`` to ``<path>.pdf`` and ``<path>.png`` (temporary file + rename), close it."""
    import matplotlib.pyplot as plt

    from toolkit.files import atomic_write_bytes

    path = Path(path)
    written = []
    try:
        for suffix in (".pdf", ".png"):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=suffix[1:], dpi=dpi if suffix == ".png" else None)
            target = path.parent / (path.name + suffix)  # names may hold dots (exp_scale-0.5)
            written.append(atomic_write_bytes(target, buffer.getvalue()))
    finally:
        plt.close(fig)
    return written
