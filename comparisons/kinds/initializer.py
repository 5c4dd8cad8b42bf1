"""Initializer cases: distribution statistics of a seeded scratch draw vs a seeded framework draw.

No random stream can be matched element by element, so each draw (n values) is summarised and
the summaries compared, with tolerances from sampling theory (comparisons.core.tolerances
statistic_tolerance): mean, std, min and max (only for bounded draws: uniform, 2-std truncated
normal, constant), and the two-sample Kolmogorov-Smirnov distance, which passes when p >= alpha.
An unbounded normal's extremes wander by ~0.4 std between draws (Gumbel scale
std/sqrt(2 ln n)), so for it the KS row checks the tails instead of min/max.
Every draw is seeded (default_rng(seed), torch.Generator().manual_seed(seed), Keras seed=seed):
two runs give identical rows.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np

from comparisons.adapters import get_adapter, profile
from comparisons.adapters.cache import case_adapter
from comparisons.core.rows import CaseOutcome, CaseRun, make_row, status_row
from comparisons.core.tolerances import KS_ALPHA, statistic_tolerance

VARIANCE_SCALING_NORMALS = ("glorot_normal", "he_normal", "lecun_normal")

_PHI_2 = math.exp(-2.0) / math.sqrt(2 * math.pi)  # N(0,1) density at the 2-std cut
_MASS_2 = math.erf(2 / math.sqrt(2))  # P(|z| <= 2)
_TRUNCATED_STD = math.sqrt(1 - 4 * _PHI_2 / _MASS_2)  # std of N(0,1) cut to [-2, 2]: 0.8796
EDGE_DENSITY = {  # density at the bound, times the draw's std
    "uniform": 1 / math.sqrt(12),  # U(a, b): 1/(b - a), std (b - a)/sqrt(12)
    "truncated_normal": _PHI_2 / _MASS_2 * _TRUNCATED_STD,  # 0.0498
}
BOUNDED = ("constant", "uniform", "truncated_normal")


def statistic_rows(base: dict, prefix: str, mine: np.ndarray, reference: np.ndarray,
                   family: str) -> list[dict]:
    """mean, std, (min, max,) ks_statistic rows of scratch's draw against the framework's."""
    if mine.shape != reference.shape or mine.dtype != reference.dtype:
        reason = (f"scratch drew {mine.shape} {mine.dtype}, framework {reference.shape} "
                  f"{reference.dtype}")
        return [{**status_row(base, "failed", reason), "quantity": "metric", "tensor": prefix + "draw"}]
    from scipy.stats import ks_2samp

    a, r = mine.astype(np.float64).ravel(), reference.astype(np.float64).ravel()
    n, sigma, dtype = r.size, float(r.std()), base["dtype"]
    edge = EDGE_DENSITY.get(family, 1.0) / sigma if sigma > 0 else None
    stats = {"mean": np.mean, "std": np.std}
    if family in BOUNDED:
        stats.update(min=np.min, max=np.max)
    rows = [make_row(base, "metric", prefix + name, f(a), f(r),
                     statistic_tolerance(dtype, name, n, sigma, edge), harness=True)
            for name, f in stats.items()]
    ks = ks_2samp(a, r, method="asymp")
    row = make_row(base, "metric", prefix + "ks_statistic", float(ks.statistic), 0.0,
                   statistic_tolerance(dtype, "ks_statistic", n, sigma), harness=True)
    row["reason"] = f"KS p = {ks.pvalue:.3g} (passes at p >= {KS_ALPHA:g})" + (
        f"; {row['reason']}" if row["reason"] else "")
    rows.append(row)
    for row in rows:
        row["shape"] = str(mine.shape)  # the draw's shape: n = its size
    return rows


def _draw(who: str, run: CaseRun) -> dict[str, np.ndarray]:
    """Draws of `who` (framework or implementation): {'0.weight': array}, and '0.bias' for defaults."""
    case, options = run.case, run.case.options
    adapter = case_adapter(run) if who == run.framework else get_adapter(who)
    if options.get("defaults"):
        return adapter.default_dense_params(*options["shape"], run.dtype, case.seed)
    if who == run.implementation:
        spec = implementation_spec(case, run.framework)
    else:
        spec = {"initializer": options["framework_initializer"], "options": options["hyper"]}
    return {"0.weight": adapter.draw_initializer(spec, options["shape"], run.dtype, case.seed)}


def implementation_spec(case, framework: str) -> dict:
    """What the implementation under test draws: the case's initializer and hyperparameters, plus the
    case's own scratch_options, else the framework's truncation (docs/conventions.md §2)."""
    options, given = case.options, case.options.get("scratch_options")
    own = truncation_options(options["framework_initializer"], framework) if given is None else given
    planted = {"scratch_variant": options["scratch_variant"]} if options.get("scratch_variant") else {}
    return {"initializer": options["initializer"], "options": {**options["hyper"], **own}, **planted}


def truncation_options(name: str, framework: str) -> dict:
    """Scratch's `truncated` option for a variance-scaling or plain normal: as the framework draws it."""
    if name == "truncated_normal":
        return {"truncated": True}
    if name in VARIANCE_SCALING_NORMALS or name == "normal":
        return {"truncated": name in profile(framework).truncated_initializers}
    return {}


def family(name: str, framework: str) -> str:
    """The framework draw's distribution: constant, uniform, normal or truncated_normal (2 std cut)."""
    if name in ("zeros", "constant"):
        return "constant"
    if name.endswith("uniform"):
        return "uniform"
    if name == "truncated_normal" or name in profile(framework).truncated_initializers:
        return "truncated_normal"
    return "normal"


def compare_initializer(run: CaseRun) -> CaseOutcome:
    """Seeded draws on both sides; every statistic of every drawn tensor becomes a 'metric' row."""
    if importlib.util.find_spec("scipy") is None:
        reason = "scipy is not installed (pip install 'nn-parity[sklearn]' -c constraints.txt)"
        return CaseOutcome([run.status_row("skipped", reason)])
    draws = {}
    for who in (run.framework, run.implementation):
        try:
            if who == run.framework:
                run.version = case_adapter(run).version()
            draws[who] = _draw(who, run)
        except Exception as exc:  # noqa: BLE001 - a fault on either side becomes a crash row
            return run.crash(who, exc)
    reference, mine = draws[run.framework], draws[run.implementation]
    options, rows = run.case.options, []
    for name, expected in reference.items():
        if options.get("defaults"):
            family_name = profile(run.framework).default_dense_init[name]
        else:
            family_name = family(options["framework_initializer"], run.framework)
        rows += statistic_rows(run.base(), f"{name}.", np.asarray(mine[name]), np.asarray(expected),
                               family_name)
    return run.finish(CaseOutcome(rows))
