"""One Task 5 (ZBED2) or Task 6 (IRF1) run end to end on the real ChIP-seq data (spec §7).

ResidualBind with one first-layer activation, trained as the paper: reverse-complement copies
appended to every split (``load(..., reverse_complement=True)``), early stopping and the LR
schedule on ``val_auroc`` (the config's ``train.monitor``). Then:

- test AUROC/AUPR (on the RC-doubled test split, as the original evaluated it);
- the 24 first-layer filters -> activation-aligned PPMs -> clipped MEME -> Tomtom against
  JASPAR -> "match any JASPAR" (there is no ground truth for real data); logos titled with
  each filter's best hit;
- saliency (d sigmoid output / d input, spec §6) on the first ``saliency.n_sequences``
  positive test sequences in test order (with the RC copies appended after the originals,
  as the original's ``x_test[y_test == 1][:500]``), saved as ``saliency.npz``;
- saliency x input plots of the config's hand-picked indices (``saliency.plot_indices``) over
  positions ``[plot_start, plot_end)``, as the paper's figures.

The record (``record.json``) is written last and atomically.
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
from toolkit.records import RECORD_NAME, atomic_write_bytes, package_versions, write_json

log = logging.getLogger(__name__)


def task56(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Run one (model, activation, trial) cell of Task 5 or Task 6 and write its record.

    Parameters
    ----------
    spec : RunSpec
        The run's parameters (paths already absolute); ``spec.extra`` holds the ``augment``
        and ``saliency`` sections (defaults in :data:`toolkit.steps.TASK_SECTIONS`).
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
    from toolkit.models import FIRST_ACTIVATION_LAYER, build_model
    from toolkit.steps import LOADER_TASK, TASK_SECTIONS
    from toolkit.tomtom import tomtom_version
    from toolkit.training import TrainConfig, metrics, train

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    timings: dict[str, float] = {}
    extra = {
        name: defaults | spec.extra.get(name, {})
        for name, defaults in TASK_SECTIONS[spec.task].items()
    }
    sal = extra["saliency"]

    t0 = time.time()
    data = load(
        spec.data["path"],
        task=LOADER_TASK[spec.task],
        reverse_complement=extra["augment"]["reverse_complement"],
    )
    _check_saliency_options(sal, data.y_test.shape[1])
    timings["load"] = round(time.time() - t0, 3)

    t0 = time.time()
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(spec.seed)
    model = build_model(
        spec.model,
        activation=spec.activation,
        input_length=data.x_train.shape[1],
        n_outputs=data.y_train.shape[1],
    )
    config = TrainConfig.from_dict(spec.train)
    log.info(
        "training %s (seed %d) on %d sequences (%s)",
        spec.name,
        spec.seed,
        len(data.x_train),
        "with RC copies" if extra["augment"]["reverse_complement"] else "no RC",
    )
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
    timings["train"] = round(time.time() - t0, 3)
    weights = run_dir / "weights.h5"
    tmp_weights = run_dir / ".weights.tmp.h5"
    model.save_weights(tmp_weights)
    tmp_weights.replace(weights)
    write_json(run_dir / "history.json", history)

    t0 = time.time()
    predictions = model.predict(data.x_test, batch_size=512, verbose=0)
    test_metrics = metrics(data.y_test, predictions)
    timings["evaluate"] = round(time.time() - t0, 3)
    log.info("test AUROC %.4f AUPR %.4f", test_metrics["auroc"], test_metrics["aupr"])

    t0 = time.time()
    filters = filter_analysis(model, data.x_test, spec, run_dir)
    timings["filters_tomtom"] = round(time.time() - t0, 3)
    log.info("match any JASPAR %.3f", filters["match"]["match_any"])

    t0 = time.time()
    saliency_info = saliency_analysis(model, data.x_test, data.y_test, sal, run_dir)
    timings["saliency"] = round(time.time() - t0, 3)

    record = {
        "status": "done",
        "spec": spec.to_dict(),
        "seed": spec.seed,
        "versions": package_versions() | {"tomtom": tomtom_version(spec.tomtom["backend"])},
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
        "data": {
            "path": spec.data["path"],
            "n": {s: int(len(getattr(data, f"x_{s}"))) for s in ("train", "valid", "test")},
            "reverse_complement": extra["augment"]["reverse_complement"],
        },
        "metrics": {k: test_metrics[k] for k in ("auroc", "aupr")},
        "metrics_per_class": {
            "auroc": test_metrics["auroc_per_class"],
            "aupr": test_metrics["aupr_per_class"],
        },
        "match": filters["match"],
        "n_windows": filters["n_windows"],
        "saliency": saliency_info,
        "files": {
            "weights": weights.name,
            "history": "history.json",
            "filters": "filters.npz",
            "meme": "filters.meme",
            "tomtom": "tomtom/tomtom.tsv",
            "logos": filters["logos"],
            "saliency": saliency_info["file"],
            "saliency_plots": saliency_info["plots"],
        },
        "timings_s": timings,
        "wall_s": round(time.time() - started, 3),
    }
    write_json(run_dir / RECORD_NAME, record)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)  # the record and weights.h5 supersede it
    return record


def filter_analysis(model, x_test: np.ndarray, spec: RunSpec, run_dir: Path) -> dict:
    """First-layer filters -> PPMs -> MEME -> Tomtom -> match any JASPAR, plus logos.

    Returns
    -------
    dict
        ``match`` (``match_any``, the best hit per filter; ``match_fraction`` and ``coverage``
        are None: real data has no ground truth), ``n_windows`` and the logo file names.
    """
    from toolkit.filters import clip, ppm
    from toolkit.filters.logos import logos
    from toolkit.meme_io import read_meme_file, write_meme
    from toolkit.models import first_layer_model
    from toolkit.tomtom import tomtom

    f, t = spec.filters, spec.tomtom
    fmap = first_layer_model(model).predict(x_test, batch_size=512, verbose=0)
    ppms, n_windows = ppm(fmap, x_test, threshold=f["threshold"], window=f["window"])
    clipped = clip(
        ppms,
        f["clip_threshold"],
        f["clip_pad"],
        reproduce_index0_bug=f["reproduce_clip_index0_bug"],
    )
    np.savez_compressed(run_dir / "filters.npz", ppms=ppms, n_windows=n_windows)
    meme_path = write_meme(run_dir / "filters.meme", clipped)
    hits = tomtom(
        meme_path,
        t["target"],
        backend=t["backend"],
        out_dir=run_dir / "tomtom",
        thresh=t["thresh"],
        dist=t["dist"],
        min_overlap=t["min_overlap"],
    )
    names = {k: v or k for k, v in read_meme_file(t["target"]).alt_names().items()}
    result = match_any(hits, len(ppms), names)
    logo_files = []
    if f["logos"]:
        titles = [f"filter{j} {name}".strip() for j, name in enumerate(result["best_name"])]
        logo_files = [p.name for p in logos(clipped, run_dir / "filter_logos", titles=titles)]
    return {"match": result, "n_windows": n_windows.tolist(), "logos": logo_files}


def match_any(
    hits,
    n_filters: int,
    names: dict[str, str] | None = None,
    excluded_if_only_hit: tuple[str, ...] = ("MA0615.1",),
) -> dict:
    """ "Match any JASPAR" of real data: the fraction of filters with any Tomtom hit.

    As :func:`toolkit.match.match`'s ``match_any`` (a filter whose only hit is Gmeb1,
    MA0615.1, does not count), plus each filter's best hit (lowest q-value, then E-value).

    Returns
    -------
    dict
        ``match_any``; ``best_match`` / ``best_name`` / ``best_qvalue`` per filter ('' /
        '' / 1.0 without a hit); ``match_fraction`` and ``coverage`` None.
    """
    names = names or {}
    best_id, best_name, best_q = [""] * n_filters, [""] * n_filters, [1.0] * n_filters
    n_matched = 0
    if len(hits):
        table = hits.assign(filter=hits["Query_ID"].astype(str).str.removeprefix("filter"))
        table = table[table["filter"].str.isdigit()].astype({"filter": int})
        table = table.sort_values(["filter", "q-value", "E-value"], kind="stable")
        for j, group in table.groupby("filter", sort=True):
            if j >= n_filters:
                raise InputError(
                    None, "Query_ID", f"filter{j} is not filter0..filter{n_filters - 1}"
                )
            targets = list(group["Target_ID"].astype(str))
            if not (len(targets) == 1 and targets[0] in excluded_if_only_hit):
                n_matched += 1
            best_id[j] = targets[0]
            best_name[j] = names.get(targets[0], targets[0])
            best_q[j] = float(group["q-value"].iloc[0])
    return {
        "match_any": n_matched / n_filters,
        "match_fraction": None,
        "coverage": None,
        "best_match": best_id,
        "best_name": best_name,
        "best_qvalue": best_q,
    }


def _check_saliency_options(sal: dict, n_classes: int) -> None:
    if sal["n_sequences"] < 1 or sal["batch_size"] < 1:
        raise InputError(None, "saliency", "n_sequences and batch_size must be >= 1")
    if not 0 <= sal["class_index"] < n_classes:
        raise InputError(None, "saliency.class_index", f"expected 0..{n_classes - 1}")
    if not 0 <= sal["plot_start"] < sal["plot_end"]:
        raise InputError(None, "saliency.plot_start", "expected 0 <= plot_start < plot_end")
    bad = [
        i for i in sal["plot_indices"] if not isinstance(i, int) or not 0 <= i < sal["n_sequences"]
    ]
    if bad:
        raise InputError(
            None,
            "saliency.plot_indices",
            f"{bad} are not indices into the first {sal['n_sequences']} positives",
        )


def saliency_analysis(
    model, x_test: np.ndarray, y_test: np.ndarray, sal: dict, run_dir: Path
) -> dict:
    """Saliency of the first ``n_sequences`` positive test sequences, saved and plotted.

    ``saliency.npz`` holds ``saliency`` (n, L, 4) float32 raw gradients of the sigmoid output,
    ``x`` (n, L, 4) int8 the sequences, and ``test_index`` (n,) their rows in the (RC-doubled)
    test split. The plots show saliency x input for ``plot_indices`` over
    ``[plot_start, plot_end)``.
    """
    class_index = sal["class_index"]
    rows = np.flatnonzero(y_test[:, class_index] == 1)[: sal["n_sequences"]]
    x = x_test[rows]
    grad, method = gradient(model, x, class_index, sal["batch_size"])
    buffer = _npz_bytes(
        saliency=grad.astype(np.float32), x=x.astype(np.int8), test_index=rows.astype(np.int64)
    )
    atomic_write_bytes(run_dir / "saliency.npz", buffer)
    indices = [i for i in sal["plot_indices"] if i < len(x)]
    plots: list[str] = []
    if indices:
        start, end = sal["plot_start"], min(sal["plot_end"], x.shape[1])
        plots = [
            p.name
            for p in plot_saliency(
                grad[indices] * x[indices], indices, start, end, run_dir / "saliency_plots"
            )
        ]
    return {
        "file": "saliency.npz",
        "n_sequences": int(len(x)),
        "class_index": class_index,
        "method": method,
        "target": "prob",
        "plot_indices": indices,
        "plot_range": [sal["plot_start"], sal["plot_end"]],
        "plots": plots,
    }


def gradient(model, x: np.ndarray, class_index: int, batch_size: int) -> tuple[np.ndarray, str]:
    """d sigmoid output / d input: ``toolkit.attribution.saliency`` when it is installed.

    Falls back to a private tape gradient (same definition, spec §6) so this step does not
    depend on the attribution package being present.
    """
    try:
        from toolkit.attribution.saliency import saliency
    except ImportError:
        saliency = None
    if saliency is not None:
        return saliency(
            model, x, class_index=class_index, batch_size=batch_size
        ), "toolkit.attribution.saliency"
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, x.shape[1], 4], tf.float32)])
    def grad(batch):
        with tf.GradientTape() as tape:
            tape.watch(batch)
            out = model(batch, training=False)[:, class_index]
        return tape.gradient(out, batch)

    parts = [
        grad(tf.constant(x[i : i + batch_size], tf.float32)).numpy()
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(parts).astype(np.float32), "toolkit.steps.task56.gradient"


def plot_saliency(
    maps: np.ndarray, indices: list[int], start: int, end: int, path: Path
) -> list[Path]:
    """One logo row per map (saliency x input, (n, L, 4)) over ``[start, end)``; PDF and PNG."""
    import io

    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, axes = plt.subplots(len(maps), 1, figsize=(20, 1.6 * len(maps)), squeeze=False)
    for ax, values, index in zip(axes[:, 0], maps, indices, strict=True):
        frame = pd.DataFrame(values[start:end], columns=list("ACGT"), index=range(start, end))
        logomaker.Logo(frame, ax=ax, show_spines=False)
        ax.set_ylabel(f"seq {index}", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[-1, 0].set_xlabel("position")
    fig.tight_layout()
    written = []
    for suffix in (".pdf", ".png"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=suffix[1:], dpi=120 if suffix == ".png" else None)
        written.append(atomic_write_bytes(path.with_suffix(suffix), buffer.getvalue()))
    plt.close(fig)
    return written


def _npz_bytes(**arrays) -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()
