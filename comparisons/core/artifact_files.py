"""Project artifact files kept with their case's outcome: the hook writes them into a fresh folder, the
entry keeps each file's path (relative to the report folder) and bytes, and a replay writes the same bytes
to the same paths instead of rebuilding the extras and running the hook again (docs/architecture.md §9)."""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import numpy as np

from comparisons.core.rows import CaseOutcome

CHAIN = "files"  # the entry's read holding {relative path: bytes as uint8}


@dataclass(frozen=True)
class Artifacts:
    """A case's project artifacts: write(outcome, folder) creates its files under folder; they belong
    under report_dir."""

    write: Callable[[CaseOutcome, Path], None]
    report_dir: Path


def _failed(outcome: CaseOutcome, exc: BaseException) -> CaseOutcome:
    """The outcome with the hook's error as one more failure (its rows are still reported)."""
    text = "".join(traceback.format_exception(exc)).rstrip()
    return replace(outcome, failures=[*outcome.failures, f"the project artifacts failed:\n{text}"])


def write_live(artifacts: Artifacts, outcome: CaseOutcome) -> CaseOutcome:
    """Run the hook straight into the report folder (no cache)."""
    try:
        artifacts.write(outcome, Path(artifacts.report_dir))
    except Exception as exc:  # noqa: BLE001 - a fault in an artifact hook fails its case, rows kept
        return _failed(outcome, exc)
    return outcome


def written(artifacts: Artifacts, outcome: CaseOutcome) -> tuple[CaseOutcome, dict[str, bytes] | None]:
    """Run the hook into a fresh folder: the outcome and {path relative to it: bytes} of every file it
    wrote (None when the hook raised: nothing is then kept), put back into the report folder."""
    with tempfile.TemporaryDirectory(prefix="nn-parity-artifacts-") as folder:
        try:
            artifacts.write(outcome, Path(folder))
        except Exception as exc:  # noqa: BLE001 - as in write_live
            return _failed(outcome, exc), None
        files = {path.relative_to(folder).as_posix(): path.read_bytes()
                 for path in sorted(Path(folder).rglob("*")) if path.is_file()}
    put_back(files, artifacts.report_dir)
    return outcome, files


def packed(files: dict[str, bytes]) -> dict[str, np.ndarray]:
    """The files as the entry format holds them: uint8 arrays."""
    return {name: np.frombuffer(data, dtype=np.uint8) for name, data in files.items()}


def put_back(files: dict, report_dir: Path) -> None:
    """Write each file (bytes or a uint8 array) atomically at its relative path under report_dir."""
    for name, data in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"an artifact path must stay inside the report folder, got {name!r}")
        atomic_write_bytes(Path(report_dir, *relative.parts),
                           data if isinstance(data, bytes) else np.asarray(data, np.uint8).tobytes())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename over the target (readers never see half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
