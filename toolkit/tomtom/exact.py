"""Exact Tomtom p-values as MEME 5.4.1's ``tomtom.c`` computes them (complete scores, ``ed``).

memelite follows the same algorithm but approximates three of its steps: the per-column
median is the mean of a histogram bin (1,000 bins), target columns are merged by hashing
(100 bins per letter) so an alignment is scored with a representative column, and equal
best scores between offsets are broken by comparing the offset with the overlap. Each
changes scaled column scores by a unit here and there, which moves p-values by up to
tens of percent; on trained filters that picks a different best hit, or a different side
of the E-value threshold, for a few queries in a hundred. This module recomputes the
p-values of chosen (query, target) pairs the way ``tomtom.c`` does, from the pseudocounted
PPMs, and :mod:`toolkit.tomtom.lite` uses it for the pairs near a decision.

For one query of width ``w`` against all ``N`` target columns (both strands), following
``tomtom.c`` (functions named in brackets):

1. column scores ``S[c, j] = -sqrt(sum_a (q[c, a] - t[j, a])**2)``, summed letter by letter
   (``ed_scores``);
2. every row shifted by minus its quantile 0.5: the mean of the sorted row's elements at
   ``floor(N/2) - 1`` and ``ceil(N/2) - 1`` (``shift_all_pairwise_scores``);
3. scaled to integers in [0, 100]: ``offset = floor(min)``, ``scale = floor(100 / (max -
   offset))``, ``Z = (int)((S - offset) * scale + 0.5)`` (``scale_score_matrix``);
4. per target (each strand on its own), the configuration with the largest complete score
   ``sum of Z over the overlap + (w - overlap) * A`` (``A = -offset * scale``: an unaligned
   query column scores as the median); equal scores keep the larger overlap, then the first
   configuration (``compare_motifs``);
5. the p-value of that score ``s`` for a target of width ``L`` is
   ``P(max over the 2 (w + L - 1) alignments of both orientations >= s)``, each alignment
   an independent sum of its query columns' scores over uniformly drawn target columns,
   plus ``(w - overlap) * A`` (``get_pv_lookup_new`` and
   ``calc_shifted_scores_pvalues_per_query``), stored as a float32.

Step 5 is evaluated at the needed scores only: ``1 - prod_i (1 - T_i(s))`` with ``T_i`` the
upper tail of alignment ``i``, computed as ``-expm1(sum_i log1p(-T_i))`` so that small
p-values keep their relative precision (MEME sums the tail of the maximum's distribution,
which is as precise). The tails come from the exact distribution of each span's sum
(direct convolution of the columns' score histograms), with mass below the lowest score any
requested pair needs dropped as it is built: it can only move further down, so what is kept
is exact. The two results agree to ~1e-14 relative, far below float32's 6e-8.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["BINS", "rescore"]

# tomtom.c: #define BINS 100 (the range of a scaled column score).
BINS = 100
_NO_CUT = np.iinfo(np.int64).max // 4


@njit(cache=True)
def _select(buf: np.ndarray, n: int, k: int) -> float:
    """The k-th smallest (0-based) of ``buf[:n]``, which is reordered in place."""
    lo, hi = 0, n - 1
    while hi > lo:
        # median of three as the pivot keeps sorted and constant runs linear
        mid = (lo + hi) // 2
        a, b, c = buf[lo], buf[mid], buf[hi]
        if a < b:
            pivot = b if b < c else (c if a < c else a)
        else:
            pivot = a if a < c else (c if b < c else b)
        i, j = lo, hi
        while i <= j:
            while buf[i] < pivot:
                i += 1
            while buf[j] > pivot:
                j -= 1
            if i <= j:
                buf[i], buf[j] = buf[j], buf[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            return buf[k]
    return buf[k]


@njit(cache=True, inline="always")
def _kth(
    row: np.ndarray, lo: float, hi: float, k: int, counts: np.ndarray, buf: np.ndarray
) -> float:
    """The exact k-th smallest (0-based) of ``row`` (N,) with extremes ``lo`` and ``hi``.

    A histogram over [lo, hi] finds the bin that holds rank k (the bin index is monotone
    in the value, so lower bins hold only smaller values); a second pass gathers that
    bin's few values, which are selected from. Both passes are free of data-dependent
    branches: a quickselect over all N values mispredicts about every other comparison.
    ``counts`` (n_bins,) and ``buf`` (N,) are scratch.
    """
    n, nb = len(row), len(counts)
    if hi == lo:
        return lo
    f = (nb - 1) / (hi - lo)
    counts[:] = 0
    for j in range(n):
        counts[int((row[j] - lo) * f)] += 1
    below = 0
    b = 0
    while below + counts[b] <= k:
        below += counts[b]
        b += 1
    m = 0
    for j in range(n):
        x = row[j]
        buf[m] = x
        m += int((x - lo) * f) == b
    return _select(buf, m, k - below)


@njit(cache=True, inline="always")
def _scaled_scores(
    q: np.ndarray, t: np.ndarray, z: np.ndarray, hist: np.ndarray
) -> tuple[int, int]:
    """Steps 1-3: the scaled column scores of one query and their histograms.

    Parameters
    ----------
    q : np.ndarray, shape (w, 4)
        The query's pseudocounted PPM.
    t : np.ndarray, shape (4, N)
        Every column of every target entry (both strands), letter-major.
    z : np.ndarray, shape (w, N), int32
        Output: the scaled scores Z.
    hist : np.ndarray, shape (w, BINS + 1), float64
        Output: per query column, the number of target columns with each scaled score.

    Returns
    -------
    offset, scale : int
        ``scale_score_matrix``'s offset (an integer <= 0 here) and scale.
    """
    w, n = q.shape[0], t.shape[1]
    s = np.empty((w, n), dtype=np.float64)
    buf = np.empty(n, dtype=np.float64)
    counts = np.empty(4096, dtype=np.int64)
    shift = np.empty(w, dtype=np.float64)
    i1 = n // 2 - 1  # floor(0.5 * n) - 1
    i2 = (n + 1) // 2 - 1  # ceil(0.5 * n) - 1
    if i1 < 0:
        i1 = 0
    if i2 < i1:
        i2 = i1
    t0, t1, t2, t3 = t[0], t[1], t[2], t[3]
    small, large = np.inf, -np.inf
    for c in range(w):
        q0, q1, q2, q3 = q[c, 0], q[c, 1], q[c, 2], q[c, 3]
        row = s[c]
        for j in range(n):
            # the letters' squares are added in ed_scores' order, from 0
            d0 = q0 - t0[j]
            d1 = q1 - t1[j]
            d2 = q2 - t2[j]
            d3 = q3 - t3[j]
            row[j] = -math.sqrt(d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3)
        lo, hi = row[0], row[0]
        for j in range(1, n):
            lo = min(lo, row[j])
            hi = max(hi, row[j])
        b = _kth(row, lo, hi, i2, counts, buf)
        a = b if i1 == i2 else _kth(row, lo, hi, i1, counts, buf)
        shift[c] = -((a + b) / 2.0)
        # x + shift is monotone in x, so the row's extremes shift to the matrix's
        small = min(small, lo + shift[c])
        large = max(large, hi + shift[c])
    if large == small:
        small = large - 1
    offset = math.floor(small)
    scale = math.floor(BINS / (large - offset))
    # four interleaved histograms: runs of equal scores do not wait on one counter
    h4 = np.zeros((4, BINS + 1), dtype=np.int64)
    n4 = n - n % 4
    for c in range(w):
        row = s[c]
        zc = z[c]
        sh = shift[c]
        for j in range(n):
            zc[j] = int(((row[j] + sh) - offset) * scale + 0.5)
        h4[:, :] = 0
        for j in range(0, n4, 4):
            h4[0, zc[j]] += 1
            h4[1, zc[j + 1]] += 1
            h4[2, zc[j + 2]] += 1
            h4[3, zc[j + 3]] += 1
        for j in range(n4, n):
            h4[0, zc[j]] += 1
        for v in range(BINS + 1):
            hist[c, v] = h4[0, v] + h4[1, v] + h4[2, v] + h4[3, v]
    return int(offset), int(scale)


@njit(cache=True, inline="always")
def _best_alignment(z: np.ndarray, start: int, length: int, a_pen: int) -> tuple[int, int, int]:
    """Step 4 for one target entry: (score index, offset, overlap) of ``compare_motifs``.

    ``z`` (w, N) are the scaled scores, the entry's columns are ``start:start + length``;
    ``a_pen`` is ``-offset * scale``. The score index is the complete score in the units
    of step 5: the sum over the overlap plus ``(w - overlap) * a_pen``.
    """
    w = z.shape[0]
    best, best_ov, best_off = -1, -1, 0
    for conf in range(1, w + length):
        if conf <= w:
            qc, tc = w - conf, 0
        else:
            qc, tc = 0, conf - w
        total = 0
        ov = 0
        while qc < w and tc < length:
            total += z[qc, start + tc]
            qc += 1
            tc += 1
            ov += 1
        score = total + (w - ov) * a_pen
        if score > best or (score == best and ov > best_ov):
            best, best_ov, best_off = score, ov, conf - w
    return best, best_off, best_ov


@njit(cache=True, inline="always")
def _span_use(w: int, lengths: np.ndarray) -> np.ndarray:
    """How often each query span is an alignment of a target width (both orientations).

    Returns
    -------
    np.ndarray, shape (len(lengths), w, w), int64
        ``use[l, a, e]``: the number of the ``2 (w + L - 1)`` alignments of a target of
        width ``lengths[l]`` that cover query columns a..e (the loop of
        ``calc_shifted_scores_pvalues_per_query``).
    """
    use = np.zeros((len(lengths), w, w), dtype=np.int64)
    for li in range(len(lengths)):
        length = lengths[li]
        for i in range(w + length - 1):
            if i < w:
                a = w - i - 1
                e = min(w, a + length) - 1
            else:
                a = 0
                e = min(w, length + w - i - 1) - 1
            use[li, a, e] += 2
    return use


@njit(cache=True, inline="always")
def _tail_pvalues(
    counts: np.ndarray,
    n: int,
    a_pen: int,
    scores: np.ndarray,
    len_idx: np.ndarray,
    lengths: np.ndarray,
    out: np.ndarray,
) -> None:
    """Step 5: the p-value of each requested (score, target width).

    Parameters
    ----------
    counts : np.ndarray, shape (w, BINS + 1), float64
        Per query column, how many of the ``n`` target columns have each scaled score.
    n : int
        The number of target columns N.
    a_pen : int
        ``-offset * scale``: what an unaligned query column adds.
    scores : np.ndarray, shape (m,), int64
        Score indices (complete scores) of the requested pairs.
    len_idx : np.ndarray, shape (m,), int64
        Index into ``lengths`` of each pair's target width.
    lengths : np.ndarray, shape (n_lengths,), int64
        The distinct target widths of the requested pairs.
    out : np.ndarray, shape (m,), float64
        Output: the p-values (before the float32 rounding).
    """
    w = counts.shape[0]
    m = len(scores)
    # the columns' score distributions: uniform over the N target columns (uniform_bg)
    hist = counts / n
    hmin = np.full(w, BINS, dtype=np.int64)
    hmax = np.zeros(w, dtype=np.int64)
    for c in range(w):
        for v in range(BINS + 1):
            if counts[c, v] > 0:
                hmin[c] = min(hmin[c], v)
                hmax[c] = max(hmax[c], v)
    use = _span_use(w, lengths)
    # lowest sum of span a..e any pair asks about (the tail threshold of that span)
    need = np.full((w, w), _NO_CUT, dtype=np.int64)
    for k in range(m):
        for a in range(w):
            for e in range(a, w):
                if use[len_idx[k], a, e] > 0:
                    x = scores[k] - (w - (e - a + 1)) * a_pen
                    need[a, e] = min(need[a, e], x)
    acc = np.zeros(m, dtype=np.float64)
    size = w * BINS + 2
    cur = np.zeros(size, dtype=np.float64)
    nxt = np.zeros(size, dtype=np.float64)
    tail = np.zeros(size + 1, dtype=np.float64)
    cut = np.empty(w, dtype=np.int64)
    for a in range(w):
        last = -1
        for e in range(a, w):
            if need[a, e] != _NO_CUT:
                last = e
        if last < 0:
            continue
        # mass of the partial sum a..e below cut[e] can only reach sums below every
        # later threshold, so it is dropped: what is kept is exact where it is read
        cut[last] = need[a, last]
        for e in range(last - 1, a - 1, -1):
            cut[e] = min(need[a, e], cut[e + 1] - hmax[e + 1])
        cur[0] = 1.0
        lo, hi = 0, 0
        for e in range(a, last + 1):
            nlo, nhi = lo + hmin[e], hi + hmax[e]
            for x in range(nlo, nhi + 1):
                nxt[x] = 0.0
            for v in range(hmin[e], hmax[e] + 1):
                p = hist[e, v]
                if p == 0.0:
                    continue
                for x in range(lo, hi + 1):
                    nxt[x + v] += cur[x] * p
            cur, nxt = nxt, cur
            lo, hi = max(nlo, cut[e]), nhi
            if lo > hi:
                break  # nothing left that any later span could use
            if need[a, e] == _NO_CUT:
                continue
            tail[hi + 1] = 0.0
            for x in range(hi, lo - 1, -1):
                tail[x] = tail[x + 1] + cur[x]
            for k in range(m):
                mult = use[len_idx[k], a, e]
                if mult == 0:
                    continue
                x = scores[k] - (w - (e - a + 1)) * a_pen
                if x > hi:
                    continue
                t = tail[max(x, lo)]
                acc[k] += mult * math.log1p(-t)
        for x in range(size):
            cur[x] = 0.0
    for k in range(m):
        out[k] = -math.expm1(acc[k])


@njit(cache=True)
def _rescore_query(
    q: np.ndarray,
    t: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    entries: np.ndarray,
    pvalues: np.ndarray,
    offsets: np.ndarray,
    overlaps: np.ndarray,
) -> None:
    """Steps 1-5 for one query and the target entries ``entries``; see :func:`rescore`.

    One compiled entry point, so that a fresh process loads one function from numba's cache.
    """
    w, n = q.shape[0], t.shape[1]
    z = np.empty((w, n), dtype=np.int32)
    counts = np.empty((w, BINS + 1), dtype=np.float64)
    offset, scale = _scaled_scores(q, t, z, counts)
    a_pen = -offset * scale
    m = len(entries)
    scores = np.empty(m, dtype=np.int64)
    width_of = np.full(lengths.max() + 1, -1, dtype=np.int64)
    widths = np.empty(m, dtype=np.int64)
    n_widths = 0
    len_idx = np.empty(m, dtype=np.int64)
    for i in range(m):
        k = entries[i]
        scores[i], offsets[i], overlaps[i] = _best_alignment(z, starts[k], lengths[k], a_pen)
        length = lengths[k]
        if width_of[length] < 0:
            width_of[length] = n_widths
            widths[n_widths] = length
            n_widths += 1
        len_idx[i] = width_of[length]
    _tail_pvalues(counts, n, a_pen, scores, len_idx, widths[:n_widths], pvalues)


def rescore(
    query: np.ndarray,
    columns: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    entries: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact Tomtom p-value, offset and overlap of chosen target entries for one query.

    Parameters
    ----------
    query : np.ndarray, shape (w, 4)
        The pseudocounted query PPM (A, C, G, T).
    columns : np.ndarray, shape (4, N)
        The pseudocounted columns of every target entry, both strands (each strand an
        entry), letter-major (``np.concatenate(entries).T``, C-contiguous).
    starts, lengths : np.ndarray, shape (n_entries,), int64
        Where each entry's columns start in ``columns`` and its width.
    entries : np.ndarray, shape (m,), int64
        The entries to score.

    Returns
    -------
    pvalues : np.ndarray, shape (m,), float32
        ``tomtom.c``'s p-values (float32, as it stores them).
    offsets, overlaps : np.ndarray, shape (m,), int64
        Its optimal offset and overlap of each entry.
    """
    m = len(entries)
    pvalues = np.empty(m, dtype=np.float64)
    offsets = np.empty(m, dtype=np.int64)
    overlaps = np.empty(m, dtype=np.int64)
    if m:
        _rescore_query(
            np.ascontiguousarray(query, dtype=np.float64),
            np.ascontiguousarray(columns, dtype=np.float64),
            np.asarray(starts, dtype=np.int64),
            np.asarray(lengths, dtype=np.int64),
            np.asarray(entries, dtype=np.int64),
            pvalues,
            offsets,
            overlaps,
        )
    return pvalues.astype(np.float32), offsets, overlaps
