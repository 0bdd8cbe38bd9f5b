"""Re-analyses of finished runs (:mod:`toolkit.config.analysis`): reload the weights, never retrain.

Each step has the run-step signature. It reads the source run's ``weights.h5``,
``history.json`` and ``record.json`` (never writes them), rebuilds its model from the source
spec (model, activation, ``model`` options), and writes a record of its own in the analysis
folder. That record carries the source's test metrics and history, and an ``analysis``
section (kind, parameter, value, source run and its spec hash).

- ``filter_threshold`` (Supp Fig 15): the filter -> PPM -> Tomtom -> match block with another
  ``filters.threshold``;
- ``attribution_references`` (Supp Fig 16): IG and DeepSHAP with another number of shuffled
  references, scored as Task 3;
- ``activations`` (Supp Fig 10): first-layer values before (BatchNorm output) and after the
  activation on the first test sequences, trained or freshly initialised (same seed);
- ``attribution_correction`` (issue 21): saliency, IG and DeepSHAP of a trained Task 3 run
  with ``attribution.correction`` = the value (``both``: corrected beside uncorrected),
  everything else as the source run (references drawn from the same streams, so its
  uncorrected scores repeat the source's for the same sequences), scored as Task 3, with
  the off-simplex statistics and the DeepSHAP convergence check;
- ``off_simplex`` (issue 21): how far the input gradients of a trained (or freshly
  initialised) model lie off the simplex plane, per class on its positive test sequences;
- ``localisation`` (Ext Data Fig 1c,d): the planted motifs found by the first layer's scan
  (max over filters) or by the 24 core motifs as PPMs or log-odds PWMs, scored by region
  (:mod:`toolkit.localisation`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from toolkit.config import RunSpec
from toolkit.config.model import build_kwargs
from toolkit.errors import InputError
from toolkit.run_folder import ACTIVATIONS as ACTIVATIONS_NPZ
from toolkit.run_folder import RunFolder
from toolkit.tasks import TASKS


def filter_threshold(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Filters of a trained run aligned at ``filters.threshold`` = the analysis value."""
    from toolkit.steps.filter_analysis import filter_analysis, model_ppms
    from toolkit.steps.record import Clock, record

    run, clock = RunFolder(Path(run_dir)), Clock()
    source = _Source(spec)
    with clock.lap("load"):
        data = source.test_data()
        model = source.model(data)
    with clock.lap("filters_tomtom"):
        ppms, n_windows = model_ppms(model, data.x_test, spec)
        filters = filter_analysis(ppms, n_windows, spec, run, ground_truth=True)
    sections = {key: filters[key] for key in ("match", "motif_db", "match_rule", "n_windows")}
    return source.record(record, run, clock, filters["files"], spec.tomtom["backend"], sections)


