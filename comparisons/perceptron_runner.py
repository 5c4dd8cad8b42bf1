"""Perceptron cases: identical data and initial weights, weight and bias compared after every epoch.

sklearn float32: Perceptron keeps coef_ in float32 but its intercept_ and the margin w.x + b in
float64 (sklearn _plain_sgd32 holds the intercept as a C double); scratch float32 does all of it
in float32. The float32 rows therefore compare a float32 bias with a float64 one, within the
float32 step tolerance.
"""

from __future__ import annotations

import time

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.cases import Case
from comparisons.known_differences import KnownDifference
from comparisons.runner import CaseOutcome, base_row, describe, finish, make_row, status_row


def perceptron_data(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """(x float64 (N, 2), y int64 (N,) in {0, 1}) of a named linearly separable set, in a fixed order."""
    from scratch import datasets

    if dataset in ("and", "or"):
        return {"and": datasets.and_gate, "or": datasets.or_gate}[dataset]()
    from sklearn.datasets import load_iris, make_blobs

    if dataset == "blobs":
        x, y = make_blobs(n_samples=60, centers=2, n_features=2, random_state=2)
        return x, y.astype(np.int64)
    iris = load_iris()
    setosa_or_versicolor = iris.target < 2
    x, y = iris.data[setosa_or_versicolor][:, :2], iris.target[setosa_or_versicolor].astype(np.int64)
    if dataset == "iris_standardized":
        x = (x - x.mean(axis=0)) / x.std(axis=0)  # (x - mean) / std over the 100 points
    return x, y


def initial_params(init: str, n_features: int, seed: int) -> dict[str, np.ndarray]:
    """Non-zero w, b = 0.5*N(0, 1) from default_rng(seed), or zeros (sklearn's own default)."""
    if init == "zeros":
        return {"0.weight": np.zeros(n_features), "0.bias": np.zeros(1)}
    rng = np.random.default_rng(seed)
    return {"0.weight": 0.5 * rng.standard_normal(n_features), "0.bias": 0.5 * rng.standard_normal(1)}


def compare_perceptron(case: Case, framework: str, dtype: str,
                       known: list[KnownDifference] = ()) -> CaseOutcome:
    """param_after_step rows for '0.weight' and '0.bias' at every epoch (the step column)."""
    adapter, scratch = get_adapter(framework), get_adapter("scratch")
    base = base_row(case, framework, dtype, "")
    started = time.perf_counter()
    options = case.options
    x64, y = perceptron_data(options["dataset"])
    x = x64.astype(dtype)
    params = {k: v.astype(dtype) for k, v in initial_params(options["init"], x.shape[1], case.seed).items()}
    spec = {"lr": options["lr"], "epochs": options["epochs"]}
    runs = {}
    for who, who_spec in ((framework, spec),
                          ("scratch", {**spec, "update_on_zero_margin": options["update_on_zero_margin"]})):
        try:
            if who == framework:
                base["framework_version"] = adapter.version()
            runs[who] = (adapter if who == framework else scratch).run_perceptron(who_spec, x, y, params)
        except Exception as exc:  # noqa: BLE001 - a fault on either side becomes a crash row
            return finish(CaseOutcome([status_row(base, "crash", describe(who, exc))]),
                          case, framework, dtype, known, started)
    reference, mine = runs[framework], runs["scratch"]
    if len(mine) != len(reference):
        reason = f"scratch recorded {len(mine)} epochs, {framework} {len(reference)}"
        return finish(CaseOutcome([status_row(base, "failed", reason)]), case, framework, dtype,
                      known, started)
    rows = [make_row({**base, "step": epoch}, "param_after_step", key, mine_epoch[key], expected)
            for epoch, (mine_epoch, ref_epoch) in enumerate(zip(mine, reference, strict=True), start=1)
            for key, expected in ref_epoch.items()]
    return finish(CaseOutcome(rows), case, framework, dtype, known, started)
