"""One Task 1 run end to end: train, evaluate, filters -> PPMs -> MEME -> Tomtom -> match.

The run writes everything into its own folder; the record (``record.json``) is written last
and atomically, so a run without a record is not done and is redone from scratch.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np

from toolkit.config import RunSpec
from toolkit.records import RECORD_NAME, container_record, package_versions, write_json

log = logging.getLogger(__name__)


def task1(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Run one (model, activation, trial) cell of Task 1 and write its record.

    Parameters
    ----------
    spec : RunSpec
        The run's parameters (paths already absolute).
    run_dir : str or Path
        The run's folder; created if missing.
    progress : bool
        Show a progress bar over epochs.

    Returns
    -------
    dict
        The record written to ``run_dir/record.json``.
    """
    import tensorflow as tf

    from toolkit.data import load
    from toolkit.filters import clip, ppm
    from toolkit.filters.logos import logos
    from toolkit.match import load_ground_truth, match
    from toolkit.meme_io import write_meme
    from toolkit.models import FIRST_ACTIVATION_LAYER, build_model, first_layer_model
    from toolkit.tomtom import tomtom, tomtom_version
    from toolkit.training import TrainConfig, metrics, train

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    timings: dict[str, float] = {}

    def lap(name: str, t0: float) -> float:
        timings[name] = round(time.time() - t0, 3)
        return time.time()

    t0 = time.time()
    data = load(spec.data["path"])
    t0 = lap("load", t0)

    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(spec.seed)  # python, numpy and TF seeds of this trial
    model = build_model(
        spec.model,
        activation=spec.activation,
        input_length=data.x_train.shape[1],
        n_outputs=data.y_train.shape[1],
    )
    config = TrainConfig.from_dict(spec.train)
    log.info("training %s (seed %d) on %d sequences", spec.name, spec.seed, len(data.x_train))
    # epoch checkpoints: a requeued (preempted, timed-out) run resumes from its last epoch
    checkpoint_dir = run_dir / "checkpoint"
    history = train(
        model,
        data.x_train,
        data.y_train,
        data.x_valid,
        data.y_valid,
        config,
        progress=progress,
        checkpoint_dir=checkpoint_dir,
    )
    t0 = lap("train", t0)
    weights = run_dir / "weights.h5"
    tmp_weights = run_dir / ".weights.tmp.h5"
    model.save_weights(tmp_weights)
    tmp_weights.replace(weights)
    write_json(run_dir / "history.json", history)

    predictions = model.predict(data.x_test, batch_size=512, verbose=0)
    test_metrics = metrics(data.y_test, predictions)
    t0 = lap("evaluate", t0)
    log.info("test AUROC %.4f AUPR %.4f", test_metrics["auroc"], test_metrics["aupr"])

    # filters: first-layer post-activation outputs on the whole test set (spec §5.1)
    fmap = first_layer_model(model).predict(data.x_test, batch_size=512, verbose=0)
    f = spec.filters
    ppms, n_windows = ppm(fmap, data.x_test, threshold=f["threshold"], window=f["window"])
    clipped = clip(
        ppms,
        f["clip_threshold"],
        f["clip_pad"],
        reproduce_index0_bug=f["reproduce_clip_index0_bug"],
    )
    np.savez_compressed(run_dir / "filters.npz", ppms=ppms, n_windows=n_windows)
    meme_path = write_meme(run_dir / "filters.meme", clipped)
    t0 = lap("filters", t0)

    t = spec.tomtom
    hits = tomtom(
        meme_path,
        t["target"],
        backend=t["backend"],
        out_dir=run_dir / "tomtom",
        thresh=t["thresh"],
        dist=t["dist"],
        min_overlap=t["min_overlap"],
    )
    log.info("tomtom (%s): %s", hits.attrs["version"], " ".join(map(str, hits.attrs["command"])))
    t0 = lap("tomtom", t0)
    ground_truth = load_ground_truth(spec.match["ground_truth"])
    result = match(
        hits,
        n_filters=len(ppms),
        ground_truth=ground_truth,
        reproduce_index0_bug=spec.match["reproduce_index0_bug"],
    )
    log.info("match fraction %.3f, match any %.3f", result.match_fraction, result.match_any)
    logo_files = []
    if f["logos"]:
        best_hit = hits.sort_values("q-value").drop_duplicates("Query_ID").set_index("Query_ID")
        titles = [
            f"filter{j} {best_hit.loc[f'filter{j}', 'Target_ID']}"
            if f"filter{j}" in best_hit.index
            else f"filter{j}"
            for j in range(len(clipped))
        ]
        logo_files = logos(clipped, run_dir / "filter_logos", titles=titles)
    lap("match_logos", t0)

    record = {
        "status": "done",
        "spec": spec.to_dict(),
        "seed": spec.seed,
        "versions": package_versions() | {"tomtom": tomtom_version(t["backend"])},
        "container": container_record(),  # image path and labels; None outside an image
        "first_layer": FIRST_ACTIVATION_LAYER,
        "epochs_run": len(history.get("loss", [])),
        "slurm": {
            k: os.environ.get(k)
            for k in (
                "SLURM_JOB_ID",
                "SLURM_ARRAY_JOB_ID",
                "SLURM_ARRAY_TASK_ID",
                "SLURM_RESTART_COUNT",
            )
        },
        "metrics": {k: test_metrics[k] for k in ("auroc", "aupr")},
        "metrics_per_class": {
            "auroc": test_metrics["auroc_per_class"],
            "aupr": test_metrics["aupr_per_class"],
        },
        "match": result.to_dict(),
        "n_windows": n_windows.tolist(),
        "files": {
            "weights": weights.name,
            "history": "history.json",
            "filters": "filters.npz",
            "meme": meme_path.name,
            "tomtom": "tomtom/tomtom.tsv",
            "logos": [p.name for p in logo_files],
        },
        "timings_s": timings,
        "wall_s": round(time.time() - started, 3),
    }
    write_json(run_dir / RECORD_NAME, record)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)  # the record and weights.h5 supersede it
    return record
