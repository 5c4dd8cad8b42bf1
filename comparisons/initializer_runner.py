"""Initializer cases: distribution statistics of a seeded scratch draw vs a seeded framework draw.

No random stream can be matched element by element, so each draw (n values) is summarised and
the summaries compared, with tolerances from sampling theory (comparisons.tolerances
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
import time

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.cases import Case
from comparisons.known_differences import KnownDifference
from comparisons.runner import CaseOutcome, base_row, describe, finish, make_row, status_row
from comparisons.tolerances import KS_ALPHA, statistic_tolerance

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
                     statistic_tolerance(dtype, name, n, sigma, edge)) for name, f in stats.items()]
    ks = ks_2samp(a, r, method="asymp")
    row = make_row(base, "metric", prefix + "ks_statistic", float(ks.statistic), 0.0,
                   statistic_tolerance(dtype, "ks_statistic", n, sigma))
    row["reason"] = f"KS p = {ks.pvalue:.3g} (passes at p >= {KS_ALPHA:g})" + (
        f"; {row['reason']}" if row["reason"] else "")
    rows.append(row)
    for row in rows:
        row["shape"] = str(mine.shape)  # the draw's shape: n = its size
    return rows


def _draw(who: str, case: Case, framework: str, dtype: str) -> dict[str, np.ndarray]:
    """Draws of `who` (the framework or 'scratch'): {'0.weight': array}, and '0.bias' for defaults."""
    options, adapter = case.options, get_adapter(who)
    if options.get("defaults"):
        return adapter.default_dense_params(*options["shape"], dtype, case.seed)
    if who == "scratch":
        spec = {"initializer": options["initializer"],
                "options": {**options["hyper"], **options["scratch_options"].get(framework, {})}}
    else:
        spec = {"initializer": options["framework_initializer"], "options": options["hyper"]}
    return {"0.weight": adapter.draw_initializer(spec, options["shape"], dtype, case.seed)}


def compare_initializer(case: Case, framework: str, dtype: str,
                        known: list[KnownDifference] = ()) -> CaseOutcome:
    """Seeded draws on both sides; every statistic of every drawn tensor becomes a 'metric' row."""
    base = base_row(case, framework, dtype, "")
    if importlib.util.find_spec("scipy") is None:
        reason = "scipy is not installed (pip install 'nn-parity[sklearn]' -c constraints.txt)"
        return CaseOutcome([status_row(base, "skipped", reason)])
    started = time.perf_counter()
    draws = {}
    for who in (framework, "scratch"):
        try:
            if who == framework:
                base["framework_version"] = get_adapter(framework).version()
            draws[who] = _draw(who, case, framework, dtype)
        except Exception as exc:  # noqa: BLE001 - a fault on either side becomes a crash row
            return finish(CaseOutcome([status_row(base, "crash", describe(who, exc))]),
                          case, framework, dtype, known, started)
    reference, mine = draws[framework], draws["scratch"]
    families = case.options["family"][framework]
    rows = []
    for name, expected in reference.items():
        family = families[name] if isinstance(families, dict) else families
        rows += statistic_rows(base, f"{name}.", np.asarray(mine[name]), np.asarray(expected), family)
    return finish(CaseOutcome(rows), case, framework, dtype, known, started)
