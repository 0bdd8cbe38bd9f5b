"""In-silico mutagenesis, batched over all mutants of many sequences (spec §6).

For every position l and every base a other than the observed one, the output of the
mutant (``x[l] = e_a``) minus the output of the wild type; the observed base's entry is 0.
The original predicted the 4 L mutants of one sequence per ``model.predict`` call; here the
3 L mutants of many sequences go through one compiled call at a time.

**Local recomputation** (``local=True``, the default; the idea of fastISM, Nair et al. 2020).
A single-base change only alters a window of each convolution's output. When the model
starts with a chain of position-wise layers (``Conv1D`` with stride 1 and 'same'/'valid'
padding, ``BatchNormalization``, ``Activation``, ``Dropout``, ``MaxPooling1D`` /
``AveragePooling1D`` with stride = pool size), every layer's output is computed once per
wild type, and per mutant only the window of positions the substitution can change: each
convolution or pooling layer reads its window's receptive field from the wild type's cached
input, with the previous layer's recomputed window spliced in (zeros where 'same' padding
pads), and computes it with 'valid' padding. The last window is spliced into the wild type's
output of the chain and the rest of the model runs on that. The result is the full model's
output on the mutant, to float rounding. Models without such a chain (a first layer that is
not a convolution, a branch inside it) are evaluated on whole mutant sequences instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.attribution._common import check_onehot, positive_int, target_model


@dataclass(frozen=True)
class _Step:
    """One position-wise layer of the model's leading chain."""

    layer: object
    kind: str  # "conv_same" | "conv_valid" | "pool" | "pointwise"
    span: int = 0  # (kernel - 1) * dilation for convolutions
    left: int = 0  # left zero padding of a 'same' convolution
    pool: int = 1
    length_in: int = 0
    length_out: int = 0


