"""Read every run record into one table with Dask, re-reading only what changed.

The rows of earlier reports are cached in ``<root>/.report_cache/rows.parquet``, keyed by
each record's path, mtime (ns) and size. A rerun reads only records that are new or changed
(and drops the rows of records that are gone), so a report of a 5,000-run sweep after 10 more
runs finished opens 10 files. The records to read go through a Dask bag
(``record_row`` per file, ``to_dataframe`` per partition of 500) on the client's workers; when
there are only a few (fewer than ``min_cluster_files``), no cluster is started and the same
``record_row`` runs in a plain loop in this process (importing Dask alone costs ~1 s).
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.files import atomic_write_bytes
from toolkit.report.rows import COLUMNS, ROW_SCHEMA, record_row

log = logging.getLogger(__name__)
CACHE_DIR = ".report_cache"
CACHE_NAME = "rows.parquet"
PARTITION_SIZE = 500  # records per Dask task: ~20 tasks for 10,000 records


@dataclass
class AggregateStats:
    """What one aggregation did (shown in the report and by the CLI)."""

    records: int = 0  # record files found
    cached: int = 0  # rows reused from the cache
    read: int = 0  # files read now
    dropped: int = 0  # cached rows not reused: their record changed or is gone
    scheduler: str = "none"  # 'local' / 'slurm' cluster, 'in-process', or 'none'
    partitions: int = 0
    seconds: float = 0.0
    cache: str = ""


def aggregate(
    root: str | Path,
    entries: list[tuple[str, str, int, int]],
    get_client: Callable[[], object] | None = None,
    scheduler_name: str = "local",
    min_cluster_files: int = 256,
    progress: bool = True,
    use_cache: bool = True,
) -> tuple[pd.DataFrame, AggregateStats]:
    """One row per record file (see :mod:`toolkit.report.rows`), from cache and Dask.

    Parameters
    ----------
    root : str or Path
        The report's root folder; the cache lives in ``root/.report_cache``.
    entries : list of tuple
        ``(absolute path, relative path, mtime_ns, size)`` of every record file.
    get_client : callable, optional
        Returns a connected ``distributed.Client`` (starting its cluster on first call); called
        only when at least ``min_cluster_files`` files must be read. None: always read in
        this process.
    scheduler_name : str
        Name of that cluster, for the stats.
    min_cluster_files : int
        Below this many files to read, the Dask graph runs in this process (starting worker
        processes costs ~2 s, more than reading a few hundred records).
    progress : bool
        A progress bar (stderr) over the partitions being read.
    use_cache : bool
        Read and update the row cache.

    Returns
    -------
    (DataFrame, AggregateStats)
        Rows sorted by path, with the columns of :data:`toolkit.report.rows.COLUMNS`.
    """
    started = time.perf_counter()
    root = Path(root)
    cache_path = root / CACHE_DIR / CACHE_NAME
    stats = AggregateStats(records=len(entries), cache=str(cache_path) if use_cache else "")
    current = pd.DataFrame(entries, columns=["abs", "path", "mtime_ns", "size"])
    cached = _load_cache(cache_path) if use_cache else _empty()
    if len(cached):
        key = ["path", "mtime_ns", "size"]
        keep = cached.merge(current[key], on=key, how="inner")
        stats.dropped = len(cached) - len(keep)
        cached = keep
    todo = current[~current["path"].isin(cached["path"])]
    stats.cached, stats.read = len(cached), len(todo)
    fresh = _read(
        [tuple(r) for r in todo.itertuples(index=False)],
        get_client if len(todo) >= min_cluster_files else None,
        progress,
        stats,
    )
    if len(fresh):
        use_cluster = len(todo) >= min_cluster_files and get_client is not None
        stats.scheduler = scheduler_name if use_cluster else "in-process"
    rows = (
        pd.concat([f for f in (cached, fresh) if len(f)], ignore_index=True)
        if len(fresh) or len(cached)
        else _empty()
    )
    rows = _typed(rows).sort_values("path", ignore_index=True)
    if use_cache and (stats.read or stats.dropped or not cache_path.exists()):
        buffer = io.BytesIO()
        rows.assign(row_schema=ROW_SCHEMA).to_parquet(buffer, index=False)
        atomic_write_bytes(cache_path, buffer.getvalue())
    stats.seconds = round(time.perf_counter() - started, 3)
    return rows, stats


def _read(entries: list[tuple], get_client, progress: bool, stats: AggregateStats) -> pd.DataFrame:
    if not entries:
        return _empty()
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(entries),
        desc="reading run records",
        unit="rec",
        disable=not progress,
        leave=False,
    )
    try:
        if get_client is None:  # a few files: no cluster, no graph, same row function
            rows = []
            for entry in entries:
                rows.append(record_row(entry))
                bar.update()
            return pd.DataFrame(rows, columns=list(COLUMNS))
        import dask.bag as db
        from distributed import as_completed

        n_parts = max(1, -(-len(entries) // PARTITION_SIZE))
        stats.partitions = n_parts
        frame = db.from_sequence(entries, npartitions=n_parts).map(record_row)
        parts = frame.to_dataframe(meta=_empty()).to_delayed()
        results: list[pd.DataFrame] = []
        pending = as_completed(get_client().compute(parts))
        del parts
        for future in pending:
            result = future.result()
            future.release()  # the worker drops its copy now, not at the end
            results.append(result)
            bar.update(len(result))
    finally:
        bar.close()
    return pd.concat(results, ignore_index=True)


def _load_cache(path: Path) -> pd.DataFrame:
    try:
        cached = pd.read_parquet(path)
    except FileNotFoundError:
        return _empty()
    except Exception as exc:  # a damaged cache is rebuilt, never fatal
        log.warning("report cache %s unreadable (%s); rebuilding it", path, exc)
        return _empty()
    if "row_schema" not in cached or (cached["row_schema"] != ROW_SCHEMA).any():
        return _empty()
    if any(c not in cached.columns for c in COLUMNS):
        return _empty()
    return _typed(cached[list(COLUMNS)])


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(COLUMNS)].astype(COLUMNS)
