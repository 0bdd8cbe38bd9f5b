"""Basset streaming loader (spec §1.4) on tiny files of the ``er.h5`` layout."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from reference_data import write_basset_layout

from toolkit.data.basset import stream
from toolkit.errors import InputError

L, T = 600, 164


def _arrays(rng, n, dtype=np.uint8, n_rate=0.01):
    """One-hot (n, 4, L) with some N positions (all 0 for ints, all 0.25 for floats)."""
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, L))].transpose(0, 2, 1)
    unknown = rng.random((n, L)) < n_rate
    x.transpose(0, 2, 1)[unknown] = 0 if np.dtype(dtype).kind != "f" else 0.25
    y = (rng.random((n, T)) < 0.1).astype(np.uint8)
    return x.astype(dtype), y


@pytest.fixture
def tiny(tmp_path):
    rng = np.random.default_rng(0)
    splits = {"train": _arrays(rng, 301), "valid": _arrays(rng, 50), "test": _arrays(rng, 45)}
    labels = [f"cell{i}" for i in range(T)]
    return write_basset_layout(tmp_path / "er.h5", splits, labels, chunk_rows=64), splits


def _expected(x_stored):
    out = x_stored.astype(np.float32).transpose(0, 2, 1)
    out[out.sum(axis=2) == 0] = 0.25
    return out


def _keys(batch_x):
    """Rows of yielded float32 (b, L, 4) as bytes of the stored uint8 (4, L) form."""
    return [(s.T == 1).astype(np.uint8).tobytes() for s in batch_x]


def test_layout_and_ordered_reads_match_the_arrays(tiny):
    path, splits = tiny
    with h5py.File(path) as f:
        assert f["train_in"].shape == (301, 4, 1, L) and f["train_in"].dtype == np.uint8
    s = stream(path, "test", batch_size=16, shuffle=False, reverse_complement="none")
    assert (s.n, s.length, s.n_targets, s.steps_per_epoch) == (45, L, T, 3)
    assert s.target_labels[:2] == ["cell0", "cell1"]
    xs, ys = zip(*s.batches(), strict=True)
    np.testing.assert_array_equal(np.concatenate(xs), _expected(splits["test"][0]))
    np.testing.assert_array_equal(np.concatenate(ys), splits["test"][1].astype(np.float32))
    assert (np.concatenate(xs) == 0.25).all(axis=2).any()  # N positions came out as 0.25
    # "both": every sequence followed (in its batch) by its reverse complement
    both = stream(path, "test", batch_size=10, shuffle=False, reverse_complement="both")
    x, y = next(both.batches())
    np.testing.assert_array_equal(x[5:], x[:5, ::-1, ::-1])
    np.testing.assert_array_equal(y[5:], y[:5])
    assert both.steps_per_epoch == 9


def test_float_files_with_quarter_n_read_the_same(tmp_path):
    rng = np.random.default_rng(1)
    x, y = _arrays(rng, 40, dtype=np.float16)
    path = write_basset_layout(tmp_path / "f.h5", {"test": (x, y)})
    got = np.concatenate(
        [
            b
            for b, _ in stream(
                path, "test", shuffle=False, batch_size=7, reverse_complement="none"
            ).batches()
        ]
    )
    np.testing.assert_array_equal(got, x.astype(np.float32).transpose(0, 2, 1))


def test_shuffled_epochs_shards_and_random_reverse_complement(tiny):
    path, splits = tiny
    x_train, y_train = splits["train"]
    index = {k: i for i, k in enumerate(_keys(_expected(x_train)))}
    rc_index = {k: i for i, k in enumerate(_keys(_expected(x_train)[:, ::-1, ::-1]))}

    def epoch(rank, size, e, rc="none"):
        s = stream(
            path,
            "train",
            batch_size=20,
            shard=(rank, size),
            seed=3,
            reverse_complement=rc,
            chunk_rows=32,
            buffer_chunks=2,
        )
        batches = list(s.batches(e))
        assert len(batches) == s.steps_per_epoch
        assert all(b.shape == (20, L, 4) and c.shape == (20, T) for b, c in batches)
        rows, flipped = [], 0
        for bx, by in batches:
            for label, key in zip(by, _keys(bx), strict=True):
                i = index.get(key)
                if i is None:
                    i, flipped = rc_index[key], flipped + 1
                np.testing.assert_array_equal(label, y_train[i])
                rows.append(i)
        return rows, flipped

    rows, _ = epoch(0, 1, 0)
    assert len(rows) == len(set(rows)) == 15 * 20  # one epoch: no sequence twice
    assert rows != sorted(rows)  # shuffled
    assert epoch(0, 1, 0)[0] == rows and epoch(0, 1, 1)[0] != rows  # seeded per epoch
    r0, r1 = epoch(0, 2, 0)[0], epoch(1, 2, 0)[0]
    assert len(r0) == len(r1) == 7 * 20  # same number of steps on every rank
    assert not set(r0) & set(r1)  # each rank reads its own shard
    _, flipped = epoch(0, 1, 0, rc="random")
    assert 0.3 < flipped / 300 < 0.7


def test_tf_dataset_and_errors(tiny, tmp_path):
    path, _ = tiny
    ds = stream(path, "valid", batch_size=16, shuffle=False).dataset()
    shapes = [tuple(x.shape) for x, _ in ds]
    assert shapes == [(16, L, 4), (16, L, 4), (16, L, 4), (2, L, 4)]
    with pytest.raises(InputError, match="batch_size.*even"):
        stream(path, batch_size=7, reverse_complement="both")
    write_basset_layout(tmp_path / "v.h5", {"valid": _arrays(np.random.default_rng(2), 5)})
    with pytest.raises(InputError, match="missing datasets"):
        stream(tmp_path / "v.h5", "train")
    with pytest.raises(InputError, match="shard"):
        stream(path, "train", shard=(2, 2))
    rng = np.random.default_rng(3)
    x, y = _arrays(rng, 20)
    x[7, 2, 100] = 1  # two channels set at one position
    bad = write_basset_layout(tmp_path / "bad.h5", {"train": (x, y)})
    with pytest.raises(InputError, match="sequence 7, position 100"):
        list(stream(bad, "train", batch_size=4).batches())
