"""Task 4 analysis on rank 0: streamed filter PPMs, Tomtom/match-any, class-4 saliency."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.filters import ppm, streaming_ppm


def test_streaming_ppm_equals_the_in_memory_ppm():
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (37, 90))]
    fmap = rng.gamma(1.0, size=(37, 90, 6)).astype(np.float32)
    fmap[5, 2, 0] = 50  # a filter whose maximum sits near the edge (its window is dropped)

    def batches():
        for a in range(0, 37, 8):
            yield fmap[a : a + 8], x[a : a + 8]

    got, n = streaming_ppm(batches, 0.5, 20)
    want, n_want = ppm(fmap, x, threshold=0.5, window=20)
    np.testing.assert_array_equal(n, n_want)
    np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.slow
def test_filters_and_saliency_on_a_tiny_basset_file(tmp_path, reference_data):
    import tensorflow as tf
    from reference_data import write_basset_layout

    from toolkit.config import RunSpec
    from toolkit.models import build_model
    from toolkit.steps.task4 import basset_filters, basset_saliency
    from toolkit.tasks import TASKS

    rng = np.random.default_rng(1)
    x = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (30, 600))].transpose(0, 2, 1)
    y = np.zeros((30, 164), np.uint8)
    y[::3, 4] = 1  # rows 0, 3, 6, ...: positive only for class 4
    y[3, 7] = 1  # ... except row 3 (also class 7)
    x[6, :, 100] = 0  # row 6 has an N
    path = write_basset_layout(tmp_path / "er.h5", {"test": (x, y)})
    tf.keras.utils.set_random_seed(0)
    model = build_model("basset", "exponential")
    analysis = TASKS["task4"].sections["analysis"] | {
        "saliency_sequences": 4,
        "plot_indices": [0, 2],
        "example_sequence": "ACGT" * 150,
        "example_class": 113,
    }
    info = basset_saliency(model, path, analysis, tmp_path)
    saved = np.load(tmp_path / "saliency.npz")
    assert list(saved["test_index"]) == [0, 9, 12, 15]  # not 3 (two classes), not 6 (N)
    assert saved["saliency"].shape == (4, 600, 4) and saved["example_saliency"].shape == (1, 600, 4)
    assert info["plot_indices"] == [0, 2] and (tmp_path / "saliency_plots.png").exists()
    assert (tmp_path / "saliency_example.png").exists()

    spec = RunSpec(
        task="task4",
        sweep="s",
        model="basset",
        activation="exponential",
        trial=0,
        seed=0,
        filters={
            "threshold": 0.5,
            "window": 20,
            "clip_threshold": 0.5,
            "clip_pad": 3,
            "reproduce_clip_index0_bug": False,
            "logos": False,
        },
        tomtom={
            "backend": "lite",
            "thresh": 0.1,
            "dist": "ed",
            "min_overlap": 1,
            "target": str(reference_data / "JASPAR_CORE_2016_vertebrates.meme"),
        },
    )
    found = basset_filters(model, path, "both", spec, tmp_path)
    assert len(found["match"]["best_match"]) == 300 and len(found["n_windows"]) == 300
    assert 0 <= found["match"]["match_any"] <= 1
    assert (tmp_path / "tomtom" / "tomtom.tsv").exists()
    assert np.load(tmp_path / "filters.npz")["ppms"].shape == (300, 20, 4)
