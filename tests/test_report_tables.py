"""The report's numbers on hand-made records: paper TSVs, t-tests, reproduction check, Task 3."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from report_records import record, write_sweep

from toolkit.report import report
from toolkit.report.paper import paper_values
from toolkit.report.reproduction import reproduction_check
from toolkit.report.ttests import ttests

# (model, activation) -> per-trial (auroc, aupr, match_fraction, match_any); multiples of 1/32
CELLS = {
    ("cnn-deep", "relu"): [
        (0.90, 0.70, 0 / 32, 4 / 32),
        (0.92, 0.72, 1 / 32, 6 / 32),
        (0.94, 0.74, 2 / 32, 8 / 32),
    ],
    ("cnn-deep", "exponential"): [
        (0.95, 0.80, 28 / 32, 30 / 32),
        (0.96, 0.82, 29 / 32, 31 / 32),
        (0.97, 0.84, 30 / 32, 32 / 32),
    ],
    ("cnn-deep", "shift_scale_relu"): [
        (0.93, 0.75, 27 / 32, 29 / 32),
        (0.93, 0.76, 29 / 32, 30 / 32),
        (0.94, 0.77, 28 / 32, 30 / 32),
    ],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables") / "fake"
    recs = [
        record(m, a, t, auroc=v[0], aupr=v[1], match_fraction=v[2], match_any=v[3])
        for (m, a), trials in CELLS.items()
        for t, v in enumerate(trials)
    ]
    write_sweep(root, recs)
    result = report(root, progress=False, figures_on=False)
    return root, result


def test_classification_tsv_is_mean_std_over_trials(built):
    root, _ = built
    lines = (root / "report/tables/task1_classification_performance.tsv").read_text().splitlines()
    assert lines[0] == "model\tAUROC\tAUPR"
    assert [ln.split("\t")[0] for ln in lines[1:]] == [f"{m}_{a}" for m, a in CELLS]
    for line, cell in zip(lines[1:], CELLS, strict=True):
        auroc = np.array([v[0] for v in CELLS[cell]])
        aupr = np.array([v[1] for v in CELLS[cell]])
        expected = (
            f"{cell[0]}_{cell[1]}\t{auroc.mean():.3f}+/-{auroc.std():.3f}\t"
            f"{aupr.mean():.3f}+/-{aupr.std():.3f}"
        )
        assert line == expected
    # hand-computed: relu AUROC mean 0.92, std sqrt(((.02)^2*2)/3) = 0.01633 (ddof 0)
    assert lines[1] == "cnn-deep_relu\t0.920+/-0.016\t0.720+/-0.016"


def test_filter_tsv_and_parquet_twin(built):
    root, _ = built
    lines = (root / "report/tables/task1_filter_results.tsv").read_text().splitlines()
    assert lines[0] == "model\tmatch JASPAR\tmatch ground truth"
    # exponential: match_any 30,31,32 /32 -> 0.969+/-0.026; match_fraction 28..30 /32
    assert lines[2] == "cnn-deep_exponential\t0.969+/-0.026\t0.906+/-0.026"
    twin = pd.read_parquet(root / "report/tables/task1_filter_results.parquet")
    row = twin.set_index("cell").loc["cnn-deep_relu"]
    assert row["n_trials"] == 3
    assert row["match_fraction_mean"] == pytest.approx(1 / 32)
    assert row["match_fraction_std"] == pytest.approx(np.std([0, 1 / 32, 2 / 32]))


def _assert_summarize_writes_the_report_tables(root):
    """Every paper table of the report, byte for byte, and no other, from `summarize`."""
    from toolkit.summary import summary

    written = summary(root, root / "summary_check")
    report_tables = {
        p.stem
        for p in (root / "report/tables").glob("*.tsv")
        if p.stem not in ("ttests", "reproduction_check")  # report-only checks
    }
    summary_tables = {
        k for k in written if k != "runs" and not k.endswith(("_parquet", "_pdf", "_png"))
    }
    assert summary_tables == report_tables and report_tables
    for name in report_tables:
        assert written[name].read_text() == (root / f"report/tables/{name}.tsv").read_text()
        pd.testing.assert_frame_equal(
            pd.read_parquet(written[f"{name}_parquet"]),
            pd.read_parquet(root / f"report/tables/{name}.parquet"),
        )
    return written


def test_report_tables_agree_with_summarize(built):
    root, _ = built
    written = _assert_summarize_writes_the_report_tables(root)
    assert {"task1_classification_performance", "task1_filter_results"} <= set(written)


def test_real_data_filter_table_in_report_and_summarize(tmp_path):
    """Tasks 5/6 records have match_any but no ground truth: a 'match JASPAR' table."""
    root = tmp_path / "task5"
    recs = []
    for act, any_ in (("relu", 0.25), ("exponential", 0.5)):
        rec = record("residualbind", act, 0, task="task5", sweep="t5", auroc=0.9, aupr=0.8)
        rec["match"] = {"match_any": any_, "match_fraction": None, "coverage": None}
        recs.append(rec)
    write_sweep(root, recs, name="t5", task="task5")
    report(root, progress=False, figures_on=False)
    lines = (root / "report/tables/task5_filter_results.tsv").read_text().splitlines()
    assert lines == [
        "model\tmatch JASPAR",
        "residualbind_relu\t0.250+/-0.000",
        "residualbind_exponential\t0.500+/-0.000",
    ]
    _assert_summarize_writes_the_report_tables(root)


def test_ttests_match_scipy_and_hand_computation(built):
    root, _ = built
    table = pd.read_csv(root / "report/tables/ttests.tsv", sep="\t")
    assert len(table) == 1  # only relu/shift_scale_relu has both sides
    row = table.iloc[0]
    assert (row["original"], row["modified"], row["metric"]) == (
        "relu",
        "shift_scale_relu",
        "match_fraction",
    )
    a = np.array([0, 1, 2]) / 32
    b = np.array([27, 29, 28]) / 32
    # equal-variance two-sample t by hand: pooled var = (sum sq dev a + b) / (n_a + n_b - 2)
    pooled = (((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()) / 4
    t = (a.mean() - b.mean()) / math.sqrt(pooled * (1 / 3 + 1 / 3))
    assert row["t"] == pytest.approx(t, rel=1e-5)
    assert row["p_value"] < 1e-4
    assert row["paper_p_value"] == pytest.approx(7.2e-15)
    assert bool(row["agrees_with_paper"]) is True  # both far below 0.05


def test_ttests_constant_groups_give_nan_not_error():
    runs = pd.DataFrame(
        {
            "task": "task1",
            "model": "cnn-2",
            "activation": ["relu"] * 3 + ["shift_scale_relu"] * 3,
            "match_fraction": [0.0] * 6,
        }
    )
    table = ttests(runs, paper_values("ttests"))
    assert len(table) == 1 and math.isnan(table["p_value"].iloc[0])
    assert table["agrees_with_paper"].iloc[0] is None


def test_reproduction_check_range_and_tolerance():
    paper = paper_values()
    runs = pd.DataFrame(
        {
            "task": "task1",
            "model": "cnn-deep",
            "activation": ["relu"] * 3 + ["exponential"] * 3,
            "match_fraction": [1 / 32, 2 / 32, 3 / 32, 0.8, 0.85, 0.895],
        }
    )
    check = reproduction_check(runs, paper)
    fig1c = check[check["figure"] == "Fig. 1c"].set_index("activation")
    # relu: paper 0.00, trials 0.031..0.094 -> outside even with the 0.01 reading tolerance
    assert fig1c.loc["relu", "within_range"] == False  # noqa: E712
    assert fig1c.loc["relu", "median"] == pytest.approx(2 / 32)
    # exponential: paper 0.90, max 0.895 + tolerance 0.01 covers it
    assert fig1c.loc["exponential", "within_range"] == True  # noqa: E712
    assert fig1c.loc["exponential", "min"] == 0.8 and fig1c.loc["exponential", "max"] == 0.895
    assert fig1c.loc["exponential", "median_minus_paper"] == pytest.approx(0.85 - 0.90)
    # the modified-activation panel reports cnn-deep exp at 0.91: a separate row
    assert set(check["figure"]) == {"Fig. 1c", "modified activations", "ablation"}


def test_reproduction_check_printed_mean_and_std_rule():
    """A printed mean +/- std is reproduced when the runs' mean lies within two of the paper's
    standard deviations of the paper's mean; read-off medians keep the range rule."""
    import json

    from toolkit.report.reproduction import RANGE_RULE, SPREAD_RULE

    paper = paper_values()
    # CNN-dist relu saliency: paper 0.7300 +/- 0.0443 -> window [0.6414, 0.8186]
    scores = {"relu": (0.64, 0.65, 0.66), "exponential": (0.90, 0.91, 0.92)}
    rows = []
    for act, values in scores.items():
        for trial, value in enumerate(values):
            attribution = {"saliency": {"auroc": value, "aupr": 0.5}}
            rows.append(
                {
                    "task": "task3",
                    "model": "cnn-dist",
                    "activation": act,
                    "trial": trial,
                    "auroc": 0.97,
                    "attribution": json.dumps(attribution),
                }
            )
    check = reproduction_check(pd.DataFrame(rows), paper).set_index(["metric", "activation"])
    relu = check.loc[("attr_saliency_auroc", "relu")]
    assert relu["rule"] == SPREAD_RULE and relu["paper_std"] == pytest.approx(0.0443)
    assert relu["mean"] == pytest.approx(0.65) and bool(relu["within_range"]) is True
    # exponential: paper 0.8035 +/- 0.1149 -> window up to 1.0333; 0.91 is inside
    assert bool(check.loc[("attr_saliency_auroc", "exponential"), "within_range"]) is True
    # a mean just outside 2 std fails although the range rule alone would not decide it
    rows = [r | {"attribution": json.dumps({"saliency": {"auroc": 0.63}})} for r in rows[:3]]
    out = reproduction_check(pd.DataFrame(rows), paper).set_index(["metric", "activation"])
    assert bool(out.loc[("attr_saliency_auroc", "relu"), "within_range"]) is False
    # classification rows keep the range rule (0.97 vs the 0.972 reading +/- 0.003)
    auroc = check.loc[("auroc", "relu")]
    assert auroc["rule"] == RANGE_RULE and bool(auroc["within_range"]) is True


