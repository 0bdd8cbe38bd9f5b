"""The ``expact`` command line: data, run, summarize, status."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from toolkit.errors import InputError


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``expact`` and ``python -m toolkit``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # silence TF's start-up banners
    parser = _parser()
    args = parser.parse_args(argv)
    _log_to_stderr(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"expact: error: {exc}", file=sys.stderr)
        return 2


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at emit time (not the stream of the first call).

    ``main`` may run many times in one process (tests, notebooks) with ``sys.stderr`` swapped
    in between; a handler holding the first stream would write to a closed file.
    """

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _log_to_stderr(level: int) -> None:
    """Show the toolkit's log lines on stderr, once per process (no root-logger changes)."""
    logger = logging.getLogger("toolkit")
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="expact", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_data(sub)
    _add_run(sub)
    _add_sections(sub)
    _add_analyze(sub)
    _add_summarize(sub)
    _add_submit(sub)
    _add_retry(sub)
    _add_status(sub)
    _add_report(sub)
    _add_containers(sub)
    return parser


def _add_data(sub) -> None:
    """``expact data``."""
    data = sub.add_parser("data", help="generate a data set")
    data_sub = data.add_subparsers(dest="task", required=True)
    t1 = data_sub.add_parser("task1", help="Task 1 synthetic multi-label data set (spec §1.1)")
    t1.add_argument("--out", type=Path, default=Path("data/synthetic_dataset.h5"))
    t1.add_argument(
        "--pfm",
        type=Path,
        default=None,
        help="JASPAR PFM file (pfm_vertebrates.txt); default: pyjaspar JASPAR2016",
    )
    t1.add_argument("--n-seq", type=int, default=30000)
    t1.add_argument("--seq-length", type=int, default=200)
    t1.add_argument("--seed", type=int, default=33)
    t1.add_argument("--motifs", default=None, help="comma-separated core TF names")
    t1.set_defaults(func=_cmd_data_task1)
    t3 = data_sub.add_parser("task3", help="Task 3 synthetic regulatory-code data set (spec §1.2)")
    t3.add_argument("--out", type=Path, default=Path("data/synthetic_code_dataset.h5"))
    t3.add_argument(
        "--pfm",
        type=Path,
        default=None,
        help="JASPAR PFM file (pfm_vertebrates.txt); default: pyjaspar JASPAR2016",
    )
    t3.add_argument("--n-seq", type=int, default=20000, help="even: half positives, half negatives")
    t3.add_argument("--seq-length", type=int, default=200)
    t3.add_argument("--seed", type=int, default=22)
    t3.add_argument(
        "--motifs",
        default=None,
        help="comma-separated core TF names; default: spec §1.2's SP1, Gabpa, CEBPB, MAX, YY1 "
        "(SRF,STAT1: the original's other variant, not the published figures' data)",
    )
    t3.set_defaults(func=_cmd_data_task3)
    t2 = data_sub.add_parser("task2", help="Task 2 truncated DeepSEA in vivo set (spec §1.3)")
    t2.add_argument(
        "--deepsea",
        type=Path,
        required=True,
        help="unpacked deepsea_train_bundle.v0.9 (train.mat, valid.mat, test.mat)",
    )
    t2.add_argument("--out", type=Path, default=Path("data/invivo_dataset.h5"))
    t2.set_defaults(func=_cmd_data_task2)
    mini = data_sub.add_parser(
        "miniature",
        help="a small genome + narrowPeak files with JASPAR motifs planted at the summits "
        "(configs/sequences_peaks_miniature.yaml)",
    )
    mini.add_argument("--out", type=Path, default=Path("data/miniature"), help="folder")
    mini.add_argument("--seed", type=int, default=0)
    mini.add_argument("--n-peaks", type=int, default=450, help="peaks per TF, about")
    mini.add_argument(
        "--motifs",
        default=None,
        help="comma-separated NAME=JASPAR_ID (default REST=MA0138.3,SRF=MA0083.3,NRF1=MA0506.3)",
    )
    mini.add_argument("--release", default="JASPAR2024", help="pyjaspar release of the motifs")
    mini.set_defaults(func=_cmd_data_miniature)
    exp = data_sub.add_parser(
        "export", help="an HDF5 data set as FASTA + label table (to try the FASTA route)"
    )
    exp.add_argument("h5", type=Path, help="HDF5 in the toolkit's layout (X_*, Y_*)")
    exp.add_argument("--out", type=Path, required=True, help="prefix: writes PREFIX.fa, PREFIX.tsv")
    exp.set_defaults(func=_cmd_data_export)


