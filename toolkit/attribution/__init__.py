"""Attribution methods of spec §6 and their scoring against ground truth.

One public function per module, re-exported here, each usable on any Keras model with one
input of shape (None, L, 4) and one output of shape (None, C):

- :func:`saliency` (``saliency.py``): input gradient;
- :func:`mutagenesis` (``mutagenesis.py``): in-silico mutagenesis, batched over mutants;
- :func:`integrated_gradients` (``integrated_gradients.py``): shuffled references, paper or
  standard variant;
- :func:`deepshap` (``deepshap.py``): shap's DeepExplainer with per-sequence backgrounds,
  one explainer for all sequences;
- :func:`shuffled_references` (``references.py``): the position shuffles used as references;
- :func:`score` (``score.py``): per-sequence AUROC/AUPR against a ground-truth mask;
- :func:`simplex_correct`, :func:`off_simplex_angles`, :func:`off_simplex_stats`
  (``correction.py``): gradient correction for one-hot DNA (Majdandzic et al. 2023) and the
  angle of a gradient off the simplex plane; saliency, integrated gradients and DeepSHAP take
  ``correction="none" | "simplex" | "both"``;
- :func:`convergence` (``deepshap.py``): the DeepSHAP convergence-delta check (warn above
  1e-3, fail above 1e-2).

All explain the sigmoid output by default (``target="prob"``, as the paper); ``"logit"``
explains the pre-sigmoid value. :data:`METHODS` maps the config names to the functions.
"""

from toolkit.attribution.correction import (
    ANGLE_THRESHOLDS,
    corrected_name,
    off_simplex_angles,
    off_simplex_stats,
    simplex_correct,
)
from toolkit.attribution.deepshap import convergence, deepshap
from toolkit.attribution.integrated_gradients import integrated_gradients
from toolkit.attribution.mutagenesis import mutagenesis
from toolkit.attribution.references import shuffled_references
from toolkit.attribution.saliency import saliency
from toolkit.attribution.score import DEFAULT_NORM, score
from toolkit.config.names import ATTRIBUTION_METHODS

#: Config name -> method, in the paper's order.
METHODS = {
    "saliency": saliency,
    "mutagenesis": mutagenesis,
    "integrated_gradients": integrated_gradients,
    "deepshap": deepshap,
}
assert tuple(METHODS) == ATTRIBUTION_METHODS  # the names the config checks against

__all__ = [
    "ANGLE_THRESHOLDS",
    "DEFAULT_NORM",
    "METHODS",
    "convergence",
    "corrected_name",
    "deepshap",
    "integrated_gradients",
    "mutagenesis",
    "off_simplex_angles",
    "off_simplex_stats",
    "saliency",
    "score",
    "shuffled_references",
    "simplex_correct",
]
