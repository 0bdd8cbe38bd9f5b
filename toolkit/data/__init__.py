"""Data sets of the paper: JASPAR motif source, the Task 1 and Task 3 generators, the loader.

One public function per module (``toolkit.data.task1.task1``, ``toolkit.data.task3.task3``,
``toolkit.data.load.load``), re-exported here. Note that ``toolkit.data.task1`` etc. therefore
name the functions; reach module internals with ``from toolkit.data.task1 import ...``.
"""

from toolkit.data.jaspar import JasparMotif, jaspar_from_pyjaspar, motif_lookup, read_jaspar_pfm
from toolkit.data.load import Dataset, load
from toolkit.data.task1 import CORE_NAMES, task1
from toolkit.data.task3 import task3

__all__ = [
    "CORE_NAMES",
    "Dataset",
    "JasparMotif",
    "jaspar_from_pyjaspar",
    "load",
    "motif_lookup",
    "read_jaspar_pfm",
    "task1",
    "task3",
]