def test_reproduction_tsv_written(built):
    root, _ = built
    check = pd.read_csv(root / "report/tables/reproduction_check.tsv", sep="\t")
    row = check[(check["figure"] == "Fig. 1c") & (check["activation"] == "exponential")].iloc[0]
    assert row["paper"] == 0.90 and row["n_trials"] == 3
    assert row["median"] == pytest.approx(29 / 32)
    assert bool(row["within_range"]) is True  # 28/32=0.875 .. 30/32=0.9375
    assert (check["source"] == "F").all()


def test_paper_values_are_data_with_sources():
    values = paper_values()
    assert set(values["source"]) == {"F", "P"}
    # the printed values are exactly the CNN-dist attribution means, each with its std
    printed = values[values["source"] == "P"]
    assert len(printed) == 8 and printed["std"].notna().all()
    assert set(printed["metric"].str.removeprefix("attr_").str.removesuffix("_auroc")) == {
        "saliency",
        "mutagenesis",
        "integrated_gradients",
        "deepshap",
    }
    assert values.loc[values["source"] == "F", "std"].isna().all()
    assert set(values["task"]) == {"task1", "task2", "task3"}
    fig1c = values[values["figure"] == "Fig. 1c"]
    assert len(fig1c) == 21
    assert (
        fig1c.set_index(["model", "activation"]).loc[("cnn-deep", "exponential"), "value"] == 0.90
    )
    pvals = paper_values("ttests")
    assert len(pvals) == 24 and set(pvals["source"]) == {"P"}


