"""The nn-parity command line: run the comparisons with a progress bar, summarize, explain, show env."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

from comparisons.core.determinism import configure_environment

configure_environment()  # NOTE: before anything imports numpy, as the pytest plugin does

from comparisons.adapters import reference_frameworks  # noqa: E402
from comparisons.core.case import DTYPES  # noqa: E402
from comparisons.core.known_differences import KnownDifferencesError, load_known_differences  # noqa: E402
from comparisons.report.files import environment, report_dir_problem  # noqa: E402

COMPARISONS_DIR = Path(__file__).resolve().parent
NEEDS = {"run": ("pytest", "pandas", "matplotlib", "PIL", "rich"), "summary": ("pandas", "rich"),
         "explain": ("pandas", "rich"), "env": ("rich",), "render": ("pandas", "matplotlib", "PIL", "rich")}


class CliError(Exception):
    """Bad input, a missing report or a missing dependency: one message, exit status 2."""


def _choices(known: tuple[str, ...], what: str):
    def parse(text: str) -> str:
        values = [v.strip() for v in text.split(",") if v.strip()]
        unknown = [v for v in values if v not in known]
        if unknown or not values:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(map(repr, unknown)) or repr(text)}; known: {', '.join(known)}")
        return ",".join(values)
    return parse


def _workers(text: str) -> str:
    if text != "auto" and not (text.isdigit()):
        raise argparse.ArgumentTypeError(f"workers must be a number or 'auto', not {text!r}")
    return text


def _offset(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"seed offset must be a whole number >= 0, not {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """Sub-commands run, summary, explain, env, render."""
    parser = argparse.ArgumentParser(prog="nn-parity", description="Compare scratch/ with PyTorch and "
                                     "TensorFlow, tensor by tensor, and read the reports.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the comparisons (pytest comparisons/) with a progress bar")
    run.add_argument("-k", dest="keyword", metavar="EXPR",
                     help="pytest -k expression on the test ids '<case>-<framework>-<dtype>'")
    run.add_argument("--framework", type=_choices(reference_frameworks(), "framework"), help="comma list")
    run.add_argument("--dtype", type=_choices(DTYPES, "dtype"), help="comma list")
    run.add_argument("--suite", help="comma list of case suites (e.g. model)")
    run.add_argument("--report-dir", type=Path, default=Path("reports"), help="default: reports")
    run.add_argument("-n", dest="workers", type=_workers, default="0",
                     help="pytest-xdist workers, a number or 'auto' (default 0: this process)")
    run.add_argument("--full", action="store_true",
                     help="full-length training projects (make report); default: the short versions")
    run.add_argument("--no-render", action="store_true", help="write the CSV files only, no summary.md/plots")
    run.add_argument("--seed-offset", type=_offset, default=0, metavar="N",
                     help="add N to every case's seed: other data, the same agreement expected (default 0)")
    run.add_argument("--known-differences", metavar="FILE",
                     help="known-differences CSV (default: $NN_PARITY_KNOWN_DIFFERENCES, else bundled)")
    summary = sub.add_parser("summary", help="print the summary table of existing report files")
    summary.add_argument("report_dir", nargs="?", type=Path, default=Path("reports"))
    explain = sub.add_parser("explain", help="worst rows, first divergence, tolerances and rerun of a case")
    explain.add_argument("case", help="a case id of agreement.csv, or '<case>-<framework>-<dtype>'")
    explain.add_argument("--report-dir", type=Path, default=Path("reports"))
    explain.add_argument("--top", type=int, default=8, help="how many worst rows to show (default 8)")
    env = sub.add_parser("env", help="versions, CPU, threads and determinism settings")
    env.add_argument("--report-dir", type=Path, help="show the environment.json recorded there instead")
    render = sub.add_parser("render", help="(re)draw summary.md and the plots from the CSV files")
    render.add_argument("report_dir", nargs="?", type=Path, default=Path("reports"))
    return parser


def _require(modules: tuple[str, ...], command: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise CliError(f"`nn-parity {command}` needs {', '.join(missing)}; install them with "
                       "pip install -e '.[cli]' -c constraints.txt")


def _load(directory: Path):
    from comparisons.render.markdown import ReportError, load_reports

    try:
        return load_reports(directory)
    except ReportError as exc:
        raise CliError(str(exc)) from None


def _console():
    """Standard output; wide enough for the tables when it is a file or a pipe, not a terminal."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=160)
    return console


