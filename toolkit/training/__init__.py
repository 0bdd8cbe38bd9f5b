"""Training protocol of spec §4 and the test metrics it reports."""

from toolkit.training.metrics import metrics
from toolkit.training.train import TrainConfig, train

__all__ = ["TrainConfig", "metrics", "train"]
