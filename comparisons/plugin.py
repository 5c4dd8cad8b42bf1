"""pytest plugin: collects comparison rows (also from xdist workers) and writes the reports once."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from comparisons import ALL_FRAMEWORKS, DTYPES
from comparisons.determinism import configure_environment

configure_environment()

from comparisons.known_differences import load_known_differences  # noqa: E402
from comparisons.report import status_counts, worst_ratio, write_reports  # noqa: E402

ROWS_KEY = "nn_parity_rows"
TRAJECTORY_KEY = "nn_parity_trajectories"


class ReportCollector:
    """Rows recorded by the comparison tests of this process."""

    def __init__(self, report_dir: Path) -> None:
        self.report_dir = report_dir
        self.rows: list[dict] = []
        self.trajectories: list[dict] = []  # per-step rows of training cases
        self._known = None

    @property
    def known_differences(self):
        """The known-differences entries, loaded once per process."""
        if self._known is None:
            self._known = load_known_differences()
        return self._known

    def add(self, rows: list[dict], trajectory: list[dict] = ()) -> None:
        """Keep rows as plain Python values (they may cross to the xdist controller)."""
        self.rows.extend({k: _plain(v) for k, v in row.items()} for row in rows)
        self.trajectories.extend({k: _plain(v) for k, v in row.items()} for row in trajectory)


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return value


collector_key = pytest.StashKey[ReportCollector]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nn-parity")
    group.addoption("--report-dir", default="reports",
                    help="folder for agreement.csv, summary.csv, environment.json (default: reports)")
    group.addoption("--full", action="store_true",
                    help="run the full-length training projects (make report); default: short runs")
    group.addoption("--suite", default="", help="comma list of case suites to run (default: all)")
    group.addoption("--framework", default="",
                    help=f"comma list of frameworks: {','.join(ALL_FRAMEWORKS)} (default: all)")
    group.addoption("--dtype", default="", help=f"comma list of dtypes: {','.join(DTYPES)} (default: all)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--full"):
        os.environ["NN_PARITY_FULL"] = "1"  # read when the training cases are built
    report_dir = Path(config.getoption("--report-dir"))
    config.stash[collector_key] = ReportCollector(report_dir)


def _wanted(config: pytest.Config, option: str, known: tuple[str, ...] | None) -> set[str]:
    values = {v.strip() for v in (config.getoption(option) or "").split(",") if v.strip()}
    unknown = sorted(values - set(known)) if known is not None else []
    if unknown:
        raise pytest.UsageError(f"{option}: unknown {', '.join(unknown)}; known: {', '.join(known)}")
    return values


def _param_values(item: pytest.Item) -> dict[str, str | None]:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return {"suite": getattr(params.get("case"), "suite", None), "framework": params.get("framework"),
            "dtype": params.get("dtype")}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--suite/--framework/--dtype: deselect comparison params whose exact value is not listed."""
    wanted = {"suite": _wanted(config, "--suite", None),
              "framework": _wanted(config, "--framework", ALL_FRAMEWORKS),
              "dtype": _wanted(config, "--dtype", DTYPES)}
    if not any(wanted.values()):
        return
    keep, drop = [], []
    for item in items:
        values = _param_values(item)
        selected = all(not wanted[k] or values[k] is None or values[k] in wanted[k] for k in wanted)
        (keep if selected else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def parity_report(request: pytest.FixtureRequest) -> ReportCollector:
    """The collector that comparison tests hand their rows to."""
    return request.config.stash[collector_key]


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """xdist controller: take the rows a finished worker sent."""
    output = getattr(node, "workeroutput", {})
    collector = node.config.stash[collector_key]
    collector.rows.extend(output.get(ROWS_KEY, []))
    collector.trajectories.extend(output.get(TRAJECTORY_KEY, []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    collector = config.stash[collector_key]
    if _is_worker(config):
        config.workeroutput[ROWS_KEY] = collector.rows
        config.workeroutput[TRAJECTORY_KEY] = collector.trajectories
        return
    if not collector.rows:
        return
    workers = getattr(config.option, "numprocesses", None)
    write_reports(collector.rows, collector.report_dir, {
        "command": " ".join(sys.argv), "workers": workers or 0,
        "partial": bool(session.shouldstop or session.shouldfail) and exitstatus == 2,
    }, trajectories=collector.trajectories)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    collector = config.stash[collector_key]
    if _is_worker(config) or not collector.rows:
        return
    counts = status_counts(collector.rows)
    terminalreporter.section("nn-parity agreement")
    terminalreporter.write_line(
        f"{len(collector.rows)} rows: "
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        + f"; worst error/tolerance ratio of the agreeing rows {worst_ratio(collector.rows):.3g}"
    )
    terminalreporter.write_line(f"reports written to {collector.report_dir}/")
