"""Tasks 5 and 6 (real ZBED2/IRF1 ChIP-seq data, spec §7): config, prepare and one tiny sweep.

The sweep runs on a small slice of the real ZBED2 file (written to tmp_path) for 2 epochs:
it checks the pipeline and the record, not the science.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml

from toolkit.cli import main
from toolkit.config import RunSpec, load_config, parse_config
from toolkit.errors import InputError


def _slice(source: Path, out: Path, n: dict[str, int]) -> Path:
    """The first n[split] rows of every split of a ZBED2/IRF1-layout file."""
    with h5py.File(source, "r") as f, h5py.File(out, "w") as g:
        for split, rows in n.items():
            for key in (f"X_{split}", f"Y_{split}"):
                g.create_dataset(key, data=f[key][:rows], compression="gzip")
    return out


def _write(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_config_sections_belong_to_their_task(tmp_path, paper_data):
    data = str(paper_data / "ZBED2_400_h3k27ac.h5")
    base = {
        "task": "task5",
        "models": ["residualbind"],
        "activations": ["relu"],
        "data": {"path": data},
    }
    config = parse_config(base | {"saliency": {"plot_indices": [1, 2]}})
    assert config.extra["saliency"]["plot_indices"] == [1, 2]
    assert config.extra["saliency"]["n_sequences"] == 500  # defaults filled in
    assert config.extra["augment"] == {"reverse_complement": True}
    with pytest.raises(InputError, match="saliency.plot_idx"):
        parse_config(base | {"saliency": {"plot_idx": [1]}})
    with pytest.raises(InputError, match="saliency.n_sequences.*expected int"):
        parse_config(base | {"saliency": {"n_sequences": "many"}})
    with pytest.raises(InputError, match="section only for"):
        parse_config(
            {"task": "task1", "models": ["cnn-deep"], "activations": ["relu"], "saliency": {}}
        )
    # no generator: the data set must be given, and the error says where to get it
    with pytest.raises(InputError, match="data.path.*p-koo/exponential_activations"):
        parse_config(base | {"data": {}})


def test_task1_specs_keep_their_hash_and_prepare_refuses_to_generate_task5(tmp_path):
    spec = RunSpec(task="task1", sweep="s", model="cnn-deep", activation="relu", trial=0, seed=0)
    # the hash of a spec without task sections is the one computed before `extra` existed
    import hashlib
    from dataclasses import asdict

    values = asdict(spec)
    for later in ("extra", "model_options", "variant"):  # fields added after the first specs
        del values[later]
    blob = json.dumps(values, sort_keys=True, default=str)
    assert spec.spec_hash == hashlib.sha256(blob.encode()).hexdigest()[:16]

    from toolkit.steps.prepare import prepare

    missing = RunSpec(
        task="task6",
        sweep="s",
        model="residualbind",
        activation="relu",
        trial=0,
        seed=0,
        data={"path": str(tmp_path / "IRF1.h5")},
        tomtom={"target": "x"},
    )
    with pytest.raises(InputError, match="no generator.*IRF1_400_h3k27ac.h5"):
        prepare(missing)
    assert not (tmp_path / "IRF1.h5").exists()


@pytest.mark.slow
def test_task5_sweep_on_a_slice_of_the_real_data(tmp_path, paper_data, capsys):
    data = _slice(
        paper_data / "ZBED2_400_h3k27ac.h5",
        tmp_path / "zbed2_small.h5",
        {"train": 400, "valid": 100, "test": 120},
    )
    config = _write(
        tmp_path,
        {
            "task": "task5",
            "name": "task5_tiny",
            "models": ["residualbind"],
            "activations": ["exponential"],
            "data": {"path": str(data)},
            "train": {"epochs": 2, "monitor": "val_auroc"},
            # no tomtom.target: prepare writes JASPAR 2016 from pyjaspar into results/data/
            "saliency": {"n_sequences": 40, "plot_indices": [1, 3, 39]},
        },
    )
    assert load_config(config).extra["saliency"]["n_sequences"] == 40
    results = tmp_path / "results"
    assert main(["run", str(config), "--results", str(results), "--no-progress"]) == 0
    run = results / "runs" / "residualbind_exponential_0"
    record = json.loads((run / "record.json").read_text())
    assert record["spec"]["task"] == "task5"
    assert record["data"]["n"] == {"train": 800, "valid": 200, "test": 240}  # RC copies appended
    assert 0 <= record["metrics"]["auroc"] <= 1 and 0 <= record["metrics"]["aupr"] <= 1
    assert record["epochs_run"] == 2
    match = record["match"]
    assert len(match["best_match"]) == 24 and match["match_fraction"] is None
    hits = pd.read_csv(run / "tomtom" / "tomtom.tsv", sep="\t", comment="#")
    targets = hits.groupby("Query_ID")["Target_ID"].agg(list)
    counted = [q for q, t in targets.items() if t != ["MA0615.1"]]  # Gmeb1-only: not a match
    assert match["match_any"] == pytest.approx(len(counted) / 24)
    assert (run / "tomtom" / "tomtom.tsv").exists() and (run / "filter_logos.png").exists()
    # the paper's database, whole: the own-data target filter (motifs.min_mean_ic) is not applied
    db = record["motif_db"]
    assert (db["release"], db["n_motifs"], db["n_kept"], db["min_mean_ic"]) == (
        "JASPAR2016",
        518,
        518,
        0.0,
    )
    assert db["path"] == db["source"] and not (run / "tomtom" / "targets.meme").exists()
    assert record["match_rule"]["distance"] == "ed" and record["match_rule"]["threshold"] == 0.1

    saved = np.load(run / "saliency.npz")
    y_test = np.concatenate([h5py.File(data)["Y_test"][:, 0]] * 2)
    positives = np.flatnonzero(y_test == 1)[:40]
    assert saved["saliency"].shape == (40, 400, 4) and saved["saliency"].dtype == np.float32
    np.testing.assert_array_equal(saved["test_index"], positives)
    assert np.isfinite(saved["saliency"]).all() and np.abs(saved["saliency"]).sum() > 0
    with h5py.File(data) as f:  # the first positives, channels last
        first = int(positives[0])
        np.testing.assert_array_equal(saved["x"][0], f["X_test"][first].T.astype(np.int8))
    sal = record["saliency"]
    assert sal["plot_indices"] == [1, 3, 39] and sal["plot_range"] == [50, 350]
    assert {"saliency_plots.pdf", "saliency_plots.png"} <= {p.name for p in run.iterdir()}
    assert not (run / "checkpoint").exists()

    perf = (results / "summary" / "task5_classification_performance.tsv").read_text().splitlines()
    assert perf[0] == "model\tAUROC\tAUPR" and perf[1].startswith("residualbind_exponential\t")
    filt = (results / "summary" / "task5_filter_results.tsv").read_text().splitlines()
    assert filt[0] == "model\tmatch JASPAR"
