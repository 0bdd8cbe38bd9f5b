"""Run records: atomic writes, strict JSON, versions."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from toolkit.files import atomic_write_text, write_json
from toolkit.provenance import package_versions


def test_write_json_is_strict_and_handles_numpy(tmp_path):
    path = write_json(
        tmp_path / "r" / "record.json", {"a": np.float32(0.5), "b": np.arange(3), "c": float("nan")}
    )
    assert json.loads(path.read_text()) == {"a": 0.5, "b": [0, 1, 2], "c": None}


def test_failed_write_leaves_old_file_and_no_temporaries(tmp_path):
    path = atomic_write_text(tmp_path / "record.json", '{"ok": 1}')
    with pytest.raises(TypeError):
        write_json(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"ok": 1}
    assert os.listdir(tmp_path) == ["record.json"]


def test_versions_name_the_packages_that_shape_results():
    versions = package_versions()
    assert versions["tensorflow-cpu"].startswith("2.15")
    assert versions["numpy"].startswith("1.26")
    assert "python" in versions
