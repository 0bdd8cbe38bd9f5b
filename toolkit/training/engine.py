"""The fast training engine (``train.engine: fast``): spec §4's protocol without ``model.fit``.

Per epoch it runs one compiled train step per batch (:data:`STEPS_PER_CALL` batches per call)
on the model's *training twin*
(:func:`toolkit.training.fast_layers.training_twin`: the same layers and variables, fused
batch norm, cheaper dropout masks, optionally bfloat16 convolutions and hidden dense
layers), then one pass over the validation set, then the Keras callbacks (early stopping,
the learning-rate schedule, the epoch checkpoint, the gradient record, the progress bar...)
with the epoch's logs, as ``model.fit`` would. What it computes is what ``model.fit`` computes:

* ``loss``: the mean over the epoch's batches, weighted by batch size, of the batch's binary
  cross-entropy plus the regularisation losses (Keras' ``loss`` metric);
* ``val_loss``, ``val_accuracy``, ``val_auroc``, ``val_aupr``: the same over the validation
  batches, in inference mode, with Keras' own metric objects (``AUC`` with its 200 thresholds,
  micro-averaged; its confusion counts summed over the batches are those of one AUC over all
  validation predictions), so early stopping and the schedule see the numbers they saw;
* ``accuracy``, ``auroc``, ``aupr`` (the streaming metrics over the training batches, with
  dropout on, as Keras reports them) only with ``train.train_metrics: true``: nothing reads
  them but the curves one may want to draw, and they cost from a few percent of an epoch (the
  2-core AMD development VM) to 40 % (a 2-core Xeon: 10.5 s against 6.1 s without metrics).

Batches: each epoch a permutation of the training set from ``numpy.random.default_rng((seed,
epoch))``, sliced into batches of ``batch_size`` (the last one shorter), gathered from the
in-memory arrays; the dropout generator is reset from ``(seed, epoch)`` too. ``seed`` is drawn
from NumPy's global generator when training starts, so a seeded run (``tf.keras.utils.
set_random_seed``) repeats, and a resumed one continues with the batches and masks the
uninterrupted one would have used. Batch-level callback hooks are not called.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from toolkit.config.train import TrainConfig
from toolkit.training.fast_layers import training_twin

__all__ = ["STEPS_PER_CALL", "fit_fast"]

#: Batches per call of the compiled step function (a loop inside it): one Python-to-graph
#: call, with its argument conversion, per this many steps instead of per step.
STEPS_PER_CALL = 10


def fit_fast(
    model,
    train_data: tuple[np.ndarray, np.ndarray],
    valid_data: tuple[np.ndarray, np.ndarray],
    config: TrainConfig,
    callbacks: list,
    initial_epoch: int = 0,
) -> dict[str, list[float]]:
    """Train a compiled ``model`` from ``initial_epoch`` to ``config.epochs``.

    Parameters
    ----------
    model : keras.Model
        Compiled (its ``optimizer`` is used and checkpointed), sigmoid output ``(N, C)``.
    train_data, valid_data : tuple of np.ndarray
        ``x`` of shape ``(N, L, 4)`` and ``y`` of shape ``(N, C)``.
    config : TrainConfig
        ``epochs``, ``batch_size``, ``shuffle``, ``train_metrics``, ``bf16`` and
        ``fused_dropout`` are read here;
        early stopping and the schedule come in ``callbacks``.
    callbacks : list of keras.callbacks.Callback
        Called at train begin, every epoch's begin and end, and train end.
    initial_epoch : int
        Epochs already done (a resumed run).

    Returns
    -------
    dict
        One list per logged key (``loss``, ``val_loss``, ``val_auroc``, ``lr``...), one value
        per epoch run.
    """
    x, y = train_data
    seed = int(np.random.randint(2**31 - 1))
    generator = tf.random.Generator.from_seed(seed)
    twin = training_twin(model, generator, config.bf16, config.fused_dropout)
    steps = _Steps(model, twin, config.train_metrics)
    batches = -(-len(x) // config.batch_size)
    # last, as in model.fit: it records the logs as the callbacks left them (lr, grad_mean)
    history = tf.keras.callbacks.History()
    callback_list = tf.keras.callbacks.CallbackList(
        [*callbacks, history], model=model, epochs=config.epochs, steps=batches, verbose=0
    )
    logs: dict[str, float] = {}
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, config.epochs):
        callback_list.on_epoch_begin(epoch)
        generator.reset_from_seed(_epoch_seed(seed, epoch))
        order = np.random.default_rng((seed, epoch)).permutation(len(x))
        logs = steps.train_epoch(x, y, order if config.shuffle else None, config.batch_size)
        logs |= steps.evaluate(*valid_data, config.batch_size)
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def _epoch_seed(seed: int, epoch: int) -> int:
    return int(np.random.SeedSequence((seed, epoch)).generate_state(1, np.uint32)[0])


def _classification_metrics(n_outputs: int, prefix: str = "") -> list:
    """Keras' metric objects of :func:`toolkit.training.train.compile_model`. ``"accuracy"``
    is what Keras makes of the string for this output: binary accuracy for one sigmoid
    output, *categorical* accuracy (argmax of labels = argmax of scores) for several."""
    accuracy = (
        tf.keras.metrics.BinaryAccuracy if n_outputs == 1 else tf.keras.metrics.CategoricalAccuracy
    )
    return [
        accuracy(name=f"{prefix}accuracy"),
        tf.keras.metrics.AUC(curve="ROC", name=f"{prefix}auroc"),
        tf.keras.metrics.AUC(curve="PR", name=f"{prefix}aupr"),
    ]


class _Steps:
    """The compiled train and validation steps of one training, with their metrics."""

    def __init__(self, model, twin, train_metrics: bool):
        self.model, self.twin = model, twin
        self.variables = model.trainable_variables  # the optimizer's (and checkpoint's) order
        self.loss_fn = tf.keras.losses.BinaryCrossentropy(from_logits=False)
        n_outputs = model.output_shape[-1]
        self.train_metrics = [tf.keras.metrics.Mean(name="loss")]
        if train_metrics:
            self.train_metrics += _classification_metrics(n_outputs)
        self.valid_metrics = [tf.keras.metrics.Mean(name="val_loss")]
        self.valid_metrics += _classification_metrics(n_outputs, "val_")
        # before the first step: its slots are not made inside the compiled loop
        model.optimizer.build(self.variables)
        # (steps, batch, ...): a group of batches, one step each
        x_spec = tf.TensorSpec((None, None, *model.input_shape[1:]), tf.float32)
        y_spec = tf.TensorSpec((None, None, *model.output_shape[1:]), tf.float32)
        self.train_steps = tf.function(_looped(self._train_step), input_signature=[x_spec, y_spec])
        self.valid_steps = tf.function(_looped(self._valid_step), input_signature=[x_spec, y_spec])

    def _total_loss(self, net, y, p):
        """Keras' compiled loss: the batch-mean BCE plus the model's regularisation losses."""
        loss = self.loss_fn(y, p)
        return loss + tf.add_n(net.losses) if net.losses else loss

    def _train_step(self, x, y):
        with tf.GradientTape() as tape:
            p = self.twin(x, training=True)
            loss = self._total_loss(self.twin, y, p)
        gradients = tape.gradient(loss, self.variables)
        self.model.optimizer.apply_gradients(zip(gradients, self.variables, strict=True))
        self._update(self.train_metrics, loss, y, p)

    def _valid_step(self, x, y):
        p = self.model(x, training=False)
        self._update(self.valid_metrics, self._total_loss(self.model, y, p), y, p)

    @staticmethod
    def _update(metrics: list, loss, y, p) -> None:
        metrics[0].update_state(loss, sample_weight=tf.shape(y)[0])
        for metric in metrics[1:]:
            metric.update_state(y, p)

    def train_epoch(self, x, y, order: np.ndarray | None, batch_size: int) -> dict[str, float]:
        """One pass over ``x`` in ``order`` (None: as stored); the training logs."""
        return self._run(self.train_steps, self.train_metrics, x, y, order, batch_size)

    def evaluate(self, x, y, batch_size: int) -> dict[str, float]:
        """One inference pass over the validation set; its logs (``val_`` keys)."""
        return self._run(self.valid_steps, self.valid_metrics, x, y, None, batch_size)

    @staticmethod
    def _run(steps, metrics, x, y, order, batch_size) -> dict[str, float]:
        """``steps`` over ``x[order]`` (None: as stored) in groups of up to
        :data:`STEPS_PER_CALL` full batches, then the short last batch; the metrics."""
        for metric in metrics:
            metric.reset_state()
        n = len(x)
        group = STEPS_PER_CALL * batch_size
        full = n - n % batch_size
        bounds = [(s, min(s + group, full)) for s in range(0, full, group)]
        bounds += [(full, n)] if full < n else []
        for start, stop in bounds:
            if order is None:
                xb, yb = x[start:stop], y[start:stop]
            else:
                xb, yb = x[order[start:stop]], y[order[start:stop]]
            size = min(batch_size, stop - start)
            xb = np.asarray(xb, np.float32).reshape(-1, size, *np.shape(x)[1:])
            steps(xb, np.asarray(yb, np.float32).reshape(len(xb), size, -1))
        return {metric.name: float(metric.result()) for metric in metrics}


def _looped(step):
    """A function of ``(xs, ys)``, shapes ``(K, B, ...)``, that runs ``step(xs[k], ys[k])``
    for k = 0..K-1 (traced as one loop)."""

    def steps(xs, ys):
        for k in tf.range(tf.shape(xs)[0]):
            step(xs[k], ys[k])

    return steps