def test_task3_attribution_tables(tmp_path):
    root = tmp_path / "task3"
    recs = []
    for act, base in (("relu", 0.70), ("exponential", 0.80)):
        for t in range(2):
            recs.append(
                record(
                    "cnn-dist",
                    act,
                    t,
                    task="task3",
                    sweep="t3",
                    auroc=0.97,
                    aupr=0.9,
                    attribution={
                        "saliency": {"auroc": base + 0.01 * t, "aupr": base - 0.1},
                        "ism": {"auroc": {"mean": base + 0.05}, "aupr": 0.5},
                    },
                )
            )
    write_sweep(root, recs, name="t3", task="task3")
    result = report(root, progress=False, figures_on=False)
    assert result.counts["done"] == 4
    lines = (root / "report/tables/task3_attribution_results.tsv").read_text().splitlines()
    assert lines[0] == "model\tsaliency AUROC\tsaliency AUPR\tism AUROC\tism AUPR"
    assert lines[1] == "cnn-dist_relu\t0.705+/-0.005\t0.600+/-0.000\t0.750+/-0.000\t0.500+/-0.000"
    assert (root / "report/tables/task3_classification_performance.tsv").exists()
    assert not (root / "report/tables/task3_filter_results.tsv").exists()  # no match section
    _assert_summarize_writes_the_report_tables(root)
    check = pd.read_csv(root / "report/tables/reproduction_check.tsv", sep="\t")
    assert set(check["activation"]) == {"relu", "exponential"}
    # classification rows, and the printed CNN-dist saliency AUROCs beside the scores
    assert set(check["metric"]) == {"auroc", "attr_saliency_auroc"}
    assert check.loc[check["metric"] == "auroc", "paper"].between(0.9, 1).all()
    assert set(check.loc[check["metric"] != "auroc", "paper"]) == {0.73, 0.8035}


