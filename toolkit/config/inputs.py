"""Open and parse every input file of a sweep before any compute is spent.

:func:`check_inputs` is what ``expact run CONFIG --check`` and ``expact submit --dry-run``
do, and what ``expact run`` and ``expact submit`` do before anything trains or is
submitted: on a cluster a malformed Tomtom target would otherwise fail every array element
after its training. It reads files and writes nothing, and imports no TensorFlow, so it
takes seconds.

Checked, cheapest first (the cluster profile and its container image are the command
line's: :func:`toolkit.cluster.profile.check_profile`): the ground-truth
JSON (and that each TF has an ID in the Tomtom target); the generator's PFM; the Tomtom
target MEME file (strictly: every matrix row four probabilities, the ``letter-probability
matrix:`` header, ``w=`` against the rows, at least one motif); the data set (the task's
validating loader, or for files too large to load the metadata check of
``toolkit.tasks.Task.data_check``), and the task sections' indices against the data's label
columns and sequence length.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py

from toolkit.config import SweepConfig, resolve_paths
from toolkit.errors import InputError
from toolkit.tasks import TASKS, resolve

__all__ = ["check_data_file", "check_inputs"]


def check_inputs(
    config: SweepConfig,
    results_dir: str | os.PathLike,
) -> list[str]:
    """Check every input file a sweep will read; return one line per thing checked.

    Parameters
    ----------
    config : SweepConfig
        A config validated by :func:`toolkit.config.load_config`.
    results_dir : str or os.PathLike
        The sweep's results folder: where the data set and the JASPAR target are made when
        the config names none. Nothing is created in it.

    Returns
    -------
    list of str
        What was checked, e.g. ``"Tomtom target /x/JASPAR.meme: 519 motifs"``.

    Raises
    ------
    InputError
        On the first malformed input, naming the file, the line or field and what was
        expected.
    """
    results_dir = Path(results_dir).resolve()
    sections = resolve_paths(config.sections, results_dir, config.task, config.extra.get("motifs"))
    n_variants = max(len(config.variants), 1)
    n_runs = len(config.models) * len(config.activations) * config.trials * n_variants
    checked = [
        f"config {config.source}: {config.task}, {n_runs} run(s) "
        f"({len(config.models)} model(s) x {len(config.activations)} activation(s) x "
        f"{config.trials} trial(s)" + (f" x {n_variants} variant(s))" if config.variants else ")")
    ]

    # the ground truth is read by the steps that score matches (Task 1's, also Task 2's)
    uses_ground_truth = TASKS[config.task].ground_truth
    seen: set[tuple] = set()
    for given in [config.sections] + [v[1] for v in config.variants]:  # `vary` may change them
        resolved = resolve_paths(given, results_dir, config.task, config.extra.get("motifs"))
        target = Path(resolved["tomtom"]["target"])
        ground_truth = resolved["match"]["ground_truth"]
        if (target, ground_truth) in seen:
            continue
        seen.add((target, ground_truth))
        target_ids = None
        if given["tomtom"]["target"] is not None or target.is_file():
            target_ids, line = _check_target(target)
            checked.append(line)
        else:
            checked.append(_check_motif_set(config, target))
        if ground_truth is not None or uses_ground_truth:
            checked.append(_check_ground_truth(ground_truth, target_ids, target))

    data = Path(sections["data"]["path"])
    generate = sections["data"]["generate"]
    if generate.get("pfm") is not None:
        checked.append(_check_pfm(config.task, generate, will_generate=not data.exists()))

    if config.task == "sequences" and generate and not data.exists():
        checked.append(_check_sequence_import(generate))
    if data.exists():
        checked.append(_check_data(config, data))
    else:
        # parse_config already refused a data.path that does not exist, so this is the
        # generated default; its parameters were checked with the config
        checked.append(f"data {data}: generated before the first run")
    return checked


def _check_motif_set(config: SweepConfig, target: Path) -> str:
    """The pyjaspar set written as the default target: its release must exist offline."""
    motifs = config.extra.get("motifs") or {"release": "JASPAR2016"}
    if "motifs" in config.extra:
        from pyjaspar import jaspardb

        releases = jaspardb().get_releases()
        if motifs["release"] not in releases:
            raise InputError(
                config.source,
                "motifs.release",
                f"pyjaspar has no {motifs['release']!r}; releases: {releases}",
            )
    name = " ".join(str(v) for v in motifs.values())
    return f"Tomtom target: {name} from pyjaspar, written to {target} before the first run"


def _check_sequence_import(generate: dict) -> str:
    """Read both files of a FASTA + label table import and split them, as the import will."""
    from toolkit.data.sequences import checked, split_rows

    options = {
        k: generate[k] for k in ("id_column", "label_columns", "length", "resize") if k in generate
    }
    _, ids, names, y, length = checked(generate["fasta"], generate["labels"], **options)
    rows = split_rows(ids, generate.get("split"), generate["fasta"])
    sizes = "/".join(str(len(rows[s])) for s in ("train", "valid", "test"))
    return (
        f"FASTA {generate['fasta']} and labels {generate['labels']}: {len(ids)} sequences of "
        f"{length} nt, {len(names)} label column(s) {names}, train/valid/test {sizes}"
    )


def _check_pfm(task: str, generate: dict, will_generate: bool) -> str:
    from toolkit.data.jaspar import motif_lookup, read_jaspar_pfm

    pfm = generate["pfm"]
    motifs = read_jaspar_pfm(pfm)
    line = f"PFM {pfm}: {len(motifs)} motifs"
    if will_generate:  # the generator looks its TFs up by name in this file
        names = generate.get("core_names", _generator_default(task, "core_names"))
        for name in names or ():
            motif_lookup(motifs, name, pfm)
        line += f", the generator's {len(names or ())} TFs among them"
    return line


def _generator_default(task: str, option: str):
    import inspect

    parameter = inspect.signature(resolve(TASKS[task].generator)).parameters.get(option)
    return None if parameter is None else parameter.default


def _check_target(path: Path) -> tuple[set[str], str]:
    from toolkit.meme_io import read_meme_file

    meme = read_meme_file(path)
    widths = sorted({m.ppm.shape[0] for m in meme.motifs})
    return (
        {m.id for m in meme.motifs},
        f"Tomtom target {path}: {len(meme.motifs)} motifs, widths {widths[0]}-{widths[-1]}",
    )


def _check_ground_truth(path: str | None, target_ids: set[str] | None, target: Path) -> str:
    from toolkit.match import load_ground_truth

    ground_truth = load_ground_truth(path)
    source = path or "the paper's ground truth (toolkit/data/task1_ground_truth.json)"
    n_ids = sum(len(ids) for ids in ground_truth.values())
    line = f"ground truth {source}: {len(ground_truth)} TFs, {n_ids} JASPAR IDs"
    if target_ids is None:
        return line
    # an ID missing from the target can never match; a TF none of whose IDs is there makes
    # every "match ground truth" of that TF silently zero
    lost = sorted(tf for tf, ids in ground_truth.items() if not set(ids) & target_ids)
    if lost:
        raise InputError(
            path or source,
            f"ids.{lost[0]}",
            f"none of the JASPAR IDs of {lost} is a motif of the Tomtom target {target}; "
            f"expected IDs such as {sorted(target_ids)[:3]}",
        )
    present = sum(len(set(ids) & target_ids) for ids in ground_truth.values())
    return line + f" ({present} in the Tomtom target)"


def check_data_file(task: str, path: str | os.PathLike) -> str:
    """Open the data set as the runs will (or check its layout); say how it was checked.

    The one data-set check: :func:`check_inputs` runs it on an existing file, the sweep on
    one it has just generated; each file is opened once per sweep.
    """
    check = TASKS[task].data_check
    if check is not None:  # too large to load: its layout is checked from metadata
        resolve(check)(path)
        return "layout checked from metadata"
    from toolkit.data import load

    data = load(path, task=TASKS[task].loader)  # the loader the runs use
    return f"{sum(len(getattr(data, f'x_{s}')) for s in data.splits)} sequences checked"


def _check_data(config: SweepConfig, path: Path) -> str:
    how = check_data_file(config.task, path)
    n_labels, length = _dims(path)
    _check_against_data(config, n_labels, length, path)
    return f"data {path}: {how}, length {length}, {n_labels} label column(s)"


def _dims(path: Path) -> tuple[int, int]:
    """Label columns and sequence length of a checked file, from its test split's shapes."""
    with h5py.File(path, "r") as f:
        x, y = ("X_test", "Y_test") if "X_test" in f else ("test_in", "test_out")
        x_shape = [d for d in f[x].shape[1:] if d != 1]  # (4, L) once singletons are gone
        y_shape = [d for d in f[y].shape[1:] if d != 1]
    return (y_shape[0] if y_shape else 1), x_shape[-1]


def _check_against_data(config: SweepConfig, n_labels: int, length: int, path: Path) -> None:
    """Task-section values that index the data: class columns, a sequence of length L."""
    indices = [
        ("saliency", "class_index"),
        ("attribution", "class_index"),
        ("analysis", "saliency_class"),
        ("analysis", "example_class"),
    ]
    for section, key in indices:
        value = config.extra.get(section, {}).get(key)
        if value is not None and not 0 <= value < n_labels:
            raise InputError(
                config.source,
                f"{section}.{key}",
                f"{value} is not a label column of {path} (expected 0..{n_labels - 1})",
            )
    example = config.extra.get("analysis", {}).get("example_sequence", "").strip()
    if example and len(example) != length:
        raise InputError(
            config.source,
            "analysis.example_sequence",
            f"{len(example)} letters, but the sequences of {path} have {length}",
        )