def _add_run(sub) -> None:
    """``expact run``."""
    run = sub.add_parser("run", help="run a sweep config on this machine")
    run.add_argument("config", type=Path)
    run.add_argument(
        "--results", type=Path, default=None, help="results folder (default: results/<config name>)"
    )
    run.add_argument("--executor", choices=("local", "debug"), default="local")
    run.add_argument("--no-progress", action="store_true")
    run.add_argument(
        "--check",
        action="store_true",
        help="open and parse every input (config, data, PFM, Tomtom target, ground truth, "
        "profile) and exit; run nothing, write nothing",
    )
    run.add_argument(
        "--profile",
        default=None,
        help="with --check: also check this cluster profile (name in slurm/profiles/ or a "
        "YAML path) and its container image",
    )
    run.set_defaults(func=_cmd_run)


def _add_sections(sub) -> None:
    """``expact sections``."""
    sections = sub.add_parser(
        "sections", help="every config key: its default, what it accepts and what it does"
    )
    sections.add_argument(
        "task", nargs="?", default=None, help="a task: its own sections after the shared ones"
    )
    sections.set_defaults(func=_cmd_sections)


def _add_analyze(sub) -> None:
    """``expact analyze``."""
    analyze = sub.add_parser(
        "analyze", help="re-analyse finished runs from their saved weights (no retraining)"
    )
    analyze.add_argument("results", type=Path, help="the sweep's results folder")
    analyze.add_argument("analysis", type=Path, help="analysis config (configs/controls/*)")
    analyze.add_argument(
        "--cluster",
        choices=("process", "slurm", "local", "debug"),
        default="process",
        help="process (default): one after another in this process, as `expact run`; "
        "slurm/local/debug: array elements, as `expact submit`",
    )
    analyze.add_argument("--profile", default=None, help="cluster profile (as `expact submit`)")
    analyze.add_argument("--dry-run", action="store_true", help="list the runs; do nothing")
    analyze.add_argument("--no-progress", action="store_true")
    _add_wait_arguments(analyze)
    analyze.set_defaults(func=_cmd_analyze)


def _add_summarize(sub) -> None:
    """``expact summarize``."""
    summ = sub.add_parser("summarize", help="write the summary TSVs of a results folder")
    summ.add_argument("results", type=Path)
    summ.set_defaults(func=_cmd_summarize)


def _add_submit(sub) -> None:
    """``expact submit``."""
    submit = sub.add_parser("submit", help="submit a sweep as array jobs (Slurm through submitit)")
    submit.add_argument("config", type=Path)
    submit.add_argument("--cluster", choices=("slurm", "local", "debug"), default="slurm")
    submit.add_argument(
        "--profile",
        default=None,
        help="name in slurm/profiles/ or a YAML path (default: 1 CPU, 4 GB, 2 h)",
    )
    submit.add_argument(
        "--results", type=Path, default=None, help="results folder (default: results/<config name>)"
    )
    submit.add_argument(
        "--dry-run",
        action="store_true",
        help="print the run list and the sbatch script; submit nothing",
    )
    _add_wait_arguments(submit)
    submit.set_defaults(func=_cmd_submit)


