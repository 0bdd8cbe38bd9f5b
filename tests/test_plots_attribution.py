"""Task 3 figures: attribution logos beside the ground truth, per-method boxplots."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.plots import attribution_boxplots, attribution_logos


def test_attribution_logos_write_pdf_and_png(tmp_path):
    rng = np.random.default_rng(0)
    x = np.eye(4)[rng.integers(0, 4, size=(2, 30))]
    truth = np.full((2, 4, 30), 0.25)
    truth[:, :, 10:14] = np.array([[0.9, 0.1, 0.0, 0.0]] * 4).T  # a motif: 4 informative columns
    maps = {"saliency": rng.normal(size=(2, 30, 4)), "mutagenesis": rng.normal(size=(2, 30, 4))}
    written = attribution_logos(
        x,
        maps,
        truth,
        tmp_path / "run_exp_scale-0.5_logos",
        norms={"mutagenesis": "l2norm"},
        titles=["first", "second"],
        start=5,
        end=25,
    )
    assert [p.name for p in written] == [
        "run_exp_scale-0.5_logos.pdf",
        "run_exp_scale-0.5_logos.png",
    ]
    assert all(p.stat().st_size > 5000 for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in written
    )  # no temp files


def test_attribution_boxplots(tmp_path):
    rows = [
        {"model": m, "activation": a, "method": k, "auroc": 0.5 + 0.1 * t, "trial": t}
        for m in ("cnn-dist", "cnn-local")
        for a in ("relu", "exponential")
        for k in ("saliency", "deepshap")
        for t in range(3)
    ]
    written = attribution_boxplots(
        pd.DataFrame(rows), tmp_path / "box", activations=["exponential", "relu"]
    )
    assert [p.suffix for p in written] == [".pdf", ".png"] and all(
        p.stat().st_size > 5000 for p in written
    )
