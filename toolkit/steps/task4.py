"""One Task 4 run (spec §7): Basset on the Basset ``er.h5`` data, data-parallel with Horovod.

Every rank of the launch (``horovodrun -np N``, a Slurm job with N tasks from
``expact submit``, or a plain single process) runs this step for the same spec: each streams
its own shard of the training data (:mod:`toolkit.data.basset`, never the whole file in
memory), and :func:`toolkit.distributed.train.train_distributed` averages the gradients. Rank
0 writes the checkpoints, the weights and the record; the test predictions of all ranks are
gathered and scored on rank 0 (per-class sklearn AUROC/AUPR, mean and std over the 164
targets, as the original's TSV).

Then, on rank 0 (the ``analysis`` section): the 300 first-layer filters -> activation-aligned
PPMs over the streamed test split (two passes: the global maximum per filter, then the
windows; the fmap of the whole split is never held) -> clipped MEME -> Tomtom -> "match any
JASPAR" and logos; saliency x input for ``saliency_class`` (4) on the first test sequences
positive only for it and without N, plotted over positions 150-450; and, when a sequence is
given (``example_sequence``, e.g. the Basset paper's Fig. 4 chr9 region, which is not shipped),
its saliency for ``example_class`` (113).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np

from toolkit.config import RunSpec
from toolkit.errors import InputError
from toolkit.records import RECORD_NAME, package_versions, write_json

log = logging.getLogger(__name__)


def check_data(path: str | os.PathLike) -> None:
    """Check the Basset layout of every split from metadata (the data are checked as read)."""
    from toolkit.data.basset import SPLITS, stream

    lengths = {stream(path, split, shuffle=False).length for split in SPLITS}
    targets = {stream(path, split, shuffle=False).n_targets for split in SPLITS}
    if len(lengths) != 1 or len(targets) != 1:
        raise InputError(
            path,
            "*_in/*_out",
            f"splits differ in length {sorted(lengths)} or targets {sorted(targets)}",
        )


def task4(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Train and evaluate one (model, activation, trial) cell on this rank.

    Returns
    -------
    dict
        The record on rank 0 (also written to ``run_dir/record.json``); on other ranks
        ``{"rank": r}`` and nothing is written.
    """
    import tensorflow as tf

    from toolkit.data.basset import stream
    from toolkit.distributed.launch import init
    from toolkit.distributed.train import DistConfig, predict_gathered, train_distributed
    from toolkit.models import FIRST_ACTIVATION_LAYER, build_model
    from toolkit.training import TrainConfig, metrics

    run_dir = Path(run_dir)
    results_dir = run_dir.parent.parent
    hvd = init(results_dir / "slurm" / "rendezvous")
    rank, size = hvd.rank(), hvd.size()
    if rank == 0:
        run_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    timings: dict[str, float] = {}
    dist = DistConfig.from_dict(spec.extra.get("distributed"))
    config = TrainConfig.from_dict(spec.train)
    if not config.shuffle:
        raise InputError(
            None,
            "train.shuffle",
            "distributed training reads shuffled shards; shuffle: false is not supported",
        )
    path = spec.data["path"]
    common = {
        "shard": (rank, size),
        "chunk_rows": dist.chunk_rows,
        "buffer_chunks": dist.buffer_chunks,
    }
    eval_rc = "both" if dist.reverse_complement == "both" else "none"
    train = stream(
        path,
        "train",
        batch_size=config.batch_size,
        shuffle=True,
        reverse_complement=dist.reverse_complement,
        seed=spec.seed,
        **common,
    )
    valid = stream(
        path, "valid", batch_size=256, shuffle=False, reverse_complement=eval_rc, **common
    )
    test = stream(path, "test", batch_size=256, shuffle=False, reverse_complement=eval_rc, **common)

    t0 = time.time()
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(spec.seed)
    model = build_model(
        spec.model, activation=spec.activation, input_length=train.length, n_outputs=train.n_targets
    )
    log.info(
        "rank %d/%d: training %s (seed %d), %d steps/epoch of %d sequences per rank",
        rank,
        size,
        spec.name,
        spec.seed,
        train.steps_per_epoch,
        config.batch_size,
    )
    history = train_distributed(
        model,
        train,
        valid,
        config,
        dist,
        hvd,
        checkpoint_dir=run_dir / "checkpoint",
        progress=progress,
    )
    timings["train"] = round(time.time() - t0, 3)
    # every rank's weight checksum: identical when the ranks stayed in step
    checksum = float(sum(np.abs(w.astype(np.float64)).sum() for w in model.get_weights()))
    checksums = hvd.allgather(tf.constant([checksum], tf.float64), name="expact_checksums")

    t0 = time.time()
    y_test, p_test = predict_gathered(model, test, hvd, limit=dist.max_eval_sequences)
    timings["evaluate"] = round(time.time() - t0, 3)
    if rank != 0:
        return {"rank": rank}

    resumed_from = history.pop("resumed_from", None)
    weights = run_dir / "weights.h5"
    tmp_weights = run_dir / ".weights.tmp.h5"
    model.save_weights(tmp_weights)
    tmp_weights.replace(weights)
    write_json(run_dir / "history.json", history)
    test_metrics = metrics(y_test, p_test)
    roc, pr = (
        np.asarray(test_metrics["auroc_per_class"]),
        np.asarray(test_metrics["aupr_per_class"]),
    )
    log.info(
        "test AUROC %.4f+/-%.4f AUPR %.4f+/-%.4f over %d targets",
        np.nanmean(roc),
        np.nanstd(roc),
        np.nanmean(pr),
        np.nanstd(pr),
        len(roc),
    )
    speeds = history.get("train_seq_per_s", [])
    record = {
        "status": "done",
        "spec": spec.to_dict(),
        "seed": spec.seed,
        "versions": package_versions(),
        "first_layer": FIRST_ACTIVATION_LAYER,
        "epochs_run": len(history.get("loss", [])),
        "resumed_from_epoch": resumed_from,
        "slurm": {
            k: os.environ.get(k)
            for k in (
                "SLURM_JOB_ID",
                "SLURM_ARRAY_JOB_ID",
                "SLURM_ARRAY_TASK_ID",
                "SLURM_RESTART_COUNT",
                "SLURM_NTASKS",
            )
        },
        "distributed": {
            "size": size,
            "launcher": "slurm"
            if os.environ.get("SLURM_PROCID") and size > 1
            else ("horovodrun" if size > 1 else "single process"),
            "batch_per_rank": config.batch_size,
            "global_batch": config.batch_size * size,
            "learning_rate": config.learning_rate * (size if dist.scale_lr else 1),
            "warmup_epochs": dist.warmup_epochs,
            "steps_per_epoch": min(
                train.steps_per_epoch, dist.steps_per_epoch or train.steps_per_epoch
            ),
            "train_seq_per_s": float(np.median(speeds)) if speeds else None,
            "weight_checksums": [float(v) for v in checksums.numpy()],
        },
        "data": {
            "path": str(path),
            "n": {"train": train.n, "valid": valid.n, "test": test.n},
            "n_test_scored": int(len(y_test)),
            "reverse_complement": dist.reverse_complement,
        },
        "metrics": {"auroc": test_metrics["auroc"], "aupr": test_metrics["aupr"]},
        "metrics_std": {"auroc": float(np.nanstd(roc)), "aupr": float(np.nanstd(pr))},
        "metrics_per_class": {
            "auroc": test_metrics["auroc_per_class"],
            "aupr": test_metrics["aupr_per_class"],
        },
        "match": {"match_fraction": None, "match_any": None, "coverage": None},
        "files": {"weights": weights.name, "history": "history.json"},
        "timings_s": timings,
        "wall_s": round(time.time() - started, 3),
    }
    from toolkit.steps import TASK_SECTIONS

    analysis = TASK_SECTIONS["task4"]["analysis"] | spec.extra.get("analysis", {})
    t0 = time.time()
    if analysis["filters"]:
        found = basset_filters(model, path, eval_rc, spec, run_dir, analysis["filter_sequences"])
        record["match"], record["n_windows"] = found["match"], found["n_windows"]
        record["files"].update(
            filters="filters.npz",
            meme="filters.meme",
            tomtom="tomtom/tomtom.tsv",
            logos=found["logos"],
        )
        timings["filters_tomtom"] = round(time.time() - t0, 3)
        t0 = time.time()
    record["saliency"] = basset_saliency(model, path, analysis, run_dir)
    record["files"]["saliency"] = record["saliency"]["files"]
    timings["saliency"] = round(time.time() - t0, 3)
    record["wall_s"] = round(time.time() - started, 3)
    write_json(run_dir / RECORD_NAME, record)
    shutil.rmtree(run_dir / "checkpoint", ignore_errors=True)
    return record


