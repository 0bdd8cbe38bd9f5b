"""A miniature of the peaks + genome route: a small generated genome with JASPAR motifs planted
at the summits of generated narrowPeak files (README "Your own peaks and genome", worked
example; ``configs/sequences_peaks_miniature.yaml``).

What a ChIP-seq user downloads, at a size that trains in seconds, with a known answer:

- ``genome.fa``: chromosomes ``chr1``..``chr9`` (so the default DeepSEA split, validation chr7,
  test chr8 and chr9, has data; 300 to 220 kb), plus ``chrM`` and an unplaced
  ``chrUn_mini`` contig that the default chromosome filter leaves out. The sequence is drawn
  in 5 kb blocks of varying GC content (0.36-0.56), starts with an N run (as a telomere
  gap) and has soft-masked (lowercase) stretches, as UCSC's FASTA has.
- ``<TF>.narrowPeak.gz`` per planted TF (gzipped ENCODE narrowPeak, 10 columns, summit
  offset in column 10): ``n_peaks`` peaks 200-500 nt wide, the summit near the middle.
  Around each summit (±250 nt) the sequence is redrawn with GC 0.50 (peaks sit in GC-rich
  DNA, which GC-matched background has to match); in ``motif_fraction`` of the peaks
  1-``max_sites`` instances of the TF's JASPAR matrix, sampled column by column on a random
  strand, are planted within ``site_spread`` nt of the summit (no two overlapping). The
  others hold no motif, as some real peaks do. A few peaks per file fall on chrM, the
  unplaced contig and the blacklist (without motifs): the default filters drop them.
- ``blacklist.bed.gz``: one 3 kb region per chromosome (the ENCODE blacklist's role).
- ``planted.json``: the seed, the release, each TF's JASPAR ID, JASPAR name, width and mean
  information (bits per column), and the counts; ``sites.tsv.gz``: every planted site (chrom, start, end,
  strand, TF, JASPAR ID, peak name).

Nothing but the seed (and the options) decides the files: the same call writes the same
bytes (gzip without a time stamp).
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np

from toolkit.errors import InputError
from toolkit.files import atomic_write_bytes, atomic_write_text
from toolkit.filters.information import information

GENERATOR_VERSION = "expact.data.miniature/1"

#: Planted TFs: JASPAR 2024 CORE vertebrate matrices without a look-alike (Tomtom, each matrix
#: against all 879: its only hit is itself) and above 1 bit per column on average, so a
#: filter that learned one has one right answer; ENCODE has TF ChIP-seq of all three.
DEFAULT_MOTIFS: dict[str, str] = {"REST": "MA0138.3", "SRF": "MA0083.3", "NRF1": "MA0506.3"}
#: Most TFs in one miniature (their dropped peaks must fit on chrM).
MAX_MOTIFS = 7
#: Chromosome lengths: chr1 300 kb down to chr9 220 kb.
DEFAULT_SIZES: dict[str, int] = {f"chr{k}": 310_000 - 10_000 * k for k in range(1, 10)}
_EXTRA_SIZES = {"chrM": 16_569, "chrUn_mini": 20_000}
_BLOCK = 5_000
_N_RUN = 2_000  # N at each chromosome's start
_PEAK_GC = 0.5
_PEAK_FLANK = 250
_SLOT = 1_000  # between two summits, less the jitter of ±100 nt (no two peaks overlap)
_BLACKLIST = 3_000
_LETTERS = np.frombuffer(b"ACGT", np.uint8)
_COMPLEMENT = np.array([3, 2, 1, 0])


def miniature(
    out_dir: str | os.PathLike,
    seed: int = 0,
    motifs: dict[str, str] | None = None,
    n_peaks: int = 450,
    sizes: dict[str, int] | None = None,
    release: str = "JASPAR2024",
    motif_fraction: float = 0.9,
    max_sites: int = 3,
    site_spread: int = 40,
) -> dict[str, Path]:
    """Write the miniature's genome, peak files, blacklist and the record of what was planted.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder for ``genome.fa``, ``<TF>.narrowPeak.gz``, ``blacklist.bed.gz``,
        ``planted.json`` and ``sites.tsv.gz`` (created; existing files are replaced).
    seed : int
        Seed of every draw (``numpy.random.default_rng(seed)``).
    motifs : dict, optional
        TF name -> JASPAR matrix ID of ``release`` (default :data:`DEFAULT_MOTIFS`).
    n_peaks : int
        Peaks per TF on chr1-chr9, about (all TFs' peaks spread over the chromosomes in
        proportion to their lengths, the TFs taking turns), besides the 6 per file on chrM,
        chrUn_mini and the blacklist.
    sizes : dict, optional
        Chromosome -> length of the main chromosomes (default :data:`DEFAULT_SIZES`).
    release : str
        The pyjaspar release the matrices come from.
    motif_fraction : float
        Fraction of peaks with planted sites.
    max_sites : int
        Sites per peak with a motif: 1 to ``max_sites``, uniformly.
    site_spread : int
        Sites start within ``site_spread`` nt of the summit (either side).

    Returns
    -------
    dict of str to Path
        ``genome``, ``blacklist``, ``planted``, ``sites`` and one entry per TF (its peak file).

    Raises
    ------
    InputError
        An unknown matrix ID, or more peaks than the chromosomes hold.
    """
    out = Path(out_dir)
    motifs = dict(DEFAULT_MOTIFS if motifs is None else motifs)
    sizes = dict(DEFAULT_SIZES if sizes is None else sizes)
    if not 0 <= motif_fraction <= 1 or max_sites < 1 or site_spread < 0 or n_peaks < 1:
        raise InputError(
            None, "miniature", "expected n_peaks >= 1, 0 <= motif_fraction <= 1, max_sites >= 1"
        )
    if not 1 <= len(motifs) <= MAX_MOTIFS or len(sizes) < 2:
        raise InputError(
            None, "motifs", f"expected 1 to {MAX_MOTIFS} motifs and 2 or more chromosomes"
        )
    pwms, names = _matrices(motifs, release)  # TF -> (w, 4), TF -> JASPAR's name
    out.mkdir(parents=True, exist_ok=True)  # only once every option is checked
    rng = np.random.default_rng(seed)
    seqs = {name: _chromosome(length, rng) for name, length in (sizes | _EXTRA_SIZES).items()}
    blacklist = {c: _blacklist_start(sizes[c], rng) for c in sizes}
    summits = _summits(motifs, n_peaks, sizes, blacklist, rng)
    peaks: dict[str, list[tuple]] = {tf: [] for tf in motifs}
    sites: list[tuple] = []
    for tf, chrom, summit in summits:
        seq = seqs[chrom]
        lo, hi = summit - _PEAK_FLANK, summit + _PEAK_FLANK
        seq[lo:hi] = _draw(hi - lo, _PEAK_GC, rng)
        name = f"{tf}_peak{len(peaks[tf]) + 1}"
        if rng.random() < motif_fraction:
            planted = _plant(seq, summit, pwms[tf], rng, max_sites, site_spread)
            sites += [(chrom, a, b, strand, tf, motifs[tf], name) for a, b, strand in planted]
        peaks[tf].append(_peak(chrom, summit, name, rng, strong=True))
    first_two = list(sizes)[:2]
    for i, tf in enumerate(motifs):  # peaks the default filters drop: chrM, chrUn_mini, blacklist
        for k, chrom in enumerate(("chrM", "chrM", "chrUn_mini", "chrUn_mini", *first_two)):
            if chrom in blacklist:
                summit = blacklist[chrom] + 300 + (_BLACKLIST - 600) * i // len(motifs)
            else:
                summit = 2_000 + 1_000 * (2 * i + k % 2)
            name = f"{tf}_peak{len(peaks[tf]) + 1}"
            peaks[tf].append(_peak(chrom, summit, name, rng, strong=False))
    _soft_mask(seqs, rng)
    files = {"genome": _write_genome(out / "genome.fa", seqs)}
    for tf, rows in peaks.items():
        rows.sort(key=lambda r: (-r[6], r[0], r[1]))  # ENCODE's order: by signal
        text = "".join("\t".join(map(str, r)) + "\n" for r in rows)
        files[tf] = _write_gz(out / f"{tf}.narrowPeak.gz", text)
    black = "".join(f"{c}\t{s}\t{s + _BLACKLIST}\n" for c, s in sorted(blacklist.items()))
    files["blacklist"] = _write_gz(out / "blacklist.bed.gz", black)
    header = "chrom\tstart\tend\tstrand\ttf\tjaspar_id\tpeak\n"
    site_text = header + "".join("\t".join(map(str, s)) + "\n" for s in sites)
    files["sites"] = _write_gz(out / "sites.tsv.gz", site_text)
    files["planted"] = _write_record(
        out / "planted.json", seed, release, motifs, names, pwms, peaks, sites
    )
    return files


def _matrices(motifs: dict[str, str], release: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """TF -> probability matrix (w, 4) of its JASPAR ID in ``release``, and TF -> the
    matrix's name in JASPAR (what Tomtom's best hits are reported as, e.g. ``Nrf1``)."""
    import warnings

    from toolkit.data.jaspar import pyjaspar_db

    db = pyjaspar_db(release)
    matrices, names = {}, {}
    for tf, matrix_id in motifs.items():
        with warnings.catch_warnings():  # a missing ID: Biopython warns, and None comes back
            warnings.simplefilter("ignore")
            motif = db.fetch_motif_by_id(matrix_id)
        if motif is None or motif.matrix_id != matrix_id:
            raise InputError(f"pyjaspar:{release}", "motifs", f"no matrix {matrix_id} ({tf})")
        counts = np.array([motif.counts[b] for b in "ACGT"], np.float64).T  # (w, 4)
        matrices[tf] = counts / counts.sum(axis=1, keepdims=True)
        names[tf] = str(motif.name)
    return matrices, names


def _draw(n: int, gc: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` uppercase bases (uint8) with GC fraction ``gc``, shape (n,)."""
    p = np.array([1 - gc, gc, gc, 1 - gc]) / 2
    return _LETTERS[rng.choice(4, size=n, p=p)]


