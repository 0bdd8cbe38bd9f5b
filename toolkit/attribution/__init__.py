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
- :func:`score` (``score.py``): per-sequence AUROC/AUPR against a ground-truth mask.

All explain the sigmoid output by default (``target="prob"``, as the paper); ``"logit"``
explains the pre-sigmoid value. :data:`METHODS` maps the config names to the functions.
"""

from toolkit.attribution.deepshap import deepshap
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
    "DEFAULT_NORM",
    "METHODS",
    "deepshap",
    "integrated_gradients",
    "mutagenesis",
    "saliency",
    "score",
    "shuffled_references",
]
