"""index.html in a real headless Chromium: every figure decodes, every table has its rows.

The report is copied elsewhere first (as after ``scp -r``), so only relative links can work.
Chromium is Debian's ``chromium`` package, installed by ``jobs/setup.sh --test``.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from report_records import record, spec, write_sweep

from toolkit.report import report

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.skip("no chromium (bash jobs/setup.sh --test installs Debian's chromium)")


def _run(args: list[str], profile) -> str:
    profile.mkdir(exist_ok=True)
    proc = subprocess.run(
        [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def copied_report(tmp_path_factory):
    from matplotlib.image import imsave

    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "sweep"
    rng = np.random.default_rng(1)
    recs = [
        record(
            m,
            a,
            t,
            auroc=0.9 + rng.uniform(0, 0.05),
            aupr=0.7 + rng.uniform(0, 0.1),
            match_fraction=int(rng.integers(0, 33)) / 32,
            match_any=0.6,
        )
        for m in ("cnn-2", "cnn-deep")
        for a in ("relu", "exponential", "shift_scale_relu")
        for t in range(3)
    ]
    write_sweep(root, recs, expected=[r["spec"] for r in recs] + [spec("cnn-2", "tanh", 0)])
    for rec in recs[::3]:  # a logo grid for one trial per cell, as the runs write them
        imsave(root / "runs" / rec["spec"]["name"] / "filter_logos.png", rng.random((40, 80)))
    result = report(root, progress=False)
    moved = shutil.copytree(result.out_dir, tmp / "elsewhere" / "report")
    shutil.rmtree(root)  # nothing may point back into the results folder
    return moved, tmp


def test_every_figure_loads_and_every_table_has_its_rows(copied_report):
    folder, tmp = copied_report
    source = (folder / "index.html").read_text()
    n_img = len(re.findall(r"<img ", source))
    # activation functions, classification, match fraction, match any, modified; 6 logos
    assert n_img == 5 + 6
    dom = _run(
        ["--virtual-time-budget=15000", "--dump-dom", (folder / "index.html").as_uri()],
        tmp / "profile-dom",
    )
    check = re.search(r'<p id="selfcheck"([^>]*)>', dom)
    assert check, dom[-2000:]
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', check.group(1)))
    assert attrs["done"] == "yes", attrs  # the page's load handler ran in the browser
    assert attrs["broken"] == ""
    assert int(attrs["images"]) == int(attrs["images-ok"]) == n_img
    assert int(attrs["tables"]) == int(attrs["tables-ok"]) >= 6
    # and independently of the page's script: each table's body rows in the live DOM
    tables = re.findall(
        r'<table class="data" data-rows="(\d+)">.*?<tbody>(.*?)</tbody>', dom, flags=re.S
    )
    assert len(tables) == int(attrs["tables"])
    for rows, body in tables:
        assert body.count("<tr") == int(rows)
    assert int(tables[0][0]) > 0
    perf = re.search(r"task1: classification performance.*?<tbody>(.*?)</tbody>", dom, re.S)
    assert perf.group(1).count("<tr") == 6  # 2 models x 3 activations


def test_screenshot_is_a_rendered_page(copied_report):
    from matplotlib.image import imread

    folder, tmp = copied_report
    shot = tmp / "shot.png"
    _run(
        ["--window-size=1280,1600", f"--screenshot={shot}", (folder / "index.html").as_uri()],
        tmp / "profile-shot",
    )
    pixels = imread(shot)
    assert pixels.shape[:2] == (1600, 1280)
    assert pixels[..., :3].std() > 0.05  # not a blank page
