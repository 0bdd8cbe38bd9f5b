"""First-layer filter interpretation (spec §5.1): activation-aligned PPMs, clipping, logos."""

from toolkit.filters.clip import clip
from toolkit.filters.information import information
from toolkit.filters.ppm import ppm
from toolkit.filters.streaming_ppm import streaming_ppm

__all__ = ["clip", "information", "ppm", "streaming_ppm"]
