"""pytest plugin: collects comparison rows (streamed from xdist workers test by test) and writes the reports.

Rows cross from a worker to the controller attached to each test's report, so an interrupted or
crashed worker loses only its running test. An interrupted run (Ctrl-C, SIGTERM) writes the rows of
the tests that finished, marked `"partial": true` in environment.json, or nothing when none did.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import pytest

from comparisons.core.determinism import configure_environment

THREADS = configure_environment()  # before anything imports NumPy: thread counts through the environment

from comparisons.adapters import SpecError, get_adapter, implementation_label, reference_frameworks  # noqa: E402
from comparisons.adapters.specs import IMPL_HELP  # noqa: E402
from comparisons.cases import all_cases  # noqa: E402
from comparisons.core.case import DTYPES, Case  # noqa: E402
from comparisons.core.known_differences import KnownDifferencesError, load_known_differences  # noqa: E402
from comparisons.core.settings import (  # noqa: E402
    KNOWN_DIFFERENCES_ENV,
    RunSettings,
    known_differences_from_environment,
)
from comparisons.harness import speed  # noqa: E402
from comparisons.harness.interrupts import deferred_signals, sigterm_as_keyboard_interrupt  # noqa: E402
from comparisons.harness.speed import pytest_cmdline_main, pytest_collection_finish  # noqa: E402, F401 (hooks)
from comparisons.report.files import report_dir_problem, status_counts, worst_ratio, write_reports  # noqa: E402

ROWS_ATTR = "nn_parity_rows"  # on a worker's test report: (rows, trajectory rows) that test recorded
DESELECTED_KEY = "nn_parity_deselected"  # in a worker's workeroutput: {reason: tests} deselected by kind


class ReportCollector:
    """Rows recorded by the comparison tests of this process."""

    def __init__(self, report_dir: Path, known: list | None = None,
                 settings: RunSettings | None = None) -> None:
        self.report_dir = report_dir
        self.settings = settings or RunSettings()
        self.rows: list[dict] = []
        self.trajectories: list[dict] = []  # per-step rows of training cases
        self.sent = (0, 0)  # rows, trajectory rows already sent to the xdist controller
        self.partial, self.failed_proofs = False, []  # entries whose proof case did not agree
        self.write_error: str | None = None  # why the report could not be written, if it could not
        self.deselected: dict[str, int] = {}  # why comparison tests were deselected (a kind not run): count
        self._known = known

    @property
    def known_differences(self):
        """The known-differences entries, loaded once per process."""
        if self._known is None:
            self._known = load_known_differences(self.settings.known_differences)
        return self._known

    def add(self, rows: list[dict], trajectory: list[dict] = ()) -> None:
        """Keep rows as plain Python values (they may cross to the xdist controller)."""
        self.rows.extend({k: _plain(v) for k, v in row.items()} for row in rows)
        self.trajectories.extend({k: _plain(v) for k, v in row.items()} for row in trajectory)

    def take_unsent(self) -> tuple[list[dict], list[dict]]:
        """Rows and trajectory rows added since the last call (what a worker sends with a report)."""
        rows, trajectories = self.rows[self.sent[0]:], self.trajectories[self.sent[1]:]
        self.sent = (len(self.rows), len(self.trajectories))
        return rows, trajectories


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return value


collector_key = pytest.StashKey[ReportCollector]()
restore_key = pytest.StashKey[object]()


def _seed_offset(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, not {text!r}")
    return int(text)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nn-parity")
    group.addoption("--report-dir", default="reports",
                    help="folder for agreement.csv, summary.csv, environment.json (default: reports)")
    group.addoption("--full", action="store_true",
                    help="run the full-length training projects (make report); default: short runs")
    group.addoption("--suite", default="", help="comma list of case suites to run (default: all)")
    group.addoption("--framework", default="",
                    help=f"comma list of frameworks: {','.join(reference_frameworks())} (default: all)")
    group.addoption("--dtype", default="", help=f"comma list of dtypes: {','.join(DTYPES)} (default: all)")
    group.addoption("--seed-offset", type=_seed_offset, default=0, metavar="N",
                    help="add N (>= 0) to every case's seed: other data, the same agreement expected")
    group.addoption("--impl", default="scratch", metavar="SPEC", help=IMPL_HELP)
    group.addoption("--known-differences", default=None, metavar="FILE",
                    help=f"known-differences CSV file (default: ${KNOWN_DIFFERENCES_ENV} when set, else "
                         "comparisons/known_differences.csv)")
    speed.add_cache_options(group)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    """Read the run settings once, check every nn-parity option and the known-differences file."""
    settings = run_settings(config)
    speed.use_cache_folder(settings.cache)  # before any JAX import, in the controller and in every worker
    try:  # resolved now, so that a SPEC that does not resolve stops the run before anything runs
        get_adapter(settings.implementation)
    except SpecError as exc:
        raise pytest.UsageError(str(exc)) from None
    _wanted(config, "--framework", reference_frameworks())
    _wanted(config, "--dtype", DTYPES)
    report_dir = Path(config.getoption("--report-dir"))
    try:  # loaded now, so that a malformed file stops the run before anything runs
        collector = ReportCollector(report_dir, load_known_differences(settings.known_differences), settings)
    except KnownDifferencesError as exc:
        raise pytest.UsageError(f"{exc} (the file is ${KNOWN_DIFFERENCES_ENV} when set)") from None
    config.stash[collector_key] = collector
    if _is_worker(config):
        config.pluginmanager.register(WorkerRows(collector), "nn-parity-worker-rows")
        return
    problem = report_dir_problem(report_dir)
    if problem:
        raise pytest.UsageError(f"--report-dir: {problem}")
    if config.getoption("--suite"):
        _wanted(config, "--suite", tuple(sorted({case.suite for case in all_cases()})))
    config.pluginmanager.register(ControllerRows(collector), "nn-parity-controller-rows")
    config.stash[restore_key] = sigterm_as_keyboard_interrupt()


def run_settings(config: pytest.Config) -> RunSettings:
    """The settings of this run, from its options (and, where an option is not given, the environment)."""
    path = config.getoption("--known-differences")
    return RunSettings(full=bool(config.getoption("--full")), seed_offset=config.getoption("--seed-offset"),
                       threads=THREADS, implementation=config.getoption("--impl"),
                       known_differences=Path(path) if path else known_differences_from_environment(),
                       cache=speed.cache_folder(config))


def pytest_unconfigure(config: pytest.Config) -> None:
    restore = config.stash.get(restore_key, None)
    if restore is not None:
        restore()


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


def _kind_not_run(profile, item: pytest.Item) -> str | None:
    """Why a comparison test (one that reports rows) is of a kind the implementation does not run, or None."""
    case = getattr(getattr(item, "callspec", None), "params", {}).get("case")
    if "parity_report" not in getattr(item, "fixturenames", ()) or not isinstance(case, Case):
        return None
    return profile.unsupported(case) if case.kind not in profile.kinds else None


@pytest.hookimpl(trylast=True)  # after -k and -m: the counts are of tests that would have run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--suite/--framework/--dtype: deselect comparison params whose exact value is not listed; and every
    comparison of a case kind the implementation under test does not run (its profile's kinds), counted
    by reason for the terminal summary, so that the report has no rows for it. Finer reasons (a layer
    type, an option, a dtype, a framework not installed) still give skipped rows."""
    collector = config.stash[collector_key]
    profile = get_adapter(collector.settings.implementation).PROFILE
    wanted = {"suite": _wanted(config, "--suite", None),
              "framework": _wanted(config, "--framework", reference_frameworks()),
              "dtype": _wanted(config, "--dtype", DTYPES)}
    keep, drop, reasons = [], [], Counter()
    for item in items:
        values = _param_values(item)
        selected = all(not wanted[k] or values[k] is None or values[k] in wanted[k] for k in wanted)
        reason = _kind_not_run(profile, item) if selected else None
        reasons.update([reason] if reason else [])
        (keep if selected and not reason else drop).append(item)
    collector.deselected = dict(reasons)
    if _is_worker(config):
        config.workeroutput[DESELECTED_KEY] = dict(reasons)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = speed.longest_first(keep)