def streaming_ppm(fmap_batches, threshold: float = 0.5, window: int = 20):
    """:func:`toolkit.filters.ppm` over batches: the same PPMs, without the whole fmap.

    Parameters
    ----------
    fmap_batches : callable
        ``fmap_batches()`` yields ``(fmap (n, L, F), x (n, L, 4))``; called twice (pass 1:
        the global maximum of each filter; pass 2: the windows above ``threshold`` x max).

    Returns
    -------
    (np.ndarray (F, window, 4), np.ndarray (F,))
        PPMs (uniform where a filter has <= 1 window) and windows per filter.
    """
    fmax = None
    for fmap, _ in fmap_batches():
        m = fmap.reshape(-1, fmap.shape[-1]).max(axis=0)
        fmax = m if fmax is None else np.maximum(fmax, m)
    if fmax is None:
        raise InputError(None, "test", "no sequences to align filters on")
    left, right = window // 2, window - window // 2
    counts = n_windows = None
    for fmap, x in fmap_batches():
        length, n_filters = fmap.shape[1], fmap.shape[2]
        p_lo, p_hi = left + 1, length - right  # the window fits strictly inside
        if counts is None:
            counts = np.zeros((n_filters, window, 4))
            n_windows = np.zeros(n_filters, np.int64)
        if p_hi <= p_lo:
            continue
        hits = fmap[:, p_lo:p_hi, :] > threshold * fmax
        n_windows += hits.sum(axis=(0, 1))
        flat = hits.reshape(-1, n_filters).T.astype(np.float32)
        for k in range(window):
            start = p_lo - left + k
            shifted = np.ascontiguousarray(x[:, start : start + p_hi - p_lo, :], np.float32)
            counts[:, k, :] += flat @ shifted.reshape(-1, 4)
    ppms = np.full(counts.shape, 0.25)
    enough = n_windows > 1
    ppms[enough] = counts[enough] / n_windows[enough, None, None]
    return ppms, n_windows


