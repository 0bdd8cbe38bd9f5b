"""Tomtom's q-values, computed exactly as MEME 5.4.1 computes them.

Source: MEME 5.4.1 ``src/tomtom.c`` (``convert_tomtom_p_to_q``, called once per query) and
``src/qvalue.c`` (``compute_qvalues``, ``estimate_pi_zero``), as vendored in the pymemesuite
0.1.0a4 sdist. Per query:

1. The p-values of **all 2·N (target, strand) pairs** are sorted ascending (Tomtom scores
   both strands of every target and keeps both entries; only the printing step drops the
   worse strand of each target). Tomtom's p-values are float32-truncated doubles.
2. If there are more than 100 p-values, pi0 is estimated with Storey's (2002) bootstrap:
   for lambda in {0.005, 0.010, ..., 0.5} (100 values), pi0(lambda) = #{p >= lambda} /
   ((1 - lambda) m); the plug-in estimate is min over lambda; 100 bootstrap resamples of
   1000 p-values each (drawn with MEME's program-wide Mersenne Twister) give a mean-squared
   error per lambda, and the pi0(lambda) of the lambda with the least error (first on ties)
   is used, clipped to [0, 1]. With 100 p-values or fewer, pi0 = 1.
3. FDR_i = min(1, pi0 * p_i * m / i) for rank i = 1..m, then q_i = min_{j >= i} FDR_j
   (Benjamini-Hochberg step-up with Storey's pi0).

Tomtom never seeds the generator, so ``mtwist.c`` seeds itself with Knuth's old default
(4357) on first use, and the stream continues across the queries of one run: the q-values of
query k depend on how many earlier queries estimated pi0. :class:`MemeRandom` reproduces
that stream bit for bit (checked against the C ``mt_ldrand``), so the same p-values give
the same q-values as the binary.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MemeRandom", "tomtom_qvalues"]

NUM_BOOTSTRAPS = 100
NUM_BOOTSTRAP_SAMPLES = 1000
NUM_LAMBDA = 100
MAX_LAMBDA = 0.5
MIN_SAMPLES = 100  # pi0 is estimated only from more p-values than this

_KNUTH_MULTIPLIER_OLD = 69069
_DEFAULT_SEED32_OLD = 4357
_MT_STATE_SIZE = 624


class MemeRandom:
    """MEME's program-wide Mersenne Twister (``mtwist.c``) from its unseeded start.

    ``mts_seed32`` fills the state with Knuth's old generator; mtwist stores the state
    reversed but emits the reference MT19937 stream, so numpy's MT19937 with the same key
    and position 624 yields the same 32-bit words. ``mt_ldrand`` joins two words into a
    64-bit integer and scales it by 2**-64.

    Parameters
    ----------
    seed : int
        32-bit seed for ``mts_seed32``; 4357 is what an unseeded MEME program uses.
    """

    def __init__(self, seed: int = _DEFAULT_SEED32_OLD):
        key = np.empty(_MT_STATE_SIZE, dtype=np.uint64)
        key[0] = (seed or _DEFAULT_SEED32_OLD) & 0xFFFFFFFF
        for i in range(1, _MT_STATE_SIZE):
            key[i] = (_KNUTH_MULTIPLIER_OLD * int(key[i - 1])) & 0xFFFFFFFF
        self._bitgen = np.random.MT19937()
        self._bitgen.state = {
            "bit_generator": "MT19937",
            "state": {"key": key.astype(np.uint32), "pos": _MT_STATE_SIZE},
        }

    def ldrand(self, n: int) -> np.ndarray:
        """Return the next ``n`` values of ``mt_ldrand()``, shape (n,), float64 in [0, 1)."""
        raw = self._bitgen.random_raw(2 * n).astype(np.uint64)
        joined = (raw[0::2] << np.uint64(32)) | raw[1::2]
        return joined.astype(np.float64) * 2.0**-64


def _estimate_pi_zero(p: np.ndarray, rng: MemeRandom) -> float:
    """``estimate_pi_zero`` of qvalue.c for ascending p-values ``p`` of shape (m,)."""
    m = p.size
    lambdas = (np.arange(1, NUM_LAMBDA + 1, dtype=np.float64) / NUM_LAMBDA) * MAX_LAMBDA
    # Index of the first p >= lambda; p is sorted, so #{p >= lambda} = m - start.
    start = np.searchsorted(p, lambdas, side="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        pi_zeroes = (m - start) / ((1.0 - lambdas) * m)
    pi_zeroes[pi_zeroes == 0.0] = np.inf  # qvalue.c: "substitute a dummy huge value"
    min_pi_zero = pi_zeroes.min()

    draws = rng.ldrand(NUM_BOOTSTRAPS * NUM_BOOTSTRAP_SAMPLES)
    idx = (draws * m).astype(np.int64).reshape(NUM_BOOTSTRAPS, NUM_BOOTSTRAP_SAMPLES)
    np.minimum(idx, m - 1, out=idx)  # 2**-64 rounding could give m; C would read past the end
    # Resampled p >= lambda  <=>  resampled index >= start(lambda), as p is sorted.
    offsets = (np.arange(NUM_BOOTSTRAPS) * (m + 1))[:, None]
    hist = np.bincount((idx + offsets).ravel(), minlength=NUM_BOOTSTRAPS * (m + 1))
    hist = hist.reshape(NUM_BOOTSTRAPS, m + 1)
    at_least = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1]  # at_least[b, k] = #{idx_b >= k}
    num_greater = at_least[:, start]
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = num_greater / ((1.0 - lambdas) * NUM_BOOTSTRAP_SAMPLES)
    boot[boot == 0.0] = np.inf
    mse = np.zeros(NUM_LAMBDA)
    with np.errstate(invalid="ignore"):
        for b in range(NUM_BOOTSTRAPS):  # summed in bootstrap order, as in C
            err = boot[b] - min_pi_zero
            mse += err * err
    best = 0
    for i in range(1, NUM_LAMBDA):  # strict '<': the first minimum wins, NaN never does
        if mse[i] < mse[best]:
            best = i
    return float(min(max(pi_zeroes[best], 0.0), 1.0))


def tomtom_qvalues(pvalues: np.ndarray, rng: MemeRandom | None = None) -> np.ndarray:
    """Convert one query's sorted p-values to q-values as Tomtom does.

    Parameters
    ----------
    pvalues : np.ndarray, shape (m,)
        All of the query's p-values (both strands of every target, m = 2·N for N targets),
        sorted ascending, in [0, 1].
    rng : MemeRandom, optional
        The run-wide generator; pass the same instance for every query of one Tomtom run,
        in query order. A fresh one (MEME's start state) if omitted.

    Returns
    -------
    np.ndarray, shape (m,), float64
        q-values in the same order.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    if np.any(p < 0) or np.any(p > 1):
        raise ValueError("p-values must lie in [0, 1]")
    if np.any(np.diff(p) < 0):
        raise ValueError("p-values must be sorted ascending")
    pi_zero = 1.0
    if m > MIN_SAMPLES:
        pi_zero = _estimate_pi_zero(p, rng if rng is not None else MemeRandom())
    rank = np.arange(1, m + 1, dtype=np.float64)
    # qvalue.c casts m and the rank to float; exact for any realistic m (< 2**24).
    fdr = np.minimum(1.0, (pi_zero * p * np.float64(np.float32(m))) / rank)
    if m == 1:
        return fdr
    return np.minimum.accumulate(fdr[::-1])[::-1]
