"""Put the kept records of an earlier session's paper-scale runs back into a results folder.

    python jobs/restore_kept_runs.py docs/reproduction/repro_task3 results/repro_task3

Paper-scale sweeps take longer than one working session on a 2-core machine, and a session's
work tree may not survive to the next one. ``jobs/reproduction_page.py --keep`` keeps every
finished run's ``record.json`` in the repository (``docs/reproduction/<sweep>/records/``); this
script copies them back into ``RESULTS/runs/<run>/record.json`` so that ``expact submit``
skips those runs (a record of the same spec hash means done) and ``expact report`` counts
them. The report's tables come from the records alone; figures that need a run's other files
(weights, attribution maps) leave restored runs out.

A record is restored only when RESULTS' sweep manifest (``sweep.json``, written by
``expact submit`` / ``expact run``) lists a run of that name with the *same spec hash*: a
record of another config, seed or model option is never mixed in. Runs that already have a
record are left alone. Each restored run gets a ``restored.json`` beside its record (source,
time), and the record itself is copied unchanged, so its host, versions and wall time still
say where and when it was computed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from toolkit.files import write_json  # noqa: E402
from toolkit.run_folder import RunFolder, SweepManifest  # noqa: E402


def restore(kept: Path, results: Path) -> dict[str, list[str]]:
    """Copy kept records whose spec hash the sweep in ``results`` expects.

    Returns
    -------
    dict
        Run names by outcome: ``restored``, ``present`` (already had a record), ``other``
        (a record of another spec hash, or a run the sweep does not have).
    """
    manifest = SweepManifest(results).read()
    if not manifest:
        raise SystemExit(f"{results}: no sweep.json; run `expact submit ... --dry-run` first")
    expected = {run["name"]: run.get("spec_hash") for run in manifest["runs"]}
    outcome: dict[str, list[str]] = {"restored": [], "present": [], "other": []}
    for source in sorted((kept / "records").glob("*.json")):
        record = json.loads(source.read_text())
        name = record.get("spec", {}).get("name", source.stem)
        if expected.get(name) is None or expected[name] != record["spec"].get("spec_hash"):
            outcome["other"].append(name)
            continue
        folder = RunFolder.of(results, name)
        if folder.record.exists():
            outcome["present"].append(name)
            continue
        folder.record.parent.mkdir(parents=True, exist_ok=True)
        note = {"source": str(source), "restored": datetime.now(UTC).isoformat(timespec="seconds")}
        write_json(folder.file("restored.json"), note)
        shutil.copyfile(source, folder.record)  # last: from now on the run is done
        outcome["restored"].append(name)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kept", type=Path, help="docs/reproduction/<sweep> (with records/)")
    parser.add_argument("results", type=Path, help="the sweep's results folder")
    args = parser.parse_args(argv)
    outcome = restore(args.kept, args.results)
    for key, names in outcome.items():
        print(f"{key}: {len(names)}" + (f" ({', '.join(names)})" if names else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
