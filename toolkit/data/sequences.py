"""Users' own data, FASTA + label table, turned into the toolkit's HDF5 layout.

The layout every task reads (:func:`toolkit.data.load`): ``X_{train,valid,test}`` (N, 4, L)
float32 one-hot A, C, G, T (N: 0.25 in all four channels, as for Basset), ``Y_*`` (N, K) 0/1,
optional ``model_*`` (N, 4, L) ground-truth PWMs or ``mask_*`` (N, L) motif positions, and
here ``ids_*`` (the FASTA ids) and the attribute ``label_names``. ``expact run`` makes it
once per sweep from the config's ``data.generate`` (``task: sequences``)::

    data:
      generate:
        fasta: peaks.fa                   # lowercase (soft-masked) bases accepted
        labels: peaks.tsv                 # id column + one 0/1 column per output
        split: {valid: 0.1, test: 0.2, seed: 0}
        # or: split: {valid_chromosomes: [chr8], test_chromosomes: [chr9]} (ids chr:start-end)
        length: null                      # null: every sequence must have the same length
        resize: error                     # error | center_crop | pad | crop_or_pad (to length)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from toolkit.config.names import RESIZE, SEQUENCE_SPLIT
from toolkit.errors import InputError

_LOCUS = re.compile(r"^(?P<chrom>[^:\s]+):(?P<start>\d+)-(?P<end>\d+)")
_ONE_HOT = {
    "A": (1, 0, 0, 0),
    "C": (0, 1, 0, 0),
    "G": (0, 0, 1, 0),
    "T": (0, 0, 0, 1),
    "N": (0.25, 0.25, 0.25, 0.25),
}


def sequences(
    output: str | os.PathLike,
    fasta: str | os.PathLike | None = None,
    labels: str | os.PathLike | None = None,
    id_column: str | None = None,
    label_columns: list[str] | None = None,
    split: dict | None = None,
    length: int | None = None,
    resize: str = "error",
    peaks: str | list | dict | None = None,
    genome: str | os.PathLike | None = None,
    output_column: int | None = None,
    chromosomes: list[str] | None = None,
    exclude_chromosomes: list[str] | None = None,
    blacklist: str | None = None,
    off_chromosome: str = "drop",
    max_n_fraction: float = 0.1,
    background: dict | None = None,
) -> Path:
    """Read, check and write a FASTA + label table (or peaks + genome) as the HDF5 layout.

    With ``peaks`` and ``genome`` (and ``length``) the data set is made from peak files and a
    reference genome by :func:`toolkit.data.peaks.peaks`, which takes ``split``,
    ``output_column``, ``chromosomes``, ``exclude_chromosomes``, ``blacklist``,
    ``off_chromosome``, ``max_n_fraction`` and ``background`` (see there); the rest of this
    doc is the FASTA + label table route.

    Parameters
    ----------
    output : str or os.PathLike
        The ``.h5`` file to write.
    fasta, labels : str or os.PathLike
        See :func:`toolkit.data.fasta.read_fasta`, :func:`toolkit.data.fasta.read_labels`.
    id_column, label_columns : optional
        Columns of the label table (default: the id column, then every other column).
    split : dict, optional
        ``{"valid": 0.1, "test": 0.2, "seed": 0}`` (fractions of a seeded permutation; the
        default, :data:`toolkit.config.names.SEQUENCE_SPLIT`; a key left out takes its value) or ``{"valid_chromosomes": [...], "test_chromosomes": [...]}`` (ids
        ``chr:start-end``; the rest is training data).
    length : int, optional
        The sequence length to bring every sequence to (with ``resize``).
    resize : {'error', 'center_crop', 'pad', 'crop_or_pad'}
        How sequences of another length than ``length`` (or than each other) are handled:
        an error, centred cropping of longer ones, centred N-padding of shorter ones, or both.

    Returns
    -------
    Path
    """
    import h5py

    if peaks is not None:
        from toolkit.data.peaks import peaks as from_peaks

        options = {
            "output_column": output_column,
            "chromosomes": chromosomes,
            "exclude_chromosomes": exclude_chromosomes,
            "split": split,
            "blacklist": blacklist,
            "off_chromosome": off_chromosome,
            "max_n_fraction": max_n_fraction,
        }
        return from_peaks(output, peaks, genome, length, background_options=background, **options)
    x, y, ids, names = encode(fasta, labels, id_column, label_columns, length, resize)
    rows = split_rows(ids, split, fasta)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            for name, index in rows.items():
                f.create_dataset(f"X_{name}", data=x[index].transpose(0, 2, 1), compression="gzip")
                f.create_dataset(f"Y_{name}", data=y[index], compression="gzip")
                f.create_dataset(f"ids_{name}", data=np.asarray([ids[i] for i in index], "S"))
            f.attrs["label_names"] = np.asarray(names, "S")
            f.attrs["source"] = f"fasta {Path(fasta).name}, labels {Path(labels).name}"
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    return output


def encode(
    fasta: str | os.PathLike,
    labels: str | os.PathLike,
    id_column: str | None = None,
    label_columns: list[str] | None = None,
    length: int | None = None,
    resize: str = "error",
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The checked set: x (N, L, 4) float32, y (N, K) uint8, ids, label names (table order)."""
    seqs, ids, names, y, length = checked(fasta, labels, id_column, label_columns, length, resize)
    x = np.empty((len(ids), length, 4), np.float32)
    for row, name in enumerate(ids):
        x[row] = [_ONE_HOT[c] for c in _resized(seqs[name], length, resize, fasta, name)]
    return x, y, ids, names


