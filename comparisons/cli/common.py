"""What every nn-parity sub-command shares: its error type, argument parsers, report loading, console."""

from __future__ import annotations

import argparse
import importlib.util
import os
from pathlib import Path

NEEDS = {"run": ("pytest", "pandas", "matplotlib", "PIL", "rich"), "summary": ("pandas", "rich"),
         "explain": ("pandas", "rich"), "env": ("rich",), "render": ("pandas", "matplotlib", "PIL", "rich"),
         "list": (), "new-adapter": (), "cache": ()}


class CliError(Exception):
    """Bad input, a missing report or a missing dependency: one message, exit status 2."""


def choices(known: tuple[str, ...], what: str):
    """An argparse type: a comma list of names, each one of `known`."""

    def parse(text: str) -> str:
        values = [v.strip() for v in text.split(",") if v.strip()]
        unknown = [v for v in values if v not in known]
        if unknown or not values:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(map(repr, unknown)) or repr(text)}; known: {', '.join(known)}")
        return ",".join(values)
    return parse


def workers(text: str) -> str:
    """An argparse type: pytest-xdist workers, a number or 'auto'."""
    if text != "auto" and not (text.isdigit()):
        raise argparse.ArgumentTypeError(f"workers must be a number or 'auto', not {text!r}")
    return text


def offset(text: str) -> int:
    """An argparse type: a seed offset, a whole number >= 0."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"seed offset must be a whole number >= 0, not {text!r}")
    return int(text)


def require(modules: tuple[str, ...], command: str) -> None:
    """CliError naming the packages a sub-command needs and this environment lacks."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise CliError(f"`nn-parity {command}` needs {', '.join(missing)}; install them with "
                       "pip install -e '.[cli]' -c constraints.txt")


def load(directory: Path):
    """The report files of a folder, read back; CliError when they cannot be."""
    from comparisons.render.markdown import ReportError, load_reports

    try:
        return load_reports(directory)
    except ReportError as exc:
        raise CliError(str(exc)) from None


def terminal_console():
    """Standard output; wide enough for the tables when it is a file or a pipe, not a terminal."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=160)
    return console


