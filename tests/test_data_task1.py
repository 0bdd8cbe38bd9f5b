"""Task 1 generator (spec §1.1): layout, ground truth, RNG stream, golden hashes, bad inputs.

Regenerate the golden file only after reviewing why the arrays changed:
``python tests/test_data_task1.py --regenerate``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from toolkit.data import read_jaspar_pfm, task1
from toolkit.errors import InputError

REPO = Path(__file__).resolve().parents[1]
PFM = REPO.parent / "shared" / "reference_data" / "pfm_vertebrates.txt"
GOLDEN = REPO / "tests" / "fixtures" / "data" / "task1_golden.json"
KEYS = [f"{kind}_{split}" for split in ("train", "valid", "test") for kind in ("X", "Y", "model")]
CORE_WIDTHS = [6, 10, 11, 11, 15, 10, 12, 15, 11, 16, 11, 12]  # spec §1.1 table

task1_module = importlib.import_module("toolkit.data.task1")


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in f}


def _digests(arrays: dict[str, np.ndarray]) -> dict[str, str]:
    return {
        k: hashlib.sha256(np.ascontiguousarray(v, dtype="<f8").tobytes()).hexdigest()
        for k, v in sorted(arrays.items())
    }


@pytest.fixture(scope="module")
def pfm(reference_data) -> Path:
    return reference_data / "pfm_vertebrates.txt"


@pytest.fixture(scope="module")
def small(pfm, tmp_path_factory) -> Path:
    return task1(tmp_path_factory.mktemp("t1") / "small.h5", pfm=pfm, n_seq=200)


@pytest.fixture(scope="module")
def core_pwms(pfm) -> list[np.ndarray]:
    motifs = {m.name: m.pwm for m in read_jaspar_pfm(pfm)}
    pwms = []
    for name in task1_module.CORE_NAMES:
        pwms += [motifs[name], motifs[name][::-1, ::-1]]
    return pwms


def test_layout(small):
    with h5py.File(small, "r") as f:
        assert sorted(f) == sorted(KEYS)
        sizes = {"train": 140, "valid": 20, "test": 40}
        for split, n in sizes.items():
            assert f[f"X_{split}"].shape == (n, 4, 200)
            assert f[f"Y_{split}"].shape == (n, 12)
            assert f[f"model_{split}"].shape == (n, 4, 200)
        for key in KEYS:
            assert f[key].dtype == np.float64 and f[key].compression == "gzip"
        attrs = dict(f.attrs)
    assert attrs["seed"] == 33 and attrs["n_seq"] == 200 and attrs["seq_length"] == 200
    assert list(attrs["core_names"]) == list(task1_module.CORE_NAMES)
    assert list(attrs["core_ids"])[:2] == ["MA0151.1", "MA0466.2"]
    assert list(attrs["split_sizes"]) == [140, 20, 40]
    assert "pfm_vertebrates.txt" in attrs["jaspar_source"]
    assert attrs["generator_version"] == task1_module.GENERATOR_VERSION
    assert not [p for p in small.parent.iterdir() if p.name.endswith(".tmp")]


def test_onehot_and_ground_truth(small, core_pwms):
    data = _arrays(small)
    for split in ("train", "valid", "test"):
        x, y, model = data[f"X_{split}"], data[f"Y_{split}"], data[f"model_{split}"]
        assert set(np.unique(x)) <= {0.0, 1.0}
        np.testing.assert_array_equal(x.sum(axis=1), 1.0)
        np.testing.assert_allclose(model.sum(axis=1), 1.0, atol=1e-12)
        assert np.all(model[x == 1] > 0), "a sampled base has zero probability in its model"
        assert set(np.unique(y)) <= {0.0, 1.0} and np.all(y.sum(axis=1) >= 1)
        for i in range(len(x)):
            present = np.zeros(12, dtype=bool)
            for k, pwm in enumerate(core_pwms):
                windows = np.lib.stride_tricks.sliding_window_view(model[i], pwm.shape[1], axis=1)
                if np.any(np.all(windows == pwm[:, None, :], axis=(0, 2))):
                    present[k // 2] = True
            np.testing.assert_array_equal(y[i].astype(bool), present, err_msg=f"{split} {i}")


def test_motif_count_distribution():
    # 2,000 draws of the original generate_model steps: P(n) = .50/.25/.17/.05/.03.
    rs = np.random.RandomState(33)
    widths = np.repeat(CORE_WIDTHS, 2)
    counts = np.zeros(6)
    for _ in range(2000):
        ids, sep = task1_module._draw_model(rs, widths, 200)
        counts[len(ids)] += 1
        assert sep.sum() + widths[ids].sum() == 200 and np.all(sep >= 0)
    freq = counts[1:] / counts.sum()
    expected = np.array([0.50, 0.25, 0.17, 0.05, 0.03])
    tolerance = 4 * np.sqrt(expected * (1 - expected) / 2000) + 0.005
    assert counts[0] == 0
    assert np.all(np.abs(freq - expected) < tolerance), (freq, expected)


def test_first_sequence_replayed_by_hand(small, core_pwms):
    rs = np.random.RandomState(33)
    r = rs.rand()
    n = 1 + (r > 0.5) + (r > 0.75) + (r > 0.92) + (r > 0.97)
    assert (round(r, 12), n) == (0.248510127438, 1)
    ids = rs.randint(24, size=n)
    assert ids.tolist() == [2]  # index 2k = forward strand of TF k=1: CEBPB, 10 nt
    remainder = 200 - sum(CORE_WIDTHS[i // 2] for i in ids)
    sep = rs.uniform(0, 1, n + 1)
    gaps = np.round(sep / sum(sep) * remainder).astype(int)
    assert gaps.sum() == remainder and gaps.tolist() == [116, 74]  # no redraw needed
    z = rs.uniform(0, 1, 200)

    model = np.hstack([np.full((4, gaps[0]), 0.25), core_pwms[2], np.full((4, gaps[1]), 0.25)])
    cum = model.cumsum(axis=0)
    onehot = np.zeros((4, 200))
    for i in range(200):
        onehot[[j for j in range(4) if z[i] < cum[j, i]][0], i] = 1

    data = _arrays(small)
    found = [
        (split, row)
        for split in ("train", "valid", "test")
        for row in np.flatnonzero(np.all(data[f"model_{split}"] == model, axis=(1, 2)))
    ]
    assert len(found) == 1
    split, row = found[0]
    np.testing.assert_array_equal(data[f"X_{split}"][row], onehot)
    np.testing.assert_array_equal(data[f"Y_{split}"][row], np.eye(12)[1])


def test_deterministic_and_seed_dependent(pfm, small, tmp_path):
    again = task1(tmp_path / "again.h5", pfm=pfm, n_seq=200)
    other = task1(tmp_path / "other.h5", pfm=pfm, n_seq=200, seed=34)
    plots = task1(tmp_path / "plots.h5", pfm=pfm, n_seq=200, num_plot_draws=10)
    assert _digests(_arrays(again)) == _digests(_arrays(small))
    for changed in (other, plots):
        digests = _digests(_arrays(changed))
        assert all(digests[k] != v for k, v in _digests(_arrays(small)).items())


def test_golden_and_pyjaspar_source(pfm, tmp_path):
    golden = json.loads(GOLDEN.read_text())
    params = golden["params"]
    from_file = task1(tmp_path / "file.h5", pfm=pfm, **params, progress=False)
    assert _digests(_arrays(from_file)) == golden["sha256"]
    pytest.importorskip("pyjaspar")
    bundled = task1(tmp_path / "pyjaspar.h5", pfm=None, **params)
    assert _digests(_arrays(bundled)) == golden["sha256"]
    with h5py.File(bundled, "r") as f:
        assert "pyjaspar" in f.attrs["jaspar_source"]
        assert f.attrs["core_pwm_sha256"] == golden["core_pwm_sha256"]


@pytest.mark.slow
def test_full_size_reference_hashes(pfm, tmp_path):
    golden = json.loads(GOLDEN.read_text())["full_size"]
    out = task1(tmp_path / "full.h5", pfm=pfm, **golden["params"], progress=False)
    assert _digests(_arrays(out)) == golden["sha256"]


def test_odd_n_drops_one_sequence_like_the_notebook(pfm, tmp_path):
    out = task1(tmp_path / "n24.h5", pfm=pfm, n_seq=24)
    with h5py.File(out, "r") as f:
        assert [f[f"X_{s}"].shape[0] for s in ("train", "valid", "test")] == [16, 3, 4]


def _assert_rejected(pfm_path, tmp_path, fragment, field, **kwargs):
    out = tmp_path / "out" / "bad.h5"
    with pytest.raises(InputError) as err:
        task1(out, **{"pfm": pfm_path, "n_seq": 50, **kwargs})
    assert fragment in str(err.value) and field in str(err.value)
    assert not out.parent.exists(), "nothing may be written for rejected parameters"
    return str(err.value)


def test_rejects_unknown_motif_with_close_names(pfm, tmp_path):
    message = _assert_rejected(
        pfm, tmp_path, "'GABPA'", "core_names", core_names=["Arid3a", "GABPA"]
    )
    assert "pfm_vertebrates.txt" in message and "Gabpa" in message


@pytest.mark.parametrize(
    ("kwargs", "fragment", "field"),
    [
        ({"split": (0.7, 0.1, 0.1)}, "sum to 1", "split"),
        ({"split": (0.7, 0.3)}, "3 non-negative", "split"),
        ({"n_seq": 3}, "at least one sequence", "n_seq"),
        ({"n_seq": 0}, ">= 1", "n_seq"),
        ({"seq_length": 6}, "cannot hold any motif", "seq_length"),
        ({"seed": -1}, "seed", "seed"),
        ({"num_plot_draws": -1}, ">= 0", "num_plot_draws"),
        ({"core_names": ["SP1", "SP1"]}, "distinct", "core_names"),
    ],
)
def test_rejects_bad_parameters(pfm, tmp_path, kwargs, fragment, field):
    _assert_rejected(pfm, tmp_path, fragment, field, **kwargs)


def test_failed_write_leaves_old_file_and_no_temp(pfm, small, tmp_path, monkeypatch):
    out = tmp_path / "keep.h5"
    out.write_bytes(b"old")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(task1_module.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        task1(out, pfm=pfm, n_seq=20)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.h5"]


def _regenerate() -> None:
    """Rewrite the golden file (n_seq=100 and the full 30,000), after review only."""
    import tempfile

    small_params = {"n_seq": 100, "seed": 33, "seq_length": 200}
    full_params = {"n_seq": 30000, "seed": 33, "seq_length": 200}
    with tempfile.TemporaryDirectory() as tmp:
        small_out = task1(Path(tmp) / "small.h5", pfm=PFM, **small_params)
        full_out = task1(Path(tmp) / "full.h5", pfm=PFM, **full_params, progress=False)
        with h5py.File(small_out, "r") as f:
            core_sha = str(f.attrs["core_pwm_sha256"])
        golden = {
            "description": (
                "sha256 of each dataset (float64 little-endian C order) written by "
                "toolkit.data.task1 from ../shared/reference_data/pfm_vertebrates.txt. "
                "Cross-checked bit for bit against a literal port of the original notebook "
                "(np.random.seed(33), global stream) at n_seq=3000 and 30000."
            ),
            "regenerate": "python tests/test_data_task1.py --regenerate (only after review)",
            "numpy_version": np.__version__,
            "generator_version": task1_module.GENERATOR_VERSION,
            "core_pwm_sha256": core_sha,
            "params": small_params,
            "sha256": _digests(_arrays(small_out)),
            "full_size": {"params": full_params, "sha256": _digests(_arrays(full_out))},
        }
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(golden, indent=2) + "\n")
    print(f"wrote {GOLDEN.relative_to(REPO)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python tests/test_data_task1.py --regenerate")
    _regenerate()
