"""Perceptron cases: scratch.perceptron.Perceptron vs sklearn.linear_model.Perceptron, epoch by epoch.

sklearn's rule updates when y*(w.x + b) <= 0, INCLUDING margin 0 (docs/conventions.md §14); scratch follows
it with update_on_zero_margin=True. From random non-zero weights no margin is ever exactly 0, so
even the classic (y - y_hat) rule agrees; from zero weights (sklearn's default) the first sample
(0, 0) of a gate has margin 0: the *_zero_init cases check that scratch's sklearn rule updates
there too, and the classic rule differs (perceptron_classic_rule_zero_init, a known difference).
"""

from __future__ import annotations

from comparisons.core.case import Case

# case suffix -> (dataset, learning rate, epochs, initial weights, scratch update_on_zero_margin)
PERCEPTRON = {
    "and": ("and", 1.0, 8, "random", True),
    "or": ("or", 0.5, 8, "random", True),
    "iris": ("iris_standardized", 0.1, 10, "random", True),
    "iris_raw": ("iris_raw", 0.1, 30, "random", True),
    "blobs": ("blobs", 1.0, 8, "random", True),
    "and_zero_init": ("and", 1.0, 8, "zeros", True),  # margin 0 at the first sample: ties exercised
    "or_zero_init": ("or", 1.0, 8, "zeros", True),
    "classic_rule_random_init": ("and", 1.0, 8, "random", False),
    "classic_rule_zero_init": ("and", 1.0, 8, "zeros", False),
}
DATASETS = {
    "and": "AND gate (4 points)",
    "or": "OR gate (4 points)",
    "iris_standardized": "iris setosa vs versicolor, sepal length/width standardized (100 points)",
    "iris_raw": "iris setosa vs versicolor, raw sepal length/width in cm (100 points, small margin)",
    "blobs": "make_blobs(60, centers=2, random_state=2)",
}


def _component(dataset: str, lr: float, init: str, sklearn_rule: bool) -> str:
    rule = "sklearn rule (update at margin <= 0)" if sklearn_rule else "classic rule (y - y_hat)"
    return f"Perceptron on {DATASETS[dataset]}, lr {lr:g}, {init} init, {rule}"


PERCEPTRON_CASES: tuple[Case, ...] = tuple(
    Case(id=f"perceptron_{suffix}", suite="perceptron", kind="perceptron",
         component=_component(dataset, lr, init, sklearn_rule), layers=(), loss=None, data={},
         seed=seed,
         options={"dataset": dataset, "lr": lr, "epochs": epochs, "init": init,
                  "update_on_zero_margin": sklearn_rule})
    for seed, (suffix, (dataset, lr, epochs, init, sklearn_rule)) in enumerate(PERCEPTRON.items())
)
