"""The validating loader: layouts of every data set, reverse complements, bad files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from toolkit.data import load, task1
from toolkit.errors import InputError

SPLITS = ("train", "valid", "test")


def _onehot(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    x = np.zeros((n, 4, length))
    x[np.arange(n)[:, None], rng.integers(4, size=(n, length)), np.arange(length)] = 1
    return x


def _arrays(n=(6, 2, 3), length=20, k=12, models=True, seed=0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for split, rows in zip(SPLITS, n, strict=True):
        out[f"X_{split}"] = _onehot(rng, rows, length)
        out[f"Y_{split}"] = rng.integers(2, size=(rows, k)).astype(np.float64)
        if models:
            model = rng.random((rows, 4, length))
            out[f"model_{split}"] = model / model.sum(axis=1, keepdims=True)
    return out


def _write(path, arrays: dict, attrs: dict | None = None):
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=value)
        for key, value in (attrs or {}).items():
            f.attrs[key] = value
    return path


def _rejects(path, fragments, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        load(path, **kwargs)
    message = str(err.value)
    assert path.name in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.fixture(scope="module")
def task1_file(tmp_path_factory, reference_data):
    out = tmp_path_factory.mktemp("load") / "synthetic_dataset.h5"
    return task1(out, pfm=reference_data / "pfm_vertebrates.txt", n_seq=60)


def test_generator_layout(task1_file):
    data = load(task1_file, task=1)
    with h5py.File(task1_file, "r") as f:
        raw = {k: f[k][()] for k in f}
    for split in SPLITS:
        x, y, model = (getattr(data, f"{kind}_{split}") for kind in ("x", "y", "model"))
        assert x.dtype == y.dtype == model.dtype == np.float32
        assert x.shape == (raw[f"X_{split}"].shape[0], 200, 4) and x.flags.c_contiguous
        np.testing.assert_array_equal(x, raw[f"X_{split}"].transpose(0, 2, 1))
        np.testing.assert_array_equal(y, raw[f"Y_{split}"])
        np.testing.assert_array_equal(model, raw[f"model_{split}"].astype(np.float32))
    assert data.attrs["seed"] == 33 and data.attrs["core_names"][0] == "Arid3a"
    assert data.path == task1_file and "x_test=(12, 200, 4)" in repr(data)


def test_reverse_complement_like_the_original(task1_file):
    plain = load(task1_file)
    rc = load(task1_file, reverse_complement=True)
    n = len(plain.x_train)
    assert rc.x_train.shape == (2 * n, 200, 4)
    np.testing.assert_array_equal(rc.x_train[:n], plain.x_train)
    # Channel-last RC: reverse positions and A,C,G,T -> T,G,C,A.
    np.testing.assert_array_equal(rc.x_train[n:], plain.x_train[:, ::-1, ::-1])
    np.testing.assert_array_equal(rc.y_train, np.concatenate([plain.y_train] * 2))
    np.testing.assert_array_equal(rc.model_train[n:], plain.model_train[:, ::-1, ::-1])


def test_test_split_only(tmp_path):
    arrays = _arrays()
    arrays["X_train"][0, :, 0] = 7  # broken, but never read
    path = _write(tmp_path / "d.h5", arrays)
    data = load(path, splits=("test",))
    assert data.x_train is None and data.y_valid is None and data.model_train is None
    assert data.x_test.shape == (3, 20, 4) and data.splits == ("test",)
    _rejects(path, ["X_train", "sequence 0, position 0", "one-hot"])


def test_zbed2_reference_file(paper_data):
    data = load(paper_data / "ZBED2_400_h3k27ac.h5", task=5, reverse_complement=True)
    assert data.x_train.shape == (2 * 3431, 400, 4) and data.y_train.shape == (2 * 3431, 1)
    assert data.x_test.shape == (2 * 981, 400, 4) and data.y_test.dtype == np.float32
    assert data.model_test is None and int(data.y_train[:3431].sum()) == 1729


def test_task2_layout_int8_with_trailing_axis_and_single_rows(tmp_path):
    arrays = _arrays(n=(5, 1, 2), k=12, models=False)
    int8 = {
        k: (v[..., None] if k.startswith("X") else v).astype(np.int8) for k, v in arrays.items()
    }
    data = load(_write(tmp_path / "invivo.h5", int8), task=2)
    assert data.x_train.shape == (5, 20, 4) and data.x_valid.shape == (1, 20, 4)
    assert data.y_valid.shape == (1, 12)
    one_col = _arrays(n=(3, 1, 1), k=1, models=False)
    data = load(_write(tmp_path / "one.h5", one_col), task=6)
    assert data.x_test.shape == (1, 20, 4) and data.y_test.shape == (1, 1)


def test_basset_layout_with_n_positions(tmp_path):
    arrays = _arrays(k=3, models=False)
    basset = {}
    for split in SPLITS:
        x = arrays[f"X_{split}"][:, :, None, :]  # Basset stores (N, 4, 1, L)
        x[0, :, 0, 5] = 0.25
        basset[f"{split}_in"] = x.astype(np.float32)
        basset[f"{split}_out"] = arrays[f"Y_{split}"].astype(np.int32)
    path = _write(tmp_path / "er.h5", basset)
    _rejects(path, ["train_in", "sequence 0, position 5", "one-hot"])
    data = load(path, allow_n=True)
    assert data.x_train.shape == (6, 20, 4)
    np.testing.assert_array_equal(data.x_train[0, 5], 0.25)


def test_models_loaded_only_when_complete(tmp_path):
    arrays = _arrays()
    del arrays["model_valid"]
    path = _write(tmp_path / "partial.h5", arrays)
    assert load(path).model_train is None
    assert load(path, splits=("train", "test")).model_train is not None
    _rejects(path, ["model_valid", "missing ground-truth models"], task=1)
    _rejects(path, ["model_valid"], models=True)


def test_missing_datasets_listed(tmp_path):
    arrays = _arrays()
    del arrays["Y_valid"]
    message = _rejects(_write(tmp_path / "d.h5", arrays), ["Y_valid", "missing datasets"])
    assert "X_valid" in message and "model_test" in message  # present keys listed too


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda a: a.update(X_valid=a["X_valid"].transpose(0, 2, 1)), ["X_valid", "channels-last"]),
        (lambda a: a.update(X_test=a["X_test"][:, :3]), ["X_test", "4 channels"]),
        (lambda a: a.update(X_test=_onehot(np.random.default_rng(1), 3, 21)), ["X_test", "length"]),
        (lambda a: a.update(Y_train=a["Y_train"][:5]), ["Y_train", "5 rows", "X_train has 6"]),
        (lambda a: a.update(Y_test=a["Y_test"][:, :11]), ["Y_test", "11 label columns"]),
        (lambda a: a.update(model_test=a["model_test"][:2]), ["model_test", "does not match"]),
        (
            lambda a: a["X_train"].__setitem__((2, slice(None), 3), 1),
            ["X_train", "sequence 2, position 3"],
        ),
        (lambda a: a["X_train"].__setitem__((1, 1, 4), np.nan), ["X_train", "NaN"]),
        (lambda a: a["X_valid"].__setitem__((0, slice(None), 7), 0.25), ["X_valid", "one-hot"]),
        (lambda a: a["Y_valid"].__setitem__((1, 2), np.nan), ["Y_valid", "NaN"]),
        (lambda a: a["Y_test"].__setitem__((2, 0), 0.5), ["Y_test", "row 2, column 0", "0.5"]),
        (lambda a: a["model_train"].__setitem__((0, 0, 0), 5), ["model_train", "probability"]),
        (lambda a: a.update(Y_train=np.array(["a"] * 6, dtype="S1")), ["Y_train", "not numeric"]),
    ],
)
def test_bad_files_name_file_dataset_and_problem(tmp_path, change, fragments):
    arrays = _arrays()
    change(arrays)
    _rejects(_write(tmp_path / "bad.h5", arrays), fragments)


def test_task_expectations(tmp_path):
    path = _write(tmp_path / "k1.h5", _arrays(k=1))
    _rejects(path, ["Y_train", "task 1 expects 12"], task=1)
    assert load(path, task=3).y_train.shape == (6, 1)
    _rejects(path, ["task", "unknown task"], task=9)
    _rejects(path, ["splits"], splits=("training",))


def test_not_found_and_not_hdf5(tmp_path):
    _rejects(tmp_path / "absent.h5", ["not found"])
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    _rejects(junk, ["not a readable HDF5 file"])
