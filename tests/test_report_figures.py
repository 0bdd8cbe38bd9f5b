"""The paper's figures drawn from files beside the records (Fig. 1a, Fig. 2c/d, Supp 11a)."""

from __future__ import annotations

import copy

import h5py
import numpy as np
import pytest
from report_records import record, write_sweep

from toolkit.config.names import ALL_ACTIVATIONS
from toolkit.report.activation_curves import activation_curves
from toolkit.report.build import report


@pytest.mark.parametrize("name", [*ALL_ACTIVATIONS, "exp_scale:0.5", "exp_shift:1"])
def test_numpy_curves_are_the_trained_activations(name):
    import tensorflow as tf

    from toolkit.activations import activations

    x = np.linspace(-4, 4, 81)
    want = activations(name)(tf.constant(x, tf.float64)).numpy()
    np.testing.assert_allclose(activation_curves(name, x), want, rtol=1e-6, atol=1e-9)


def test_task3_figures_from_maps_and_the_data_set(tmp_path):
    rng = np.random.default_rng(0)
    length, n_test = 40, 12
    truth = np.full((n_test, 4, length), 0.25)
    truth[:, :, 10:16] = np.eye(4)[:, [0, 1, 2, 3, 0, 1]]  # a motif at 10..15
    data = tmp_path / "t3.h5"
    with h5py.File(data, "w") as f:
        f["model_test"] = truth
    root = tmp_path / "task3"
    recs = []
    for act, base in (("relu", 0.6), ("exponential", 0.8), ("shift_scale_relu", 0.75)):
        for trial in range(3):
            rec = record(
                "cnn-dist",
                act,
                trial,
                task="task3",
                sweep="t3",
                auroc=0.9 + 0.01 * trial,
                aupr=0.8,
                attribution={
                    "saliency": {"auroc": base + 0.02 * trial, "aupr": base - 0.2},
                    "deepshap": {"auroc": base, "aupr": base - 0.1},
                },
            )
            rec["spec"] = copy.deepcopy(rec["spec"])
            rec["spec"]["data"] = {"path": str(data), "generate": {}}
            recs.append(rec)
    write_sweep(root, recs, name="t3", task="task3")
    for rec in recs:  # maps of the first 5 positives (test rows 2..6), as the step saves them
        x = np.eye(4, dtype=np.int8)[rng.integers(0, 4, (5, length))]
        np.savez(
            root / "runs" / rec["spec"]["name"] / "attribution_maps.npz",
            x=x,
            test_index=np.arange(2, 7),
            saliency=rng.normal(size=(5, length, 4)).astype(np.float32),
        )
    result = report(root, progress=False)
    names = {p.name for p in result.files["figures"]}
    for expected in (
        "activation_functions.png",
        "task3_attribution_logos_cnn-dist.png",
        "task3_attribution_aupr.png",
        "task3_classification_vs_attribution.png",
        "task3_modified_attribution.png",
    ):
        assert expected in names, sorted(names)
    html = (root / "report" / "index.html").read_text()
    assert "relu vs exponential attribution maps" in html and "Fig. 2c" in html