@pytest.fixture
def parity_report(request: pytest.FixtureRequest) -> ReportCollector:
    """The collector that comparison tests hand their rows to."""
    return request.config.stash[collector_key]


class WorkerRows:
    """xdist worker: attach the rows each test recorded to its report, which goes to the controller."""

    def __init__(self, collector: ReportCollector) -> None:
        self.collector = collector

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        """Rows added during this phase of the test ride on its report."""
        report = yield
        rows, trajectories = self.collector.take_unsent()
        if rows or trajectories:
            setattr(report, ROWS_ATTR, speed.pack_rows(rows, trajectories))
        return report


class ControllerRows:
    """xdist controller: keep the rows that arrive with each test report, as the tests finish."""

    def __init__(self, collector: ReportCollector) -> None:
        self.collector = collector

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Rows a worker sent with this report (none in a run without workers: tests add them directly)."""
        rows, trajectories = speed.unpack_rows(getattr(report, ROWS_ATTR, ((), ())))
        self.collector.rows.extend(rows)
        self.collector.trajectories.extend(trajectories)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        """xdist: the tests a worker deselected by kind (every worker collects the same tests)."""
        deselected = getattr(node, "workeroutput", {}).get(DESELECTED_KEY)
        if deselected is not None:
            self.collector.deselected = dict(deselected)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write every report file once, atomically, with Ctrl-C/SIGTERM held off until they are all written."""
    config = session.config
    if _is_worker(config):
        return
    collector = config.stash[collector_key]
    collector.partial = exitstatus == pytest.ExitCode.INTERRUPTED or bool(
        session.shouldfail or session.shouldstop)
    speed.bound_cache(config, collector.settings.cache)  # the workers are done writing
    if not collector.rows:
        return
    workers = getattr(config.option, "numprocesses", None)
    try:
        with deferred_signals():
            settings = collector.settings
            collector.failed_proofs = write_reports(collector.rows, collector.report_dir, {
                "command": " ".join(sys.argv), "workers": workers or 0, "partial": collector.partial,
                "seed_offset": settings.seed_offset, "full": settings.full,
                "implementation": {"spec": settings.implementation,
                                   "label": implementation_label(settings.implementation)},
            }, trajectories=collector.trajectories, known=collector.known_differences)
        if collector.failed_proofs:  # a known difference whose proof case did not agree fails the run
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    except OSError as exc:
        collector.write_error = f"cannot write the report to {collector.report_dir}: {exc}"
        print(f"nn-parity: error: {collector.write_error}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


def deselection_lines(deselected: dict[str, int]) -> list[str]:
    """'nn-parity: N comparison tests deselected: <reason>' per reason, for the terminal."""
    return [f"nn-parity: {count} comparison test{'s' * (count != 1)} deselected: {reason}"
            for reason, count in sorted(deselected.items())]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    collector = config.stash[collector_key]
    if _is_worker(config):
        return
    if not collector.rows:
        for line in deselection_lines(collector.deselected):
            terminalreporter.write_line(line)
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            terminalreporter.write_line(f"nn-parity: no comparison finished before the interruption; nothing "
                                        f"written, {collector.report_dir}/ is as it was")
        return
    counts = status_counts(collector.rows)
    terminalreporter.section("nn-parity agreement")
    terminalreporter.write_line(
        f"{len(collector.rows)} rows: "
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        + f"; worst error/tolerance ratio of the agreeing rows {worst_ratio(collector.rows):.3g}"
    )
    for line in deselection_lines(collector.deselected):
        terminalreporter.write_line(line)
    for line in collector.failed_proofs:
        terminalreporter.write_line(f"FAILED known-difference proof: {line}", red=True)
    if collector.write_error:
        terminalreporter.write_line(f"NOT written: {collector.write_error}", red=True)
    elif collector.partial:
        terminalreporter.write_line(f"PARTIAL report (the run was interrupted) written to "
                                    f"{collector.report_dir}/", yellow=True)
    else:
        terminalreporter.write_line(f"reports written to {collector.report_dir}/")