def checked(
    fasta: str | os.PathLike,
    labels: str | os.PathLike,
    id_column: str | None = None,
    label_columns: list[str] | None = None,
    length: int | None = None,
    resize: str = "error",
) -> tuple[dict[str, str], list[str], list[str], np.ndarray, int]:
    """Read and cross-check both files without encoding anything (the check before compute).

    Returns
    -------
    (sequences by id, ids in table order, label names, labels (N, K), the length L)
    """
    from toolkit.data.fasta import read_fasta, read_labels

    if resize not in RESIZE:
        raise InputError(None, "data.generate.resize", f"expected one of {RESIZE}, got {resize!r}")
    seqs = read_fasta(fasta)
    ids, names, y = read_labels(labels, id_column, label_columns)
    known = set(ids)
    unlabelled = [i for i in seqs if i not in known]
    if unlabelled:
        raise InputError(
            fasta,
            "id",
            f"{unlabelled[0]!r} has no labels in {Path(labels).name}"
            + (f" ({len(unlabelled)} ids in all)" if len(unlabelled) > 1 else ""),
        )
    missing = [i for i in ids if i not in seqs]
    if missing:
        raise InputError(
            labels,
            "id",
            f"{missing[0]!r} has labels but no sequence in {Path(fasta).name}"
            + (f" ({len(missing)} ids in all)" if len(missing) > 1 else ""),
        )
    lengths = {len(s) for s in seqs.values()}
    if length is None:
        if len(lengths) > 1:
            raise InputError(
                fasta,
                "length",
                f"sequences of {len(lengths)} lengths ({min(lengths)}-{max(lengths)} nt): set "
                "data.generate.length and resize (center_crop, pad or crop_or_pad)",
            )
        length = next(iter(lengths))
    for name in ids:  # every length problem now, not while encoding
        if len(seqs[name]) != length:
            _resized(seqs[name], length, resize, fasta, name)
    return seqs, ids, names, y, length


