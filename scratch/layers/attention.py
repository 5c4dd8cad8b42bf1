"""Multi-head self-attention over batch-first sequences (N, T, E) (docs/conventions.md §21).

One parameter layout: q_kernel, k_kernel, v_kernel and out_kernel (E, E) in (in, out) form like Dense,
q_bias, k_bias, v_bias, out_bias (E,). Head h owns columns h*D:(h+1)*D of the q, k, v projections and
rows h*D:(h+1)*D of out_kernel (D = E / H), as torch's packed in_proj_weight and Keras's per-head
(E, H, D) kernels both keep them; the references declare their layouts (reference/layouts.py).
Masks in scratch are True = this key may be attended (Keras's polarity; torch's is the opposite).
"""

from __future__ import annotations

import numpy as np

from scratch.errors import check_float_array, check_shape
from scratch.layers.base import Layer, LayerType, Shape, Tensor
from scratch.training import check_positive_int

PROJECTIONS = ("q", "k", "v", "out")
OPTIONS = ("causal", "valid_lengths", "residual", "float32_scale")


class MultiHeadAttention(Layer):
    """softmax(q k^T / sqrt(D) + mask, over keys) v per head, heads concatenated, then out_kernel
    (torch nn.MultiheadAttention(batch_first=True), keras MultiHeadAttention(key_dim=E/H)).

    q, k, v = x W_q + b_q, x W_k + b_k, x W_v + b_v (self-attention: query = key = value = x).
    Options: causal (query t attends keys <= t); valid_lengths (one length per sample: keys at
    positions >= its length are padding, never attended); residual (output x + attention(x), the skip
    of a transformer block); float32_scale (1/sqrt(D) rounded to float32 first, as Keras does even in
    float64: it casts the Python float through a float32 tensor). forward(x, key_mask=...) also takes
    a boolean (N, T) key mask, True = a key that may be attended. After forward, `internals['weights']`
    holds the (N, H, T, T) weights.
    """

    kind = "multi_head_attention"
    softmax_axis = -1  # the key axis of the (N, H, T_query, T_key) scores

    def __init__(self, embed_dim: int, num_heads: int, causal: bool = False, valid_lengths=None,
                 residual: bool = False, float32_scale: bool = False, dtype: type = np.float64,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        check_positive_int(type(self).__name__, "embed_dim", embed_dim)
        check_positive_int(type(self).__name__, "num_heads", num_heads)
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.causal, self.residual, self.float32_scale = bool(causal), bool(residual), bool(float32_scale)
        self.valid_lengths = None if valid_lengths is None else tuple(int(n) for n in valid_lengths)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{self.name}: embed_dim E={embed_dim} must be divisible by num_heads "
                             f"H={num_heads} (head size D = E / H)")
        if self.valid_lengths is not None and min(self.valid_lengths, default=0) < 1:
            raise ValueError(f"{self.name}: valid_lengths must be integers >= 1, got {valid_lengths!r}")
        self.head_dim = self.embed_dim // self.num_heads
        rng = rng if rng is not None else np.random.default_rng(0)
        bound = np.sqrt(6.0 / (2 * self.embed_dim))  # glorot uniform, like torch's in_proj_weight
        for name in PROJECTIONS:
            self.params[f"{name}_kernel"] = rng.uniform(-bound, bound, (embed_dim, embed_dim)).astype(dtype)
            self.params[f"{name}_bias"] = np.zeros(embed_dim, dtype=dtype)
        self.cache: tuple | None = None
        self.internals: dict[str, np.ndarray] = {}

    @property
    def name(self) -> str:
        """'MultiHeadAttention(E=8, heads=2, causal)': sizes and the options set, for error messages."""
        options = [flag for flag, on in (("causal", self.causal), ("residual", self.residual)) if on]
        if self.valid_lengths is not None:
            options.append(f"valid_lengths={self.valid_lengths}")
        return (f"{type(self).__name__}(E={self.embed_dim}, heads={self.num_heads}"
                f"{''.join(', ' + o for o in options)})")

    def allowed(self, n: int, steps: int, key_mask: np.ndarray | None) -> np.ndarray | None:
        """Which (query, key) pairs may attend, True = yes, broadcastable to (N, 1, T, T); None: all."""
        mask = None
        if self.valid_lengths is not None:
            if len(self.valid_lengths) != n or max(self.valid_lengths) > steps:
                raise ValueError(f"{self.name}: valid_lengths must be N={n} lengths in [1, T={steps}], got "
                                 f"{len(self.valid_lengths)} lengths {self.valid_lengths}")
            mask = np.arange(steps) < np.array(self.valid_lengths)[:, None]  # (N, T_key)
        if key_mask is not None:
            dtype = getattr(key_mask, "dtype", type(key_mask).__name__)
            if not isinstance(key_mask, np.ndarray) or dtype != np.bool_ or key_mask.shape != (n, steps):
                raise ValueError(f"{self.name}: key_mask must be a boolean array of shape (N={n}, "
                                 f"T={steps}), True = may be attended; got {dtype} of shape "
                                 f"{np.shape(key_mask)}")
            mask = key_mask if mask is None else mask & key_mask
        if mask is not None:
            mask = mask[:, None, None, :]  # every query of every head sees the same keys
        if self.causal:
            causal = np.tril(np.ones((steps, steps), dtype=bool))  # key <= query
            mask = causal if mask is None else mask & causal
        return mask

    def _softmax(self, scores: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """exp(s - max) / sum exp(s - max) over softmax_axis; pairs the mask forbids get weight exactly 0."""
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        shifted = np.exp(scores - scores.max(axis=self.softmax_axis, keepdims=True))
        return shifted / shifted.sum(axis=self.softmax_axis, keepdims=True)

    def _heads(self, projected: np.ndarray) -> np.ndarray:
        """(N, T, E) -> (N, H, T, D)."""
        n, steps, _ = projected.shape
        return projected.reshape(n, steps, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def _merged(self, per_head: np.ndarray) -> np.ndarray:
        """(N, H, T, D) -> (N, T, E): the heads side by side."""
        n, _, steps, _ = per_head.shape
        return per_head.transpose(0, 2, 1, 3).reshape(n, steps, self.embed_dim)

    def forward(self, inputs: np.ndarray, training: bool = False, key_mask: np.ndarray | None = None
                ) -> np.ndarray:
        """(N, T, E) -> (N, T, E): out_kernel applied to the heads' weighted sums of v."""
        check_float_array(self.name, "input", inputs)
        if inputs.ndim != 3 or inputs.shape[1] == 0 or inputs.shape[2] != self.embed_dim:
            raise ValueError(f"{self.name}: input must have shape (N, T, E={self.embed_dim}) with T >= 1, "
                             f"got shape {inputs.shape}")
        n, steps, _ = inputs.shape
        mask = self.allowed(n, steps, key_mask)
        if mask is not None and not np.broadcast_to(mask, (n, 1, steps, steps)).any(axis=-1).all():
            raise ValueError(f"{self.name}: every query must be allowed at least one key; the mask leaves "
                             f"a query of shape (N={n}, T={steps}) with none")
        q, k, v = (self._heads(inputs @ self.params[f"{p}_kernel"] + self.params[f"{p}_bias"])
                   for p in "qkv")
        scale = 1.0 / np.sqrt(self.head_dim)
        scale = inputs.dtype.type(np.float32(scale) if self.float32_scale else scale)
        q_scaled = q * scale
        weights = self._softmax(q_scaled @ k.transpose(0, 1, 3, 2), mask)  # (N, H, T_query, T_key)
        context = self._merged(weights @ v)
        output = context @ self.params["out_kernel"] + self.params["out_bias"]
        self.cache = (inputs, q_scaled, k, v, weights, context, scale)
        self.internals = {"weights": weights}
        return output + inputs if self.residual else output

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dout_kernel = context^T g; dweights = dcontext v^T; dscores = w (dweights - sum(dweights w))
        over the softmax axis; dq = dscores k / sqrt(D), dk = dscores^T q / sqrt(D), dv = w^T dcontext;
        each projection's kernel and bias gradients, dx = sum of dq W_q^T, dk W_k^T, dv W_v^T (+ g)."""
        if self.cache is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        inputs, q_scaled, k, v, weights, context, scale = self.cache
        check_shape(self.name, "grad_output", grad_output, inputs.shape)
        flat_grad = grad_output.reshape(-1, self.embed_dim)
        self.grads["out_kernel"] = context.reshape(-1, self.embed_dim).T @ flat_grad
        self.grads["out_bias"] = flat_grad.sum(axis=0)
        d_context = self._heads(grad_output @ self.params["out_kernel"].T)
        d_weights = d_context @ v.transpose(0, 1, 3, 2)
        d_scores = weights * (d_weights - (d_weights * weights).sum(axis=self.softmax_axis, keepdims=True))
        grads = {"q": d_scores @ k * scale, "k": d_scores.transpose(0, 1, 3, 2) @ q_scaled,
                 "v": weights.transpose(0, 1, 3, 2) @ d_context}
        flat_inputs = inputs.reshape(-1, self.embed_dim).T
        grad_input = grad_output.copy() if self.residual else np.zeros_like(inputs)
        for p, grad in grads.items():
            merged = self._merged(grad)
            self.grads[f"{p}_kernel"] = flat_inputs @ merged.reshape(-1, self.embed_dim)
            self.grads[f"{p}_bias"] = merged.sum(axis=(0, 1))
            grad_input += merged @ self.params[f"{p}_kernel"].T
        return grad_input

    def __repr__(self) -> str:
        return self.name


def _build(spec: dict, dtype: str) -> MultiHeadAttention:
    return MultiHeadAttention(spec["n_inputs"], spec["num_heads"], dtype=dtype,
                              **{key: spec[key] for key in OPTIONS if key in spec})


def _square(spec: dict) -> Shape:
    return (spec["n_inputs"], spec["n_inputs"])


RECORDS = (LayerType(
    "multi_head_attention", _build, required=("n_inputs", "num_heads"),
    options=OPTIONS,
    params=tuple(t for p in PROJECTIONS for t in (Tensor(f"{p}_kernel", _square, "weight"),
                                                  Tensor(f"{p}_bias", lambda s: (s["n_inputs"],), "bias"))),
    notes="softmax(q k^T / sqrt(D)) v per head, out projection; self-attention over (N, T, E)"),)
