"""The fast engine's training twin: the model's own layers, with faster training kernels.

:func:`training_twin` clones a Keras functional (or Sequential) model with
``clone_model(clone_function=...)`` so that every layer is *shared* with the model (the same
object, the same variables) except three kinds, which are replaced by wrappers that read and
update the wrapped layer's variables:

* ``BatchNormalization`` on ``(N, L, C)`` or ``(N, C)`` inputs. Keras runs those through a
  chain of unfused ops (moments, squared difference, tiles in the backward pass); the wrapper
  views the input as ``(N, 1, L, C)`` and calls the fused kernel (oneDNN on x86), which
  computes the same batch mean and (biased) variance, the same normalisation and the same
  moving-average update (``moving -= (moving - batch) * (1 - momentum)``), up to float
  rounding. In inference it calls the wrapped layer itself.
* ``Dropout``. Keras draws one float32 per element (Philox, about 5 ns each on the 2-core
  development VM, a fifth of a CNN-deep step); the wrapper draws one 32-bit word per *two*
  elements from a ``tf.random.Generator`` and compares each 16-bit half with
  ``round(rate * 65536)``: the drop probability is the rate to within 2**-17, and the kept
  units are scaled by ``1 / (1 - that probability)``, so the expectation is unchanged.
  The masks are different random numbers from Keras' (so are Keras' own from one traced
  function to the next): the same distribution, not the same draws.
* ``Conv1D`` and every ``Dense`` but the model's last (the head), only with ``bf16=True``:
  inputs and kernel are cast to bfloat16 for the convolution or matrix product (oneDNN
  accumulates in float32), the output back to float32; the variables, batch norm,
  activations, the head, loss and optimizer stay float32.

With ``fused_dropout=True`` every such ``Dropout`` instead runs the project's compiled kernel
(:func:`toolkit.training.act_dropout.act_dropout`): one pass that also applies the ReLU
before it (when the dropout is the only consumer of a ReLU ``Activation``, which then passes
its input through) and, with ``bf16=True``, writes bfloat16 when every path from the dropout
(through pooling and flatten layers, which then keep the dtype) ends in a bfloat16
convolution or dense layer, which would cast it anyway. Its masks are a hash of a per-step
seed from the generator, recomputed in the backward pass: again the same distribution, other
draws. With both, a bf16 convolution or dense layer whose batch norm feeds such a folded ReLU
keeps its product in bfloat16 (``keep_bf16``): the batch norm then normalises bfloat16 (its
statistics in float32) and the kernel reads it, so no cast is left in that block.

Anything else, and any layer a wrapper cannot reproduce exactly (renorm, virtual batches, a
frozen BN, ``noise_shape``, ``SpatialDropout``...), is shared as it is. A subclassed model
(no functional graph to clone) is returned unchanged: the engine then trains it directly.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import tensorflow as tf
from tensorflow import keras

from toolkit.training.act_dropout import LEVELS as _LEVELS  # one uint16 draw per element
from toolkit.training.act_dropout import act_dropout

__all__ = [
    "Bf16Conv1D",
    "Bf16Dense",
    "FusedBatchNorm",
    "FusedDropout",
    "PackedDropout",
    "bf16_instructions",
    "training_twin",
]

log = logging.getLogger(__name__)

#: The smallest epsilon the fused batch-norm kernel accepts.
_FUSED_MIN_EPSILON = 1.001e-5


def training_twin(
    model, generator: tf.random.Generator, bf16: bool = False, fused_dropout: bool = False
):
    """A model that shares ``model``'s layers and variables, with faster training kernels.

    Parameters
    ----------
    model : keras.Model
        A built functional or Sequential model taking ``(N, L, 4)`` inputs.
    generator : tf.random.Generator
        Where the dropout wrappers draw their masks (reset it to repeat them).
    bf16 : bool
        Also run the Conv1D layers and the hidden Dense layers in bfloat16 (see the module
        docstring); ignored, with a warning, on a CPU without bf16 instructions
        (:func:`bf16_instructions`).
    fused_dropout : bool
        Run the dropouts (with a ReLU before them, and the cast to bfloat16 after them) in
        the compiled kernel (see the module docstring); building it needs a C++ compiler
        (:func:`toolkit.training.custom_ops.custom_ops`); ignored, with a warning, where
        TensorFlow sees a GPU (the kernel is CPU-only).

    Returns
    -------
    keras.Model
        Same inputs and outputs as ``model``; ``model`` itself when it cannot be cloned.
    """

    if bf16 and not bf16_instructions():
        log.warning("train.bf16: this CPU has no bf16 instructions; everything stays float32")
        bf16 = False

    if fused_dropout and tf.config.list_logical_devices("GPU"):
        # the kernel is CPU-only: on a GPU every mask would cost two copies
        log.warning("train.fused_dropout: the kernel runs on CPUs only; not used on a GPU")
        fused_dropout = False
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    head = dense[-1] if dense else None

    layers_by_id = {id(layer): layer for layer in model.layers}
    bf16_layers = {
        id(layer)
        for layer in model.layers
        if bf16 and (_bf16_convolution(layer) or (layer is not head and _bf16_dense(layer)))
    }
    fused = _fused_dropouts(model, bf16_layers) if fused_dropout else {}
    passed_through = {activation for activation, _ in fused.values() if activation is not None}
    # a bf16 layer whose batch norm feeds a folded ReLU: its output stays bfloat16
    bf16_out = {i for i in bf16_layers if _feeds_folded_relu(layers_by_id[i], passed_through)}

    def substitute(layer):
        if _fusable_batch_norm(layer):
            return FusedBatchNorm(layer)
        if id(layer) in fused:
            activation, dtype = fused[id(layer)]
            return FusedDropout(layer, generator, "linear" if activation is None else "relu", dtype)
        if id(layer) in passed_through:
            return _PassThrough(layer)
        if fused and bf16_layers and type(layer) in _DTYPE_KEEPING:
            return _KeepDtype(layer)
        if _packable_dropout(layer):
            return PackedDropout(layer, generator)
        if id(layer) in bf16_layers:
            wrapper = Bf16Conv1D if _bf16_convolution(layer) else Bf16Dense
            return wrapper(layer, keep_bf16=id(layer) in bf16_out)
        return layer

    try:
        return keras.models.clone_model(model, clone_function=substitute)
    except ValueError:  # a subclassed model: no graph to clone
        return model


@functools.cache
def bf16_instructions() -> bool:
    """Whether this CPU multiplies bfloat16 natively (Linux ``avx512_bf16`` or ``amx_bf16``
    flags; False where ``/proc/cpuinfo`` is missing)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def _fusable_batch_norm(layer) -> bool:
    if type(layer) is not keras.layers.BatchNormalization or not layer.built:
        return False
    rank = layer.input_spec.ndim if layer.input_spec is not None else None
    return (
        rank in (2, 3)
        and layer.trainable
        and list(layer.axis) == [rank - 1]
        and not layer.renorm
        and layer.virtual_batch_size is None
        and layer.adjustment is None
        and layer.epsilon >= _FUSED_MIN_EPSILON
        and layer.moving_mean.dtype == tf.float32
    )


