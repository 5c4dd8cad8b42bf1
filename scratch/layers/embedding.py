"""Embedding: integer ids (N, T) -> rows of a table W (vocab_size, embedding_dim), (N, T, embedding_dim)."""

from __future__ import annotations

import numpy as np

from scratch.errors import check_finite, check_shape
from scratch.layers.base import Layer, LayerType, Tensor
from scratch.training import check_positive_int


class Embedding(Layer):
    """y[n, t] = W[ids[n, t]]; dW[v] = sum of g[n, t] over every (n, t) with ids[n, t] = v (np.add.at),
    no input gradient (torch.nn.Embedding, keras.layers.Embedding).

    padding_idx (torch's option): that row is looked up like any other but never receives a gradient.
    Keras has no counterpart: mask_zero only emits a mask for later layers, row 0 is still trained.
    """

    kind = "embedding"
    takes_ids = True  # its input is integer ids, not floats: there is no gradient w.r.t. it

    def __init__(self, vocab_size: int, embedding_dim: int, weight: np.ndarray | None = None,
                 dtype: type = np.float64, padding_idx: int | None = None,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        check_positive_int("Embedding", "vocab_size", vocab_size)
        check_positive_int("Embedding", "embedding_dim", embedding_dim)
        self.vocab_size, self.embedding_dim = int(vocab_size), int(embedding_dim)
        if padding_idx is not None and (isinstance(padding_idx, bool) or not isinstance(
                padding_idx, (int, np.integer)) or not 0 <= padding_idx < self.vocab_size):
            raise ValueError(f"Embedding({self.vocab_size}x{self.embedding_dim}): padding_idx must be an "
                             f"integer in [0, {self.vocab_size}) or None, got {padding_idx!r}")
        self.padding_idx = None if padding_idx is None else int(padding_idx)
        shape = (self.vocab_size, self.embedding_dim)
        if weight is None:
            rng = rng if rng is not None else np.random.default_rng(0)
            weight = rng.standard_normal(shape)  # torch's N(0, 1); Keras draws U(-0.05, 0.05)
        self.params["weight"] = np.asarray(weight, dtype=dtype).copy()
        check_shape(self.name, "weight", self.params["weight"], shape)
        check_finite(self.name, "weight", self.params["weight"])
        self.ids: np.ndarray | None = None

    @property
    def name(self) -> str:
        """'Embedding(VxD)' (and its padding_idx), used in error messages."""
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"Embedding({self.vocab_size}x{self.embedding_dim}{padding})"

    def check_ids(self, ids: np.ndarray) -> np.ndarray:
        """Require a non-empty integer array (N, T) of ids in [0, vocab_size); return it unchanged."""
        if not isinstance(ids, np.ndarray):
            raise ValueError(f"{self.name}: ids must be a numpy.ndarray of integers, got "
                             f"{type(ids).__name__}")
        if ids.dtype.kind not in "iu":
            raise ValueError(f"{self.name}: ids must be integers (int32/int64), got dtype {ids.dtype}")
        if ids.ndim != 2 or ids.shape[0] == 0:
            raise ValueError(f"{self.name}: ids must have shape (N, T) with N >= 1, got shape {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            bad = np.argwhere((ids < 0) | (ids >= self.vocab_size))[0]
            raise ValueError(f"{self.name}: ids must be in [0, {self.vocab_size}), got "
                             f"{int(ids[tuple(bad)])} at index {tuple(int(i) for i in bad)}")
        return ids

    def forward(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, T) ids -> (N, T, D) rows of W, in W's dtype."""
        self.ids = self.check_ids(inputs)
        return self.params["weight"][inputs]

    def backward(self, grad_output: np.ndarray) -> None:
        """dW = zeros, np.add.at(dW, ids, g) (a repeated id sums all its rows), dW[padding_idx] = 0.

        Returns None: ids are integers, there is no gradient w.r.t. them.
        """
        if self.ids is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        check_shape(self.name, "grad_output", grad_output, (*self.ids.shape, self.embedding_dim))
        grad = np.zeros_like(self.params["weight"])
        np.add.at(grad, self.ids, grad_output)  # NOTE: grad[ids] += g would count a repeated id once
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0.0
        self.grads["weight"] = grad
        return None

    def __repr__(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"Embedding({self.vocab_size}, {self.embedding_dim}{padding})"


RECORDS = (LayerType(
    "embedding",
    lambda spec, dtype: Embedding(spec["vocab_size"], spec["embedding_dim"], dtype=dtype,
                                  padding_idx=spec.get("padding_idx")),
    required=("vocab_size", "embedding_dim"), options=("padding_idx",),
    params=(Tensor("weight", lambda s: (s["vocab_size"], s["embedding_dim"]), "weight"),),
    output_shape=lambda spec, shape: (*shape, spec["embedding_dim"]), input_keys=lambda shape: {},
    notes="y[n, t] = W[ids[n, t]], W (vocab_size, embedding_dim); ids are integers"),)
