"""What the pytest plugin does to keep a run short: the reference cache's options (docs/architecture.md §9)
and its size bound after the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from comparisons.adapters.cache import DEFAULT_MAX_MB, Store
from comparisons.core.settings import CACHE_ENV, cache_from_environment


def add_cache_options(group) -> None:
    """--no-cache, --cache-dir DIR, --cache-max-mb MB."""
    group.addoption("--no-cache", action="store_true",
                    help="run every framework live: neither read nor write the reference cache")
    group.addoption("--cache-dir", default=None, metavar="DIR",
                    help=f"the reference cache's folder (default: ${CACHE_ENV} when set, 'off' for none; "
                         "else .nn-parity-cache in the rootdir)")
    group.addoption("--cache-max-mb", type=int, default=DEFAULT_MAX_MB, metavar="MB",
                    help=f"after the run, drop the least recently used entries beyond MB (default "
                         f"{DEFAULT_MAX_MB})")


def cache_folder(config: pytest.Config) -> Path | None:
    """The run's cache folder, absolute (the same in every xdist worker), or None without a cache."""
    if config.getoption("--no-cache"):
        return None
    return cache_from_environment(config.getoption("--cache-dir"), config.rootpath)


def bound_cache(config: pytest.Config, folder: Path | None) -> None:
    """Drop the least recently used entries beyond --cache-max-mb (the controller, after the workers)."""
    if folder is not None and folder.is_dir():
        Store(folder).evict(config.getoption("--cache-max-mb") * 2**20)
