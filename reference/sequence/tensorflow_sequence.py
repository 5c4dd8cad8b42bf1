"""Embedding and recurrent layers from Keras 3: Embedding, SimpleRNN, LSTM, GRU (batch-first, Keras's own)."""

from __future__ import annotations

import keras

from reference.layouts import Layout


class Recurrent(keras.layers.Layer):
    """A Keras SimpleRNN / LSTM / GRU layer, its recurrence untouched, with a learned initial state.

    Exposes the cell's kernel, recurrent_kernel and bias (Keras's layout is the scratch layout); a
    learned initial state is the weights initial_h (and initial_c) broadcast over the batch and given
    as the layer's initial_state.
    """

    def __init__(self, rnn: keras.layers.Layer, units: int, state_names: tuple[str, ...], **kwargs) -> None:
        super().__init__(**kwargs)
        self.rnn, self.units, self.state_names = rnn, units, state_names

    def build(self, input_shape) -> None:
        self.rnn.build(input_shape)
        for name in self.state_names:
            setattr(self, name, self.add_weight(shape=(self.units,), initializer="zeros", name=name))

    kernel = property(lambda self: self.rnn.cell.kernel)
    recurrent_kernel = property(lambda self: self.rnn.cell.recurrent_kernel)
    bias = property(lambda self: self.rnn.cell.bias)

    def call(self, x):
        batch = keras.ops.shape(x)[0]
        states = [keras.ops.broadcast_to(getattr(self, n), (batch, self.units)) for n in self.state_names]
        return self.rnn(x, initial_state=states or None)


def _recurrent(spec: dict, dtype: str) -> Recurrent:
    """keras SimpleRNN / LSTM / GRU(reset_after) with activation tanh and recurrent_activation sigmoid."""
    kind, units = spec["type"], spec["units"]
    if kind != "gru" and spec.get("biases", 1) == 2:
        raise ValueError(f"keras {kind}: one bias per gate only; biases=2 (torch's b_ih and b_hh) has no "
                         f"Keras form (their sum is the Keras bias)")
    options = {"return_sequences": bool(spec.get("return_sequences")), "activation": "tanh", "dtype": dtype}
    if kind == "simple_rnn":
        rnn = keras.layers.SimpleRNN(units, **options)
    elif kind == "lstm":
        rnn = keras.layers.LSTM(units, recurrent_activation="sigmoid", **options)
    else:
        rnn = keras.layers.GRU(units, recurrent_activation="sigmoid",
                               reset_after=spec.get("reset_after", True), **options)
    states = (("initial_h", "initial_c") if kind == "lstm" else ("initial_h",)) \
        if spec.get("learned_initial_state") else ()
    layer = Recurrent(rnn, units, states, dtype=dtype)
    layer.build((None, None, spec["n_inputs"]))
    return layer


def _embedding(spec: dict, dtype: str) -> keras.layers.Embedding:
    """keras Embedding(vocab_size, embedding_dim); torch's padding_idx has no Keras form."""
    if spec.get("padding_idx") is not None:
        raise ValueError("keras Embedding has no padding_idx: mask_zero only emits a mask, row 0 is still "
                         "trained")
    layer = keras.layers.Embedding(spec["vocab_size"], spec["embedding_dim"], dtype=dtype)
    layer.build((None, None))
    return layer


LAYERS = {"embedding": _embedding, "simple_rnn": _recurrent, "lstm": _recurrent, "gru": _recurrent}

_STATES = {name: Layout(name, when="learned_initial_state", when_default=False)
           for name in ("initial_h", "initial_c")}
_WEIGHTS = {name: Layout(name) for name in ("kernel", "recurrent_kernel", "bias")}
LAYOUTS = {
    "embedding": {"weight": Layout("embeddings")},
    "simple_rnn": {**_WEIGHTS, "initial_h": _STATES["initial_h"]},
    "lstm": {**_WEIGHTS, **_STATES},
    "gru": {**_WEIGHTS, "initial_h": _STATES["initial_h"]},
}


def dense_gradients(tape, heads, sources: list, output_gradients: list) -> list:
    """tape.gradient of heads w.r.t. the float sources, None at integer ones (an embedding's ids have no
    gradient); Keras's embedding gradient, a tf.IndexedSlices with one row per looked-up id, is summed
    into a dense tensor (tf.convert_to_tensor), as torch's nn.Embedding gives it."""
    import tensorflow as tf

    floats = [i for i, source in enumerate(sources) if tf.as_dtype(source.dtype).is_floating]
    found = tape.gradient(heads, [sources[i] for i in floats], output_gradients=output_gradients)
    grads = [None] * len(sources)
    for i, grad in zip(floats, found, strict=True):
        grads[i] = tf.convert_to_tensor(grad) if isinstance(grad, tf.IndexedSlices) else grad
    return grads