def _add_retry(sub) -> None:
    """``expact retry``."""
    retry = sub.add_parser("retry", help="resubmit the failed and missing runs of a sweep")
    retry.add_argument("results", type=Path)
    retry.add_argument(
        "--cluster",
        choices=("slurm", "local", "debug"),
        default=None,
        help="default: the cluster of the last submission",
    )
    retry.add_argument(
        "--profile", default=None, help="default: the profile of the last submission"
    )
    _add_wait_arguments(retry)
    retry.set_defaults(func=_cmd_retry)


def _add_status(sub) -> None:
    """``expact status``."""
    status = sub.add_parser("status", help="done / running / pending / failed runs of a sweep")
    status.add_argument("results", type=Path)
    status.add_argument(
        "--watch",
        type=float,
        default=None,
        metavar="SECONDS",
        help="refresh every SECONDS until nothing is running or pending",
    )
    status.set_defaults(func=_cmd_status)


def _add_report(sub) -> None:
    """``expact report``."""
    rep = sub.add_parser("report", help="the Dask report: tables, t-tests, figures, HTML")
    rep.add_argument("results", type=Path, help="a sweep's results folder, or a folder of them")
    rep.add_argument(
        "--out", type=Path, default=None, help="report folder (default: RESULTS/report)"
    )
    rep.add_argument(
        "--cluster",
        choices=("local", "slurm"),
        default="local",
        help="Dask workers: local processes (default) or Slurm jobs (dask-jobqueue)",
    )
    rep.add_argument("--workers", type=int, default=2)
    rep.add_argument(
        "--interface",
        default=None,
        help="network interface of the Slurm workers (default: lo on a one-node Slurm)",
    )
    rep.add_argument("--partition", default=None, help="Slurm partition of the workers")
    rep.add_argument("--no-cache", action="store_true", help="re-read every record")
    rep.add_argument("--no-progress", action="store_true")
    rep.set_defaults(func=_cmd_report)


# the image bases of toolkit/containers/definition.py (BASES; a test keeps them equal: the
# command line does not import the container modules until a command runs)
IMAGE_BASES = ("debootstrap", "debootstrap-gpu", "docker")


def _add_containers(sub) -> None:
    """``expact containers``."""
    cont = sub.add_parser("containers", help="Apptainer images of the toolkit (containers/)")
    cont_sub = cont.add_subparsers(dest="action", required=True)
    cbuild = cont_sub.add_parser(
        "build", help="build the toolkit image (apptainer build --fakeroot)"
    )
    cbuild.add_argument(
        "--base",
        choices=IMAGE_BASES,
        default="debootstrap",
        help="debootstrap: Debian bookworm, CPU (builds anywhere); "
        "debootstrap-gpu: the same Debian with GPU TensorFlow and the CUDA/cuDNN wheels "
        "of tensorflow[and-cuda] (builds anywhere); "
        "docker: the TensorFlow GPU image of Docker Hub (needs a registry)",
    )
    cbuild.add_argument(
        "--output",
        type=Path,
        default=None,
        help="image file (default: containers/images/expact-<base>.sif)",
    )
    cbuild.add_argument(
        "--mirror",
        default=None,
        help="Debian mirror of the debootstrap base (default: this machine's)",
    )
    cbuild.add_argument(
        "--ca-cert",
        type=Path,
        nargs="+",
        default=None,
        metavar="FILE",
        help="extra CA certificates for pip in the build (default: "
        "/usr/local/share/ca-certificates/*.crt)",
    )
    cbuild.add_argument("--no-ca-certs", action="store_true", help="copy no extra CA certificates")
    cbuild.add_argument("--log", type=Path, default=None, help="write the build output here")
    cbuild.add_argument(
        "--wheelhouse",
        default="auto",
        metavar="DIR",
        help="install the Python packages offline from DIR; default 'auto': "
        "the cached one of `expact containers wheelhouse` for the Debian "
        "(CPU) base built on Debian 12, else none (the wheelhouse holds the CPU set: "
        "the GPU bases fetch from the package index)",
    )
    cbuild.add_argument(
        "--compression-level",
        type=int,
        default=1,
        choices=range(1, 10),
        metavar="1-9",
        help="gzip level of the image (default 1: fast to squash, about 15%% larger than 9)",
    )
    cbuild.add_argument(
        "--no-wheelhouse",
        action="store_true",
        help="fetch every package from the index inside the build and compile Horovod there",
    )
    cbuild.set_defaults(func=_cmd_containers_build)
    cwheel = cont_sub.add_parser(
        "wheelhouse",
        help="collect the pinned set, the MEME sources "
        "and a Horovod wheel for offline image builds",
    )
    cwheel.add_argument(
        "--output",
        type=Path,
        default=None,
        help="default: ~/.cache/expact/wheelhouse/<hash of the pins>",
    )
    cwheel.set_defaults(func=_cmd_containers_wheelhouse)
    ccheck = cont_sub.add_parser("check", help="run an image's tests (apptainer test)")
    ccheck.add_argument("image", type=Path)
    ccheck.set_defaults(func=_cmd_containers_check)
    cdef = cont_sub.add_parser("def", help="print the rendered definition of a base")
    cdef.add_argument("--base", choices=IMAGE_BASES, default="debootstrap")
    cdef.add_argument("--mirror", default=None)
    cdef.set_defaults(func=_cmd_containers_def)


