"""Scratch initializers expressed with torch.nn.init, and torch.nn.Linear's own default init.

Shapes are given in the scratch layout (in, out), or (*kernel, in, out) for a convolution kernel;
torch's fans come from its own layout, (out, in) or (out, in, *kernel) (torch's
_calculate_fan_in_and_fan_out: fan_in = size(1) * receptive field, fan_out = size(0) * receptive
field), so the tensor is drawn in torch's layout and permuted back: fan_in = in * prod(kernel),
fan_out = out * prod(kernel) either way.
torch has no LeCun initializer: LeCun is kaiming with nonlinearity='linear' (gain 1), i.e.
std = 1/sqrt(fan_in) and bound sqrt(3/fan_in). torch's xavier/kaiming normals are PLAIN normals
(Keras truncates them).
"""

from __future__ import annotations

import numpy as np
import torch

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _kaiming(init, nonlinearity: str):
    """kaiming_*_(mode='fan_in', nonlinearity=...): gain sqrt(2) for relu, 1 for linear."""
    return lambda t, g, **o: init(t, mode="fan_in", nonlinearity=nonlinearity, generator=g)


# Scratch initializer name -> f(tensor, generator, **scratch options) calling torch.nn.init.
INITIALIZERS = {
    "zeros": lambda t, g, **o: torch.nn.init.zeros_(t),
    "constant": lambda t, g, value=0.0: torch.nn.init.constant_(t, value),
    "normal": lambda t, g, mean=0.0, std=1.0: torch.nn.init.normal_(t, mean, std, generator=g),
    "truncated_normal": lambda t, g, mean=0.0, std=1.0: torch.nn.init.trunc_normal_(
        t, mean, std, a=mean - 2 * std, b=mean + 2 * std, generator=g),
    "uniform": lambda t, g, low=0.0, high=1.0: torch.nn.init.uniform_(t, low, high, generator=g),
    "glorot_normal": lambda t, g, **o: torch.nn.init.xavier_normal_(t, generator=g),
    "glorot_uniform": lambda t, g, **o: torch.nn.init.xavier_uniform_(t, generator=g),
    "he_normal": _kaiming(torch.nn.init.kaiming_normal_, "relu"),
    "he_uniform": _kaiming(torch.nn.init.kaiming_uniform_, "relu"),
    "lecun_normal": _kaiming(torch.nn.init.kaiming_normal_, "linear"),
    "lecun_uniform": _kaiming(torch.nn.init.kaiming_uniform_, "linear"),
}


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().numpy().T.copy() if tensor.ndim == 2 else tensor.detach().numpy().copy()


def torch_permutation(ndim: int) -> tuple[int, ...]:
    """Axes from the scratch layout (*kernel, in, out) to torch's (out, in, *kernel): (1, 0) for Dense,
    (2, 1, 0) for Conv1d, (3, 2, 0, 1) for Conv2d (reference.torch_models.LAYOUTS)."""
    return tuple(range(ndim)) if ndim < 2 else (ndim - 1, ndim - 2, *range(ndim - 2))


def draw(name: str, shape: tuple[int, ...], dtype: str, seed: int, **options) -> np.ndarray:
    """torch.nn.init.<op>_ on a tensor in torch's layout ((out, in, *kernel)) from
    torch.Generator().manual_seed(seed), permuted back to the scratch layout ((*kernel, in, out))."""
    if name not in INITIALIZERS:
        raise KeyError(f"torch reference: unknown initializer {name!r}; known: {sorted(INITIALIZERS)}")
    permutation = torch_permutation(len(shape))
    tensor = torch.empty(tuple(shape[axis] for axis in permutation), dtype=DTYPES[dtype])
    INITIALIZERS[name](tensor, torch.Generator().manual_seed(seed), **options)
    return tensor.detach().numpy().transpose(np.argsort(permutation)).copy()


def default_linear(n_inputs: int, n_outputs: int, dtype: str, seed: int) -> dict[str, np.ndarray]:
    """torch.nn.Linear's own reset_parameters: W, b ~ U(+-1/sqrt(fan_in)) (kaiming_uniform a=sqrt(5))."""
    # NOTE: reset_parameters takes no generator; fork_rng keeps the global seed change local.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layer = torch.nn.Linear(n_inputs, n_outputs, dtype=DTYPES[dtype])
    return {"0.weight": _numpy(layer.weight), "0.bias": _numpy(layer.bias)}
