"""The report's Dask workers as real Slurm jobs (dask-jobqueue SLURMCluster).

Needs a Slurm that answers (``slurm/slurm-up.sh``; ``jobs/test.sh`` starts it); skipped when
``sinfo`` is absent or gets no answer, unless EXPACT_REQUIRE_SLURM=1.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest
from report_records import record, write_sweep

from toolkit.report import report
from toolkit.report.aggregate import aggregate
from toolkit.report.inventory import inventory

pytestmark = pytest.mark.slurm


@pytest.mark.timeout(300)
def test_report_reads_records_on_slurm_workers(slurm, tmp_path):
    root = write_sweep(
        tmp_path / "s",
        [
            record("cnn-deep", a, t, auroc=0.9, aupr=0.7, match_fraction=t / 32)
            for a in ("relu", "exponential")
            for t in range(4)
        ],
    )
    (root / "runs/cnn-deep_relu_0/record.json").write_text('{"trunc')
    seen = {}

    from toolkit.report import cluster as cluster_module

    real = cluster_module.dask_client

    def spying(*args, **kwargs):  # record which jobs the workers run in
        ctx = real(*args, **kwargs)
        client = ctx.__enter__()
        seen.update(client.run(lambda: os.environ.get("SLURM_JOB_ID")))
        return _Closing(ctx, client)

    import toolkit.report.build as build_module

    build_module.dask_client = spying
    try:
        result = report(
            root,
            cluster="slurm",
            workers=2,
            progress=False,
            figures_on=False,
            min_cluster_files=0,
            use_cache=False,
        )
    finally:
        build_module.dask_client = real
    assert result.aggregation.scheduler == "slurm"
    job_ids = list(seen.values())
    assert len(job_ids) == 2 and all(j and j.isdigit() for j in job_ids), seen
    plain, _ = aggregate(
        root,
        [e for s in inventory(root) for e in s.records.values()],
        progress=False,
        use_cache=False,
    )
    pd.testing.assert_frame_equal(pd.read_parquet(root / "report/runs.parquet"), plain)
    assert result.counts["corrupt"] == 1 and result.counts["done"] == 7


class _Closing:
    def __init__(self, ctx, client):
        self.ctx, self.client = ctx, client

    def __enter__(self):
        return self.client

    def __exit__(self, *exc):
        return self.ctx.__exit__(*exc)
