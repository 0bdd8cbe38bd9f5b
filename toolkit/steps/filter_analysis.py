"""Filters -> PPMs -> MEME -> Tomtom -> match: the filter block of every step that has one.

Spec §5: first-layer PPMs (activation-aligned windows), clipped to their informative core,
written as MEME, compared with the JASPAR target by Tomtom; then either the ground-truth
match statistics (Tasks 1 and 2: the planted motifs are known) or "match any JASPAR" (real
data); logos titled with each filter's best hit.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from toolkit.config import RunSpec
from toolkit.run_folder import FILTER_LOGOS, RunFolder

if TYPE_CHECKING:
    from toolkit.tomtom.targets import TargetSet

log = logging.getLogger(__name__)
#: The run's filtered Tomtom target (``tomtom/targets.meme``), written when a filter left
#: motifs out (``motifs.min_mean_ic``, ``task: sequences``).
TARGETS_MEME = "targets.meme"


def filter_analysis(
    ppms: np.ndarray,
    n_windows: np.ndarray,
    spec: RunSpec,
    run: RunFolder,
    ground_truth: bool = False,
    logo_columns: int = 8,
) -> dict:
    """Clip, save, Tomtom and match the PPMs of one run's first-layer filters.

    Parameters
    ----------
    ppms : np.ndarray, shape (F, W, 4)
        Unclipped PPMs (:func:`toolkit.filters.ppm` or :func:`toolkit.filters.streaming_ppm`).
    n_windows : np.ndarray, shape (F,)
        Windows behind each PPM.
    spec : RunSpec
        Its ``filters``, ``tomtom`` and ``match`` sections.
    run : RunFolder
        Where ``filters.npz``, ``filters.meme``, ``tomtom/`` and the logos go.
    ground_truth : bool
        Score against the ground-truth TF lists (``match.ground_truth``; the paper's by
        default) instead of "match any JASPAR".
    logo_columns : int
        Logos per row of the grid.

    Returns
    -------
    dict
        ``match`` (the record's section: ``match_fraction``, ``match_any``, ``coverage``,
        best hits per filter), ``n_windows`` (list), ``files`` (names in the run folder),
        ``motif_db`` and ``match_rule`` (the record's sections:
        :func:`toolkit.tomtom.rule.motif_db`, :func:`toolkit.tomtom.rule.match_rule`).
    """
    from toolkit.files import write_npz
    from toolkit.filters import clip
    from toolkit.filters.logos import logos
    from toolkit.match import load_ground_truth, match, match_any
    from toolkit.meme_io import read_meme_file, write_meme
    from toolkit.tomtom import tomtom
    from toolkit.tomtom.rule import match_rule, motif_db

    f, t = spec.filters, spec.tomtom
    clipped = clip(
        ppms,
        f["clip_threshold"],
        f["clip_pad"],
        reproduce_index0_bug=f["reproduce_clip_index0_bug"],
    )
    write_npz(run.filters, ppms=ppms, n_windows=n_windows)
    meme = write_meme(run.filters_meme, clipped)
    targets = motif_targets(spec, run)
    hits = tomtom(
        meme,
        targets.path,
        backend=t["backend"],
        out_dir=run.tomtom_dir,
        thresh=t["thresh"],
        dist=t["dist"],
        min_overlap=t["min_overlap"],
    )
    log.info("tomtom (%s): %s", hits.attrs["version"], " ".join(map(str, hits.attrs["command"])))
    names = {k: v or k for k, v in read_meme_file(targets.path).alt_names().items()}
    best = match_any(hits, len(ppms), names)
    if ground_truth:
        result = match(
            hits,
            n_filters=len(ppms),
            ground_truth=load_ground_truth(spec.match["ground_truth"]),
            reproduce_index0_bug=spec.match["reproduce_index0_bug"],
        ).to_dict()
        # the best JASPAR hit of each filter, whichever TF it is
        result |= {"best_hit": best["best_match"], "best_hit_name": best["best_name"]}
        log.info(
            "match fraction %.3f, match any %.3f", result["match_fraction"], result["match_any"]
        )
    else:
        result = best
        log.info("match any JASPAR %.3f", result["match_any"])
    files = {
        "filters": run.relative(run.filters),
        "meme": run.relative(meme),
        "tomtom": run.relative(run.tomtom_tsv),
        "logos": [],
    }
    if f["logos"]:
        titles = [
            f"filter{j} {hit}" + (f" {name}" if name and name != hit else "")
            for j, (hit, name) in enumerate(zip(best["best_match"], best["best_name"], strict=True))
        ]
        if ground_truth:  # the paper's relabelled logos: the ground-truth TF and its JASPAR ID
            titles = [
                f"filter{j} {tf} {jid}" if tf else f"filter{j} (no ground-truth match)"
                for j, (tf, jid) in enumerate(
                    zip(result["best_match"], result["best_match_id"], strict=True)
                )
            ]
        drawn = logos(clipped, run.file(FILTER_LOGOS), titles=titles, ncols=logo_columns)
        files["logos"] = [p.name for p in drawn]
    if targets.path != targets.source:
        files["motif_targets"] = run.relative(targets.path)
    return {
        "match": result,
        "n_windows": np.asarray(n_windows).tolist(),
        "files": files,
        "motif_db": motif_db(spec.extra.get("motifs"), targets),
        "match_rule": match_rule(spec.tomtom, ground_truth),
    }


def motif_targets(spec: RunSpec, run: RunFolder | None = None) -> TargetSet:
    """The Tomtom target of a run, after the ``motifs.min_mean_ic`` filter of users' own data.

    Tasks without a ``motifs`` section (the paper's) compare with ``tomtom.target`` as it
    is. ``task: sequences`` leaves out the target motifs whose mean information per column
    is below ``motifs.min_mean_ic`` (:func:`toolkit.tomtom.targets.filter_targets`), whichever
    file the target is; the kept motifs go to ``tomtom/targets.meme`` of the run.

    Returns
    -------
    toolkit.tomtom.targets.TargetSet
    """
    from toolkit.tomtom.targets import filter_targets, target_set

    target = spec.tomtom["target"]
    minimum = float((spec.extra.get("motifs") or {}).get("min_mean_ic", 0.0))
    if run is None or minimum <= 0:
        return target_set(target, minimum)
    run.tomtom_dir.mkdir(parents=True, exist_ok=True)
    return filter_targets(target, run.tomtom_dir / TARGETS_MEME, minimum)


def model_ppms(model, x: np.ndarray, spec: RunSpec) -> tuple[np.ndarray, np.ndarray]:
    """PPMs of a model's first-layer filters over ``x`` (N, L, 4), all in memory.

    Returns
    -------
    (np.ndarray (F, window, 4), np.ndarray (F,))
        As :func:`toolkit.filters.ppm` with the spec's ``filters.threshold`` and ``window``.
    """
    from toolkit.filters import ppm
    from toolkit.models import first_layer_model

    fmap = first_layer_model(model).predict(x, batch_size=512, verbose=0)
    return ppm(fmap, x, threshold=spec.filters["threshold"], window=spec.filters["window"])
