"""One run on a user's own data set (``task: sequences``): the paper's analysis, any data.

The data set is an HDF5 file in the toolkit's layout (``data.path``), or a FASTA file plus a
label table imported into one (``data.generate``, :mod:`toolkit.data.sequences`). Sequence
length and the number of outputs come from the data; any zoo model trains, binary or
multi-label. Then, as the paper's real-data tasks:

- training with the paper's protocol (early stopping and the LR schedule on ``val_auroc``),
  test AUROC/AUPR;
- first-layer filters -> PPMs -> Tomtom against the motif database (``tomtom.target``, or the
  JASPAR set of the ``motifs`` section written from pyjaspar) -> "match any" with each
  filter's best hit and its TF name, logos;
- attribution maps (saliency, mutagenesis, integrated gradients, DeepSHAP; the
  ``attribution`` section) of the first positive test sequences of ``class_index``, with
  logos, scored against the ground truth when the data have one (``model_*`` PWMs or a
  ``mask_*`` of motif positions).
"""

from __future__ import annotations

from pathlib import Path

from toolkit.config import RunSpec
from toolkit.run_folder import RunFolder
from toolkit.tasks import TASKS


def sequences(spec: RunSpec, run_dir: str | Path, progress: bool = True) -> dict:
    """Run one (model, activation, trial) cell on the user's data; return its record.

    The step signature of ``toolkit.tasks.Task.step``.
    """
    from toolkit.data import load
    from toolkit.steps.attribution_analysis import attribution_analysis
    from toolkit.steps.filter_analysis import filter_analysis, model_ppms
    from toolkit.steps.fit import fit
    from toolkit.steps.record import Clock, data_section, record

    run, clock = RunFolder(Path(run_dir)), Clock()
    attr = TASKS["sequences"].sections["attribution"] | spec.extra.get("attribution", {})
    with clock.lap("load"):
        data = load(spec.data["path"], task="sequences")
        truth, kind = ground_truth(spec.data["path"], data)
    fitted = fit(spec, data, run, progress)
    with clock.lap("filters_tomtom"):
        filters = filter_analysis(*model_ppms(fitted.model, data.x_test, spec), spec, run)
    with clock.lap("attribution"):
        result = attribution_analysis(
            fitted.model, data.x_test, data.y_test, truth, attr, spec, run
        )
    files = filters["files"] | {
        "attribution_scores": result["table"],
        "attribution_maps": result["maps"],
        "attribution_logos": result["logos"],
    }
    sections = {
        "tomtom_backend": spec.tomtom["backend"],
        "data": data_section(
            spec, data, ground_truth=kind, n_outputs=int(data.y_test.shape[1]), **made_from(data)
        ),
        "match": filters["match"],
        "motif_db": filters["motif_db"],
        "match_rule": filters["match_rule"],
        "n_windows": filters["n_windows"],
        "attribution": result["summary"],
    }
    if result["off_simplex"] is not None:
        sections["off_simplex"] = result["off_simplex"]
    return record(spec, run, clock, fitted, files=files, **sections)


def ground_truth(path: str, data):
    """The test split's ground truth: ``model_test`` PWMs (N, 4, L), else ``mask_test``
    (N, L) motif positions, else None; and which one (``"model"``, ``"mask"``, ``None``)."""
    import h5py
    import numpy as np

    if data.model_test is not None:
        return data.model_test, "model"
    with h5py.File(path, "r") as f:
        if "mask_test" in f:
            mask = np.asarray(f["mask_test"][()], bool)
            if mask.shape != data.x_test.shape[:2]:
                from toolkit.errors import InputError

                raise InputError(
                    path, "mask_test", f"shape {mask.shape}, expected {data.x_test.shape[:2]}"
                )
            return mask, "mask"
    return None, None


def made_from(data) -> dict:
    """How a peaks-made data set was made (its ``peaks`` and ``background`` attributes: the
    files, counts, split, and every background method with its ratio, seed and counts)."""
    import json

    return {k: json.loads(data.attrs[k]) for k in ("peaks", "background") if k in data.attrs}