def _packable_dropout(layer) -> bool:
    if type(layer) is not keras.layers.Dropout or layer.noise_shape is not None:
        return False
    return 0 < round(layer.rate * _LEVELS) < _LEVELS


#: Layers that work on bfloat16 as on float32 and are wrapped to keep their input's dtype
#: (Keras would cast it back to float32) between a fused dropout and a bfloat16 layer.
_DTYPE_KEEPING = (keras.layers.MaxPooling1D, keras.layers.Flatten)


def _fused_dropouts(model, bf16_layers: set[int]) -> dict[int, tuple[int | None, tf.DType]]:
    """The dropouts to fuse, by ``id``: the id of the ReLU ``Activation`` folded into each
    (None: none) and the dtype it writes (bfloat16 when every consumer path ends in one of
    ``bf16_layers``)."""
    fused = {}
    for layer in model.layers:
        if not (_packable_dropout(layer) and len(layer._inbound_nodes) == 1):
            continue
        producer = layer._inbound_nodes[0].inbound_layers
        relu = (
            type(producer) is keras.layers.Activation
            and producer.activation is keras.activations.relu
            and len(producer._inbound_nodes) == 1
            and [node.layer for node in producer._outbound_nodes] == [layer]
        )
        dtype = tf.bfloat16 if bf16_layers and _feeds_bf16(layer, bf16_layers) else tf.float32
        fused[id(layer)] = (id(producer) if relu else None, dtype)
    return fused


def _feeds_folded_relu(layer, passed_through: set[int]) -> bool:
    """Whether ``layer`` (no bias, no activation of its own) feeds only a fusable batch norm
    that feeds only a ReLU folded into a fused dropout: that chain takes bfloat16 as it is."""
    consumers = [node.layer for node in layer._outbound_nodes]
    if layer.use_bias or layer.activation is not keras.activations.linear or len(consumers) != 1:
        return False
    bn = consumers[0]
    after = [node.layer for node in bn._outbound_nodes]
    return _fusable_batch_norm(bn) and len(after) == 1 and id(after[0]) in passed_through


