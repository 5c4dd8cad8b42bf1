"""Perceptron cases: identical data and initial weights, weight and bias compared after every epoch.

sklearn float32: Perceptron keeps coef_ in float32 but its intercept_ and the margin w.x + b in
float64 (sklearn _plain_sgd32 holds the intercept as a C double); scratch float32 does all of it
in float32. The float32 rows therefore compare a float32 bias with a float64 one, within the
float32 step tolerance.
"""

from __future__ import annotations

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.adapters.cache import case_adapter
from comparisons.core.hints import add_step_hints
from comparisons.core.rows import CaseOutcome, CaseRun
from scratch import datasets


def perceptron_data(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """(x float64 (N, 2), y int64 (N,) in {0, 1}) of a named linearly separable set, in a fixed order."""
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


def compare_perceptron(run: CaseRun) -> CaseOutcome:
    """param_after_step rows for '0.weight' and '0.bias' at every epoch (the step column)."""
    case, framework, options = run.case, run.framework, run.case.options
    x64, y = perceptron_data(options["dataset"])
    x = x64.astype(run.dtype)
    params = initial_params(options["init"], x.shape[1], case.seed)
    params = {k: v.astype(run.dtype) for k, v in params.items()}
    spec = {"lr": options["lr"], "epochs": options["epochs"]}
    runs = {}
    own_spec = {**spec, "update_on_zero_margin": options["update_on_zero_margin"]}
    for who, who_spec in ((framework, spec), (run.implementation, own_spec)):
        try:
            adapter = case_adapter(run) if who == framework else get_adapter(who)
            if who == framework:
                run.version = adapter.version()
            runs[who] = adapter.run_perceptron(who_spec, x, y, params)
        except Exception as exc:  # noqa: BLE001 - a fault on either side becomes a crash row
            return run.crash(who, exc)
    reference, mine = runs[framework], runs[run.implementation]
    if len(mine) != len(reference):
        reason = f"{run.implementation} recorded {len(mine)} epochs, {framework} {len(reference)}"
        return run.finish(CaseOutcome([run.status_row("failed", reason)]))
    rows = [row for epoch, (mine_epoch, ref_epoch) in enumerate(zip(mine, reference, strict=True), start=1)
            for row in run.rows("param_after_step", mine_epoch, ref_epoch, step=epoch)]
    add_step_hints(rows, [{}, *mine], [{}, *reference])  # epochs from 1
    return run.finish(CaseOutcome(rows))
