"""Users' sequences and labels: a FASTA file and a label table, read strictly.

Every problem is an :class:`~toolkit.errors.InputError` naming the file, the line (or the
column) and what was expected, raised while reading, before any compute:

- FASTA: an empty file, a sequence line before the first ``>`` header, a header without an
  id, a duplicate id, a character outside ``ACGTN`` (lowercase, soft-masked bases are
  accepted), a record without sequence;
- label table (TSV, or CSV by its ``.csv`` suffix): an empty file, no id column, a duplicate
  id, a label that is not 0 or 1, no label column.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from toolkit.errors import InputError

ALPHABET = set("ACGTN")


def read_fasta(path: str | os.PathLike) -> dict[str, str]:
    """Sequences by id (the header's first word), uppercase, in file order.

    Raises
    ------
    InputError
        See the module doc.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(path, None, "FASTA file not found") from None
    except UnicodeDecodeError:
        raise InputError(path, None, "not a text file (expected FASTA)") from None
    sequences: dict[str, list[str]] = {}
    lines_of: dict[str, int] = {}
    current = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(">"):
            words = line[1:].split()
            if not words:
                raise InputError(path, f"line {number}", "a header '>' without an id")
            current = words[0]
            if current in sequences:
                raise InputError(
                    path,
                    f"line {number}",
                    f"duplicate id {current!r} (first at line {lines_of[current]})",
                )
            sequences[current], lines_of[current] = [], number
            continue
        if current is None:
            raise InputError(
                path, f"line {number}", "sequence before the first '>' header (not FASTA)"
            )
        upper = line.upper()
        bad = sorted(set(upper) - ALPHABET)
        if bad:
            raise InputError(
                path,
                f"line {number}",
                f"characters {''.join(bad)!r} in {current!r}: expected A, C, G, T, N (either case)",
            )
        sequences[current].append(upper)
    if not sequences:
        raise InputError(path, None, "no FASTA record (an empty file?)")
    empty = [name for name, parts in sequences.items() if not parts]
    if empty:
        raise InputError(path, f"line {lines_of[empty[0]]}", f"{empty[0]!r} has no sequence")
    return {name: "".join(parts) for name, parts in sequences.items()}


def read_labels(
    path: str | os.PathLike,
    id_column: str | None = None,
    label_columns: list[str] | None = None,
) -> tuple[list[str], list[str], np.ndarray]:
    """(ids, label column names, labels (N, K) uint8) of a TSV/CSV table.

    Parameters
    ----------
    path : str or os.PathLike
        Tab-separated, or comma-separated when the name ends in ``.csv``; a header row.
    id_column : str, optional
        The column of sequence ids; default the first column named ``id``, ``name`` or
        ``sequence_id``, else the first column.
    label_columns : list of str, optional
        The 0/1 columns; default every other column.

    Raises
    ------
    InputError
        See the module doc.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(path, None, "label table not found") from None
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    rows = [
        r for r in csv.reader(text.splitlines(), delimiter=delimiter) if any(c.strip() for c in r)
    ]
    if not rows:
        raise InputError(path, None, "empty label table (expected a header and rows)")
    header = [c.strip() for c in rows[0]]
    if len(header) < 2:
        raise InputError(
            path,
            "line 1",
            f"expected an id column and label columns separated by "
            f"{'commas' if delimiter == ',' else 'tabs'}; found {header}",
        )
    if id_column is None:
        id_column = next((c for c in ("id", "name", "sequence_id") if c in header), header[0])
    if id_column not in header:
        raise InputError(path, "id column", f"no column {id_column!r}; columns: {header}")
    id_index = header.index(id_column)
    names = label_columns or [c for c in header if c != id_column]
    missing = [c for c in names if c not in header]
    if missing:
        raise InputError(path, "label columns", f"no column {missing[0]!r}; columns: {header}")
    if not names:
        raise InputError(path, "label columns", "no label column besides the ids")
    indices = [header.index(c) for c in names]
    ids, labels, line_of = [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError(
                path, f"line {number}", f"{len(row)} fields, the header has {len(header)}"
            )
        name = row[id_index].strip()
        if not name:
            raise InputError(path, f"line {number}", "empty id")
        if name in line_of:
            raise InputError(
                path, f"line {number}", f"duplicate id {name!r} (first at line {line_of[name]})"
            )
        line_of[name] = number
        values = []
        for column, k in zip(names, indices, strict=True):
            cell = row[k].strip()
            if cell not in ("0", "1", "0.0", "1.0"):
                raise InputError(
                    path,
                    f"line {number}",
                    f"label {column!r} of {name!r} is {cell!r}: expected 0 or 1",
                )
            values.append(int(float(cell)))
        ids.append(name)
        labels.append(values)
    if not ids:
        raise InputError(path, None, "no data rows below the header")
    return ids, names, np.asarray(labels, np.uint8)