def _add_wait_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait", action="store_true", help="wait until every submitted run is done or failed"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --wait: give up after SECONDS (exit code 3)",
    )


def _cmd_data_task1(args: argparse.Namespace) -> int:
    from toolkit.data import task1

    return _generate(task1, args)


def _cmd_data_task3(args: argparse.Namespace) -> int:
    from toolkit.data import task3

    return _generate(task3, args)


def _generate(generator, args: argparse.Namespace) -> int:
    """Run a synthetic-data generator (Task 1 or 3) with the shared ``expact data`` options."""
    kwargs = {
        "pfm": args.pfm,
        "n_seq": args.n_seq,
        "seq_length": args.seq_length,
        "seed": args.seed,
    }
    if args.motifs:
        kwargs["core_names"] = tuple(m.strip() for m in args.motifs.split(","))
    print(f"wrote {generator(args.out, **kwargs)}")
    return 0


def _cmd_data_task2(args: argparse.Namespace) -> int:
    from toolkit.data.task2 import task2

    print(f"wrote {task2(args.deepsea, args.out)}")
    return 0


def _cmd_data_miniature(args: argparse.Namespace) -> int:
    import json

    from toolkit.data.miniature import miniature

    motifs = None
    if args.motifs:
        pairs = [item.partition("=") for item in args.motifs.split(",")]
        if any(not name.strip() or not sep or not mid.strip() for name, sep, mid in pairs):
            raise InputError(None, "--motifs", f"expected NAME=JASPAR_ID,..., got {args.motifs!r}")
        motifs = {name.strip(): mid.strip() for name, _, mid in pairs}
    files = miniature(
        args.out, seed=args.seed, motifs=motifs, n_peaks=args.n_peaks, release=args.release
    )
    planted = json.loads(files["planted"].read_text())
    print(f"wrote {args.out}: genome.fa, blacklist.bed.gz, planted.json, sites.tsv.gz and")
    for tf, info in planted["tfs"].items():
        print(
            f"  {files[tf].name}: {info['peaks']} peaks, {info['sites']} {info['jaspar_id']} "
            f"({info['jaspar_name']}) sites planted in {info['peaks_with_sites']} of them"
        )
    return 0


def _cmd_data_export(args: argparse.Namespace) -> int:
    from toolkit.data.sequences import export_fasta

    fasta, table = export_fasta(args.h5, args.out)
    print(f"wrote {fasta} and {table}")
    return 0


def _checked_profile(profile: str) -> list[str]:
    from toolkit.cluster.profile import check_profile

    return [check_profile(profile)]


