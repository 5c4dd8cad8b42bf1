"""Sub-commands that read a report folder or this machine: summary, explain, env, render."""

from __future__ import annotations

import argparse
import json

from comparisons.cli.common import CliError, load, terminal_console
from comparisons.cli.run import render
from comparisons.report.files import environment


def command_summary(args: argparse.Namespace) -> int:
    """Print the summary table of the report files in a folder."""
    from comparisons.render.terminal import print_summary

    print_summary(terminal_console(), load(args.report_dir))
    return 0


def command_explain(args: argparse.Namespace) -> int:
    """Worst rows, first divergences, tolerances with reasons, rerun commands of one case."""
    from comparisons.render.explain import explain

    reports = load(args.report_dir)
    try:
        explain(terminal_console(), reports, args.case, args.top)
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
    terminal_console().print(table)
    return 0


def command_render(args: argparse.Namespace) -> int:
    """Redraw summary.md and the plots of a report folder from its CSV files."""
    render(load(args.report_dir), terminal_console())
    return 0