def basset_filters(model, path, rc: str, spec: RunSpec, run_dir: Path, limit: int = 0) -> dict:
    """First-layer filters over the streamed test split -> PPMs, MEME, Tomtom, match any."""
    from toolkit.data.basset import stream
    from toolkit.filters import clip
    from toolkit.filters.logos import logos
    from toolkit.meme_io import read_meme_file, write_meme
    from toolkit.models import first_layer_model
    from toolkit.steps.task56 import match_any
    from toolkit.tomtom import tomtom

    first = first_layer_model(model)
    test = stream(path, "test", batch_size=256, shuffle=False, reverse_complement=rc)

    def fmap_batches():
        seen = 0
        for x, _ in test.batches():
            if limit and seen >= limit:
                return
            yield first(x, training=False).numpy(), x
            seen += len(x)

    f, t = spec.filters, spec.tomtom
    ppms, n_windows = streaming_ppm(fmap_batches, f["threshold"], f["window"])
    clipped = clip(
        ppms,
        f["clip_threshold"],
        f["clip_pad"],
        reproduce_index0_bug=f["reproduce_clip_index0_bug"],
    )
    np.savez_compressed(run_dir / "filters.npz", ppms=ppms, n_windows=n_windows)
    meme = write_meme(run_dir / "filters.meme", clipped)
    hits = tomtom(
        meme,
        t["target"],
        backend=t["backend"],
        out_dir=run_dir / "tomtom",
        thresh=t["thresh"],
        dist=t["dist"],
        min_overlap=t["min_overlap"],
    )
    names = {k: v or k for k, v in read_meme_file(t["target"]).alt_names().items()}
    result = match_any(hits, len(ppms), names)
    log.info("basset filters: match any JASPAR %.3f", result["match_any"])
    files = []
    if f["logos"]:
        titles = [f"filter{j} {n}".strip() for j, n in enumerate(result["best_name"])]
        files = [p.name for p in logos(clipped, run_dir / "filter_logos", titles=titles, ncols=15)]
    return {"match": result, "n_windows": n_windows.tolist(), "logos": files}