def _cmd_run(args: argparse.Namespace) -> int:
    from toolkit.config import default_results, load_config
    from toolkit.config.inputs import check_inputs

    config = load_config(args.config)
    results = args.results or default_results(config)
    # every input is opened and parsed before anything is generated or trained
    # the profile (and its image) first, listed right after the config line
    profile = _checked_profile(args.profile) if args.profile is not None else []
    checked = check_inputs(config, results)
    checked[1:1] = profile
    if args.check:
        print(f"{config.name}: all inputs are valid; nothing was run")
        for line in checked:
            print(f"  {line}")
        return 0
    # imported only for a real run: --check stays free of TensorFlow and fast
    from toolkit.run_folder import RunFolder
    from toolkit.summary import summary
    from toolkit.sweep import sweep
    from toolkit.training.horovod import launched

    if launched():  # one rank of horovodrun or of a multi-task Slurm step: all ranks train
        return _run_on_ranks(config, results)
    outcome = sweep(
        config, results, executor=args.executor, progress=not args.no_progress, checked=True
    )
    written = summary(results)
    print(
        f"{config.name}: {len(outcome.done)} run(s) done now, {len(outcome.skipped)} already "
        f"done, {len(outcome.failed)} failed"
    )
    for name in outcome.failed:
        print(f"  failed: {name} (see {RunFolder.of(results, name).error})")
    for name, path in written.items():
        if not name.endswith(("_parquet", "_pdf", "_png")):
            print(f"  {name}: {path}")
    return 1 if outcome.failed else 0


def _run_on_ranks(config, results: Path) -> int:
    """``expact run`` on every rank of a Horovod launch; rank 0 writes the summary."""
    from toolkit.cluster.ranks import sweep_on_ranks
    from toolkit.summary import summary

    try:
        outcome = sweep_on_ranks(config, results)
    except InputError:
        raise
    except Exception as exc:  # a failed run ends the launch on every rank
        print(f"expact: error: {exc}", file=sys.stderr)
        return 1
    if outcome["rank"] == 0:
        summary(results)
        print(
            f"{config.name}: {len(outcome['done'])} run(s) done now, "
            f"{len(outcome['skipped'])} already done, on {outcome['size']} rank(s)"
        )
    return 0


def _cmd_sections(args: argparse.Namespace) -> int:
    from toolkit.config.sections import describe_config
    from toolkit.tasks import TASKS

    if args.task is not None and args.task not in TASKS:
        raise InputError(None, "task", f"expected one of {sorted(TASKS)}, got {args.task!r}")
    print(describe_config(args.task), end="")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from toolkit.config.analysis import analysis_dir, analysis_specs, load_analysis
    from toolkit.run_folder import SweepManifest
    from toolkit.sweep import plan

    analysis = load_analysis(args.analysis)
    specs = analysis_specs(analysis, args.results)
    out = analysis_dir(args.results.resolve(), analysis["name"])
    todo, done = plan(specs, out)
    print(
        f"{analysis['name']} ({analysis['analysis']} of {args.results}): {len(specs)} run(s), "
        f"{len(done)} done, {len(todo)} to do, in {out}"
    )
    if args.dry_run:
        for spec in specs:
            print(f"  {'done' if spec.name in done else 'to do'}  {spec.name}  [{spec.spec_hash}]")
        return 0
    SweepManifest(out).write(str(args.analysis), analysis["name"], analysis["analysis"], specs)
    if args.cluster != "process":
        from toolkit.cluster.profile import load_profile

        profile = load_profile(args.profile)
        return _submit_and_report(specs, todo, out, analysis["name"], args.cluster, profile, args)
    from toolkit.summary import summary
    from toolkit.sweep import run_planned

    outcome = run_planned(todo, done, out, analysis["name"], progress=not args.no_progress)
    summary(out)
    print(
        f"{analysis['name']}: {len(outcome.done)} run(s) done now, {len(outcome.skipped)} "
        f"already done, {len(outcome.failed)} failed"
    )
    for name in outcome.failed:
        print(f"  failed: {name} (see {SweepManifest(out).run(name).error})")
    return 1 if outcome.failed else 0