def _chromosome(length: int, rng: np.random.Generator) -> np.ndarray:
    """A chromosome as uint8 letters, shape (length,): 5 kb blocks of GC 0.36-0.56, N first."""
    blocks = [_draw(min(_BLOCK, length - s), rng.uniform(0.36, 0.56), rng) for s in
              range(0, length, _BLOCK)]  # fmt: skip
    seq = np.concatenate(blocks)
    seq[: min(_N_RUN, length // 10)] = ord("N")
    return seq


def _blacklist_start(length: int, rng: np.random.Generator) -> int:
    return int(rng.integers(_N_RUN + 5_000, length - _BLACKLIST - 5_000))


def _summits(motifs, n_peaks, sizes, blacklist, rng) -> list[tuple[str, str, int]]:
    """(TF, chrom, summit) of every motif peak: slots ``_SLOT`` nt apart (jittered ±100 nt),
    off the N run and the blacklist, drawn without replacement."""
    chroms = list(sizes)
    weights = np.array([sizes[c] for c in chroms], float)
    counts = rng.multinomial(n_peaks * len(motifs), weights / weights.sum())
    out: list[tuple[str, str, int]] = []
    for chrom, n in zip(chroms, counts, strict=True):
        slots = np.arange(_N_RUN + 1_000, sizes[chrom] - 1_000, _SLOT)
        black = blacklist[chrom]
        slots = slots[(slots < black - 1_000) | (slots > black + _BLACKLIST + 1_000)]
        if n > len(slots):
            raise InputError(None, "n_peaks", f"{n_peaks} peaks per TF do not fit on {chrom}")
        chosen = np.sort(rng.choice(slots, size=int(n), replace=False))
        chosen = chosen + rng.integers(-100, 101, size=len(chosen))
        tfs = rng.permutation(np.resize(np.arange(len(motifs)), int(n)))
        out += [(list(motifs)[t], chrom, int(s)) for t, s in zip(tfs, chosen, strict=True)]
    return out


def _plant(seq, summit, pwm, rng, max_sites, spread) -> list[tuple[int, int, str]]:
    """Write 1..``max_sites`` sampled instances of ``pwm`` (w, 4) near ``summit`` into ``seq``;
    their (start, end, strand)."""
    width = len(pwm)
    n = int(rng.integers(1, max_sites + 1))
    starts: list[int] = []
    for _ in range(50 * n):
        if len(starts) == n:
            break
        start = summit - width // 2 + int(rng.integers(-spread, spread + 1))
        if all(abs(start - s) >= width for s in starts):
            starts.append(start)
    cumulative = np.cumsum(pwm, axis=1)  # (w, 4)
    planted = []
    for start in sorted(starts):
        # one uniform draw per column through the column's cumulative probabilities
        idx = np.minimum((rng.random((width, 1)) >= cumulative).sum(axis=1), 3)
        strand = "+" if rng.random() < 0.5 else "-"
        if strand == "-":
            idx = _COMPLEMENT[idx[::-1]]
        seq[start : start + width] = _LETTERS[idx]
        planted.append((start, start + width, strand))
    return planted


def _peak(chrom: str, summit: int, name: str, rng: np.random.Generator, strong: bool) -> tuple:
    """A narrowPeak row around ``summit``: 200-500 nt, the summit near the middle."""
    width = int(rng.integers(200, 501))
    offset = width // 2 + int(rng.integers(-30, 31))
    start = summit - offset
    signal = float(rng.uniform(20, 200) if strong else rng.uniform(5, 15))
    p_value = round(signal / 2, 5)
    return (
        chrom, start, start + width, name, min(1000, int(signal * 5)), ".",
        round(signal, 5), p_value, round(p_value * 0.8, 5), offset,
    )  # fmt: skip


def _soft_mask(seqs: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    """Lowercase one 300-nt stretch per 10 kb (as repeat-masked FASTA); N stays N."""
    for seq in seqs.values():
        for _ in range(len(seq) // 10_000):
            start = int(rng.integers(0, len(seq) - 300))
            part = seq[start : start + 300]
            seq[start : start + 300] = np.where(part == ord("N"), part, part | 0x20)


def _write_genome(path: Path, seqs: dict[str, np.ndarray], width: int = 60) -> Path:
    parts = []
    for name, seq in seqs.items():
        text = seq.tobytes().decode()
        lines = "\n".join(text[i : i + width] for i in range(0, len(text), width))
        parts.append(f">{name}\n{lines}\n")
    return atomic_write_text(path, "".join(parts))


def _write_gz(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, gzip.compress(text.encode(), mtime=0))


def _write_record(path, seed, release, motifs, names, pwms, peaks, sites) -> Path:
    """``planted.json``: what was planted where, per TF."""
    per_tf = {}
    for tf, matrix_id in motifs.items():
        with_sites = {s[6] for s in sites if s[4] == tf}
        per_tf[tf] = {
            "jaspar_id": matrix_id,
            "jaspar_name": names[tf],
            "width": len(pwms[tf]),
            "mean_information_bits": round(float(information(pwms[tf]).mean()), 3),
            "peaks": len(peaks[tf]),
            "peaks_with_sites": len(with_sites),
            "sites": sum(1 for s in sites if s[4] == tf),
        }
    record = {"generator": GENERATOR_VERSION, "seed": seed, "release": release, "tfs": per_tf}
    return atomic_write_text(path, json.dumps(record, indent=2) + "\n")