def test_corrected_scores_side_by_side_and_off_simplex(tmp_path):
    """``correction: both`` records: each method's corrected columns right after its own, the
    off-simplex table per model and activation, the paired correction figure."""
    from toolkit.report.figures import _attribution_plans
    from toolkit.report.tables import finished_runs, paper_tables

    root = tmp_path / "task3c"
    recs = []
    for act, base in (("relu", 0.70), ("exponential", 0.80)):
        for t in range(2):
            rec = record(
                "cnn-dist",
                act,
                t,
                task="task3",
                sweep="t3c",
                auroc=0.97,
                aupr=0.9,
                attribution={
                    "methods": {
                        "deepshap_corrected": {"auroc": base + 0.03, "aupr": 0.6},
                        "saliency_corrected": {"auroc": base + 0.02, "aupr": 0.6},
                        "deepshap": {"auroc": base + 0.01, "aupr": 0.5},
                        "saliency": {"auroc": base, "aupr": 0.5},
                    }
                },
            )
            rec["off_simplex"] = {"fraction_gt_30": 0.3 + 0.1 * t, "fraction_gt_45": 0.1}
            recs.append(rec)
    write_sweep(root, recs, name="t3c", task="task3")
    report(root, progress=False, figures_on=False)
    lines = (root / "report/tables/task3_attribution_results.tsv").read_text().splitlines()
    assert lines[0].split("\t")[1::2] == [
        "saliency AUROC",
        "saliency_corrected AUROC",
        "deepshap AUROC",
        "deepshap_corrected AUROC",
    ]
    off = (root / "report/tables/task3_off_simplex.tsv").read_text().splitlines()
    assert off[0] == "model\t> 30 deg\t> 45 deg\t> 60 deg"
    assert off[1].startswith("cnn-dist_relu\t0.350+/-0.050\t0.100+/-0.000\tnan")
    _assert_summarize_writes_the_report_tables(root)
    from toolkit.report.inventory import inventory
    from toolkit.report.rows import COLUMNS, record_row

    (sweep,) = [s for s in inventory(root) if s.rel == "."]
    rows = pd.DataFrame([record_row(e) for e in sweep.records.values()], columns=list(COLUMNS))
    runs, order = finished_runs(rows, sweep)
    assert {t.name for t in paper_tables(runs, order)} >= {"task3_off_simplex"}
    plans = _attribution_plans("task3", runs, ["cnn-dist"], ["relu", "exponential"], None)
    (draw,) = [p[3] for p in plans if p[0] == "task3_attribution_correction"]
    fig = draw()
    assert len(fig.axes) == 2  # saliency and deepshap, one model
    from toolkit.report.figures import figures

    drawn = figures(runs, tmp_path / "figures")
    assert {"task3_off_simplex", "task3_attribution_correction"} <= {f.name for f in drawn}


def test_task4_tsv_spread_is_over_the_classes(tmp_path):
    """As the paper's basset TSV: mean +/- std over the 164 classes of the one run."""
    root = tmp_path / "task4"
    recs = []
    for act, (mean, std) in (("relu", (0.80, 0.07)), ("exponential", (0.82, 0.05))):
        rec = record("basset", act, 0, task="task4", sweep="t4", auroc=mean, aupr=0.4)
        rec["metrics_std"] = {"auroc": std, "aupr": 0.11}
        recs.append(rec)
    write_sweep(root, recs, name="t4", task="task4")
    report(root, progress=False, figures_on=False)
    lines = (root / "report/tables/task4_classification_performance.tsv").read_text().splitlines()
    assert lines == [
        "model\tAUROC\tAUPR",
        "basset_relu\t0.800+/-0.070\t0.400+/-0.110",
        "basset_exponential\t0.820+/-0.050\t0.400+/-0.110",
    ]
    _assert_summarize_writes_the_report_tables(root)


def test_a_tasks_record_says_which_tables_its_runs_make():
    """``Task.report_tables``: Task 3 makes no filter table even where its runs hold match
    numbers; a task no record names gets every table its runs hold numbers for."""
    from toolkit.report.tables import paper_tables
    from toolkit.tasks import TASKS

    assert TASKS["task3"].report_tables == (
        "classification_performance",
        "attribution_results",
        "off_simplex",
    )
    runs = pd.DataFrame(
        {
            "task": ["task3", "task3", "old_task", "old_task"],
            "model": "cnn-dist",
            "activation": ["relu", "exponential"] * 2,
            "auroc": 0.9,
            "aupr": 0.8,
            "match_fraction": None,
            "match_any": 0.5,
        }
    )
    order = [("cnn-dist", "relu"), ("cnn-dist", "exponential")]
    names = [t.name for t in paper_tables(runs, order)]
    assert names == [
        "old_task_classification_performance",
        "old_task_filter_results",
        "task3_classification_performance",
    ]