def _step(layer, length: int) -> _Step | None:
    """Describe ``layer`` as a position-wise step on inputs of ``length``, or None.

    Exact types only: a subclass may compute something else than its base class.
    """
    from tensorflow import keras

    layers = keras.layers
    if type(layer) is layers.Conv1D:
        if (
            tuple(layer.strides) != (1,)
            or layer.padding not in ("same", "valid")
            or layer.data_format != "channels_last"
            or getattr(layer, "groups", 1) != 1
        ):
            return None
        span = (layer.kernel_size[0] - 1) * layer.dilation_rate[0]
        if layer.padding == "same":
            return _Step(layer, "conv_same", span, span // 2, 1, length, length)
        if length - span < 1:
            return None
        return _Step(layer, "conv_valid", span, 0, 1, length, length - span)
    if type(layer) in (layers.MaxPooling1D, layers.AveragePooling1D):
        pool = layer.pool_size[0]
        if layer.strides[0] != pool or layer.data_format != "channels_last" or length < pool:
            return None
        if layer.padding != "valid" and length % pool:
            return None  # 'same' pads unevenly here: not worth reproducing
        return _Step(layer, "pool", pool=pool, length_in=length, length_out=length // pool)
    if type(layer) is layers.BatchNormalization:
        axis = layer.axis if isinstance(layer.axis, int) else tuple(layer.axis)
        if axis not in (-1, 2, (2,), (-1,)):
            return None
        return _Step(layer, "pointwise", length_in=length, length_out=length)
    pointwise = (
        layers.Activation,
        layers.Dropout,
        layers.SpatialDropout1D,
        layers.GaussianNoise,
        layers.GaussianDropout,
        layers.ReLU,
        layers.LeakyReLU,
        layers.ELU,
    )
    if type(layer) in pointwise:
        return _Step(layer, "pointwise", length_in=length, length_out=length)
    return None


def _chain(model, length: int) -> list[_Step]:
    """The position-wise layers that start ``model``, each consuming only the previous one."""
    from tensorflow import keras

    steps: list[_Step] = []
    tensor = model.inputs[0]
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if len(getattr(layer, "_inbound_nodes", ())) != 1:
            break
        inputs = layer.input
        if isinstance(inputs, list | tuple) or inputs is not tensor:
            break
        producer = getattr(tensor, "_keras_history", None)
        if producer is None or len(getattr(producer.layer, "_outbound_nodes", ())) != 1:
            break  # the tensor feeds more than this layer (a skip connection, another model)
        step = _step(layer, length)
        if step is None:
            break
        steps.append(step)
        tensor, length = layer.output, step.length_out
    return steps


@dataclass(frozen=True)
class _Window:
    """One step's recomputed output window, per mutated position l (arrays of length L)."""

    start: np.ndarray  # first output position of the window
    width: int  # W: the widest affected range of this step's output
    context_start: np.ndarray  # first input position the window reads (conv, pool)
    context_width: int  # input positions the window reads (conv, pool)


def _windows(steps: list[_Step], length: int) -> list[_Window]:
    """For a substitution at each position: the output window of every step that contains
    every output it changes (placed inside the sequence), and the inputs that window reads.
    """
    lo = hi = np.arange(length)
    empty = np.zeros(length, dtype=bool)  # a substitution in a pool's dropped tail changes nothing
    windows = []
    for s in steps:
        if s.kind == "pool":
            lo, hi = lo // s.pool, hi // s.pool
        elif s.kind.startswith("conv"):
            lo, hi = lo - s.span + s.left, hi + s.left
        lo, hi = np.maximum(lo, 0), np.minimum(hi, s.length_out - 1)
        empty |= lo > hi
        width = int((hi - lo + 1)[~empty].max()) if (~empty).any() else 1
        start = np.clip(lo, 0, s.length_out - width)
        if s.kind == "pool":
            windows.append(_Window(start, width, start * s.pool, width * s.pool))
        elif s.kind.startswith("conv"):
            windows.append(_Window(start, width, start - s.left, width + s.span))
        else:
            windows.append(_Window(start, width, start, width))
    return windows


def _local_functions(explained, steps: list[_Step], length: int, class_index: int):
    """(wild-type caches model, compiled mutant function, compiled wild-type function).

    The mutant function takes, per mutant, the mutated position, the new base and the row of
    its sequence in the chunk, plus the wild-type caches of the chunk (the input of every
    conv/pool step, zero-padded like 'same' padding, flattened to (rows * positions, C), and
    the chain's output), and returns the explained output column.
    """
    import tensorflow as tf
    from tensorflow import keras

    windows = _windows(steps, length)
    chain_out = steps[-1].layer.output
    suffix = keras.Model(chain_out, explained.outputs[0])  # raises if the graph branches
    context = [i for i, s in enumerate(steps) if s.kind != "pointwise"]
    tensors = [explained.inputs[0] if i == 0 else steps[i - 1].layer.output for i in context]
    caches = keras.Model(explained.inputs, [*tensors, chain_out])
    pads = [
        (steps[i].left, steps[i].span - steps[i].left) if steps[i].kind == "conv_same" else (0, 0)
        for i in context
    ]
    starts = [tf.constant(w.start, tf.int32) for w in windows]
    context_starts = {i: tf.constant(windows[i].context_start, tf.int32) for i in context}
    padded_lengths = [steps[i].length_in + sum(pads[k]) for k, i in enumerate(context)]
    chain_length = steps[-1].length_out

    def splice(base, window, rel, width):
        """Overwrite positions [rel, rel + W) of base (M, R, C) with window (M, W, C)."""
        t = tf.range(tf.shape(base)[1])[None, :]
        offset = t - rel[:, None]
        inside = (offset >= 0) & (offset < width)
        index = tf.where(inside, tf.shape(base)[1] + offset, t)
        return tf.gather(tf.concat([base, window], axis=1), index, batch_dims=1)

    signature = (
        [tf.TensorSpec([None], tf.int32)] * 3
        + [tf.TensorSpec([None, tensors[k].shape[-1]], tf.float32) for k in range(len(context))]
        + [tf.TensorSpec([None, chain_length, chain_out.shape[-1]], tf.float32)]
    )

    @tf.function(input_signature=signature)
    def mutants(position, base, row, *cache):
        window = tf.one_hot(base, 4)[:, None, :]  # the substituted base: a window of width 1
        window_start, window_width = position, 1
        k = 0
        for i, s in enumerate(steps):
            layer = s.layer
            if s.kind == "pointwise":
                window = layer(window, training=False)
                continue
            w = windows[i]
            first = tf.gather(context_starts[i], position)  # may be < 0 under 'same' padding
            index = (row * padded_lengths[k] + first + pads[k][0])[:, None] + tf.range(
                w.context_width
            )
            inputs = splice(tf.gather(cache[k], index), window, window_start - first, window_width)
            if s.kind == "pool":
                window = layer(inputs, training=False)
            else:
                window = tf.nn.convolution(
                    inputs, layer.kernel, padding="VALID", dilations=layer.dilation_rate
                )
                if layer.use_bias:
                    window = tf.nn.bias_add(window, layer.bias)
                window = layer.activation(window)
            window_start, window_width = tf.gather(starts[i], position), w.width
            k += 1
        full = splice(tf.gather(cache[-1], row), window, window_start, window_width)
        return suffix(full, training=False)[:, class_index]

    @tf.function(input_signature=[signature[-1]])
    def wild(chain_output):
        return suffix(chain_output, training=False)[:, class_index]

    def wild_caches(xs):
        """Wild-type caches of a chunk, in the mutant function's argument order."""
        values = caches(xs, training=False)
        flat = []
        for k, value in enumerate(values[:-1]):
            padded = tf.pad(value, [(0, 0), pads[k], (0, 0)])
            flat.append(tf.reshape(padded, [-1, value.shape[-1]]))
        return flat + [values[-1]]

    return wild_caches, mutants, wild


def mutagenesis(
    model,
    x: np.ndarray,
    class_index: int = 0,
    target: str = "prob",
    batch_size: int = 4096,
    local: bool = True,
) -> np.ndarray:
    """Change in one model output for every single-base substitution of every sequence.

    Parameters
    ----------
    model : keras.Model
        Any Keras model with one input (None, L, 4) and one output (None, C).
    x : np.ndarray, shape (N, L, 4)
        One-hot sequences.
    class_index : int
        Output column explained.
    target : {"prob", "logit"}
        Sigmoid output (default, as the paper: ``layer=-1``) or the pre-sigmoid logit.
    batch_size : int
        Mutants per compiled call.
    local : bool
        Recompute only what a substitution changes in the model's leading
        convolution/pooling chain (see the module docstring); False evaluates the whole
        model on every mutant. Both give the same values to float rounding.

    Returns
    -------
    np.ndarray, shape (N, L, 4), float32
        ``out(x with x[l] = e_a) - out(x)``; 0 at the observed base. The paper scores the
        per-position L2 norm of these deltas on the observed base (``norm="l2norm"`` in
        :func:`toolkit.attribution.score`).

    Raises
    ------
    InputError
        Before any compute: ``x`` not one-hot (N, L, 4); a model that is not (None, L, 4) ->
        (None, C); bad ``class_index``, ``target`` or ``batch_size``.
    """
    x = check_onehot(x, "mutagenesis")
    batch_size = positive_int(batch_size, "mutagenesis", "batch_size")
    n, length, _ = x.shape
    explained = target_model(model, "mutagenesis", target, class_index, length)
    column = int(class_index)

    import tensorflow as tf

    functions = None
    if local:
        steps = _chain(explained, length)
        if any(s.kind != "pointwise" for s in steps):
            try:
                functions = _local_functions(explained, steps, length, column)
            except ValueError:  # "Graph disconnected": the model branches after the chain
                functions = None
    if functions is None:
        forward = tf.function(
            lambda batch: explained(batch, training=False)[:, column],
            input_signature=[tf.TensorSpec([None, length, 4], tf.float32)],
        )

    observed = x.argmax(axis=-1)  # (N, L)
    # the 3 substitutions of each position, in base order: (N, L, 3)
    alternatives = np.sort((observed[..., None] + np.arange(1, 4)) % 4, axis=-1).astype(np.int32)
    per_sequence = 3 * length
    seq_chunk = max(1, batch_size // per_sequence)
    positions = np.repeat(np.arange(length, dtype=np.int32), 3)  # mutant k: position k // 3
    out = np.zeros((n, length, 4), dtype=np.float32)
    for a in range(0, n, seq_chunk):
        xs = x[a : a + seq_chunk]
        c = len(xs)
        rows = np.repeat(np.arange(c, dtype=np.int32), per_sequence)
        pos = np.tile(positions, c)
        bases = alternatives[a : a + c].reshape(-1)
        if functions is None:
            wild_out = forward(xs).numpy()
        else:
            wild_caches, mutants, wild = functions
            cache = wild_caches(xs)
            wild_out = wild(cache[-1]).numpy()
        values = np.empty(len(rows), dtype=np.float32)
        for b in range(0, len(rows), batch_size):
            r, p, s = rows[b : b + batch_size], pos[b : b + batch_size], bases[b : b + batch_size]
            if functions is None:
                batch = xs[r]
                m = np.arange(len(r))
                batch[m, p] = 0.0
                batch[m, p, s] = 1.0
                values[b : b + batch_size] = forward(batch).numpy()
            else:
                values[b : b + batch_size] = mutants(p, s, r, *cache).numpy()
        delta = values.reshape(c, length, 3) - wild_out[:, None, None]
        np.put_along_axis(out[a : a + c], alternatives[a : a + c], delta, axis=-1)
    return out