def _feeds_bf16(layer, bf16_layers: set[int]) -> bool:
    """Whether every path from ``layer``'s output, through dtype-keeping layers, ends in a
    layer of ``bf16_layers``."""
    consumers = [node.layer for node in layer._outbound_nodes]
    return bool(consumers) and all(
        id(consumer) in bf16_layers
        or (type(consumer) in _DTYPE_KEEPING and _feeds_bf16(consumer, bf16_layers))
        for consumer in consumers
    )


def _bf16_dense(layer) -> bool:
    if type(layer) is not keras.layers.Dense or not layer.built:
        return False
    try:
        rank = layer.input.shape.rank
    except (AttributeError, ValueError):  # no single inbound node
        return False
    return rank == 2 and layer.kernel.dtype == tf.float32


def _bf16_convolution(layer) -> bool:
    return (
        type(layer) is keras.layers.Conv1D
        and layer.padding != "causal"
        and layer.groups == 1
        and layer.data_format == "channels_last"
        and layer.kernel.dtype == tf.float32
    )


class FusedBatchNorm(keras.layers.Layer):
    """A trainable ``BatchNormalization`` over the last axis of a rank-2 or rank-3 input,
    trained through the fused 4-D kernel.

    Parameters
    ----------
    bn : keras.layers.BatchNormalization
        The built layer whose ``gamma``, ``beta``, ``moving_mean`` and ``moving_variance``
        are used and updated.
    """

    def __init__(self, bn, **kwargs):
        # no autocast: a bfloat16 input (from a bf16 layer with ``keep_bf16``) is normalised
        # in bfloat16 (oneDNN computes the statistics in float32)
        super().__init__(name=bn.name, autocast=False, **kwargs)
        self.bn = bn

    def call(self, inputs, training=None):
        """Normalise ``inputs`` of shape ``(N, L, C)`` or ``(N, C)``; same shape out."""
        if not training:
            return self.bn(inputs, training=False)
        bn = self.bn
        channels = inputs.shape[-1]
        # (N, L, C) -> (N, 1, L, C); (N, C) -> (N, 1, 1, C)
        x4 = tf.expand_dims(inputs, 1) if inputs.shape.rank == 3 else inputs[:, None, None]
        y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            x4,
            bn.gamma if bn.scale else tf.ones([channels], tf.float32),
            bn.beta if bn.center else tf.zeros([channels], tf.float32),
            epsilon=bn.epsilon,
            data_format="NHWC",
            is_training=True,
        )
        # the kernel returns the Bessel-corrected variance; Keras averages the biased one
        n = tf.cast(tf.size(inputs) // channels, tf.float32)
        variance = tf.stop_gradient(variance) * tf.maximum(n - 1.0, 0.0) / n
        decay = 1.0 - bn.momentum
        bn.moving_mean.assign_sub((bn.moving_mean - tf.stop_gradient(mean)) * decay)
        bn.moving_variance.assign_sub((bn.moving_variance - variance) * decay)
        return tf.reshape(y, tf.shape(inputs))


class PackedDropout(keras.layers.Layer):
    """``Dropout`` with two 16-bit draws per 32-bit random word.

    Parameters
    ----------
    dropout : keras.layers.Dropout
        The layer replaced (its ``rate``).
    generator : tf.random.Generator
        The source of the random words.
    """

    def __init__(self, dropout, generator: tf.random.Generator, **kwargs):
        super().__init__(name=dropout.name, **kwargs)
        self.threshold = round(dropout.rate * _LEVELS)
        self.scale = _LEVELS / (_LEVELS - self.threshold)
        self._generator = [generator]  # in a list: the twin must not own the generator

    def call(self, inputs, training=None):
        """Zero each unit of ``inputs`` (any shape) with probability ``threshold / 65536``."""
        if not training:
            return inputs
        channels = inputs.shape[-1]
        if channels is not None and channels % 2 == 0:  # (..., C/2) words are (..., C) halves
            shape = tf.concat([tf.shape(inputs)[:-1], [channels // 2]], 0)
            halves = tf.bitcast(
                self._generator[0].uniform_full_int(shape, dtype=tf.uint32), tf.uint16
            )
        else:
            n = tf.size(inputs)
            words = self._generator[0].uniform_full_int([(n + 1) // 2], dtype=tf.uint32)
            halves = tf.reshape(tf.bitcast(words, tf.uint16), [-1])[:n]
        keep = tf.reshape(halves, tf.shape(inputs)) >= tf.constant(self.threshold, tf.uint16)
        return inputs * tf.where(keep, tf.constant(self.scale, inputs.dtype), 0)


class FusedDropout(keras.layers.Layer):
    """``Dropout`` (optionally after a ReLU, optionally writing bfloat16) in the compiled
    kernel of :mod:`toolkit.training.act_dropout`.

    Parameters
    ----------
    dropout : keras.layers.Dropout
        The layer replaced (its ``rate``).
    generator : tf.random.Generator
        Draws one int64 seed per call (per training step).
    activation : {"linear", "relu"}
        Applied before the dropout (the ReLU of a folded ``Activation``).
    dtype_out : tf.DType
        float32, or bfloat16 for a bfloat16 consumer.
    """

    def __init__(self, dropout, generator, activation: str, dtype_out: tf.DType, **kwargs):
        super().__init__(name=dropout.name, autocast=False, **kwargs)
        self.rate = dropout.rate
        self.activation = activation
        self.dtype_out = dtype_out
        self._generator = [generator]  # in a list: the twin must not own the generator

    def call(self, inputs, training=None):
        """``inputs`` (any shape) through the activation, then dropped out when training."""
        if not training:
            x = tf.nn.relu(inputs) if self.activation == "relu" else inputs
            return tf.cast(x, self.dtype_out)
        seed = self._generator[0].uniform_full_int([], tf.int64)
        return act_dropout(inputs, seed, self.rate, self.activation, self.dtype_out)


class _PassThrough(keras.layers.Layer):
    """A ReLU ``Activation`` folded into the :class:`FusedDropout` after it: the identity."""

    def __init__(self, layer, **kwargs):
        super().__init__(name=layer.name, autocast=False, **kwargs)

    def call(self, inputs):
        return inputs


class _KeepDtype(keras.layers.Layer):
    """A pooling or flatten layer run on its input's dtype (Keras would cast to float32)."""

    def __init__(self, layer, **kwargs):
        super().__init__(name=layer.name, autocast=False, **kwargs)
        self.layer = layer

    def call(self, inputs):
        return self.layer.call(inputs)


class _Bf16Kernel(keras.layers.Layer):
    """A layer with a ``kernel`` (and optional ``bias`` and ``activation``) whose product
    with the input is computed in bfloat16: float32 (or bfloat16) in, float32 variables,
    float32 output, or the product's bfloat16 with ``keep_bf16`` (for a batch norm and a
    fused ReLU-dropout after it)."""

    def __init__(self, layer, keep_bf16: bool = False, **kwargs):
        # no autocast: a bfloat16 input (from a fused dropout) is used as it comes
        super().__init__(name=layer.name, autocast=False, **kwargs)
        self.layer = layer
        self.keep_bf16 = keep_bf16

    def _product(self, inputs: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError

    def call(self, inputs, training=None):
        layer = self.layer
        y = self._product(tf.cast(inputs, tf.bfloat16), tf.cast(layer.kernel, tf.bfloat16))
        if self.keep_bf16:  # no bias, no activation (see _feeds_folded_relu)
            return y
        y = tf.cast(y, tf.float32)
        if layer.use_bias:
            y = tf.nn.bias_add(y, layer.bias)
        return layer.activation(y) if layer.activation is not None else y


class Bf16Conv1D(_Bf16Kernel):
    """A ``Conv1D`` computed in bfloat16: ``(N, L, C_in)`` float32 to ``(N, L', filters)``.

    Parameters
    ----------
    layer : keras.layers.Conv1D
        The built layer whose kernel (and bias) are used.
    keep_bf16 : bool
        Return the product in bfloat16 (a layer without bias and activation).
    """

    def _product(self, inputs, kernel):
        return self.layer.convolution_op(inputs, kernel)


class Bf16Dense(_Bf16Kernel):
    """A ``Dense`` on rank-2 inputs computed in bfloat16: ``(N, units_in)`` float32 to
    ``(N, units)``.

    Parameters
    ----------
    layer : keras.layers.Dense
        The built layer whose kernel (and bias) are used.
    keep_bf16 : bool
        Return the product in bfloat16 (a layer without bias and activation).
    """

    def _product(self, inputs, kernel):
        return tf.matmul(inputs, kernel)
