"""The comparison cases, as plain data. A new case is one entry in CASES."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from comparisons import DTYPES, FRAMEWORKS

SEED_OFFSET_ENV = "NN_PARITY_SEED_OFFSET"  # set by --seed-offset N (pytest and nn-parity run)


@dataclass(frozen=True)
class Case:
    """One comparison: a layer list, a loss (or None for a random upstream gradient), data, seed."""

    id: str
    suite: str
    component: str
    layers: tuple[dict, ...]
    loss: str | None
    data: dict
    seed: int = 0
    dtypes: tuple[str, ...] = DTYPES
    frameworks: tuple[str, ...] = FRAMEWORKS
    training: bool = True
    backward: bool = True
    kind: str = "pass"  # pass | optimizer | training | initializer | perceptron | landscape
    options: dict = field(default_factory=dict, compare=False)  # kind-specific plain data
    notes: str = field(default="", compare=False)

    def model_spec(self) -> dict:
        """Plain-data spec every implementation builds from: layers with input widths, loss."""
        width = self.data["n_features"]
        layers = []
        for layer in self.layers:
            resolved = dict(layer, n_inputs=width)
            width = layer.get("units", width)
            layers.append(resolved)
        return {"layers": layers, "loss": self.loss, "training": self.training,
                "backward": self.backward, "seed": self.seed,
                "scratch_variant": self.options.get("scratch_variant")}


def seed_offset() -> int:
    """The N of --seed-offset, added to every case's seed (0 unless a run asked for another)."""
    return int(os.environ.get(SEED_OFFSET_ENV) or 0)


def with_seed_offset(case: Case) -> Case:
    """The case with its seed shifted by seed_offset(): other data, the same agreement expected."""
    offset = seed_offset()
    return replace(case, seed=case.seed + offset) if offset else case


SPIRAL_MLP = (
    {"type": "dense", "units": 16},
    {"type": "relu"},
    {"type": "dense", "units": 3},
    {"type": "softmax"},
)
SPIRAL_DATA = {"kind": "spiral", "samples_per_class": 100, "classes": 3, "batch": 32, "n_features": 2}

CASES: tuple[Case, ...] = (
    Case(
        id="mlp_spiral_cce",
        suite="model",
        component="Dense(2,16)-ReLU-Dense(16,3)-Softmax + categorical cross-entropy",
        layers=SPIRAL_MLP,
        loss="categorical_crossentropy",
        data=SPIRAL_DATA,
        notes="backward from the loss; softmax + CCE take the fused path (p - onehot)/N",
    ),
    Case(
        id="mlp_spiral_vjp",
        suite="model",
        component="Dense(2,16)-ReLU-Dense(16,3)-Softmax, random upstream gradient",
        layers=SPIRAL_MLP,
        loss=None,
        data=SPIRAL_DATA,
        seed=1,
        notes="backward from a random upstream gradient: the standalone softmax VJP",
    ),
)


def all_cases() -> tuple[Case, ...]:
    """The model cases above and the component cases generated from the tables."""
    from comparisons.component_cases import COMPONENT_CASES
    from comparisons.initializer_cases import INITIALIZER_CASES
    from comparisons.negative_control_cases import NEGATIVE_CONTROL_CASES
    from comparisons.optimizer_cases import OPTIMIZER_CASES
    from comparisons.perceptron_cases import PERCEPTRON_CASES
    from comparisons.projects import project_cases
    from comparisons.training_cases import TRAINING_CASES

    # project cases of other kinds (landscapes, seed 07's single pass) run with their kind's driver
    other_projects = tuple(case for case in project_cases() if case.kind != "training")
    return (*CASES, *COMPONENT_CASES, *OPTIMIZER_CASES, *TRAINING_CASES,
            *NEGATIVE_CONTROL_CASES, *INITIALIZER_CASES, *PERCEPTRON_CASES, *other_projects)


def case_by_id(case_id: str) -> Case:
    """The case with this id, or a KeyError listing the known ids."""
    cases = all_cases()
    for case in cases:
        if case.id == case_id:
            return case
    raise KeyError(f"unknown case id {case_id!r}; known: {', '.join(c.id for c in cases)}")
