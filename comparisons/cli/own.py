"""Sub-commands for checking your own network: `list` (what would run for an --impl, and why not) and
`new-adapter` (write an adapter template to start from)."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from comparisons.adapters import SpecError, frameworks_for, get_adapter
from comparisons.cases import all_cases
from comparisons.cli.common import CliError
from comparisons.core.rows import CaseRun
from comparisons.core.settings import RunSettings
from comparisons.kinds.dispatch import unavailable

TEMPLATE = Path(__file__).resolve().parent.parent / "adapters" / "template_adapter.py"


def case_plan(spec: str) -> list[tuple[str, str, str]]:
    """(test id prefix '<case>-<framework>', 'run' or 'skip', reason) of every case for an implementation.

    A case of a kind the implementation does not run is 'skip' with that reason (a run deselects it);
    one that runs in some of its dtypes only is 'run', the reason naming the dtypes skipped and why.
    """
    settings = RunSettings(implementation=spec)
    plan = []
    for case in all_cases():
        for framework in frameworks_for(case):
            reasons = {dtype: unavailable(CaseRun(case, framework, dtype, settings=settings))
                       for dtype in case.dtypes}
            skipped = {dtype: reason for dtype, reason in reasons.items() if reason}
            if len(skipped) == len(reasons):
                plan.append((f"{case.id}-{framework}", "skip", next(iter(skipped.values()))))
            else:
                plan.append((f"{case.id}-{framework}", "run",
                             "; ".join(f"{dtype} skipped: {reason}" for dtype, reason in skipped.items())))
    return plan


def command_list(args: argparse.Namespace) -> int:
    """Print every case x framework with 'run' or 'skip' and the reason, then the totals."""
    try:
        get_adapter(args.impl)
    except SpecError as exc:
        raise CliError(str(exc)) from None
    plan = case_plan(args.impl)
    width = max(len(name) for name, _, _ in plan)
    for name, verdict, reason in plan:
        print(f"{verdict:4}  {name:{width}}  {reason}".rstrip())
    counts = Counter(verdict for _, verdict, _ in plan)
    print(f"{args.impl}: {counts['run']} case x framework pairs would run (each in its dtypes), "
          f"{counts['skip']} skipped; a run deselects the cases of kinds it does not run")
    return 0


def command_new_adapter(args: argparse.Namespace) -> int:
    """Copy the adapter template to PATH (never over an existing file) and say what to do next."""
    path: Path = args.path
    if path.suffix != ".py":
        raise CliError(f"{path}: the adapter must be a .py file")
    if path.exists():
        raise CliError(f"{path} exists; choose another path (nothing was written)")
    if not path.parent.is_dir():
        raise CliError(f"{path.parent} is not a folder (nothing was written)")
    path.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {path}: a working adapter around a tiny example network. Replace the example classes\n"
          f"with yours (or import them), declare what they support in PROFILE, then run\n"
          f"  nn-parity list --impl {path}\n  nn-parity run --impl {path} -k mlp_spiral")
    return 0
