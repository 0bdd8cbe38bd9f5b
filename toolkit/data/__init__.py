"""Data sets of the paper: JASPAR motif source, the Task 1 generator, the validating loader.

One public function per module (``toolkit.data.task1.task1``, ``toolkit.data.load.load``),
re-exported here. Note that ``toolkit.data.task1`` and ``toolkit.data.load`` therefore name
the functions; reach module internals with ``from toolkit.data.task1 import ...``.
"""

from toolkit.data.jaspar import JasparMotif, jaspar_from_pyjaspar, motif_lookup, read_jaspar_pfm
from toolkit.data.load import Dataset, load
from toolkit.data.task1 import CORE_NAMES, task1

__all__ = [
    "CORE_NAMES",
    "Dataset",
    "JasparMotif",
    "jaspar_from_pyjaspar",
    "load",
    "motif_lookup",
    "read_jaspar_pfm",
    "task1",
]
