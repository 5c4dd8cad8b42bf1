"""Weight initializers: f(shape, rng, dtype=float64, **options) -> array, always from an explicit Generator.

Fans follow the project layout (in, out), which is Keras's (`keras.src.initializers.compute_fans`):
shape (n,) -> fan_in = fan_out = n; (in, out) -> in, out; (..., in, out) -> in * receptive field,
out * receptive field. torch computes the same fans from its transposed (out, in) weight.

Keras's variance-scaling *_normal initializers draw a TRUNCATED normal (cut at 2 std, std divided by
0.87962566103423978 so the truncated variance is the intended one); torch's xavier_normal_ /
kaiming_normal_ draw a plain normal. Pass `truncated=True` (the default for the Keras-named
glorot/he/lecun_normal) or `truncated=False` to match one or the other. Only distributions can be
matched: no framework's random stream can be reproduced, so the harness copies weights instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np

from scratch.errors import check_generator, check_number

Initializer = Callable[..., np.ndarray]

TRUNCATION_STDS = 2.0  # keras truncated_normal cuts at mean +- 2 std
TRUNCATED_STD_CORRECTION = 0.87962566103423978  # std of N(0,1) truncated to [-2, 2]


def _prepare(name: str, shape: tuple[int, ...] | int, rng: np.random.Generator) -> tuple[int, ...]:
    check_generator(f"initializer {name!r}", "rng", rng)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0 for n in shape):
        raise ValueError(f"initializer {name!r}: shape must be non-negative integers, got {shape}")
    return tuple(int(n) for n in shape)


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) for the (..., in, out) layout: keras compute_fans; torch's for W.T."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _standard_normal(shape: tuple[int, ...], rng: np.random.Generator, truncated: bool) -> np.ndarray:
    """N(0, 1) draws in float64; truncated: redraw every |z| > 2 until none is left (rejection)."""
    z = rng.standard_normal(shape)
    if truncated:
        outside = np.abs(z) > TRUNCATION_STDS
        while outside.any():  # P(|z| > 2) = 4.6%, so a few rounds at most
            z[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(z) > TRUNCATION_STDS
    return z


def zeros(shape, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """w = 0 (torch.nn.init.zeros_ / keras.initializers.Zeros); rng is checked but unused."""
    return np.zeros(_prepare("zeros", shape, rng), dtype=dtype)


def constant(shape, rng: np.random.Generator, dtype=np.float64, value: float = 0.0) -> np.ndarray:
    """w = value (torch.nn.init.constant_ / keras.initializers.Constant); rng is checked but unused."""
    value = check_number("initializer 'constant'", "value", value)
    return np.full(_prepare("constant", shape, rng), value, dtype=dtype)


def normal(shape, rng: np.random.Generator, dtype=np.float64, mean: float = 0.0, std: float = 1.0,
           truncated: bool = False) -> np.ndarray:
    """w = mean + std*z, z ~ N(0,1) (torch.nn.init.normal_ / keras RandomNormal); truncated: |z| <= 2
    with no rescaling (torch.nn.init.trunc_normal_(a=mean-2std, b=mean+2std) / keras TruncatedNormal)."""
    shape = _prepare("normal", shape, rng)
    mean = check_number("initializer 'normal'", "mean", mean)
    std = check_number("initializer 'normal'", "std", std, low=0.0)
    return (mean + std * _standard_normal(shape, rng, truncated)).astype(dtype)


def uniform(shape, rng: np.random.Generator, dtype=np.float64, low: float = 0.0,
            high: float = 1.0) -> np.ndarray:
    """w ~ U[low, high) (torch.nn.init.uniform_ / keras RandomUniform(minval, maxval))."""
    shape = _prepare("uniform", shape, rng)
    low = check_number("initializer 'uniform'", "low", low)
    high = check_number("initializer 'uniform'", "high", high, low=low)
    # NOTE: casting to float32 can round a draw just below `high` up to `high` itself.
    return rng.uniform(low, high, shape).astype(dtype)


def _fan(name: str, shape: tuple[int, ...], mode: str) -> float:
    fan_in, fan_out = compute_fans(shape)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    if fan <= 0:
        raise ValueError(f"initializer {name!r}: {mode} of shape {shape} is 0")
    return float(fan)


def _scaled_normal(name: str, shape, rng, dtype, scale: float, mode: str, truncated: bool) -> np.ndarray:
    shape = _prepare(name, shape, rng)
    std = math.sqrt(scale / _fan(name, shape, mode))
    if truncated:
        std /= TRUNCATED_STD_CORRECTION  # keras VarianceScaling: the cut normal keeps variance scale/fan
    return (std * _standard_normal(shape, rng, truncated)).astype(dtype)


def _scaled_uniform(name: str, shape, rng, dtype, scale: float, mode: str) -> np.ndarray:
    shape = _prepare(name, shape, rng)
    limit = math.sqrt(3.0 * scale / _fan(name, shape, mode))  # U(-a, a) has variance a^2 / 3
    return rng.uniform(-limit, limit, shape).astype(dtype)


def glorot_normal(shape, rng: np.random.Generator, dtype=np.float64, truncated: bool = True) -> np.ndarray:
    """std = sqrt(2/(fan_in+fan_out)) (keras GlorotNormal; torch xavier_normal_: truncated=False)."""
    return _scaled_normal("glorot_normal", shape, rng, dtype, 1.0, "fan_avg", truncated)


def glorot_uniform(shape, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """U(+-sqrt(6/(fan_in+fan_out))) (keras GlorotUniform / torch.nn.init.xavier_uniform_)."""
    return _scaled_uniform("glorot_uniform", shape, rng, dtype, 1.0, "fan_avg")


def he_normal(shape, rng: np.random.Generator, dtype=np.float64, truncated: bool = True) -> np.ndarray:
    """std = sqrt(2/fan_in) (keras HeNormal, truncated; torch kaiming_normal_(relu), truncated=False)."""
    return _scaled_normal("he_normal", shape, rng, dtype, 2.0, "fan_in", truncated)


def he_uniform(shape, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """U(+-sqrt(6/fan_in)) (keras HeUniform / torch.nn.init.kaiming_uniform_(nonlinearity='relu'))."""
    return _scaled_uniform("he_uniform", shape, rng, dtype, 2.0, "fan_in")


def lecun_normal(shape, rng: np.random.Generator, dtype=np.float64, truncated: bool = True) -> np.ndarray:
    """std = sqrt(1/fan_in) (keras LecunNormal, truncated; torch kaiming_normal_(linear), truncated=False)."""
    return _scaled_normal("lecun_normal", shape, rng, dtype, 1.0, "fan_in", truncated)


def lecun_uniform(shape, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """U(+-sqrt(3/fan_in)) (keras LecunUniform / torch.nn.init.kaiming_uniform_(nonlinearity='linear'))."""
    return _scaled_uniform("lecun_uniform", shape, rng, dtype, 1.0, "fan_in")


INITIALIZERS: dict[str, Initializer] = {
    "zeros": zeros,
    "constant": constant,
    "normal": normal,
    "uniform": uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
}


def get_initializer(spec: str | dict | Initializer) -> Initializer:
    """An initializer from a name ('he_normal'), a spec ({'type': 'normal', 'std': 0.01}) or a callable."""
    if callable(spec):
        return spec
    if isinstance(spec, dict):
        options = {k: v for k, v in spec.items() if k != "type"}
        return partial(get_initializer(spec["type"]), **options)
    if spec not in INITIALIZERS:
        raise KeyError(f"scratch: unknown initializer {spec!r}; known: {', '.join(sorted(INITIALIZERS))}")
    return INITIALIZERS[spec]
