"""Benchmark: attribution on 500 Task 3 sequences with CNN-dist, batched vs the original loops.

Usage: .venv/bin/python bench/bench_attribution.py [--n 500] [--baseline-n 500] [--weights W]

- ISM, four ways on the same sequences: the seed's loop (``explain.mutagenesis``: per sequence
  one ``model.predict`` of the wild type and one of its 4 L mutants), and
  ``toolkit.attribution.mutagenesis`` unbatched (``batch_size=3 L``: the 3 L mutants of one
  sequence per compiled call) and batched (default ``batch_size=4096``: several sequences per
  call), each with whole mutants (``local=False``) and with the local recomputation (default).
  So the local path is measured both against the seed's loop and against its own unbatched
  variant (one sequence per call, same mutants): batching and locality separately;
- DeepSHAP: one ``shap.DeepExplainer`` per sequence (its 10 shuffled copies as background,
  the original's ``explain.deepshap``) against ``toolkit.attribution.deepshap`` (one
  explainer, many sequences per call), on the same references;
- saliency throughput (sequences per second, after a warm-up call).

The model is CNN-dist (exponential first layer) trained for ``--epochs`` epochs on a
generated Task 3 set (or loaded from ``--weights``), so attributions have realistic sizes for
the 1e-5 agreement check. Prints times, speed-ups and the largest differences.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def _ism_original(model, x: np.ndarray) -> np.ndarray:
    """The original's mutagenesis: two ``predict`` calls per sequence, 4 L mutants each."""
    n, length, _ = x.shape
    out = np.zeros(x.shape, dtype=np.float32)
    for i in range(n):
        wild = model.predict(x[i : i + 1], verbose=0)[:, 0]
        mutants = np.repeat(x[i][None], 4 * length, axis=0)
        k = np.arange(4 * length)
        mutants[k, k // 4] = 0.0
        mutants[k, k // 4, k % 4] = 1.0
        out[i] = model.predict(mutants, verbose=0)[:, 0].reshape(length, 4) - wild
    return out


def _shap_original(model, x: np.ndarray, references: np.ndarray) -> np.ndarray:
    """The original's DeepSHAP: a new explainer per sequence, its references as background."""
    import shap

    out = np.zeros(x.shape, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(len(x)):
            explainer = shap.DeepExplainer(model, references[i])
            out[i] = explainer.shap_values(x[i : i + 1], check_additivity=False)[0][..., 0]
    return out


def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500, help="sequences (paper: 500)")
    parser.add_argument(
        "--baseline-n",
        type=int,
        default=None,
        help="sequences for the slow original loops (default: all --n)",
    )
    parser.add_argument("--epochs", type=int, default=2, help="training epochs of CNN-dist")
    parser.add_argument("--weights", type=Path, default=None, help="trained CNN-dist weights (.h5)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    baseline_n = min(args.baseline_n or args.n, args.n)

    import tensorflow as tf

    from toolkit.attribution import deepshap, mutagenesis, saliency, shuffled_references
    from toolkit.data import load, task3
    from toolkit.models import build_model
    from toolkit.training import TrainConfig, train

    with tempfile.TemporaryDirectory() as tmp:
        data = load(
            task3(Path(tmp) / "t3.h5", n_seq=max(6000, 12 * args.n), progress=False), task=3
        )
    x = data.x_test[data.y_test[:, 0] == 1][: args.n]
    tf.keras.utils.set_random_seed(0)
    model = build_model("cnn-dist", activation="exponential")
    if args.weights:
        model.load_weights(args.weights)
    else:
        train(
            model,
            data.x_train,
            data.y_train,
            data.x_valid,
            data.y_valid,
            TrainConfig(epochs=args.epochs, monitor="val_auroc"),
            progress=False,
        )
    print(
        f"CNN-dist (exponential), {len(x)} positive test sequences of length {x.shape[1]}; "
        f"original loops on {baseline_n}"
    )
    results: dict = {"n": len(x), "baseline_n": baseline_n}

    # ISM ------------------------------------------------------------------------------
    one = 3 * x.shape[1]  # batch_size of one sequence's mutants: one sequence per call
    for local_ in (True, False):  # trace the compiled functions once (every path)
        mutagenesis(model, x[:2], local=local_)
        mutagenesis(model, x[:2], local=local_, batch_size=one)
    local, t_local = _timed(lambda: mutagenesis(model, x))
    full, t_full = _timed(lambda: mutagenesis(model, x, local=False))
    local1, t_local1 = _timed(lambda: mutagenesis(model, x, batch_size=one))
    full1, t_full1 = _timed(lambda: mutagenesis(model, x, local=False, batch_size=one))
    original, t_orig = _timed(lambda: _ism_original(model, x[:baseline_n]))
    t_orig_all = t_orig * len(x) / baseline_n
    results["ism"] = {
        "original_s": t_orig_all,
        "unbatched_full_s": t_full1,
        "unbatched_local_s": t_local1,
        "batched_full_s": t_full,
        "batched_local_s": t_local,
        "speedup_local": t_orig_all / t_local,
        "speedup_full": t_orig_all / t_full,
        "speedup_local_vs_unbatched_local": t_local1 / t_local,
        "speedup_unbatched_local": t_orig_all / t_local1,
        "max_abs_diff_local_vs_original": float(np.abs(local[:baseline_n] - original).max()),
        "max_abs_diff_local_vs_full": float(np.abs(local - full).max()),
        "max_abs_diff_unbatched_vs_batched": float(
            max(np.abs(local1 - local).max(), np.abs(full1 - full).max())
        ),
        "max_abs_value": float(np.abs(full).max()),
    }

    # DeepSHAP --------------------------------------------------------------------------
    refs = shuffled_references(x, 10, seed=0)
    deepshap(model, x[:2], refs[:2])  # import shap, trace the graph
    batched, t_batched = _timed(lambda: deepshap(model, x, refs))
    per_seq, t_per_seq = _timed(lambda: _shap_original(model, x[:baseline_n], refs[:baseline_n]))
    t_per_seq_all = t_per_seq * len(x) / baseline_n
    results["deepshap"] = {
        "original_s": t_per_seq_all,
        "batched_s": t_batched,
        "speedup": t_per_seq_all / t_batched,
        "max_abs_diff": float(np.abs(batched[:baseline_n] - per_seq).max()),
        "max_abs_value": float(np.abs(per_seq).max()),
    }

    # saliency ----------------------------------------------------------------------------
    saliency(model, x[:2])
    _, t_sal = _timed(lambda: saliency(model, x))
    results["saliency"] = {"seconds": t_sal, "sequences_per_s": len(x) / t_sal}

    ism, shp, sal = results["ism"], results["deepshap"], results["saliency"]
    scale = f"(of {baseline_n}, scaled to {len(x)})" if baseline_n < len(x) else ""
    print(f"ISM seed's loop {scale}: {ism['original_s']:.1f} s")
    print(
        f"ISM unbatched (one sequence per call), whole mutants: {ism['unbatched_full_s']:.1f} s; "
        f"local: {ism['unbatched_local_s']:.1f} s ({ism['speedup_unbatched_local']:.1f}x vs the "
        "seed's loop)"
    )
    print(f"ISM batched, whole mutants: {ism['batched_full_s']:.1f} s ({ism['speedup_full']:.1f}x)")
    print(
        f"ISM batched, local recomputation: {ism['batched_local_s']:.1f} s "
        f"({ism['speedup_local']:.1f}x vs the seed's loop, "
        f"{ism['speedup_local_vs_unbatched_local']:.1f}x vs unbatched local); max |diff| vs original "
        f"{ism['max_abs_diff_local_vs_original']:.2e}, vs whole mutants "
        f"{ism['max_abs_diff_local_vs_full']:.2e} (max |value| {ism['max_abs_value']:.2e})"
    )
    print(f"DeepSHAP one explainer per sequence {scale}: {shp['original_s']:.1f} s")
    print(
        f"DeepSHAP batched: {shp['batched_s']:.1f} s ({shp['speedup']:.1f}x); max |diff| "
        f"{shp['max_abs_diff']:.2e} (max |value| {shp['max_abs_value']:.2e})"
    )
    print(f"saliency: {sal['seconds']:.2f} s, {sal['sequences_per_s']:.0f} sequences/s")
    print(f"ISM max |diff| unbatched vs batched: {ism['max_abs_diff_unbatched_vs_batched']:.2e}")
    assert ism["max_abs_diff_local_vs_original"] <= 1e-5 and shp["max_abs_diff"] <= 1e-5
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
