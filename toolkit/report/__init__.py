"""The Dask report: every run record -> the paper's tables, t-tests, figures, HTML and a
reproduction check. Entry point :func:`report` (``expact report``, ``jobs/report.py``).

Modules, one public function each: ``inventory`` (what a results folder holds), ``rows``
(one record -> one row; runs on the Dask workers), ``aggregate`` (Dask bag + incremental
Parquet cache), ``cluster`` (LocalCluster / dask-jobqueue SLURMCluster), ``tables``,
``ttests``, ``paper`` (published values, data files in ``paper_values/``), ``reproduction``,
``figures``, ``logos``, ``html``, ``atomic`` (folder swap) and ``build`` (all of it).
"""

from __future__ import annotations


def report(*args, **kwargs):
    """See :func:`toolkit.report.build.report` (imported lazily: the workers import
    ``toolkit.report.rows`` only, without matplotlib or scipy)."""
    from toolkit.report.build import report as _report

    return _report(*args, **kwargs)


__all__ = ["report"]