def split_rows(ids: list[str], split: dict | None, source) -> dict[str, np.ndarray]:
    """Row indices of ``train``, ``valid`` and ``test`` (see :func:`sequences`)."""
    split = dict(split or SEQUENCE_SPLIT)
    n = len(ids)
    if "valid_chromosomes" in split or "test_chromosomes" in split:
        valid = set(split.get("valid_chromosomes") or [])
        test = set(split.get("test_chromosomes") or [])
        chroms = []
        for name in ids:
            match = _LOCUS.match(name)
            if not match:
                raise InputError(
                    source,
                    "id",
                    f"{name!r} is not chr:start-end (needed for a split by chromosome)",
                )
            chroms.append(match["chrom"])
        chroms = np.asarray(chroms)
        rows = {
            "train": np.flatnonzero(~np.isin(chroms, list(valid | test))),
            "valid": np.flatnonzero(np.isin(chroms, list(valid))),
            "test": np.flatnonzero(np.isin(chroms, list(test))),
        }
    else:
        split = SEQUENCE_SPLIT | split
        valid, test = float(split["valid"]), float(split["test"])
        order = np.random.RandomState(int(split["seed"])).permutation(n)
        n_valid, n_test = int(round(n * valid)), int(round(n * test))
        rows = {
            "test": np.sort(order[:n_test]),
            "valid": np.sort(order[n_test : n_test + n_valid]),
            "train": np.sort(order[n_test + n_valid :]),
        }
    empty = [name for name, index in rows.items() if not len(index)]
    if empty:
        raise InputError(
            source, "data.generate.split", f"the {empty[0]} split would be empty ({split})"
        )
    return rows


def _resized(seq: str, length: int, resize: str, source, name: str) -> str:
    if len(seq) == length:
        return seq
    longer = len(seq) > length
    if (
        resize == "error"
        or (longer and resize == "pad")
        or (not longer and resize == "center_crop")
    ):
        raise InputError(
            source,
            "length",
            f"{name!r} has {len(seq)} nt, expected {length} "
            f"(resize: {resize}; center_crop shortens, pad N-pads, crop_or_pad does both)",
        )
    if longer:
        start = (len(seq) - length) // 2
        return seq[start : start + length]
    left = (length - len(seq)) // 2
    return "N" * left + seq + "N" * (length - len(seq) - left)


def export_fasta(h5: str | os.PathLike, prefix: str | os.PathLike) -> tuple[Path, Path]:
    """Write an HDF5 set of the toolkit's layout as ``<prefix>.fa`` + ``<prefix>.tsv``.

    The reverse of :func:`sequences`, for trying the FASTA route on a known set (e.g. the
    paper's IRF1 ChIP-seq data). Ids are ``<split>_<row>``; positions with N (all four
    channels 0.25) become ``N``; labels keep their columns (``label_names`` or ``label<k>``).

    Returns
    -------
    (Path, Path)
        The FASTA file and the label table.
    """
    import h5py

    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    letters = np.array(list("ACGTN"))
    fasta_lines, label_lines = [], []
    with h5py.File(h5, "r") as f:
        if "X_train" not in f:
            raise InputError(h5, "X_train", "expected the layout X_{train,valid,test}, Y_*")
        names = [
            n.decode() if isinstance(n, bytes) else str(n) for n in f.attrs.get("label_names", [])
        ]
        for split in ("train", "valid", "test"):
            if f"X_{split}" not in f:
                continue
            x = np.asarray(f[f"X_{split}"][()], np.float32).reshape(len(f[f"X_{split}"]), 4, -1)
            y = np.asarray(f[f"Y_{split}"][()]).reshape(len(x), -1)
            names = names or [f"label{k}" for k in range(y.shape[1])]
            if not label_lines:
                label_lines.append("\t".join(["id", *names]))
            unknown = (x == 0.25).all(axis=1)
            codes = np.where(unknown, 4, x.argmax(axis=1))
            for row, (code, labels) in enumerate(zip(codes, y, strict=True)):
                name = f"{split}_{row}"
                fasta_lines += [f">{name}", "".join(letters[code])]
                label_lines.append("\t".join([name, *(str(int(v)) for v in labels)]))
    fasta, table = prefix.with_suffix(".fa"), prefix.with_suffix(".tsv")
    fasta.write_text("\n".join(fasta_lines) + "\n")
    table.write_text("\n".join(label_lines) + "\n")
    return fasta, table
