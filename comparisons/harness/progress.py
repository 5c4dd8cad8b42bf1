"""A pytest plugin object for `nn-parity run`: a rich progress bar, failed test ids, the row count."""

from __future__ import annotations

import io

import pytest
from _pytest._io import TerminalWriter
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from comparisons.harness.plugin import collector_key, deselection_lines


class ProgressPlugin:
    """Hooks on the controlling pytest process (also under xdist): progress, failures, rows recorded."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.fields[now]}", markup=False), console=console)
        self.task = self.progress.add_task("collecting", total=None, now="")
        self.failures: dict[str, str] = {}
        self.collect_errors: list[str] = []
        self.rows = 0
        self.write_error: str | None = None  # the report plugin's, when it could not write the files
        self.transcript = io.StringIO()
        self.suites: list[str] = []
        self.deselected: list[str] = []  # one line per reason comparisons were deselected (a kind not run)

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        """Send pytest's own terminal output to a transcript: the bar and the summary replace it."""
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter._tw = TerminalWriter(self.transcript)  # NOTE: pytest has no public switch for this

    @property
    def failed_nodeids(self) -> list[str]:
        """Test ids with a failed setup, call or teardown, in the order they failed."""
        return list(self.failures)

    def failure_text(self, nodeid: str) -> str:
        """pytest's report of a failed test (its last 40 lines)."""
        return "\n".join(self.failures.get(nodeid, "").splitlines()[-40:])

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Show the bar while the test modules (and frameworks) import."""
        self.progress.start()

    def _set_total(self, total: int) -> None:
        if self.progress.tasks[0].total is None:
            self.progress.update(self.task, total=total, description="comparing")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Keep collection errors: without the terminal reporter nobody else prints them."""
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}\n{report.longreprtext}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Before any deselection: the suites there are, for a 'nothing matched' message."""
        cases = (getattr(item, "callspec", None) and item.callspec.params.get("case") for item in items)
        self.suites = sorted({case.suite for case in cases if hasattr(case, "suite")})

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Without xdist: the selected tests are known here."""
        self._set_total(len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids: list[str]) -> None:
        """With xdist: every worker reports the same selected ids."""
        self._set_total(len(ids))

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """Name the test now running next to the bar."""
        self.progress.update(self.task, now=nodeid.rsplit("::", 1)[-1])

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Remember failed tests and what pytest said about them."""
        if report.failed:
            self.failures.setdefault(report.nodeid, report.longreprtext)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        """One test done."""
        self.progress.advance(self.task)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Stop the bar; count the rows the report plugin collected (and has just written)."""
        self.progress.update(self.task, now="", description="done")
        self.progress.stop()
        self.console.file.flush()
        collector = session.config.stash.get(collector_key, None)
        self.rows = len(collector.rows) if collector is not None else 0
        self.write_error = collector.write_error if collector is not None else None
        self.deselected = deselection_lines(collector.deselected) if collector is not None else []

    def pytest_unconfigure(self) -> None:
        """Never leave a live display behind (usage errors end the session early)."""
        self.progress.stop()
