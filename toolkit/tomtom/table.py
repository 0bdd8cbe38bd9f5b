"""The ``tomtom.tsv`` table: MEME's column layout, reading by header, atomic writing.

MEME 5.x writes a header line, one row per reported match, then (after a blank line) three
``#`` comment lines: the version, a link to the format description and the command line.
MEME 4.x wrote ``#Query ID\tTarget ID\t...`` as the header instead. Both are read by header
name, so neither the trailing comments (the original code's ``[:-3]`` hack) nor the column
order matter.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import InputError
from toolkit.meme_io import _atomic_write_text

__all__ = ["COLUMNS", "read_tomtom_tsv"]

COLUMNS = (
    "Query_ID",
    "Target_ID",
    "Optimal_offset",
    "p-value",
    "E-value",
    "q-value",
    "Overlap",
    "Query_consensus",
    "Target_consensus",
    "Orientation",
)
_DTYPES = {
    "Query_ID": str,
    "Target_ID": str,
    "Optimal_offset": np.int64,
    "p-value": np.float64,
    "E-value": np.float64,
    "q-value": np.float64,
    "Overlap": np.int64,
    "Query_consensus": str,
    "Target_consensus": str,
    "Orientation": str,
}
FORMAT_URL = "https://meme-suite.org/meme/doc/tomtom-output-format.html"


def read_tomtom_tsv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a Tomtom ``tomtom.tsv`` (MEME 4.x, 5.1.0, 5.4.1 or ours) by its header.

    Parameters
    ----------
    path : str or os.PathLike
        The TSV file.

    Returns
    -------
    pandas.DataFrame
        Columns exactly :data:`COLUMNS`, one row per match (n_matches rows, possibly 0);
        offsets and overlaps int64, p/E/q float64, the rest str.

    Raises
    ------
    toolkit.errors.InputError
        If the header lacks a required column or a row does not parse.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, None, f"cannot read Tomtom table: {exc.strerror}") from exc
    return parse_tomtom_tsv(text, source=str(path))


def parse_tomtom_tsv(text: str, source: str | None = None) -> pd.DataFrame:
    """Parse the text of a ``tomtom.tsv``; see :func:`read_tomtom_tsv`."""
    header_no = None
    header: list[str] = []
    body: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if header_no is None:
            if line.startswith("#Query ID") or line.startswith("#Query_ID"):
                # MEME 4.x put the header behind a '#'
                line = line[1:]
            elif not line.strip() or line.startswith("#"):
                continue
            header_no = lineno
            header = [h.strip().replace(" ", "_") for h in line.split("\t")]
            continue
        if not line.strip() or line.startswith("#"):
            continue  # the blank line and the 3 comment lines MEME >= 5.1 appends
        body.append(line)
    if header_no is None:
        raise InputError(
            source,
            "header",
            f"no header line; expected a Tomtom table whose first line is {chr(9).join(COLUMNS)!r}",
        )
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(
            source, f"line {header_no}", f"header lacks column(s) {missing}; found {header}"
        )
    if not body:
        return _empty()
    try:
        df = pd.read_csv(
            io.StringIO("\n".join(["\t".join(header), *body])),
            sep="\t",
            dtype=str,
            keep_default_na=False,  # a motif called "NA" is a name, not a missing value
            na_filter=False,
            quoting=3,  # csv.QUOTE_NONE: MEME does not quote
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(source, "rows", f"cannot parse the Tomtom table: {exc}") from exc
    df = df.loc[:, list(COLUMNS)]
    try:
        out = df.astype(_DTYPES)
    except (ValueError, TypeError) as exc:
        raise InputError(
            source, "rows", f"non-numeric offset, overlap or p/E/q value: {exc}"
        ) from exc
    bad = ~out["Orientation"].isin(["+", "-"])
    if bad.any():
        raise InputError(
            source,
            "Orientation",
            f"expected '+' or '-', found {sorted(set(out.loc[bad, 'Orientation']))}",
        )
    return out.reset_index(drop=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _DTYPES.items()})


def format_tomtom_row(
    query_id: str,
    target_id: str,
    offset: int,
    pvalue: float,
    evalue: float,
    qvalue: float,
    overlap: int,
    query_consensus: str,
    target_consensus: str,
    orientation: str,
) -> str:
    """One TSV row as tomtom.c prints it: floats go through float32 and C's ``%g``."""
    p, e, q = (float(np.float32(v)) for v in (pvalue, evalue, qvalue))
    return (
        f"{query_id}\t{target_id}\t{int(offset)}\t{p:g}\t{e:g}\t{q:g}\t{int(overlap)}\t"
        f"{query_consensus}\t{target_consensus}\t{orientation}\n"
    )


def format_tomtom_tsv(rows: list[str], comments: list[str]) -> str:
    """Header, rows, a blank line and ``#`` comment lines, as MEME >= 5.1 writes them."""
    trailer = "".join(f"# {c}\n" for c in comments)
    return "\t".join(COLUMNS) + "\n" + "".join(rows) + "\n" + trailer


def write_tomtom_tsv(out_dir: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``out_dir/tomtom.tsv`` atomically, creating ``out_dir``."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "tomtom.tsv"
    _atomic_write_text(out, text)
    return out
