"""First-layer filter interpretation (spec §5.1): activation-aligned PPMs, clipping, logos."""

from toolkit.filters.clip import clip
from toolkit.filters.ppm import ppm

__all__ = ["clip", "ppm"]
