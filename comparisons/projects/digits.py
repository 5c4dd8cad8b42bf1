"""Seed project 03, offline: digit recognition on scikit-learn's 8x8 digits (docs/conventions.md §13).

Seed 03 trains Keras Flatten-128-64-10 with Adam on MNIST (batch 128, 10 epochs). MNIST needs a
download, so this runs on load_digits (1797 images of 8x8 = 64 pixels, scaled x/16, 75/25
stratified split: 1347 train, 450 test) with a smaller 64-32-10 ReLU net, softmax + cross-entropy,
mini-batch Adam, batch 64 in a shared shuffled order (22 steps per epoch): the images have 12x
fewer pixels, and every step is taken in 8 framework runs (make report's time). Full run 15 epochs (330
steps; test accuracy 0.971 in torch's Adam form, 0.967 in Keras's epsilon-hat form), short run
1 epoch. Adam's hyperparameters are exact in float32 (lr 2^-7, beta_1 0.875, beta_2 1 - 2^-10,
epsilon 2^-23): Keras keeps them in float32 even under floatx=float64, so decimal ones (0.9,
0.999) would put its float64 run ~6e-6 relative off per update; these agree to the last bit.
Keras's epsilon-hat form is matched by scratch's epsilon_hat option.
"""

from __future__ import annotations

from pathlib import Path

from comparisons.projects.shared.classification import classification_artifacts, plot_classification
from comparisons.projects.shared.common import training_cases

# NOTE: every value exact in float32 (Keras rounds beta_1, beta_2, epsilon to float32).
ADAM = {"lr": 2.0**-7, "beta_1": 0.875, "beta_2": 1 - 2.0**-10, "epsilon": 2.0**-23}

CASES = training_cases(
    "digits", "seed 03 (offline): digits 8x8, 64-32-10 ReLU, softmax + CCE, Adam, batch 64",
    layers=({"type": "dense", "units": 32}, {"type": "relu"},
            {"type": "dense", "units": 10}, {"type": "softmax"}),
    loss="categorical_crossentropy", data={"kind": "digits", "n_features": 64}, seed=3,
    optimizer={"name": "adam", "hyper": ADAM},
    batch_size=64, shuffle=True, record_params=True, epochs=15, test_epochs=1,
)


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv, accuracy.csv (train/test, own forward) and epochs.csv (test accuracy per epoch)."""
    classification_artifacts(case, framework, dtype, outcome, report_dir)


def plot(report_dir: Path) -> list[Path]:
    """digits_accuracy.png (test accuracy bars) and digits_learning_curves.png."""
    return plot_classification(report_dir, "digits", "digits 8x8, 64-32-10 ReLU, Adam, batch 64")