def basset_saliency(model, path, analysis: dict, run_dir: Path) -> dict:
    """Saliency of class ``saliency_class`` on test sequences positive only for it, no N.

    ``saliency.npz``: ``saliency`` (n, L, 4) raw gradients, ``x`` int8, ``test_index``; and
    ``example_saliency`` / ``example_x`` for ``example_sequence`` when one is given.
    """
    from toolkit.data.basset import stream
    from toolkit.records import atomic_write_bytes
    from toolkit.steps.task56 import _npz_bytes, gradient, plot_saliency

    cls, want = analysis["saliency_class"], analysis["saliency_sequences"]
    test = stream(path, "test", batch_size=256, shuffle=False, reverse_complement="none")
    if not 0 <= cls < test.n_targets or not 0 <= analysis["example_class"] < test.n_targets:
        raise InputError(None, "analysis.saliency_class", f"expected 0..{test.n_targets - 1}")
    xs, rows, offset = [], [], 0
    for x, y in test.batches():
        has_n = (x == 0.25).all(axis=2).any(axis=1)
        keep = np.flatnonzero((y[:, cls] == 1) & (y.sum(axis=1) == 1) & ~has_n)
        xs.append(x[keep])
        rows.extend((offset + keep).tolist())
        offset += len(x)
        if len(rows) >= want:
            break
    x = np.concatenate(xs)[:want] if xs else np.zeros((0, test.length, 4), np.float32)
    rows = np.asarray(rows[:want], np.int64)
    arrays, info = (
        {},
        {
            "class_index": cls,
            "n_sequences": int(len(x)),
            "target": "prob",
            "plot_range": [analysis["plot_start"], analysis["plot_end"]],
            "files": [],
            "plots": [],
        },
    )
    start, end = analysis["plot_start"], min(analysis["plot_end"], test.length)
    if len(x):
        grad, info["method"] = gradient(model, x, cls, 128)
        arrays.update(saliency=grad, x=x.astype(np.int8), test_index=rows)
        indices = [i for i in analysis["plot_indices"] if i < len(x)]
        if indices:
            info["plots"] += [
                p.name
                for p in plot_saliency(
                    grad[indices] * x[indices], indices, start, end, run_dir / "saliency_plots"
                )
            ]
        info["plot_indices"] = indices
    example = analysis["example_sequence"].strip().upper()
    if example:
        if len(example) != test.length or set(example) - set("ACGT"):
            raise InputError(
                None, "analysis.example_sequence", f"expected {test.length} letters of A, C, G, T"
            )
        one_hot = np.eye(4, dtype=np.float32)[["ACGT".index(c) for c in example]][None]
        grad, _ = gradient(model, one_hot, analysis["example_class"], 1)
        arrays.update(example_saliency=grad, example_x=one_hot.astype(np.int8))
        info["example_class"] = analysis["example_class"]
        info["plots"] += [
            p.name
            for p in plot_saliency(
                grad * one_hot, [0], 0, test.length, run_dir / "saliency_example"
            )
        ]
    if arrays:
        atomic_write_bytes(run_dir / "saliency.npz", _npz_bytes(**arrays))
        info["files"] = ["saliency.npz", *info["plots"]]
    return info
