"""The framework's dropout mask inside a user's Layer_Dropout, drawn by the user's own forward.

The book's forward draws binary_mask = np.random.binomial(1, keep, size=inputs.shape) / keep. The
adapter runs that forward as written, over a copy of its module's globals in which numpy, numpy.random
and numpy.random.binomial (however the module imported them) answer the draw with the shared 0/1 keep
mask (as int64, like binomial); the user's code then scales it by 1/keep and applies it itself. Nothing
of the user's module or of NumPy is changed, and the global random state is never touched.
"""

from __future__ import annotations

import types

import numpy as np


class SharedDraw:
    """numpy.random.binomial(1, p, size), answered with the shared keep mask."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = np.asarray(mask)
        self.calls = 0

    def __call__(self, n, p, size=None):
        if n != 1 or (size is not None and tuple(np.atleast_1d(size)) != self.mask.shape):
            raise ValueError(f"nnfs adapter: Layer_Dropout drew binomial({n}, {p}, size={size}); the shared "
                             f"mask answers binomial(1, keep, size={self.mask.shape}) only")
        self.calls += 1
        return self.mask.astype(np.int64)


class Namespace:
    """A stand-in for a module: the overrides first, every other name from the real module."""

    def __init__(self, real, **overrides) -> None:
        self._real = real
        self.__dict__.update(overrides)

    def __getattr__(self, name: str):
        return getattr(self._real, name)


def forward_with_mask(layer, mask: np.ndarray, *args) -> None:
    """layer.forward(*args) with its binomial draw answered by `mask`; an error if it never drew."""
    function = type(layer).forward
    if not isinstance(function, types.FunctionType):
        raise TypeError(f"nnfs adapter: {type(layer).__name__}.forward is not a plain function; "
                        "the shared dropout mask cannot be handed to it")
    draw = SharedDraw(mask)
    random = Namespace(np.random, binomial=draw)
    swap = {id(np): Namespace(np, random=random), id(np.random): random, id(np.random.binomial): draw}
    namespace = {name: swap.get(id(value), value) for name, value in function.__globals__.items()}
    copy = types.FunctionType(function.__code__, namespace, function.__name__, function.__defaults__,
                              function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    copy(layer, *args)
    if not draw.calls:
        raise RuntimeError(f"nnfs adapter: {type(layer).__name__}.forward did not draw its mask with "
                           "np.random.binomial(1, keep, size=inputs.shape), so the framework's mask "
                           "could not be shared (docs/own-implementation.md §6)")
