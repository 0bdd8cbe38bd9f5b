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
import time
from pathlib import Path

import numpy as np

from toolkit.config import RunSpec
from toolkit.errors import InputError
from toolkit.model_options import build_kwargs
from toolkit.run_folder import RunFolder, SweepManifest
from toolkit.tasks import TASKS

log = logging.getLogger(__name__)


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
    from toolkit.models import build_model
    from toolkit.steps.fit import save_model
    from toolkit.steps.record import Clock, record
    from toolkit.training import TrainConfig, metrics
    from toolkit.training.distributed import DistConfig, predict_gathered, train_distributed
    from toolkit.training.horovod import init

    run = RunFolder(Path(run_dir))
    hvd = init(SweepManifest(run.results_dir).rendezvous)
    rank, size = hvd.rank(), hvd.size()
    if rank == 0:
        run.path.mkdir(parents=True, exist_ok=True)
    clock = Clock()
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
    per_rank = dist.batch_per_rank(config.batch_size, size)  # sequences per rank and step
    train = stream(
        path,
        "train",
        batch_size=per_rank,
        shuffle=True,
        reverse_complement=dist.reverse_complement,
        seed=spec.seed,
        **common,
    )
    valid = stream(
        path, "valid", batch_size=256, shuffle=False, reverse_complement=eval_rc, **common
    )
    test = stream(path, "test", batch_size=256, shuffle=False, reverse_complement=eval_rc, **common)

    t0 = time.time()  # the training's lap spans model building and the loop
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(spec.seed)
    model = build_model(
        spec.model,
        activation=spec.activation,
        input_length=train.length,
        n_outputs=train.n_targets,
        **build_kwargs(spec.model_options),
    )
    log.info(
        "rank %d/%d: training %s (seed %d), %d steps/epoch of %d sequences per rank",
        rank,
        size,
        spec.name,
        spec.seed,
        train.steps_per_epoch,
        per_rank,
    )
    history = train_distributed(
        model,
        train,
        valid,
        config,
        dist,
        hvd,
        checkpoint_dir=run.checkpoint,
        progress=progress,
    )
    clock.timings["train"] = round(time.time() - t0, 3)
    # every rank's weight checksum: identical when the ranks stayed in step
    checksum = float(sum(np.abs(w.astype(np.float64)).sum() for w in model.get_weights()))
    checksums = hvd.allgather(tf.constant([checksum], tf.float64), name="expact_checksums")

    with clock.lap("evaluate"):
        y_test, p_test = predict_gathered(model, test, hvd, limit=dist.max_eval_sequences)
    if rank != 0:
        return {"rank": rank}

    resumed_from = history.pop("resumed_from", None)
    save_model(model, history, run)
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
    sections = {
        "resumed_from_epoch": resumed_from,
        "distributed": {
            "size": size,
            "launcher": "slurm"
            if os.environ.get("SLURM_PROCID") and size > 1
            else ("horovodrun" if size > 1 else "single process"),
            "batch": dist.batch,
            "batch_per_rank": per_rank,
            "global_batch": per_rank * size,
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
        "metrics_std": {"auroc": float(np.nanstd(roc)), "aupr": float(np.nanstd(pr))},
        "match": {"match_fraction": None, "match_any": None, "coverage": None},
    }
    files: dict = {"weights": run.weights.name, "history": run.history.name}
    analysis = TASKS["task4"].sections["analysis"] | spec.extra.get("analysis", {})
    if analysis["filters"]:
        with clock.lap("filters_tomtom"):
            found = basset_filters(
                model, path, eval_rc, spec, run.path, analysis["filter_sequences"]
            )
        sections["match"], sections["n_windows"] = found["match"], found["n_windows"]
        files |= found["files"]
    with clock.lap("saliency"):
        sections["saliency"] = basset_saliency(model, path, analysis, run.path)
    files["saliency"] = sections["saliency"]["files"]
    return record(
        spec,
        run,
        clock,
        history=history,
        metrics=test_metrics,
        files=files,
        tomtom_backend=spec.tomtom["backend"] if analysis["filters"] else None,
        **sections,
    )


def basset_filters(
    model, path, rc: str, spec: RunSpec, run_dir: str | Path, limit: int = 0
) -> dict:
    """First-layer filters over the streamed test split -> PPMs, MEME, Tomtom, match any.

    Returns
    -------
    dict
        As :func:`toolkit.steps.filter_analysis.filter_analysis`.
    """
    from toolkit.data.basset import stream
    from toolkit.filters import streaming_ppm
    from toolkit.models import first_layer_model
    from toolkit.steps.filter_analysis import filter_analysis

    first = first_layer_model(model)
    test = stream(path, "test", batch_size=256, shuffle=False, reverse_complement=rc)

    def fmap_batches():
        seen = 0
        for x, _ in test.batches():
            if limit and seen >= limit:
                return
            yield first(x, training=False).numpy(), x
            seen += len(x)

    ppms, n_windows = streaming_ppm(fmap_batches, spec.filters["threshold"], spec.filters["window"])
    return filter_analysis(ppms, n_windows, spec, RunFolder(Path(run_dir)), logo_columns=15)


def basset_saliency(model, path, analysis: dict, run_dir: str | Path) -> dict:
    """Saliency of class ``saliency_class`` on test sequences positive only for it, no N.

    ``saliency.npz``: ``saliency`` (n, L, 4) raw gradients, ``x`` int8, ``test_index``; and
    ``example_saliency`` / ``example_x`` for ``example_sequence`` when one is given.
    """
    from toolkit.attribution.saliency import saliency
    from toolkit.data.basset import stream
    from toolkit.plots import saliency_logos
    from toolkit.records import write_npz
    from toolkit.run_folder import SALIENCY
    from toolkit.steps.saliency_analysis import saliency_analysis

    run = RunFolder(Path(run_dir))
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

    example_arrays: dict[str, np.ndarray] = {}
    example_plots: list[str] = []
    example = analysis["example_sequence"].strip().upper()
    if example:
        if len(example) != test.length or set(example) - set("ACGT"):
            raise InputError(
                None, "analysis.example_sequence", f"expected {test.length} letters of A, C, G, T"
            )
        one_hot = np.eye(4, dtype=np.float32)[["ACGT".index(c) for c in example]][None]
        grad = saliency(model, one_hot, class_index=analysis["example_class"], batch_size=1)
        example_arrays = {"example_saliency": grad, "example_x": one_hot.astype(np.int8)}
        drawn = saliency_logos(grad * one_hot, [0], 0, test.length, run.file("saliency_example"))
        example_plots = [p.name for p in drawn]

    plot_range = (analysis["plot_start"], analysis["plot_end"])
    if len(x):
        info = saliency_analysis(
            model,
            x,
            rows,
            cls,
            run,
            analysis["plot_indices"],
            plot_range,
            batch_size=128,
            extra_arrays=example_arrays,
        )
    else:
        info = {"class_index": cls, "n_sequences": 0, "target": "prob", "files": [], "plots": []}
        info["plot_range"] = list(plot_range)
        if example_arrays:
            write_npz(run.file(SALIENCY), **example_arrays)
            info["files"] = [SALIENCY]
    if example:
        info["example_class"] = analysis["example_class"]
        info["plots"] = info["plots"] + example_plots
        info["files"] = info["files"] + example_plots
    return info
