"""Test metrics: per-class AUROC and trapezoid AUPR, golden values derived by hand."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.training import metrics


def test_hand_derived_values():
    y = np.array([[1, 1], [0, 0], [1, 1], [0, 0]])
    s = np.array([[0.9, 0.9], [0.8, 0.1], [0.7, 0.8], [0.1, 0.2]])
    out = metrics(y, s)
    # class 0: ROC points (0,0) (0,.5) (.5,.5) (.5,1) (1,1) -> 0.75
    # PR, trapezoid over recall: 0.5 * 1 + 0.5 * (0.5 + 2/3) / 2 = 0.791666...
    assert out["auroc_per_class"][0] == pytest.approx(0.75)
    assert out["aupr_per_class"][0] == pytest.approx(0.5 + 0.5 * (0.5 + 2 / 3) / 2)
    # class 1 is perfectly ranked
    assert out["auroc_per_class"][1] == pytest.approx(1.0)
    assert out["aupr_per_class"][1] == pytest.approx(1.0)
    assert out["auroc"] == pytest.approx((0.75 + 1.0) / 2)


def test_trapezoid_aupr_is_not_average_precision():
    from sklearn.metrics import average_precision_score

    y = np.array([1, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.1])
    assert metrics(y, s)["aupr"] != pytest.approx(average_precision_score(y, s))


def test_single_valued_class_is_nan_and_skipped_in_the_mean():
    y = np.array([[1, 0], [0, 0], [1, 0]])
    s = np.array([[0.9, 0.1], [0.2, 0.3], [0.8, 0.2]])
    out = metrics(y, s)
    assert np.isnan(out["auroc_per_class"][1])
    assert out["auroc"] == pytest.approx(1.0)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="differ in shape"):
        metrics(np.zeros((4, 2)), np.zeros((4, 3)))
