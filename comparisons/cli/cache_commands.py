"""`nn-parity cache info|clear`: the reference cache's folder, its size and bound, or emptying it."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from comparisons.adapters.cache import DEFAULT_MAX_MB, Store
from comparisons.core.determinism import JAX_COMPILED
from comparisons.core.settings import CACHE_DIR, cache_from_environment

ROOT = Path(__file__).resolve().parents[2]  # the checkout: pytest's rootdir for `pytest comparisons`


def cache_folder(given: Path | None) -> Path | None:
    """--cache-dir, else $NN_PARITY_CACHE, else .nn-parity-cache in the checkout (None: 'off')."""
    return cache_from_environment(None if given is None else str(given), ROOT)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def command_cache(args: argparse.Namespace) -> int:
    """Print where the cache is and what it holds (info), or remove every entry (clear)."""
    folder = cache_folder(args.cache_dir)
    if folder is None:
        print("the reference cache is off ($NN_PARITY_CACHE=off); give --cache-dir to name a folder")
        return 0
    store = Store(folder)
    if args.action == "clear":
        removed = store.clear() if folder.is_dir() else 0
        shutil.rmtree(folder / JAX_COMPILED, ignore_errors=True)
        entries = f"{removed} entr{'y' if removed == 1 else 'ies'}"
        print(f"removed {entries} and JAX's compiled programs from {folder}")
        return 0
    info = store.info() if folder.is_dir() else {"entries": 0, "bytes": 0, "frameworks": {}}
    print(f"folder:   {folder}{'' if folder.is_dir() else ' (not created yet)'}")
    print(f"entries:  {info['entries']}, {_megabytes(info['bytes'])} "
          f"(bound: {DEFAULT_MAX_MB} MB by default, pytest --cache-max-mb; least recently used go first)")
    for name, counts in info["frameworks"].items():
        print(f"  {name:<12} {counts['entries']:>6} entries  {_megabytes(counts['bytes'])}")
    compiled = sum(path.stat().st_size for path in (folder / JAX_COMPILED).rglob("*") if path.is_file())
    print(f"JAX's compiled programs ({JAX_COMPILED}/): {_megabytes(compiled)} (JAX bounds them itself)")
    if info.get("oldest_use"):
        for what in ("oldest_use", "newest_use"):
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info[what]))
            print(f"{what.replace('_', ' ')}: {when}")
    print(f"default folder: {CACHE_DIR} in {ROOT} (or $NN_PARITY_CACHE); `pytest --no-cache` or "
          "`nn-parity run --no-cache` runs without it")
    return 0