def _cmd_summarize(args: argparse.Namespace) -> int:
    from toolkit.summary import summary

    for name, path in summary(args.results).items():
        print(f"{name}: {path}")
    return 0


def _cmd_submit(args: argparse.Namespace) -> int:
    from toolkit.cluster.profile import check_profile, load_profile
    from toolkit.cluster.submit import dry_run_script, pack, validate_for_cluster
    from toolkit.config import default_results, load_config
    from toolkit.config.inputs import check_inputs
    from toolkit.sweep import plan, prepare_sweep
    from toolkit.training import custom_ops

    config = load_config(args.config)
    profile = load_profile(args.profile)
    results = (args.results or default_results(config)).resolve()
    # every input is opened and parsed before anything is submitted (or shown as a dry run)
    profile_line = check_profile(profile)
    checked = check_inputs(config, results)
    checked.insert(1, profile_line)
    specs = config.run_specs(results)
    todo, done = plan(specs, results)
    if args.dry_run:
        print(f"{config.name}: all inputs are valid")
        for line in checked:
            print(f"  {line}")
        n_elements = len(pack(todo, profile.runs_per_element))
        print(
            f"{config.name}: {len(specs)} runs, {len(done)} done, {len(todo)} to submit in "
            f"{n_elements} element(s) of up to {profile.runs_per_element} run(s)"
        )
        for spec in specs:
            print(
                f"  {'done' if spec.name in done else 'submit'}  {spec.name}  seed={spec.seed}  "
                f"[{spec.spec_hash}]"
            )
        if todo and args.cluster == "slurm":
            print("\n# sbatch script of the first array:")
            print(dry_run_script(profile, config.name, results, min(n_elements, 1000), todo))
        return 0
    validate_for_cluster(profile, args.cluster)  # impossible requests fail before any compute
    if not profile.container:  # the runs use this installation's kernels (an image has its own)
        custom_ops.require_kernels(todo)
    prepare_sweep(config, specs, todo, results, checked=True)
    return _submit_and_report(specs, todo, results, config.name, args.cluster, profile, args)


def _cmd_retry(args: argparse.Namespace) -> int:
    from toolkit.cluster.profile import Profile, load_profile
    from toolkit.cluster.submit import submissions
    from toolkit.run_folder import SweepManifest
    from toolkit.status import sweep_status

    report = sweep_status(args.results)
    manifest = SweepManifest(args.results)
    if report is None:
        raise InputError(manifest.path, None, "not a results folder (no sweep manifest)")
    last = (submissions(args.results) or [{}])[-1]
    cluster = args.cluster or last.get("cluster", "slurm")
    if args.profile:
        profile = load_profile(args.profile)
    else:
        profile = Profile(**last["profile"]) if "profile" in last else Profile()
    again = set(report.unfinished())
    specs = manifest.specs()
    todo = [s for s in specs if s.name in again]
    if not todo:
        print(
            f"{report.name}: nothing to retry ({', '.join(f'{v} {k}' for k, v in report.counts().items())})"
        )
        return 0
    return _submit_and_report(
        specs, todo, args.results.resolve(), report.name, cluster, profile, args
    )


def _submit_and_report(specs, todo, results, name, cluster, profile, args) -> int:
    from toolkit.cluster.submit import submit
    from toolkit.summary import summary

    out = submit(specs, todo, results, name, cluster=cluster, profile=profile)
    if not todo:
        print(f"{name}: all {len(specs)} runs are done; nothing submitted")
        summary(results)
        return 0
    jobs = sorted({j.split("_")[0] for j in out.job_ids})
    print(
        f"{name}: submitted {len(todo)} run(s) in {out.elements} element(s) to {cluster}"
        + (f" as job(s) {', '.join(jobs)}" if cluster == "slurm" else "")
        + f"; {len(out.already_done)} already done"
    )
    print(f"  status: expact status {results}")
    if cluster != "slurm" or args.wait:
        if cluster == "slurm" and not _wait(results, args.timeout):
            return 3
        from toolkit.status import status, sweep_status

        summary(results)
        print(status(results))
        report = sweep_status(results)
        return 1 if report and report.counts()["failed"] else 0
    return 0


