"""What the pytest plugin does to keep a run short: the reference cache's options and folder
(docs/architecture.md §9), its size bound after the run, the longest comparisons first (so that no worker
starts a long one while the other has nothing left), and rows crossing from a worker to the controller as
JSON text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from comparisons.adapters.cache import DEFAULT_MAX_MB, KeptArrays, Store
from comparisons.core.case import Case
from comparisons.core.determinism import use_jax_compilation_cache
from comparisons.core.settings import CACHE_ENV, cache_from_environment
from comparisons.data.datasets import keep_splits_with

# Measured per group (`pytest comparisons -n 2`, README's Performance): training runs take the longest, then
# landscapes, initializer draws (a KS test on 120,000 values), passes, optimizers, perceptrons.
KIND_ORDER = ("training", "landscape", "initializer", "expression", "pass", "optimizer", "perceptron")


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


def use_cache_folder(folder: Path | None) -> None:
    """With a cache folder, JAX's compiled programs (set before JAX is imported) and the data sets loaded
    from scikit-learn are kept in it too: a rerun then neither compiles them again nor imports sklearn."""
    if folder is not None:
        use_jax_compilation_cache(folder)
        keep_splits_with(KeptArrays(folder, "dataset"))


def bound_cache(config: pytest.Config, folder: Path | None) -> None:
    """Drop the least recently used entries beyond --cache-max-mb (the controller, after the workers)."""
    if folder is not None and folder.is_dir():
        Store(folder).evict(config.getoption("--cache-max-mb") * 2**20)


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config):
    """With -n and no --dist: --dist worksteal. xdist's default 'load' hands each worker a quarter of the
    tests up front and never takes them back: in an empty-cache make report one worker kept 250 s of
    training runs queued after the other had run out (README's Performance)."""
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "no") == "no":
        config.option.dist = "worksteal"
    return (yield)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Hypothesis's pytest plugin imports all of Hypothesis for its terminal summary, which took 1.1-1.8 s
    of a `pytest comparisons --collect-only` of 2.0-4.0 s (README's Performance); when no collected test
    module imported Hypothesis there is nothing of it to report, so its plugin is set aside."""
    plugin = session.config.pluginmanager.get_plugin("hypothesispytest")
    if plugin is not None and "hypothesis" not in sys.modules:
        session.config.pluginmanager.unregister(plugin)


def _cost(item: pytest.Item) -> tuple[int, int]:
    """Larger for longer comparisons: by kind, then framework (JAX traces and compiles every case, Keras
    traces its training step, torch runs eagerly); (0, 0) for anything not a comparison. Epoch counts
    say little (an epoch is one batch or a hundred), so cases of a kind keep their order."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    case = params.get("case")
    if "parity_report" not in getattr(item, "fixturenames", ()) or not isinstance(case, Case):
        return (0, 0)
    kind = len(KIND_ORDER) - KIND_ORDER.index(case.kind) if case.kind in KIND_ORDER else 1
    return (kind, {"jax": 3, "tensorflow": 2}.get(params.get("framework"), 1))


def longest_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The comparison tests, longest first, in the places comparison tests held; other tests stay where
    they were (a stable sort: equal costs keep their collection order)."""
    places = [i for i, item in enumerate(items) if _cost(item) != (0, 0)]
    ordered = sorted((items[i] for i in places), key=_cost, reverse=True)
    result = list(items)
    for place, item in zip(places, ordered, strict=True):
        result[place] = item
    return result


PLAIN = (str, int, float, bool, type(None))  # what JSON gives back as it was (nan included)


def pack_rows(rows: list[dict], trajectories: list[dict]):
    """A test's rows as they cross to the controller: one JSON string when every value is plain (execnet's
    own encoding, in Python, costs 4x json's on 55,000 rows), else the lists themselves."""
    if all(type(v) in PLAIN for part in (rows, trajectories) for row in part for v in row.values()):
        return json.dumps([rows, trajectories])
    return rows, trajectories


def unpack_rows(sent) -> tuple[list[dict], list[dict]]:
    """pack_rows undone."""
    return tuple(json.loads(sent)) if isinstance(sent, str) else sent