def unexplained_failures(failed_nodeids: list[str], summary) -> list[str]:
    """Failed pytest tests that no problem group accounts for (a control caught at the wrong tensor, ...)."""
    from comparisons.render.markdown import PROBLEMS, param_id

    explained = {f"[{param_id(g)}]" for g in summary.to_dict("records") if g["verdict"] in PROBLEMS}
    return [n for n in failed_nodeids if not any(n.endswith(e) for e in explained)]


def run_exit_code(summary, unexplained: list[str]) -> int:
    """1 when a group has a problem or a test failed for another reason; else 0."""
    from comparisons.render.terminal import problems

    return 1 if problems(summary) or unexplained else 0


def _pytest_args(args: argparse.Namespace, report_dir: Path) -> list[str]:
    pytest_args = [str(COMPARISONS_DIR), "-p", "no:cacheprovider",
                   "--report-dir", str(report_dir)]
    for option, value in (("-k", args.keyword), ("--framework", args.framework), ("--dtype", args.dtype),
                          ("--suite", args.suite), ("--known-differences", args.known_differences)):
        if value:
            pytest_args += [option, value]
    if args.full:
        pytest_args.append("--full")
    if args.seed_offset:
        pytest_args += ["--seed-offset", str(args.seed_offset)]
    if args.workers != "0":
        _require(("xdist",), "run -n")
        pytest_args += ["-n", args.workers]
    return pytest_args


def _selection(args: argparse.Namespace) -> str:
    parts = [f"{name} {value!r}" for name, value in (("-k", args.keyword), ("--framework", args.framework),
                                                      ("--dtype", args.dtype), ("--suite", args.suite))
             if value]
    return " ".join(parts) or "(no filter: comparisons/ holds no case)"


def _progress_console():
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
    try:
        load_known_differences()  # a malformed file is the user's to fix: say so before anything runs
    except KnownDifferencesError as exc:
        raise CliError(str(exc)) from None
    plugin = ProgressPlugin(_progress_console())
    code = pytest.main(_pytest_args(args, report_dir), plugins=[plugin])
    console = _console()
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
        return 1 if code in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) else int(code)
    reports = _load(report_dir)
    if not args.no_render:
        _render(reports, console)
    print_summary(console, reports)
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


def _render(reports, console) -> None:
    """Draw the plots (in parallel processes) and summary.md from the report files read once."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from comparisons.render.markdown import write_summary_md
    from comparisons.render.plots import default_workers, write_plots

    with Progress(TextColumn("drawing plots"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[now]}", markup=False), console=_progress_console(),
                  transient=True) as bar:
        task = bar.add_task("plots", total=None, now="")
        plots = write_plots(reports, lambda total, name: bar.update(task, total=total, advance=1, now=name),
                            workers=default_workers())
    summary_md = write_summary_md(reports)
    console.print(f"wrote {summary_md} and {len(plots)} plots")


def command_summary(args: argparse.Namespace) -> int:
    """Print the summary table of the report files in a folder."""
    from comparisons.render.terminal import print_summary

    print_summary(_console(), _load(args.report_dir))
    return 0


def command_explain(args: argparse.Namespace) -> int:
    """Worst rows, first divergences, tolerances with reasons, rerun commands of one case."""
    from comparisons.render.explain import explain

    reports = _load(args.report_dir)
    try:
        explain(_console(), reports, args.case, args.top)
    except KeyError as exc:
        raise CliError(exc.args[0]) from None
    return 0


def command_env(args: argparse.Namespace) -> int:
    """Versions, CPU, threads and determinism settings: of this machine, or as recorded in a report."""
    from rich.table import Table

    if args.report_dir is not None:
        path = args.report_dir / "environment.json"
        if not path.is_file():
            raise CliError(f"{path} does not exist")
        env, title = json.loads(path.read_text(encoding="utf-8")), f"environment recorded in {path}"
    else:
        env, title = environment([]), "environment of this process (as the harness sets it)"
        for key in ("seeds", "cases", "rows", "known_differences_unmatched"):  # facts of a run, not here
            env.pop(key, None)
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in env.items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for sub, item in items:
            table.add_row(f"{key}.{sub}" if sub else key, str(item))
    _console().print(table)
    return 0


def command_render(args: argparse.Namespace) -> int:
    """Redraw summary.md and the plots of a report folder from its CSV files."""
    _render(_load(args.report_dir), _console())
    return 0


COMMANDS = {"run": command_run, "summary": command_summary, "explain": command_explain,
            "env": command_env, "render": command_render}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the nn-parity console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        _require(NEEDS[args.command], args.command)
        return COMMANDS[args.command](args)
    except CliError as exc:
        print(f"nn-parity {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nn-parity: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
