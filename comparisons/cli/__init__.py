"""The nn-parity command line: run the comparisons with a progress bar, summarize, explain, show env,
list what would run for an implementation, write an adapter template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from comparisons.core.determinism import configure_environment

configure_environment()  # NOTE: before anything imports numpy, as the pytest plugin does

from comparisons.adapters import reference_frameworks  # noqa: E402
from comparisons.adapters.specs import IMPL_HELP  # noqa: E402
from comparisons.cli.cache_commands import command_cache  # noqa: E402
from comparisons.cli.common import NEEDS, CliError, choices, offset, require, workers  # noqa: E402
from comparisons.cli.own import command_list, command_new_adapter  # noqa: E402
from comparisons.cli.reading import command_env, command_explain, command_render, command_summary  # noqa: E402
from comparisons.cli.run import command_run, pytest_args, run_exit_code, unexplained_failures  # noqa: E402
from comparisons.core.case import DTYPES  # noqa: E402

__all__ = ["build_parser", "main", "pytest_args", "run_exit_code", "unexplained_failures"]


def build_parser() -> argparse.ArgumentParser:
    """Sub-commands run, summary, explain, env, render, list, new-adapter, cache."""
    parser = argparse.ArgumentParser(prog="nn-parity", description="Compare a from-scratch NumPy network "
                                     "(the bundled scratch/ or your own) with PyTorch and TensorFlow, tensor "
                                     "by tensor, and read the reports.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the comparisons (pytest comparisons/) with a progress bar")
    run.add_argument("-k", dest="keyword", metavar="EXPR",
                     help="pytest -k expression on the test ids '<case>-<framework>-<dtype>'")
    run.add_argument("--framework", type=choices(reference_frameworks(), "framework"), help="comma list")
    run.add_argument("--dtype", type=choices(DTYPES, "dtype"), help="comma list")
    run.add_argument("--suite", help="comma list of case suites (e.g. model)")
    run.add_argument("--report-dir", type=Path, default=Path("reports"), help="default: reports")
    run.add_argument("-n", dest="workers", type=workers, default="0",
                     help="pytest-xdist workers, a number or 'auto' (default 0: this process)")
    run.add_argument("--full", action="store_true",
                     help="full-length training projects (make report); default: the short versions")
    run.add_argument("--no-render", action="store_true", help="write the CSV files only, no summary.md/plots")
    run.add_argument("--seed-offset", type=offset, default=0, metavar="N",
                     help="add N to every case's seed: other data, the same agreement expected (default 0)")
    run.add_argument("--impl", default="scratch", metavar="SPEC", help=IMPL_HELP)
    run.add_argument("--known-differences", metavar="FILE",
                     help="known-differences CSV (default: $NN_PARITY_KNOWN_DIFFERENCES, else bundled)")
    run.add_argument("--no-cache", action="store_true",
                     help="run every framework live: neither read nor write the reference cache")
    run.add_argument("--cache-dir", type=Path, metavar="DIR",
                     help="the reference cache's folder (default: $NN_PARITY_CACHE, else .nn-parity-cache)")
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
    listing = sub.add_parser("list", help="the cases, and which would run or be skipped for an --impl")
    listing.add_argument("--impl", default="scratch", metavar="SPEC",
                         help="default: scratch; as for run: nnfs:PATH.py, micrograd:PATH.py, PATH.py, "
                              "module:object")
    template = sub.add_parser("new-adapter", help="write an adapter template for your own network to PATH")
    template.add_argument("path", type=Path, help="the .py file to write (never overwritten)")
    cache = sub.add_parser("cache", help="the reference cache: where it is and what it holds, or clear it")
    cache.add_argument("action", choices=("info", "clear"))
    cache.add_argument("--cache-dir", type=Path, metavar="DIR",
                       help="default: $NN_PARITY_CACHE, else .nn-parity-cache in the checkout")
    return parser


COMMANDS = {"run": command_run, "summary": command_summary, "explain": command_explain,
            "env": command_env, "render": command_render, "list": command_list,
            "new-adapter": command_new_adapter, "cache": command_cache}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the nn-parity console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        require(NEEDS[args.command], args.command)
        return COMMANDS[args.command](args)
    except CliError as exc:
        print(f"nn-parity {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nn-parity: interrupted", file=sys.stderr)
        return 130
