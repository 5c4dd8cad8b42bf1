"""Offline scikit-learn datasets as seeded train/test splits (docs/conventions.md §13); harness side only.

Every loader returns a Split: float64 inputs, int64 labels 0..k-1 (LabelEncoder), rows split by
train_test_split(test_size, stratify=y, random_state=seed). Standardization x' = (x - mean) / scale
uses the mean and scale (std, 1 where std is 0) of the TRAINING rows only (StandardScaler fitted
on x_train), so the test split is not forced to mean 0: nothing about the test rows leaks into
training. scratch/ may not import scikit-learn; this module may, when it first makes a split: with a keeper
(keep_splits_with: the reference cache's folder) a split made before is read back, sklearn not imported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

_KEEPER: list = []  # what keeps the splits made (keep_splits_with); none by default


@dataclass(frozen=True)
class Split:
    """A train/test split: x (N, features) float64, y (N,) int64, and the train-fitted scaling."""

    name: str
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray  # (features,) subtracted from both splits; zeros when not standardized
    scale: np.ndarray  # (features,) dividing both splits; ones when not standardized

    @property
    def n_classes(self) -> int:
        """Number of classes k: labels lie in 0..k-1."""
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    @property
    def n_features(self) -> int:
        """Width of one input row."""
        return self.x_train.shape[1]


def make_split(
    name: str, x: np.ndarray, labels: np.ndarray, test_fraction: float, seed: int, standardize: bool
) -> Split:
    """Label-encode, split with a stratified seeded train_test_split, and scale with train statistics."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelEncoder, StandardScaler

    y = LabelEncoder().fit_transform(labels).astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        np.asarray(x, dtype=np.float64), y, test_size=test_fraction, stratify=y, random_state=seed
    )
    features = x_train.shape[1]
    mean, scale = np.zeros(features), np.ones(features)
    if standardize:
        scaler = StandardScaler().fit(x_train)  # NOTE: fitted on the training rows only
        mean, scale = scaler.mean_.astype(np.float64), scaler.scale_.astype(np.float64)
    return Split(name, (x_train - mean) / scale, (x_test - mean) / scale, y_train, y_test, mean, scale)


def load_digits(test_fraction: float = 0.25, seed: int = 0, standardize: bool = False) -> Split:
    """sklearn load_digits (1797 x 64, 10 classes), pixels scaled x / 16 into [0, 1] (offline MNIST)."""
    x, y = _sklearn_datasets().load_digits(return_X_y=True)
    return make_split("digits", x / 16.0, y, test_fraction, seed, standardize)


def load_iris(test_fraction: float = 0.25, seed: int = 0, standardize: bool = True) -> Split:
    """sklearn load_iris (150 x 4, 3 classes), standardized with training statistics."""
    x, y = _sklearn_datasets().load_iris(return_X_y=True)
    return make_split("iris", x, y, test_fraction, seed, standardize)


def load_wine(test_fraction: float = 0.25, seed: int = 0, standardize: bool = True) -> Split:
    """sklearn load_wine (178 x 13, 3 classes), standardized with training statistics."""
    x, y = _sklearn_datasets().load_wine(return_X_y=True)
    return make_split("wine", x, y, test_fraction, seed, standardize)


def make_moons(
    samples: int = 1000, noise: float = 0.2, test_fraction: float = 0.25, seed: int = 0,
    standardize: bool = True,
) -> Split:
    """sklearn make_moons(samples, noise, random_state=seed): two interleaved half circles, 2 classes."""
    x, y = _sklearn_datasets().make_moons(n_samples=samples, noise=noise, random_state=seed)
    return make_split("moons", x, y, test_fraction, seed, standardize)


def make_circles(
    samples: int = 1000, noise: float = 0.1, factor: float = 0.5, test_fraction: float = 0.25,
    seed: int = 0, standardize: bool = True,
) -> Split:
    """sklearn make_circles(samples, noise, factor, random_state=seed): inner vs outer circle, 2 classes."""
    x, y = _sklearn_datasets().make_circles(n_samples=samples, noise=noise, factor=factor, random_state=seed)
    return make_split("circles", x, y, test_fraction, seed, standardize)


LOADERS: dict[str, Callable[..., Split]] = {
    "digits": load_digits,
    "iris": load_iris,
    "wine": load_wine,
    "moons": make_moons,
    "circles": make_circles,
}


def load_split(name: str, **options) -> Split:
    """The Split of a dataset by name ('digits', 'iris', 'wine', 'moons', 'circles'), options passed on.

    Loaded once per process and options (every framework and dtype of a case reads the same split);
    each call gets its own copies of the arrays."""
    if name not in LOADERS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(LOADERS)}")
    split = _loaded(name, tuple(sorted(options.items())))
    return replace(split, **{key: getattr(split, key).copy() for key in
                             ("x_train", "x_test", "y_train", "y_test", "mean", "scale")})


def _sklearn_datasets():
    """sklearn.datasets, imported when a split is first made (not when this module is)."""
    from sklearn import datasets

    return datasets


def keep_splits_with(keeper) -> None:
    """Read back and keep every split made in this process through `keeper` (None: none): keeper.load(key)
    gives the fields of the split kept under key or None, keeper.save(key, fields) keeps them."""
    _KEEPER[:] = [] if keeper is None else [keeper]
    _loaded.cache_clear()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None  # making the split will say what is missing


def split_key(name: str, options: tuple) -> str:
    """What a kept split is filed under: the dataset, its options, scikit-learn's and NumPy's versions
    (importlib.metadata: no import) and this module's source (how a split is made)."""
    versions = [(package, _version(package)) for package in ("scikit-learn", "numpy")]
    text = repr((name, options, versions)).encode() + Path(__file__).read_bytes()
    return hashlib.blake2b(text, digest_size=16).hexdigest()


@lru_cache(maxsize=16)
def _loaded(name: str, options: tuple) -> Split:
    if not _KEEPER:
        return LOADERS[name](**dict(options))
    keeper, key = _KEEPER[0], split_key(name, options)
    kept = keeper.load(key)
    if kept is not None:
        return Split(**kept)
    split = LOADERS[name](**dict(options))
    keeper.save(key, {f.name: getattr(split, f.name) for f in fields(split)})
    return split
