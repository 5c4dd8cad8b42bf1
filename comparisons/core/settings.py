"""Run settings: read once when a run starts (pytest options, nn-parity run flags) and handed down."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path

KNOWN_DIFFERENCES_FILE = Path(__file__).resolve().parent.parent / "known_differences.csv"
KNOWN_DIFFERENCES_ENV = "NN_PARITY_KNOWN_DIFFERENCES"  # another file instead (e.g. to try an entry)
CACHE_ENV = "NN_PARITY_CACHE"  # the reference cache's folder, or 'off'
CACHE_DIR = ".nn-parity-cache"  # in the rootdir, unless --cache-dir or $NN_PARITY_CACHE says otherwise
THREADS_ENV = "NN_PARITY_THREADS"  # threads per framework; read once, before NumPy is imported


def threads_from_environment() -> int:
    """$NN_PARITY_THREADS (default 1): read once per process, before any framework starts."""
    return int(os.environ.get(THREADS_ENV) or 1)


def known_differences_from_environment() -> Path:
    """$NN_PARITY_KNOWN_DIFFERENCES when set, else comparisons/known_differences.csv."""
    return Path(os.environ.get(KNOWN_DIFFERENCES_ENV) or KNOWN_DIFFERENCES_FILE)


def cache_from_environment(given: str | None, root: Path) -> Path | None:
    """The cache folder: `given` (--cache-dir), else $NN_PARITY_CACHE, else root/.nn-parity-cache; None
    when the one that applies is 'off'. Relative folders are taken from root, so workers agree."""
    value = given if given is not None else os.environ.get(CACHE_ENV) or CACHE_DIR
    return None if value.strip().lower() == "off" else (root / value).resolve()


@dataclass(frozen=True)
class RunSettings:
    """What a run was asked for; every case of the run sees the same object.

    full: full-length training projects (make report) instead of the short runs;
    seed_offset: added to every case's seed (other data, the same agreement expected);
    threads: threads per framework; known_differences: the known-differences file;
    implementation: the name of the implementation under test (the bundled 'scratch' by default);
    cache: the reference cache's folder (docs/architecture.md §9), None for a run without it.
    """

    full: bool = False
    seed_offset: int = 0
    threads: int = 1
    known_differences: Path = field(default=KNOWN_DIFFERENCES_FILE)
    implementation: str = "scratch"
    cache: Path | None = None

    def with_options(self, **changes) -> RunSettings:
        """A copy with some settings changed."""
        return replace(self, **changes)

    def rerun_flags(self) -> str:
        """The flags a rerun repeats so it reruns the same thing: ' --full --seed-offset N --impl SPEC'."""
        return rerun_flags(self.full, self.seed_offset, self.implementation)


def rerun_flags(full: bool, seed_offset: int, implementation: str) -> str:
    """' --full', ' --seed-offset N' and ' --impl SPEC' where they differ from the defaults."""
    full_flag = " --full" if full else ""
    offset = f" --seed-offset {seed_offset}" if seed_offset else ""
    impl = f" --impl {shlex.quote(implementation)}" if implementation != "scratch" else ""
    return f"{full_flag}{offset}{impl}"


DEFAULT_SETTINGS = RunSettings()
