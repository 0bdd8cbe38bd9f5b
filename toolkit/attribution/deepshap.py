"""DeepSHAP with per-sequence shuffled backgrounds, batched (spec §6, ``explain.deepshap``).

The original builds one ``shap.DeepExplainer(model, background)`` per sequence, with 10
position-shuffled copies of that sequence as the background, and calls ``shap_values(x)``.
Each new explainer traces a new TensorFlow graph (about 0.5 s per sequence here).

shap's TensorFlow DeepExplainer computes, for one sample x and background B (R rows), the
modified ("DeepLIFT rescale") gradient on the joint batch ``[x repeated R times; B]``: its
per-op gradient handlers split every batch into an input half and a reference half and pair
row i of one with row i of the other, element by element. The SHAP values are then
``mean_r grad_r * (x - B_r)``. Nothing in that pairing requires the R rows of the first half
to be the same sample, so we build **one** explainer and run its attribution graph
(``explainer.phi_symbolic`` through ``explainer.run``, shap 0.49) on the joint batch of many
sequences at once: first half every sequence repeated R times, second half each sequence's
own references, row for row. The result equals the per-sequence explainer's to float
rounding (checked to 1e-5 in the tests; about 1e-8 in practice).
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

from toolkit.attribution._common import (
    batched,
    check_onehot,
    check_references,
    output_function,
    positive_int,
    target_model,
)
from toolkit.attribution.correction import by_correction, check_correction
from toolkit.errors import InputError

#: Convergence delta levels (see :func:`convergence`): warn above, fail the method above.
CONVERGENCE_WARN = 1e-3
CONVERGENCE_FAIL = 1e-2


def deepshap(
    model,
    x: np.ndarray,
    references: np.ndarray | None = None,
    n_references: int = 10,
    class_index: int = 0,
    target: str = "prob",
    seed: int | np.random.RandomState | None = 0,
    batch_size: int = 1000,
    return_delta: bool = False,
    correction: str = "none",
):
    """SHAP values of one model output from shap's DeepExplainer, per-sequence backgrounds.

    Parameters
    ----------
    model : keras.Model
        Any TensorFlow Keras model with one input (None, L, 4) and one output (None, C),
        whose ops shap's DeepExplainer has rules for (Conv, Dense, BatchNorm, pooling, the
        usual activations, exp). Ops without a rule (``Pow`` of the modified relu, ``Log``
        and ``Abs`` of the log activations) and ``tf.custom_gradient`` ops back-propagate
        their plain gradient, as shap's TF1 graph mode did for the paper, which can break
        additivity: see :func:`convergence`.
    x : np.ndarray, shape (N, L, 4)
        One-hot sequences.
    references : np.ndarray, shape (N, R, L, 4), optional
        Background of each sequence; default: ``n_references`` position shuffles of it
        (:func:`toolkit.attribution.shuffled_references` with ``seed``), as the paper.
    n_references : int
        R when ``references`` is not given (paper: 10).
    class_index : int
        Output column explained.
    target : {"prob", "logit"}
        Sigmoid output (default, as the paper) or the pre-sigmoid logit.
    seed : int, np.random.RandomState or None
        For the default references.
    batch_size : int
        Rows of the joint batch per graph call (2 R per sequence; at least one sequence).
    return_delta : bool
        Also return the convergence delta (additivity error) per sequence; see
        :func:`convergence` for the rule a run applies to it.
    correction : {"none", "simplex", "both"}
        ``simplex``: each reference's multipliers m_r (L, 4) are replaced by
        ``m_r - mean_c m_r`` (their mean over the 4 channels at each position removed)
        before the product with ``(x - x'_r)`` and the mean over references. With one-hot
        references ``sum_c (x - x'_r) = 0`` at every position, so the corrected values keep
        the sum (and the convergence delta) of the uncorrected ones. ``both``: the two from
        the same multipliers.

    Returns
    -------
    np.ndarray, shape (N, L, 4), float32
        SHAP values ``mean_r multiplier_r * (x - x'_r)`` (corrected multipliers with
        ``simplex``); their sum approximates ``f(x) - mean_r f(x'_r)``. With ``both``, a
        dict ``{"none": values, "simplex": corrected values}``.
    np.ndarray, shape (N,), float64
        Only with ``return_delta``: ``sum(shap values) - (f(x) - mean_r f(x'_r))`` (with
        ``both``, a dict of such arrays keyed as the values).

    Raises
    ------
    InputError
        Before any compute: ``x`` not one-hot; references of the wrong shape; a model that is
        not (None, L, 4) -> (None, C); bad ``target``, ``class_index``, ``n_references`` or
        ``batch_size`` or ``correction``; a shap without the DeepExplainer internals used here.
    """
    method = "deepshap"
    x = check_onehot(x, method)
    check_correction(correction, method)
    batch_size = positive_int(batch_size, method, "batch_size")
    explained = target_model(model, method, target, class_index, x.shape[1])
    if references is None:
        from toolkit.attribution.references import shuffled_references

        references = shuffled_references(
            x, positive_int(n_references, method, "n_references"), seed
        )
    references = check_references(references, x, method)

    import shap

    n, length, _ = x.shape
    n_refs = references.shape[1]
    with warnings.catch_warnings(), _plain_gradients_for_unhandled_ops():
        # "Your TensorFlow version is newer than 2.4.0 ..." (shap's TF2 eager path is used) and
        # Keras' "set_learning_phase is deprecated" from shap's graph: both expected here
        warnings.simplefilter("ignore", UserWarning)
        explainer = getattr(shap.DeepExplainer(explained, references[0]), "explainer", None)
        if not (hasattr(explainer, "run") and hasattr(explainer, "phi_symbolic")):
            raise InputError(
                method,
                "shap",
                f"shap {shap.__version__}: DeepExplainer has no TensorFlow run/phi_symbolic "
                "internals (tested with shap 0.49.1)",
            )
        graph = explainer.phi_symbolic(int(class_index))
        per_chunk = max(1, batch_size // (2 * n_refs))
        parts = []
        for i in range(0, n, per_chunk):
            xs, refs = x[i : i + per_chunk], references[i : i + per_chunk]
            c = len(xs)
            # joint batch: sequence j repeated in rows j R .. j R + R - 1, then its references
            tiled = np.repeat(xs, n_refs, axis=0)
            flat_refs = refs.reshape(c * n_refs, length, 4)
            joint = np.concatenate([tiled, flat_refs], axis=0)
            grads = explainer.run(graph, explainer.model_inputs, [joint])[0][c * n_refs :]
            shape = (c, n_refs, length, 4)
            parts.append(
                [
                    (m * (tiled - flat_refs)).reshape(shape).mean(axis=1)
                    for m in (grads, grads - grads.mean(axis=-1, keepdims=True))
                ]
            )
    raw, corrected = (np.concatenate([p[k] for p in parts]).astype(np.float32) for k in (0, 1))
    values = by_correction(raw, corrected, correction)
    if not return_delta:
        return values
    forward = output_function(explained, int(class_index), length)
    f_x = batched(forward, x, 1000)
    f_ref = batched(forward, references.reshape(n * n_refs, length, 4), 1000)
    expected = f_x.astype(np.float64) - f_ref.reshape(n, n_refs).astype(np.float64).mean(axis=1)
    if isinstance(values, dict):
        return values, {
            k: v.sum(axis=(1, 2), dtype=np.float64) - expected for k, v in values.items()
        }
    return values, values.sum(axis=(1, 2), dtype=np.float64) - expected


@contextlib.contextmanager
def _plain_gradients_for_unhandled_ops():
    """Ops without a DeepExplainer rule back-propagate their plain gradient, as in shap's TF1
    graph mode (the paper's): shap's TF2 path records every op as ``shap_<type>`` and raises
    ``LookupError`` for a type it has no rule for (``Pow`` of the modified relu, ``Log`` and
    ``Abs`` of the log activations). For the duration, ``shap_<type>`` of each such type
    points to the type's own gradient; the convergence check then says whether the maps still
    add up.
    """
    from shap.explainers._deep import deep_tf
    from tensorflow.python.framework import ops

    registry = ops._gradient_registry._registry
    added = [
        f"shap_{name}"
        for name in list(registry)
        if not name.startswith("shap_")
        and name not in deep_tf.op_handlers
        and f"shap_{name}" not in registry
    ]
    for name in added:
        registry[name] = registry[name[5:]]
    try:
        yield
    finally:
        for name in added:
            registry.pop(name, None)


def convergence(delta: np.ndarray) -> dict:
    """The convergence check of one DeepSHAP run, from its per-sequence deltas.

    The rule: with ``d = max_n |delta_n|`` over the run's sequences, the method **fails**
    when ``d > CONVERGENCE_FAIL`` (1e-2: its maps do not add up to the output difference,
    e.g. an op shap's DeepExplainer has no rule for fell back to the plain gradient), is
    **warned** about when ``d > CONVERGENCE_WARN`` (1e-3), else passes. The deltas are in
    the explained output's units (the sigmoid probability by default).

    Parameters
    ----------
    delta : array, shape (N,)
        ``sum(shap values) - (f(x) - mean_r f(x'_r))`` per sequence (``return_delta``).

    Returns
    -------
    dict
        ``status`` (``ok``, ``warn`` or ``fail``), ``max_abs``, ``mean_abs``, ``n_warn``
        (sequences above the warning level), ``n_fail`` (above the failure level), ``warn``
        and ``fail`` (the levels), ``rule`` (in words).
    """
    d = np.abs(np.asarray(delta, dtype=np.float64))
    worst = float(d.max()) if d.size else 0.0
    status = "fail" if worst > CONVERGENCE_FAIL else "warn" if worst > CONVERGENCE_WARN else "ok"
    return {
        "status": status,
        "max_abs": worst,
        "mean_abs": float(d.mean()) if d.size else 0.0,
        "n_warn": int((d > CONVERGENCE_WARN).sum()),
        "n_fail": int((d > CONVERGENCE_FAIL).sum()),
        "warn": CONVERGENCE_WARN,
        "fail": CONVERGENCE_FAIL,
        "rule": "delta = sum(map) - (f(x) - mean_r f(x'_r)) per sequence; fail if "
        "max |delta| > fail, warn if > warn",
    }
