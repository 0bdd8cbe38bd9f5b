"""The run-folder contract: where a sweep and each of its runs keep their files.

Every module that reads or writes a results folder (sweep, steps, status, cluster,
distributed, report, summary) goes through :class:`SweepManifest` (the sweep's folder and its
``sweep.json``) and :class:`RunFolder` (one run's folder); no other module spells a file name
of this layout. The rule "is this run done" lives here too: a run is done exactly when its
``record.json`` parses and was made from the same spec (``spec.spec_hash``).

::

    <results>/                       SweepManifest
      sweep.json                     every spec of the sweep (name, hash, parameters)
      data/                          shared inputs made once per sweep (data set, JASPAR target)
      summary/                       the tables of `expact summarize`
      slurm/submissions.json         which array element holds which run
      slurm/logs/, slurm/rendezvous/ submitit logs; Horovod rendezvous addresses
      analyses/<name>/               expact analyze: a sweep folder of its own
      runs/<run>/                    RunFolder
        record.json                  written last and atomically: the run is done
        error.json                   the run failed (traceback); removed when it is retried
        running.json                 the run is running (host, pid, Slurm job)
        run.log, run.rank<r>.log     the run's log (all attempts); other ranks' logs
        checkpoint/                  epoch checkpoints while training (removed when done)
        weights.h5, history.json     the trained model
        filters.npz, filters.meme    first-layer PPMs (unclipped, clipped MEME)
        tomtom/tomtom.tsv            Tomtom hits
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.config.spec import RunSpec

RECORD = "record.json"
ERROR = "error.json"
RUNNING = "running.json"
LOG = "run.log"
CHECKPOINT = "checkpoint"
WEIGHTS = "weights.h5"
HISTORY = "history.json"
FILTERS = "filters.npz"
FILTERS_MEME = "filters.meme"
TOMTOM_DIR = "tomtom"
TOMTOM_TSV = "tomtom.tsv"
FILTER_LOGOS = "filter_logos"  # + .pdf / .png
SALIENCY = "saliency.npz"
SALIENCY_PLOTS = "saliency_plots"  # + .pdf / .png
ATTRIBUTION_SCORES = "attribution_scores.parquet"
ATTRIBUTION_MAPS = "attribution_maps.npz"
ATTRIBUTION_LOGOS = "attribution_logos"  # + .pdf / .png
ACTIVATIONS = "activations.npz"  # expact analyze activations: first-layer values
OFF_SIMPLEX = "off_simplex_gradients.npz"  # expact analyze off_simplex: angles per class

SWEEP = "sweep.json"
RUNS_DIR = "runs"
DATA_DIR = "data"
SUMMARY_DIR = "summary"
SLURM_DIR = "slurm"
SUBMISSIONS = "submissions.json"
ANALYSES_DIR = "analyses"

#: Run states, in the order a status view lists them.
STATES = ("done", "running", "pending", "failed", "missing", "stale", "corrupt")


@dataclass(frozen=True)
class RunFolder:
    """One run's folder and the files in it.

    Parameters
    ----------
    path : Path
        ``<results>/runs/<run name>``.
    """

    path: Path

    @classmethod
    def of(cls, results_dir: str | Path, spec_or_name: RunSpec | str) -> RunFolder:
        """The folder of a run (a spec, or a run name) of the sweep in ``results_dir``."""
        name = spec_or_name if isinstance(spec_or_name, str) else spec_or_name.name
        return cls(Path(results_dir) / RUNS_DIR / name)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def results_dir(self) -> Path:
        return self.path.parent.parent

    # files --------------------------------------------------------------------------------
    @property
    def record(self) -> Path:
        return self.path / RECORD

    @property
    def error(self) -> Path:
        return self.path / ERROR

    @property
    def running(self) -> Path:
        return self.path / RUNNING

    @property
    def log(self) -> Path:
        return self.path / LOG

    def rank_log(self, rank: int) -> Path:
        """The log of a Horovod rank other than 0 (rank 0 writes :attr:`log`)."""
        return self.path / f"run.rank{rank}.log"

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT

    @property
    def weights(self) -> Path:
        return self.path / WEIGHTS

    @property
    def history(self) -> Path:
        return self.path / HISTORY

    @property
    def filters(self) -> Path:
        return self.path / FILTERS

    @property
    def filters_meme(self) -> Path:
        return self.path / FILTERS_MEME

    @property
    def tomtom_dir(self) -> Path:
        return self.path / TOMTOM_DIR

    @property
    def tomtom_tsv(self) -> Path:
        return self.path / TOMTOM_DIR / TOMTOM_TSV

    def file(self, name: str) -> Path:
        """Any other file of the run (names from this module's constants)."""
        return self.path / name

    def relative(self, path: str | Path) -> str:
        """A path inside this folder as the record lists it (relative, POSIX)."""
        return Path(path).relative_to(self.path).as_posix()

    # reading ------------------------------------------------------------------------------
    def read_record(self) -> dict | None:
        """The record, or None when there is none or it is not a JSON object."""
        data = _read_json(self.record)
        return data if isinstance(data, dict) else None

    def read_error(self) -> dict:
        """``error.json`` as ``{"error", "traceback", ...}`` (a placeholder when unreadable)."""
        data = _read_json(self.error)
        if not isinstance(data, dict):
            return {"error": "error.json unreadable", "traceback": ""}
        return data | {
            "error": str(data.get("error", "")),
            "traceback": str(data.get("traceback", "")),
        }

    def read_running(self) -> dict:
        data = _read_json(self.running)
        return data if isinstance(data, dict) else {}

    def is_done(self, spec: RunSpec | str) -> bool:
        """True when the record exists and was made from ``spec`` (or a spec hash)."""
        wanted = spec if isinstance(spec, str) else spec.spec_hash
        record = self.read_record()
        return record is not None and _record_hash(record) == wanted

    def state(self, spec_hash: str | None = None) -> str:
        """What the folder says about the run (no queue is asked; see :mod:`toolkit.status`).

        Returns
        -------
        str
            ``done`` (a record of this spec; of any spec when ``spec_hash`` is None),
            ``stale`` (a record of another spec), ``corrupt`` (a record that does not
            parse), ``failed`` (``error.json``), ``running`` (``running.json``), else
            ``pending`` when the folder exists and ``missing`` when it does not.
        """
        if self.record.exists():
            record = self.read_record()
            if record is None or not isinstance(record.get("spec"), dict):
                return "corrupt"
            if spec_hash is not None and _record_hash(record) != spec_hash:
                return "stale"
            return "done"
        if self.error.exists():
            return "failed"
        if self.running.exists():
            return "running"
        return "pending" if self.path.is_dir() else "missing"

    # writing ------------------------------------------------------------------------------
    def write_record(self, record: dict) -> Path:
        """Write the record atomically (last: from now on the run is done)."""
        from toolkit.files import write_json

        return write_json(self.record, record)

    def write_error(self, error: dict) -> Path:
        from toolkit.files import write_json

        return write_json(self.error, error)

    def mark_running(self, where: dict) -> Path:
        from toolkit.files import write_json

        self.path.mkdir(parents=True, exist_ok=True)
        self.error.unlink(missing_ok=True)
        return write_json(self.running, where)

    def clear_running(self) -> None:
        self.running.unlink(missing_ok=True)


@dataclass(frozen=True)
class SweepManifest:
    """A sweep's results folder and its ``sweep.json`` (every spec of the sweep).

    Parameters
    ----------
    results_dir : Path
        The sweep's results folder.
    """

    results_dir: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "results_dir", Path(self.results_dir))

    @property
    def path(self) -> Path:
        return self.results_dir / SWEEP

    @property
    def runs_dir(self) -> Path:
        return self.results_dir / RUNS_DIR

    @property
    def data_dir(self) -> Path:
        return self.results_dir / DATA_DIR

    @property
    def summary_dir(self) -> Path:
        return self.results_dir / SUMMARY_DIR

    @property
    def slurm_dir(self) -> Path:
        return self.results_dir / SLURM_DIR

    @property
    def submissions(self) -> Path:
        return self.slurm_dir / SUBMISSIONS

    @property
    def slurm_logs(self) -> Path:
        return self.slurm_dir / "logs"

    @property
    def rendezvous(self) -> Path:
        return self.slurm_dir / "rendezvous"

    def analysis(self, name: str) -> SweepManifest:
        """The folder of the re-analysis ``name`` of this sweep (``expact analyze``)."""
        return SweepManifest(self.results_dir / ANALYSES_DIR / name)

    @property
    def analyses_dir(self) -> Path:
        return self.results_dir / ANALYSES_DIR

    def run(self, spec_or_name: RunSpec | str) -> RunFolder:
        return RunFolder.of(self.results_dir, spec_or_name)

    def exists(self) -> bool:
        return self.path.is_file()

    def is_sweep(self) -> bool:
        """A folder the report reads as a sweep: a ``sweep.json`` or a ``runs/`` folder."""
        return self.path.is_file() or self.runs_dir.is_dir()

    def write(self, config_source: str, name: str, task: str, specs: list[RunSpec]) -> Path:
        """Write ``sweep.json`` atomically."""
        from toolkit.files import write_json

        return write_json(
            self.path,
            {
                "config": config_source,
                "name": name,
                "task": task,
                "runs": [s.to_dict() for s in specs],
            },
        )

    def read(self) -> dict | None:
        """``sweep.json`` (``config``, ``name``, ``task``, ``runs``), None when absent.

        Raises
        ------
        ValueError
            When the file exists but is not a sweep manifest.
        """
        if not self.path.is_file():
            return None
        data = json.loads(self.path.read_text())
        if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
            raise ValueError(f"{self.path} is not a sweep manifest (no 'runs' list)")
        return data

    def specs(self) -> list[RunSpec]:
        """The sweep's run specs (empty when there is no ``sweep.json``)."""
        from toolkit.config.spec import RunSpec

        data = self.read()
        return [RunSpec.from_dict(r) for r in data["runs"]] if data else []

    def run_dirs(self) -> list[RunFolder]:
        """Every run folder present under ``runs/`` (sorted by name)."""
        if not self.runs_dir.is_dir():
            return []
        return [RunFolder(p) for p in sorted(self.runs_dir.iterdir()) if p.is_dir()]


def _record_hash(record: dict) -> Any:
    spec = record.get("spec")
    return spec.get("spec_hash") if isinstance(spec, dict) else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
