"""MEME motif file (v4 text format) reading and writing.

The writer produces exactly the file of the paper's ``utils.meme_generate`` (spec §5.2); the
reader accepts that and the JASPAR/MEME-suite flavour of the format (``MOTIF <id> <alt>``,
``strands:`` lines, ``URL`` lines, ``E=`` fields, tab-separated rows) and follows MEME's own
parser (``src/motif-in-meme-text.c`` and ``src/motif-in.c`` of MEME 5.4.1) where it matters
for Tomtom: a probability row may deviate from 1 by at most 0.1 and is then renormalised,
and the background is normalised and made strand-symmetric.

Motifs are position probability matrices (PPMs) of shape (L, 4) with columns A, C, G, T,
the Keras layout. memelite uses the transposed (4, L) layout.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit.errors import InputError

__all__ = ["MemeFile", "MemeMotif", "read_meme", "read_meme_file", "write_meme"]

ALPHABET = "ACGT"
# MEME's parser rejects a probability row whose sum is further than this from 1.
ROW_SUM_TOLERANCE = 0.1
# MEME renormalises a row only when its sum is further than this from 1 (normalize_motif).
_RENORMALISE_SLOP = 1e-5

_VERSION_RE = re.compile(r"^MEME version (\d+)(?:\.(\d+))?(?:\.(\d+))?\b")
_KV_RE = re.compile(r"([A-Za-z]+)\s*=\s*(\S+)")


@dataclass(frozen=True)
class MemeMotif:
    """One motif of a MEME file.

    Attributes
    ----------
    id : str
        The first token after ``MOTIF`` (e.g. ``MA0004.1``); Tomtom reports this.
    alt : str or None
        The optional second token (JASPAR puts the TF name there, e.g. ``Arnt``).
    ppm : np.ndarray, shape (L, 4), float64
        Letter probabilities, columns A, C, G, T; every row sums to 1.
    nsites : float or None
        The ``nsites=`` value, if declared (MEME's pseudocount is weighted by it).
    line : int
        1-based line number of the ``MOTIF`` line.
    """

    id: str
    alt: str | None
    ppm: np.ndarray
    nsites: float | None
    line: int


@dataclass(frozen=True)
class MemeFile:
    """A parsed MEME motif file.

    Attributes
    ----------
    path : str
        The file that was read.
    version : str
        The declared format version (``"4"``, ``"5.4.1"``, ...).
    background : np.ndarray, shape (4,), float64
        Background letter frequencies A, C, G, T (uniform if not declared), normalised and
        made strand-symmetric as MEME does for a complementable alphabet.
    strands : str or None
        The ``strands:`` value if present (``"+ -"`` or ``"+"``).
    motifs : list of MemeMotif
        In file order; IDs are unique.
    """

    path: str
    version: str
    background: np.ndarray
    strands: str | None
    motifs: list[MemeMotif] = field(default_factory=list)

    def ppms(self) -> dict[str, np.ndarray]:
        """Return ``{id: ppm}`` in file order, each ppm of shape (L, 4)."""
        return {m.id: m.ppm for m in self.motifs}

    def alt_names(self) -> dict[str, str | None]:
        """Return ``{id: alt}`` in file order (``alt`` is None when absent)."""
        return {m.id: m.alt for m in self.motifs}


def read_meme(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read the motifs of a MEME v4/v5 text file.

    Parameters
    ----------
    path : str or os.PathLike
        A MEME motif file (ours, JASPAR's, or one written by the MEME suite).

    Returns
    -------
    dict of str to np.ndarray
        Motif ID (first token after ``MOTIF``) to its PPM of shape (L, 4), float64, columns
        A, C, G, T, in file order. Use :func:`read_meme_file` for alternate names, ``nsites``
        and the background.

    Raises
    ------
    toolkit.errors.InputError
        If the file is not a DNA MEME motif file; the message names the file and line.
    """
    return read_meme_file(path).ppms()


def read_meme_file(path: str | os.PathLike) -> MemeFile:
    """Read a MEME v4/v5 text motif file with all the metadata Tomtom uses.

    Parameters
    ----------
    path : str or os.PathLike
        The motif file.

    Returns
    -------
    MemeFile
        Motifs (each PPM of shape (L, 4)), background of shape (4,), version and strands.

    Raises
    ------
    toolkit.errors.InputError
        Missing ``MEME version`` line or ``MOTIF``; a non-ACGT alphabet; a matrix row with
        the wrong number of columns, a non-probability, or a sum further than 0.1 from 1;
        a ``w=`` that disagrees with the number of rows; a duplicate motif ID. The field
        names the line, e.g. ``"line 12"``.
    """
    src = str(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise InputError(src, None, f"cannot read MEME motif file: {exc.strerror}") from exc
    return _Parser(src, lines).parse()


class _Parser:
    """Line-oriented parser; every error names the 1-based line it is about."""

    def __init__(self, src: str, lines: list[str]):
        self.src = src
        self.lines = lines
        self.i = 0  # index of the next line to read

    def error(self, lineno: int, problem: str) -> InputError:
        return InputError(self.src, f"line {lineno}", problem)

    def parse(self) -> MemeFile:
        version = None
        background = np.full(4, 0.25)
        strands = None
        motifs: list[MemeMotif] = []
        ids: dict[str, int] = {}
        n = len(self.lines)
        while self.i < n:
            lineno = self.i + 1
            line = self.lines[self.i].strip()
            self.i += 1
            if not line:
                continue
            if version is None:
                # Like MEME, skip anything (e.g. a banner) before the version line.
                m = _VERSION_RE.match(line)
                if m is None:
                    continue
                version = ".".join(g for g in m.groups() if g is not None)
                if int(m.group(1)) < 4:
                    raise self.error(
                        lineno,
                        f"MEME format version {version} is not supported "
                        "(expected version 4 or later)",
                    )
                continue
            if line.startswith("ALPHABET"):
                # Optional: without it MEME guesses DNA from 4 columns, and alength= 4 and
                # the 4-column rows are checked per motif anyway.
                self.parse_alphabet(line, lineno)
            elif line.startswith("strands:"):
                strands = line.split(":", 1)[1].strip()
                if strands not in ("+ -", "+", "- +"):
                    raise self.error(
                        lineno, f"expected 'strands: + -' or 'strands: +', found {line!r}"
                    )
            elif line.startswith("Background letter frequencies"):
                background = self.parse_background(lineno)
            elif line.startswith("MOTIF"):
                motif = self.parse_motif(line, lineno)
                if motif.id in ids:
                    raise self.error(
                        lineno,
                        f"duplicate motif ID {motif.id!r} (first defined on line {ids[motif.id]})",
                    )
                ids[motif.id] = lineno
                motifs.append(motif)
            # Anything else (URL lines, log-odds matrices, MEME's commentary) is ignored,
            # as MEME itself ignores it.
        if version is None:
            raise InputError(
                self.src,
                "MEME version",
                "no 'MEME version 4' line found; this is not a MEME motif file",
            )
        if not motifs:
            raise InputError(
                self.src,
                "MOTIF",
                "no MOTIF found; expected at least one "
                "'MOTIF <id>' block with a letter-probability matrix",
            )
        return MemeFile(self.src, version, background, strands, motifs)

    def parse_alphabet(self, line: str, lineno: int) -> None:
        if line.startswith("ALPHABET="):
            letters = line.split("=", 1)[1].strip()
            if letters != ALPHABET:
                raise self.error(
                    lineno,
                    f"alphabet {letters!r} is not supported; expected 'ALPHABET= {ALPHABET}' (DNA)",
                )
            return
        # MEME 5 custom alphabet block: ALPHABET "name" ... END ALPHABET. Accept it when the
        # core symbols are exactly A, C, G, T (lines 'X ...' without '=' define core symbols).
        core: list[str] = []
        while self.i < len(self.lines):
            text = self.lines[self.i].strip()
            self.i += 1
            if text.startswith("END ALPHABET"):
                break
            # core symbols are 'X ["name"] [colour] [~ Y ...]'; '=' lines define aliases
            tok = re.sub(r'"[^"]*"', " ", text).split()
            if not tok or tok[0].startswith("#") or "=" in tok:
                continue
            core.append(tok[0])
            if "~" in tok and tok.index("~") + 1 < len(tok):
                core.append(tok[tok.index("~") + 1])
        else:
            raise self.error(lineno, "ALPHABET block is not closed by 'END ALPHABET'")
        if sorted(c.upper() for c in core) != sorted(ALPHABET):
            raise self.error(
                lineno,
                f"alphabet with core symbols {''.join(core)!r} is not "
                "supported; expected DNA (A, C, G, T)",
            )

    def parse_background(self, lineno: int) -> np.ndarray:
        values: dict[str, float] = {}
        while self.i < len(self.lines) and len(values) < 4:
            text = self.lines[self.i].strip()
            if not text:
                self.i += 1
                if values:
                    break
                continue
            tok = text.split()
            if len(tok) % 2:
                break
            for letter, value in zip(tok[0::2], tok[1::2], strict=True):
                try:
                    values[letter.upper()] = float(value)
                except ValueError:
                    raise self.error(
                        self.i + 1,
                        f"background frequency of {letter!r} is {value!r}, expected a number",
                    ) from None
            self.i += 1
        if sorted(values) != sorted(ALPHABET):
            raise self.error(
                lineno,
                f"background letter frequencies must give A, C, G and T, found {sorted(values)}",
            )
        bg = np.array([values[c] for c in ALPHABET], dtype=np.float64)
        if np.any(bg <= 0) or not np.all(np.isfinite(bg)):
            raise self.error(lineno, f"background frequencies must be positive, found {bg}")
        bg = bg / bg.sum()
        # MEME makes the background of a complementable alphabet symmetric (A=T, C=G).
        return (bg + bg[::-1]) / 2.0

    def parse_motif(self, line: str, lineno: int) -> MemeMotif:
        tok = line.split()
        if tok[0] != "MOTIF" or len(tok) < 2:
            raise self.error(lineno, f"expected 'MOTIF <id> [<alt name>]', found {line!r}")
        motif_id = tok[1]
        alt = tok[2] if len(tok) > 2 else None
        # Find the matrix header; stop at the next MOTIF (a motif without a matrix).
        while self.i < len(self.lines):
            text = self.lines[self.i].strip()
            if text.startswith("letter-probability matrix"):
                break
            if text.startswith("MOTIF"):
                raise self.error(
                    lineno,
                    f"motif {motif_id!r} has no 'letter-probability "
                    "matrix:' line before the next MOTIF",
                )
            self.i += 1
        else:
            raise self.error(lineno, f"motif {motif_id!r} has no 'letter-probability matrix:' line")
        header_no = self.i + 1
        header = self.lines[self.i].split(":", 1)[1] if ":" in self.lines[self.i] else ""
        self.i += 1
        params = {k.lower(): v for k, v in _KV_RE.findall(header)}
        alength = self._int_param(params, "alength", header_no)
        if alength is not None and alength != 4:
            raise self.error(header_no, f"motif {motif_id!r}: alength= {alength}, expected 4 (DNA)")
        width = self._int_param(params, "w", header_no)
        nsites = None
        if "nsites" in params:
            try:
                nsites = float(params["nsites"])
            except ValueError:
                raise self.error(
                    header_no, f"motif {motif_id!r}: nsites= {params['nsites']!r} is not a number"
                ) from None
        rows: list[list[float]] = []
        while self.i < len(self.lines):
            text = self.lines[self.i].strip()
            if not text:
                if rows:
                    break
                self.i += 1
                continue
            if width is not None and len(rows) == width:
                break
            tok = text.split()
            try:
                row = [float(t) for t in tok]
            except ValueError:
                if rows and width is None:
                    break  # without w= the matrix ends at the first non-number line
                expect = f"row {len(rows) + 1} of w= {width}" if width else f"row {len(rows) + 1}"
                raise self.error(
                    self.i + 1,
                    f"motif {motif_id!r}: expected a row of 4 probabilities ({expect}), "
                    f"found {text[:40]!r}",
                ) from None
            self._check_row(row, motif_id, len(rows), self.i + 1)
            rows.append(row)
            self.i += 1
        if not rows:
            raise self.error(header_no, f"motif {motif_id!r} has an empty matrix")
        if width is not None and len(rows) == width and self.i < len(self.lines):
            # w= rows were read; a further number row directly below means w= is too small.
            nxt = self.lines[self.i].split()
            if nxt and all(_is_number(t) for t in nxt):
                raise self.error(
                    self.i + 1, f"motif {motif_id!r}: w= {width} but the matrix has more rows"
                )
        if width is not None and len(rows) != width:
            raise self.error(
                header_no, f"motif {motif_id!r}: w= {width} but the matrix has {len(rows)} rows"
            )
        ppm = np.array(rows, dtype=np.float64)
        sums = ppm.sum(axis=1, keepdims=True)
        off = np.abs(sums - 1.0) > _RENORMALISE_SLOP
        ppm = np.where(off, ppm / sums, ppm)
        ppm.setflags(write=False)
        return MemeMotif(motif_id, alt, ppm, nsites, lineno)

    def _int_param(self, params: dict[str, str], key: str, lineno: int) -> int | None:
        if key not in params:
            return None
        try:
            value = float(params[key])
        except ValueError:
            raise self.error(lineno, f"{key}= {params[key]!r} is not a number") from None
        if value != int(value) or value < 1:
            raise self.error(lineno, f"{key}= {params[key]!r}, expected a positive integer")
        return int(value)

    def _check_row(self, row: list[float], motif_id: str, r: int, lineno: int) -> None:
        # plain Python: this runs once per matrix row and numpy's per-call overhead dominates
        if len(row) != 4:
            raise self.error(
                lineno,
                f"motif {motif_id!r} row {r + 1} has {len(row)} columns, expected 4 (A C G T)",
            )
        if not all(0.0 <= v <= 1.0 for v in row):  # also rejects NaN
            raise self.error(
                lineno, f"motif {motif_id!r} row {r + 1} has a value outside [0, 1]: {row}"
            )
        total = math.fsum(row)
        if abs(total - 1.0) > ROW_SUM_TOLERANCE:
            raise self.error(
                lineno,
                f"motif {motif_id!r} row {r + 1} sums to {total:.4f}, "
                f"expected 1 (within {ROW_SUM_TOLERANCE})",
            )


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def write_meme(
    path: str | os.PathLike,
    ppms: Sequence[np.ndarray] | Mapping[str, np.ndarray] | np.ndarray,
    names: Sequence[str] | None = None,
) -> Path:
    """Write PPMs as a MEME v4 file in the exact layout of the paper (spec §5.2).

    The layout is ``MEME version 4``, ``ALPHABET= ACGT``, a uniform background line, then
    per motif ``MOTIF {name} `` and ``letter-probability matrix: alength= 4 w= {L}
    nsites= {L} `` followed by L rows ``%.4f %.4f %.4f %.4f `` (trailing space) and a blank
    line. The file is written to a temporary file in the same folder and renamed, so a
    reader never sees half a file and nothing is left behind on error.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file (its folder must exist).
    ppms : sequence of np.ndarray of shape (L_j, 4), array of shape (n, L, 4), or mapping
        The motifs, columns A, C, G, T. A mapping gives ``{name: ppm}``.
    names : sequence of str, optional
        Motif names for a sequence of PPMs; default ``filter0``, ``filter1``, ... (the
        paper's). Not allowed together with a mapping. A name is an ID (one token) or
        ``"ID alt"`` (ID, one space, alternate name), written as JASPAR does
        (``MOTIF MA0004.1 Arnt``); :func:`read_meme` keys by the ID.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    toolkit.errors.InputError
        If a PPM is not (L, 4) with L >= 1, has values outside [0, 1] or non-finite, has a
        row not summing to 1 within 0.01, or a name is not ``ID`` / ``ID alt`` or an ID
        repeats.
    """
    out = Path(path)
    items = _motif_items(out, ppms, names)
    text = [
        "MEME version 4\n",
        "\n",
        "ALPHABET= ACGT\n",
        "\n",
        "Background letter frequencies:\n",
        "A 0.2500 C 0.2500 G 0.2500 T 0.2500 \n",
        "\n",
    ]
    for name, ppm in items:
        width = ppm.shape[0]
        text.append(f"MOTIF {name} \n")
        text.append(f"letter-probability matrix: alength= 4 w= {width} nsites= {width} \n")
        text.extend(f"{a:.4f} {c:.4f} {g:.4f} {t:.4f} \n" for a, c, g, t in ppm)
        text.append("\n")
    _atomic_write_text(out, "".join(text))
    return out


# A PPM we write must be a probability matrix; %.4f rounding is MEME's problem, not ours,
# but a row that is clearly not a distribution is a caller bug.
_WRITE_ROW_TOLERANCE = 1e-2


def _motif_items(
    out: Path,
    ppms: Sequence[np.ndarray] | Mapping[str, np.ndarray] | np.ndarray,
    names: Sequence[str] | None,
) -> list[tuple[str, np.ndarray]]:
    if isinstance(ppms, Mapping):
        if names is not None:
            raise InputError(
                out, "names", "give names either as the mapping's keys or as `names`, not both"
            )
        pairs = [(str(k), v) for k, v in ppms.items()]
    else:
        seq = list(ppms)
        if names is None:
            names = [f"filter{j}" for j in range(len(seq))]
        names = [str(nm) for nm in names]
        if len(names) != len(seq):
            raise InputError(out, "names", f"{len(names)} names for {len(seq)} motifs")
        pairs = list(zip(names, seq, strict=True))
    if not pairs:
        raise InputError(out, "ppms", "no motifs to write; a MEME file needs at least one")
    seen: set[str] = set()
    items = []
    for name, arr in pairs:
        tokens = name.split()
        if not 1 <= len(tokens) <= 2 or " ".join(tokens) != name:
            raise InputError(
                out,
                f"motif {name!r}",
                "a motif name must be 'ID' or 'ID alt': one or two tokens separated by one "
                "space, no tabs or newlines (MEME reads the first token as the ID)",
            )
        if tokens[0] in seen:
            raise InputError(out, f"motif {name!r}", f"duplicate motif ID {tokens[0]!r}")
        seen.add(tokens[0])
        ppm = np.asarray(arr, dtype=np.float64)
        if ppm.ndim != 2 or ppm.shape[1] != 4 or ppm.shape[0] < 1:
            raise InputError(
                out,
                f"motif {name!r}",
                f"PPM has shape {ppm.shape}, expected (L, 4) with L >= 1 (columns A, C, G, T)",
            )
        if not np.all(np.isfinite(ppm)) or np.any(ppm < 0) or np.any(ppm > 1):
            raise InputError(out, f"motif {name!r}", "PPM values must be finite and in [0, 1]")
        bad = np.flatnonzero(np.abs(ppm.sum(axis=1) - 1.0) > _WRITE_ROW_TOLERANCE)
        if bad.size:
            r = int(bad[0])
            raise InputError(
                out,
                f"motif {name!r}",
                f"row {r} sums to {ppm[r].sum():.4f}, expected 1 (a probability per position)",
            )
        items.append((name, ppm))
    return items


# mkstemp creates 0600 files; give the result the permissions a plain open() would.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def _atomic_write_text(out: Path, text: str) -> None:
    """Write ``text`` to ``out`` via a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
