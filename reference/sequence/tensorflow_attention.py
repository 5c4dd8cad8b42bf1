"""Multi-head self-attention from Keras 3: keras.layers.MultiHeadAttention(num_heads=H, key_dim=E/H).

Keras keeps per-head kernels: query/key/value (E, H, D) with biases (H, D), output (H, D, E) with bias
(E,); each is a row-major view of the scratch (E, E) or (E,) tensor (Layout.split). Mask polarity
(Keras's): attention_mask True = may attend (docs/conventions.md §21).
"""

from __future__ import annotations

import keras

from reference.layouts import Layout

DENSE = {"q": "_query_dense", "k": "_key_dense", "v": "_value_dense", "out": "_output_dense"}


def _variable(projection: str, which: str):
    """A property reading the MultiHeadAttention's own kernel or bias of that projection."""
    return property(lambda self: getattr(getattr(self.mha, DENSE[projection]), which))


class SelfAttention(keras.layers.Layer):
    """keras MultiHeadAttention(x, x, x, return_attention_scores=True): causal -> use_causal_mask=True,
    valid_lengths -> attention_mask[n, t, s] = s < length[n]; residual: x + attention(x).
    After a call, `internals['weights']` holds the (N, H, T, T) attention scores (the softmax weights)."""

    def __init__(self, spec: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        width, heads = spec["n_inputs"], spec["num_heads"]
        self.mha = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads, use_bias=True,
                                                   dtype=self.dtype_policy)
        self.causal, self.residual = bool(spec.get("causal")), bool(spec.get("residual"))
        self.lengths = spec.get("valid_lengths")
        self.internals: dict = {}

    def build(self, input_shape) -> None:
        self.mha.build(input_shape, input_shape)

    q_kernel, q_bias = _variable("q", "kernel"), _variable("q", "bias")
    k_kernel, k_bias = _variable("k", "kernel"), _variable("k", "bias")
    v_kernel, v_bias = _variable("v", "kernel"), _variable("v", "bias")
    out_kernel, out_bias = _variable("out", "kernel"), _variable("out", "bias")

    def call(self, x):
        mask = None
        if self.lengths is not None:
            steps = keras.ops.shape(x)[1]
            valid = keras.ops.arange(steps)[None, :] < keras.ops.convert_to_tensor(self.lengths)[:, None]
            mask = keras.ops.repeat(valid[:, None, :], steps, axis=1)  # (N, T_query, T_key), True = attend
        output, weights = self.mha(x, x, x, attention_mask=mask, use_causal_mask=self.causal,
                                   return_attention_scores=True)
        self.internals = {"weights": weights}
        return x + output if self.residual else output


def _attention(spec: dict, dtype: str) -> SelfAttention:
    layer = SelfAttention(spec, dtype=dtype)
    layer.build((None, None, spec["n_inputs"]))
    return layer


LAYERS = {"multi_head_attention": _attention}

# q/k/v kernels: scratch (E, E) -> (E, H, D), axis 1 split; biases (E,) -> (H, D); output kernel
# (E, E) -> (H, D, E), axis 0 split; output bias (E,) as it is
LAYOUTS = {"multi_head_attention": {
    **{f"{p}_kernel": Layout(f"{p}_kernel", split=1) for p in "qkv"},
    **{f"{p}_bias": Layout(f"{p}_bias", split=0) for p in "qkv"},
    "out_kernel": Layout("out_kernel", split=0), "out_bias": Layout("out_bias")}}