def attribution_references(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """IG and DeepSHAP of a trained Task 3 run with ``value`` shuffled references each."""
    value = spec.extra["analysis"]["value"]
    return _attribution(spec, run_dir, {"ig_references": value, "shap_references": value})


def attribution_correction(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Gradient methods of a trained Task 3 run with ``attribution.correction`` = ``value``."""
    return _attribution(spec, run_dir, {"correction": spec.extra["analysis"]["value"]})


def _attribution(spec: RunSpec, run_dir: str | Path, changed: dict) -> dict:
    """The attribution block on a trained Task 3 run: the source's attribution section with
    the analysis's methods, sequence count and ``changed``; no maps or logos saved."""
    from toolkit.steps.attribution_analysis import attribution_analysis
    from toolkit.steps.record import Clock, record

    run, clock = RunFolder(Path(run_dir)), Clock()
    source = _Source(spec)
    info = spec.extra["analysis"]
    attr = (
        TASKS["task3"].sections["attribution"]
        | source.spec_extra.get("attribution", {})
        | {
            "methods": info["params"]["methods"],
            "n_sequences": info["params"]["n_sequences"],
            "save_maps": False,
            "logo_sequences": 0,
        }
        | changed
    )
    with clock.lap("load"):
        data = source.test_data()
        model = source.model(data)
    with clock.lap("attribution"):
        result = attribution_analysis(
            model, data.x_test, data.y_test, data.model_test, attr, spec, run
        )
    files = {"attribution_scores": result["table"]}
    sections = {"attribution": result["summary"]}
    if result["off_simplex"] is not None:
        sections["off_simplex"] = result["off_simplex"]
    return source.record(record, run, clock, files, None, sections)


def off_simplex(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Off-simplex statistics of the input gradients of a trained (or untrained) model.

    Per class c of ``params.classes`` (all output columns when empty): the gradient of output
    c (``params.target``) at the first ``params.n_sequences`` test sequences positive for c
    (and without N); the statistics (:func:`toolkit.attribution.off_simplex_stats`) of all
    those gradients pooled, and per class. ``off_simplex_gradients.npz`` keeps the angles
    (``angles_<c>``, (n, L) degrees) and ``test_index_<c>``.
    """
    from toolkit.attribution import off_simplex_angles, off_simplex_stats, saliency
    from toolkit.files import write_npz
    from toolkit.run_folder import OFF_SIMPLEX
    from toolkit.steps.record import Clock, record

    run, clock = RunFolder(Path(run_dir)), Clock()
    source = _Source(spec)
    info = spec.extra["analysis"]
    params = info["params"]
    with clock.lap("load"):
        data = source.test_data()
        model = source.model(data, trained=info["value"] == "trained")
    classes = params["classes"] or list(range(data.y_test.shape[1]))
    one_hot = (data.x_test.max(axis=2) == 1).all(axis=1)
    gradients, per_class, arrays = [], {}, {}
    with clock.lap("gradients"):
        for c in classes:
            if c >= data.y_test.shape[1]:
                raise InputError(
                    spec.extra["analysis"]["source"]["run_dir"],
                    "params.classes",
                    f"class {c}: the model has {data.y_test.shape[1]} outputs",
                )
            rows = np.flatnonzero((data.y_test[:, c] == 1) & one_hot)[: params["n_sequences"]]
            if not len(rows):
                continue
            g = saliency(model, data.x_test[rows], class_index=int(c), target=params["target"])
            gradients.append(g)
            per_class[str(c)] = off_simplex_stats(g) | {"n_sequences": int(len(rows))}
            arrays[f"angles_{c}"] = off_simplex_angles(g).astype(np.float32)
            arrays[f"test_index_{c}"] = rows
    run.path.mkdir(parents=True, exist_ok=True)
    write_npz(run.file(OFF_SIMPLEX), **arrays)
    pooled = np.concatenate(gradients) if gradients else np.zeros((0, 1, 4))
    section = off_simplex_stats(pooled) | {
        "gradient": f"d {params['target']}[:, c] / d x, per class c on its positive test "
        f"sequences (first {params['n_sequences']}), uncorrected; pooled over classes",
        "state": info["value"],
        "classes": [int(c) for c in classes],
        "per_class": per_class,
    }
    return source.record(
        record, run, clock, {"off_simplex": OFF_SIMPLEX}, None, {"off_simplex": section}
    )


def activations(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """First-layer values before and after the activation (``trained`` or ``untrained``).

    ``activations.npz``: ``pre`` (n, L, F) the input of the activation (the first BatchNorm's
    output, or the conv's without BatchNorm), ``post`` (n, L, F) its output, ``test_index``.
    """
    import tensorflow as tf

    from toolkit.files import write_npz
    from toolkit.models.layers import FIRST_ACTIVATION_LAYER, FIRST_BN_LAYER, FIRST_CONV_LAYER
    from toolkit.steps.record import Clock, record

    run, clock = RunFolder(Path(run_dir)), Clock()
    source = _Source(spec)
    info = spec.extra["analysis"]
    with clock.lap("load"):
        data = source.test_data()
        model = source.model(data, trained=info["value"] == "trained")
    names = {layer.name for layer in model.layers}
    before = FIRST_BN_LAYER if FIRST_BN_LAYER in names else FIRST_CONV_LAYER
    n = min(info["params"]["n_sequences"], len(data.x_test))
    with clock.lap("activations"):
        probe = tf.keras.Model(
            model.input,
            [model.get_layer(before).output, model.get_layer(FIRST_ACTIVATION_LAYER).output],
        )
        pre, post = probe.predict(data.x_test[:n], batch_size=256, verbose=0)
    run.path.mkdir(parents=True, exist_ok=True)
    write_npz(
        run.file(ACTIVATIONS_NPZ),
        pre=pre.astype(np.float32),
        post=post.astype(np.float32),
        test_index=np.arange(n),
    )
    summary = {
        "layer_before": before,
        "layer_after": FIRST_ACTIVATION_LAYER,
        "n_sequences": int(n),
        "pre": _describe(pre),
        "post": _describe(post),
    }
    return source.record(
        record, run, clock, {"activations": ACTIVATIONS_NPZ}, None, {"activations": summary}
    )


def localisation(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Localisation AUROC/AUPR of one scan (``cnn``, ``ppm`` or ``pwm``) on the test set."""
    from toolkit.localisation import localisation as score
    from toolkit.localisation import motif_scan
    from toolkit.steps.record import Clock, record

    run, clock = RunFolder(Path(run_dir)), Clock()
    source = _Source(spec)
    info = spec.extra["analysis"]
    with clock.lap("load"):
        data = source.test_data()
    with clock.lap("scan"):
        if info["value"] == "cnn":
            from toolkit.models import first_layer_model

            fmap = first_layer_model(source.model(data)).predict(
                data.x_test, batch_size=512, verbose=0
            )
            scan = fmap.max(axis=2)
        else:
            from toolkit.data.task1 import core_motifs

            generate = {
                k: v
                for k, v in spec.data.get("generate", {}).items()
                if k in ("pfm", "core_names", "pyjaspar_release")
            }
            scan = motif_scan(data.x_test, core_motifs(**generate), kind=info["value"])
        result = score(scan, data.model_test, **info["params"])
    return source.record(
        record, run, clock, {}, None, {"localisation": result | {"scan": info["value"]}}
    )


class _Source:
    """The finished run an analysis spec re-analyses (read only)."""

    def __init__(self, spec: RunSpec):
        self.spec = spec
        info = spec.extra["analysis"]["source"]
        self.run = RunFolder(Path(info["run_dir"]))
        self.task = info["task"]
        self.spec_extra = info.get("extra") or {}
        record = self.run.read_record()
        if record is None or record.get("spec", {}).get("spec_hash") != info["spec_hash"]:
            raise InputError(
                self.run.record,
                "spec.spec_hash",
                f"expected the finished run {info['spec_hash']} this analysis was planned on; "
                "it is gone or was redone with other parameters",
            )
        self.record_ = record

    def test_data(self):
        from toolkit.data import load

        return load(self.spec.data["path"], task=TASKS[self.task].loader, splits=("test",))

    def model(self, data, trained: bool = True):
        """The source's model (same seed, options), with its trained weights unless not."""
        import tensorflow as tf

        from toolkit.models import build_model

        tf.keras.backend.clear_session()
        tf.keras.utils.set_random_seed(self.spec.seed)
        model = build_model(
            self.spec.model,
            activation=self.spec.activation,
            input_length=data.x_test.shape[1],
            n_outputs=data.y_test.shape[1],
            **build_kwargs(self.spec.model_options),
        )
        if trained:
            if not self.run.weights.is_file():
                raise InputError(
                    self.run.weights,
                    None,
                    "the source run has no trained weights (a record restored without its "
                    "files?): it cannot be re-analysed; leave it out with `runs:`",
                )
            model.load_weights(self.run.weights)
        return model

    def record(self, write, run, clock, files, tomtom_backend, sections) -> dict:
        """Write the analysis record: the source's metrics and history, plus ``analysis``."""
        source = self.record_
        metrics = source["metrics"] | {
            f"{k}_per_class": v for k, v in (source.get("metrics_per_class") or {}).items()
        }
        history = json.loads(self.run.history.read_text()) if self.run.history.exists() else {}
        info = self.spec.extra["analysis"]
        section = {
            "kind": info["kind"],
            "parameter": info["parameter"],
            "value": info["value"],
            "params": info["params"],
            "source_run": str(self.run.path),
            "source_spec_hash": info["source"]["spec_hash"],
            "source_weights": str(self.run.weights),
        }
        return write(
            self.spec,
            run,
            clock,
            history=history,
            metrics=metrics,
            files=files,
            tomtom_backend=tomtom_backend,
            analysis=section,
            **sections,
        )


def _describe(values: np.ndarray) -> dict:
    flat = values.astype(np.float64).ravel()
    q = np.quantile(flat, [0.01, 0.5, 0.99])
    return {
        "mean": float(flat.mean()),
        "std": float(flat.std()),
        "min": float(flat.min()),
        "max": float(flat.max()),
        "q01": float(q[0]),
        "median": float(q[1]),
        "q99": float(q[2]),
        "fraction_positive": float((flat > 0).mean()),
    }
