"""Parameter dicts to and from .npz files, checked key by key before anything is assigned.

The file holds one array per parameter, named like the model's keys ('0.weight', '0.bias').
Loading never unpickles (np.load(allow_pickle=False)), so an object array is refused, not run.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np


def check_params(component: str, expected: dict[str, np.ndarray], given: dict[str, np.ndarray]) -> None:
    """Require given to have exactly expected's keys, each array expected's shape and dtype, all finite.

    Every key is checked before the first error is raised, so the message lists every problem;
    callers assign nothing until this returns (no half-updated model).
    """
    problems = [f"missing key {key!r}" for key in expected if key not in given]
    problems += [f"unknown key {key!r}" for key in given if key not in expected]
    for key in expected:
        if key not in given:
            continue
        value, reference = given[key], expected[key]
        if not isinstance(value, np.ndarray):
            problems.append(f"{key!r}: expected a numpy.ndarray, got {type(value).__name__}")
        elif value.shape != reference.shape:
            problems.append(f"{key!r}: expected shape {reference.shape}, got {value.shape}")
        elif value.dtype != reference.dtype:
            problems.append(f"{key!r}: expected dtype {reference.dtype}, got {value.dtype}")
        elif not np.all(np.isfinite(value)):
            count = int(np.sum(~np.isfinite(value)))
            problems.append(f"{key!r}: expected finite values, got {count} NaN/Inf")
    if problems:
        known = ", ".join(repr(k) for k in expected)
        raise ValueError(f"{component}: parameters refused: {'; '.join(problems)} (model keys: {known})")


def save_params(path: str | os.PathLike, params: dict[str, np.ndarray]) -> Path:
    """np.savez of every parameter to exactly `path` (no '.npz' appended), written atomically."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # same folder, so the rename is atomic
    try:
        with open(temporary, "wb") as file:  # plain open: the usual umask permissions, unlike mkstemp
            np.savez(file, **params)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def load_params(component: str, path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of an .npz file, read with np.load(allow_pickle=False); object arrays are refused."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"{component}: cannot read parameters from {str(path)!r}: {error}") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"{component}: {str(path)!r} is a single .npy array, expected an .npz archive of named parameters"
        )
    with archive:
        params = {}
        for key in archive.files:
            try:
                params[key] = archive[key]
            except ValueError as error:  # object (pickled) arrays with allow_pickle=False
                raise ValueError(
                    f"{component}: refusing to load {key!r} from {str(path)!r}: it is a pickled object "
                    f"array, and parameters must be plain numeric arrays ({error})"
                ) from error
    return params
