"""Figures of Task 3: attribution logos beside the ground truth, per-method boxplots.

One public function per module (``attribution_logos.py``, ``attribution_boxplots.py``),
re-exported here; every figure is written as PDF and PNG, atomically.
"""

from toolkit.plots.attribution_boxplots import attribution_boxplots
from toolkit.plots.attribution_logos import attribution_logos

__all__ = ["attribution_boxplots", "attribution_logos"]
