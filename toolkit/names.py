"""Moved to :mod:`toolkit.config.names`; this alias stays while ``toolkit/tomtom`` (changed on
another branch) imports it. New code imports ``toolkit.config.names``."""

from toolkit.config.names import *  # noqa: F403
from toolkit.config.names import __all__  # noqa: F401
