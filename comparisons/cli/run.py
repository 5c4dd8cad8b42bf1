"""`nn-parity run`: pytest over comparisons/ with the report plugin and a progress bar, then the summary."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from comparisons.adapters import SpecError, get_adapter
from comparisons.cli.common import CliError, load, require, terminal_console
from comparisons.core.known_differences import KnownDifferencesError, load_known_differences
from comparisons.report.files import report_dir_problem

COMPARISONS_DIR = Path(__file__).resolve().parent.parent


def unexplained_failures(failed_nodeids: list[str], summary) -> list[str]:
    """Failed pytest tests that no problem group accounts for (a control caught at the wrong tensor, ...)."""
    from comparisons.render.markdown import PROBLEMS, param_id

    explained = {f"[{param_id(g)}]" for g in summary.to_dict("records") if g["verdict"] in PROBLEMS}
    return [n for n in failed_nodeids if not any(n.endswith(e) for e in explained)]


def run_exit_code(summary, unexplained: list[str]) -> int:
    """1 when a group has a problem or a test failed for another reason; else 0."""
    from comparisons.render.terminal import problems

    return 1 if problems(summary) or unexplained else 0


def pytest_args(args: argparse.Namespace, report_dir: Path) -> list[str]:
    """The pytest command line of `nn-parity run`: comparisons/, the report folder, the run's options."""
    # NOTE: hypothesis (used by tests/, not by comparisons/) would cost 0.3-0.8 s of plugin start-up
    arguments = [str(COMPARISONS_DIR), "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                   "--report-dir", str(report_dir)]
    for option, value in (("-k", args.keyword), ("--framework", args.framework), ("--dtype", args.dtype),
                          ("--suite", args.suite), ("--known-differences", args.known_differences),
                          ("--impl", args.impl if args.impl != "scratch" else None)):
        if value:
            arguments += [option, value]
    if args.full:
        arguments.append("--full")
    if args.no_cache:
        arguments.append("--no-cache")
    if args.cache_dir:
        arguments += ["--cache-dir", str(args.cache_dir)]
    if args.seed_offset:
        arguments += ["--seed-offset", str(args.seed_offset)]
    if args.workers != "0":
        require(("xdist",), "run -n")
        arguments += ["-n", args.workers]
    return arguments


def _selection(args: argparse.Namespace) -> str:
    parts = [f"{name} {value!r}" for name, value in (("-k", args.keyword), ("--framework", args.framework),
                                                      ("--dtype", args.dtype), ("--suite", args.suite))
             if value]
    return " ".join(parts) or "(no filter: comparisons/ holds no case)"


def progress_console():
    try:  # NOTE: a duplicate of stderr, so pytest's fd capture of each test does not swallow the bar
        stream = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)
    except (AttributeError, OSError, ValueError):
        stream = sys.stderr
    from rich.console import Console

    return Console(file=stream, highlight=False)


def command_run(args: argparse.Namespace) -> int:
    """pytest over comparisons/ with the report plugin and a progress bar; then the summary."""
    import pytest

    from comparisons.harness.progress import ProgressPlugin
    from comparisons.render.terminal import print_summary

    report_dir = args.report_dir.resolve()
    problem = report_dir_problem(args.report_dir)
    if problem:
        raise CliError(f"--report-dir: {problem}")
    try:  # a malformed file or a SPEC that does not resolve: say so before anything runs
        load_known_differences(args.known_differences and Path(args.known_differences))
        get_adapter(args.impl)
    except (KnownDifferencesError, SpecError) as exc:
        raise CliError(str(exc)) from None
    plugin = ProgressPlugin(progress_console())
    code = pytest.main(pytest_args(args, report_dir), plugins=[plugin])
    console = terminal_console()
    for error in plugin.collect_errors:
        console.print("[bold red]collection error[/]")
        console.print(error, markup=False)
    if code == pytest.ExitCode.USAGE_ERROR:
        return 2
    if plugin.write_error:
        raise CliError(plugin.write_error)
    if code == pytest.ExitCode.INTERRUPTED and plugin.rows == 0:
        print(f"nn-parity run: interrupted before any case finished; {args.report_dir} is as it was",
              file=sys.stderr)
        return 130
    if plugin.rows == 0:
        known = f" (suites: {', '.join(plugin.suites)})" if plugin.suites else ""
        print(f"nn-parity run: nothing matched {_selection(args)}{known}; no report written", file=sys.stderr)
        for line in plugin.deselected:
            print(line, file=sys.stderr)
        return 1 if code in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) else int(code)
    reports = load(report_dir)
    if not args.no_render:
        render(reports, console)
    print_summary(console, reports)
    for line in plugin.deselected:
        console.print(line, markup=False, style="dim")
    unexplained = unexplained_failures(plugin.failed_nodeids, reports.summary)
    for nodeid in unexplained:
        console.print("[bold red]FAILED[/]", nodeid, markup=True)
        console.print(plugin.failure_text(nodeid), markup=False)
    if code == pytest.ExitCode.INTERRUPTED:
        return 130  # print_summary said PARTIAL: environment.json has "partial": true
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        console.print(plugin.transcript.getvalue()[-4000:], markup=False)
        return int(code)
    return run_exit_code(reports.summary, unexplained)


def render(reports, console) -> None:
    """Draw the plots (in parallel processes; those drawn from the same files before are kept) and
    summary.md from the report files read once."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from comparisons.render.markdown import write_summary_md
    from comparisons.render.plots import default_workers, write_plots

    with Progress(TextColumn("drawing plots"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[now]}", markup=False), console=progress_console(),
                  transient=True) as bar:
        task = bar.add_task("plots", total=None, now="")
        plots = write_plots(reports, lambda total, name: bar.update(task, total=total, advance=1, now=name),
                            workers=default_workers(), reuse=True)
    summary_md = write_summary_md(reports)
    console.print(f"wrote {summary_md} and {len(plots)} plots")