def _wait(results: Path, timeout: float | None, interval: float = 5.0) -> bool:
    """Poll the sweep's status (one squeue + one sacct per poll) with a progress bar."""
    import time

    from tqdm.auto import tqdm

    from toolkit.status import sweep_status

    start = time.time()
    report = sweep_status(results)
    with tqdm(total=len(report.runs), desc="runs finished", unit="run") as bar:
        while True:
            report = sweep_status(results)
            counts = report.counts()
            bar.n = counts["done"] + counts["failed"]
            bar.set_postfix(
                running=counts["running"], pending=counts["pending"], failed=counts["failed"]
            )
            bar.refresh()
            if not report.active():
                return True
            if timeout is not None and time.time() - start > timeout:
                print(
                    f"expact: gave up waiting after {timeout:.0f} s; the jobs keep running "
                    f"(see: expact status {results})",
                    file=sys.stderr,
                )
                return False
            time.sleep(interval)


def _cmd_status(args: argparse.Namespace) -> int:
    import time

    from toolkit.status import status, sweep_status

    while True:
        print(status(args.results), flush=True)
        if args.watch is None:
            return 0
        report = sweep_status(args.results, query_slurm=True)
        if report is None or not report.active():
            return 0
        time.sleep(args.watch)
        print()


def _cmd_report(args: argparse.Namespace) -> int:
    from toolkit.report.build import print_summary, report

    result = report(
        args.results,
        args.out,
        cluster=args.cluster,
        workers=args.workers,
        progress=not args.no_progress,
        use_cache=not args.no_cache,
        interface=args.interface,
        partition=args.partition,
    )
    print_summary(result)
    return 0


def _cmd_containers_build(args: argparse.Namespace) -> int:
    from toolkit.containers.apptainer import build

    certs = [] if args.no_ca_certs else args.ca_cert
    wheelhouse = None if args.no_wheelhouse else args.wheelhouse
    if wheelhouse == "auto":
        from toolkit.containers.wheelhouse import fits_image, prepare_wheelhouse

        wheelhouse = None
        if fits_image(args.base):
            print("collecting the wheelhouse (once per machine and pin set)", flush=True)
            wheelhouse = prepare_wheelhouse()
            print(f"wheelhouse: {wheelhouse}")
    result = build(
        args.base,
        args.output,
        mirror=args.mirror,
        ca_certs=certs,
        log=args.log,
        wheelhouse=wheelhouse,
        compression_level=args.compression_level,
    )
    print(f"built {result.image} ({result.size_bytes / 1e6:.0f} MB) in {result.seconds:.0f} s")
    print(f"  check it: expact containers check {result.image}")
    print(f"  use it:   a cluster profile with  container: {result.image}")
    return 0


def _cmd_containers_wheelhouse(args: argparse.Namespace) -> int:
    from toolkit.containers.wheelhouse import prepare_wheelhouse

    folder = prepare_wheelhouse(args.output)
    size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    print(
        f"wheelhouse {folder} ({size / 1e6:.0f} MB); "
        f"use it: expact containers build --wheelhouse {folder}"
    )
    return 0


def _cmd_containers_check(args: argparse.Namespace) -> int:
    from toolkit.containers.apptainer import check

    code = check(args.image)
    print(f"{args.image}: {'tests passed' if code == 0 else f'tests FAILED (exit {code})'}")
    return 0 if code == 0 else 1


def _cmd_containers_def(args: argparse.Namespace) -> int:
    from toolkit.containers.definition import render

    print(render(args.base, mirror=args.mirror), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
