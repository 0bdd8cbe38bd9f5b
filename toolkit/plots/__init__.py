"""Figures of a run: attribution logos beside the ground truth, per-method boxplots,
saliency x input logos.

One public function per module (``attribution_logos.py``, ``attribution_boxplots.py``,
``saliency_logos.py``),
re-exported here; every figure is written as PDF and PNG, atomically.
"""

from toolkit.plots.attribution_boxplots import attribution_boxplots
from toolkit.plots.attribution_logos import attribution_logos
from toolkit.plots.saliency_logos import saliency_logos

__all__ = ["attribution_boxplots", "attribution_logos", "saliency_logos"]
