"""The peaks-to-report worked example in miniature (README "Your own peaks and genome"):
``expact data miniature`` writes a small genome with JASPAR motifs planted at the summits of
gzipped narrowPeak files; ``configs/sequences_peaks_miniature.yaml`` runs on them with
``expact run`` and as a Slurm array, and ``expact report`` names the TFs the filters match.

The science check (CNN-deep, relu vs exponential, 15 epochs of the fast engine): the
exponential filters' Tomtom best hits include every planted JASPAR ID, the relu filters'
fewer. Measured with generator seeds 0, 1 and 2 (README, "From peaks to report"):
exponential all three planted IDs each time (in 14, 10 and 11 of 32 filters), relu none.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from toolkit.cli import main

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "sequences_peaks_miniature.yaml"
MODEL = "cnn-deep"


def _config(folder: Path, data: Path, **train) -> Path:
    """The shipped config, its ``data/miniature/`` paths pointing at ``data``, filter logos off
    (12 s a run; not what is tested) and ``train`` overrides."""
    text = CONFIG.read_text().replace("data/miniature/", f"{data}/")
    config = yaml.safe_load(text)
    config["filters"]["logos"] = False
    config["train"] |= train
    path = folder / CONFIG.name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def miniature_data(tmp_path_factory) -> Path:
    """``expact data miniature`` (seed 0), as the README runs it."""
    out = tmp_path_factory.mktemp("miniature") / "data" / "miniature"
    assert main(["data", "miniature", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def miniature_results(miniature_data) -> Path:
    """The shipped config run end to end with ``expact run`` (both activations)."""
    folder = miniature_data.parents[1]
    results = folder / "results"
    code = main(["run", str(_config(folder, miniature_data)), "--results", str(results),
                 "--no-progress"])  # fmt: skip
    assert code == 0
    return results


def _planted(data: Path) -> dict[str, dict]:
    return json.loads((data / "planted.json").read_text())["tfs"]


def _record(results: Path, activation: str) -> dict:
    return json.loads((results / "runs" / f"{MODEL}_{activation}_0" / "record.json").read_text())


# ------------------------------------------------------------------------------ the data


def test_generator_is_seeded_and_plants_at_the_summits(tmp_path, miniature_data):
    from toolkit.data.bed import bed
    from toolkit.data.genome import genome
    from toolkit.data.miniature import miniature

    again = miniature(tmp_path / "again", seed=0)  # the CLI's defaults: the same bytes
    for name in ("genome.fa", "REST.narrowPeak.gz", "blacklist.bed.gz", "sites.tsv.gz"):
        assert (miniature_data / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    assert again["planted"].read_text() == (miniature_data / "planted.json").read_text()
    planted = _planted(miniature_data)
    assert {tf: p["jaspar_id"] for tf, p in planted.items()} == {
        "REST": "MA0138.3", "SRF": "MA0083.3", "NRF1": "MA0506.3",
    }  # fmt: skip
    assert all(p["mean_information_bits"] > 1.0 for p in planted.values())
    lines = gzip.decompress((miniature_data / "sites.tsv.gz").read_bytes()).decode().splitlines()
    sites = [line.split("\t") for line in lines[1:]]
    assert len(sites) == sum(p["sites"] for p in planted.values())
    table = bed(
        miniature_data / "REST.narrowPeak.gz", column=4
    )  # gzipped narrowPeak, summit column
    summit = {
        str(n): (str(c), int(s))
        for n, c, s in zip(table.name, table.chrom, table.summit, strict=True)
    }
    matched = []
    with genome(miniature_data / "genome.fa") as g:
        for chrom, start, end, strand, tf, _, peak in sites[:200]:
            if tf != "REST":
                continue
            s_chrom, s_pos = summit[peak]
            assert s_chrom == chrom and s_pos - 100 <= int(start) and int(end) <= s_pos + 100
            site = g.fetch(chrom, int(start), int(end)).upper()
            if strand == "-":
                site = site[::-1].translate(str.maketrans("ACGT", "TGCA"))
            matched.append(site)
    # the sites are samples of REST's matrix: their letter frequencies follow its columns
    from toolkit.data.jaspar import jaspar_from_pyjaspar

    rest = next(m for m in jaspar_from_pyjaspar("JASPAR2024") if m.matrix_id == "MA0138.3")
    ppm = rest.pwm / rest.pwm.sum(axis=0)  # (4, 20)
    counts = np.array([[site[j] == b for site in matched] for j in range(20) for b in "ACGT"])
    freq = counts.mean(axis=1).reshape(20, 4).T
    assert len(matched) > 30 and np.abs(freq - ppm).max() < 0.25
    assert np.mean([s[3] == "+" for s in sites]) == pytest.approx(0.5, abs=0.1)


def test_check_prints_counts_and_the_background_plan(tmp_path, miniature_data, capsys):
    config = _config(miniature_data.parents[1], miniature_data)
    results = tmp_path / "results"
    assert main(["run", str(config), "--check", "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert "windows of 200 nt" in out
    assert "'dropped_chromosome_filter': 12" in out and "'dropped_blacklist': 6" in out
    for tf in ("REST", "SRF", "NRF1"):
        for split in ("train", "valid", "test"):
            assert f"{split} {tf}: " in out
    assert "background: 1 per positive, shared by ['gc_matched', 'shuffle'], seed 0" in out
    assert not results.exists()


def test_readme_miniature_commands_run_as_written(tmp_path, monkeypatch, capsys):
    """The README's miniature commands, as written (training and report: --check only)."""
    import shlex

    readme = (REPO / "README.md").read_text()
    section = readme.split("#### From peaks to report", 1)[1].split("**The miniature", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands[0] == "expact data miniature --out data/miniature"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    shutil.copy(CONFIG, tmp_path / "configs")
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "expact", command
        if argv[1] == "report":
            continue  # needs the runs (the slow tests below)
        if argv[1] == "run" and "--check" not in argv:
            argv.append("--check")
        assert main(argv[1:]) == 0, (command, capsys.readouterr().err)
    out = capsys.readouterr().out
    assert (tmp_path / "data" / "miniature" / "genome.fa").is_file()
    # the counts the README's comment quotes
    assert out.count("train REST: 310 positive, 1536 negative") == 2, out


# -------------------------------------------------------------------------- end to end


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_exponential_filters_find_the_planted_motifs_relu_fewer(miniature_results):
    planted = {p["jaspar_id"]: tf for tf, p in _planted(_data(miniature_results)).items()}
    found = {}
    for activation in ("relu", "exponential"):
        record = _record(miniature_results, activation)
        best = record["match"]["best_match"]
        found[activation] = {
            "ids": {planted[i] for i in best if i in planted},
            "filters": sum(i in planted for i in best),
        }
        assert record["metrics"]["auroc"] > 0.8, (activation, record["metrics"])
        # the data set says how it was made: the peaks, the filters' drops, the background
        made = record["data"]
        assert made["peaks"]["counts"]["dropped_blacklist"] == 6
        assert set(made["background"]["methods"]) == {"gc_matched", "shuffle"}
    print(f"planted IDs found: {found}")
    assert found["exponential"]["ids"] == set(planted.values())
    assert len(found["relu"]["ids"]) < len(found["exponential"]["ids"])
    assert found["relu"]["filters"] < found["exponential"]["filters"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_report_names_the_tfs_the_filters_match(miniature_results):
    assert main(["report", str(miniature_results), "--no-progress"]) == 0
    report = miniature_results / "report"
    rows = (report / "tables" / "sequences_filter_tfs.tsv").read_text().splitlines()
    exp = next(r for r in rows if r.startswith(f"{MODEL}_exponential"))
    for info in _planted(_data(miniature_results)).values():
        assert f"{info['jaspar_name']} " in exp, exp  # e.g. "REST 2, SRF 5, Nrf1 4"
    html = (report / "index.html").read_text()
    assert "sequences: the TFs first-layer filters match" in html
    assert all(info["jaspar_name"] in html for info in _planted(_data(miniature_results)).values())


def _data(results: Path) -> Path:
    return results.parent / "data" / "miniature"


@pytest.mark.slurm
@pytest.mark.timeout(900)
def test_miniature_as_a_slurm_array_and_its_report(miniature_data, slurm, capsys):
    """The same config as a Slurm array (1 epoch: the array and the report are checked here,
    the science above); the data set is made once, before the array is submitted."""
    folder = miniature_data.parents[1] / "slurm"
    folder.mkdir()
    results = folder / "results"
    config = _config(folder, miniature_data, epochs=1)
    code = main(["submit", str(config), "--profile", "localhost", "--results", str(results),
                 "--wait", "--timeout", "600"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 done, 0 running, 0 pending, 0 failed, 0 missing" in out
    assert (results / "data" / "sequences.h5").is_file()
    for activation in ("relu", "exponential"):
        record = _record(results, activation)
        assert record["slurm"]["SLURM_ARRAY_JOB_ID"] or record["slurm"]["SLURM_JOB_ID"]
        assert record["data"]["peaks"]["counts"]["dropped_blacklist"] == 6
        assert len(record["match"]["best_match"]) == 32
    assert main(["report", str(results), "--no-progress"]) == 0
    html = (results / "report" / "index.html").read_text()
    assert "sequences: the TFs first-layer filters match" in html
    assert "sequences_filter_tfs" in html


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"n_peaks": 0}, "miniature"),
        ({"motif_fraction": 1.5}, "miniature"),
        ({"motifs": {}}, "motifs"),
        ({"motifs": {"REST": "MA9999.9"}}, "motifs"),
        ({"release": "JASPAR1999"}, "release"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(tmp_path, options, field):
    from toolkit.data.miniature import miniature
    from toolkit.errors import InputError

    with pytest.raises(InputError) as err:
        miniature(tmp_path / "mini", **options)
    assert field in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "mini").exists()
