"""Which nnfs-style classes a user's module defines, under nn-parity's names, and what each one takes.

The book's names (docs/conventions.md §12): Layer_Dense, Layer_Dropout, Activation_<name>,
Loss_<name>, the combined Activation_Softmax_Loss_CategoricalCrossentropy and Optimizer_<name>.
A class the module lacks is left out, and the profile built from these facts leaves out what it runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from comparisons.adapters.protocol import Profile, optimizer_name
from comparisons.core.case import Case

# nn-parity name -> the class names it is found under (first match wins)
LAYER_CLASSES = {"dense": ("Layer_Dense",), "dropout": ("Layer_Dropout",), "relu": ("Activation_ReLU",),
                 "softmax": ("Activation_Softmax",), "sigmoid": ("Activation_Sigmoid",),
                 "linear": ("Activation_Linear",), "tanh": ("Activation_TanH", "Activation_Tanh")}
LOSS_CLASSES = {"categorical_crossentropy": "Loss_CategoricalCrossentropy",
                "binary_crossentropy": "Loss_BinaryCrossentropy", "mse": "Loss_MeanSquaredError",
                "mae": "Loss_MeanAbsoluteError"}
FUSED_CLASS = "Activation_Softmax_Loss_CategoricalCrossentropy"
OPTIMIZER_CLASSES = {"sgd": "Optimizer_SGD", "adagrad": "Optimizer_Adagrad", "rmsprop": "Optimizer_RMSprop",
                     "adam": "Optimizer_Adam"}
# nn-parity spec key / hyperparameter -> the book's keyword argument
PENALTY_KEYWORDS = {"weight_l1": "weight_regularizer_l1", "weight_l2": "weight_regularizer_l2",
                    "bias_l1": "bias_regularizer_l1", "bias_l2": "bias_regularizer_l2"}
HYPER_KEYWORDS = {"lr": "learning_rate", "decay": "decay", "momentum": "momentum", "epsilon": "epsilon",
                  "rho": "rho", "beta_1": "beta_1", "beta_2": "beta_2"}
# Spec keys that need no argument of the user's classes: harness data (zero_weights plants zeros in W).
DENSE_KEYS, DROPOUT_KEYS, DATA_KEYS = ("n_inputs", "units"), ("rate",), ("zero_weights",)


def takes(function: Callable, name: str) -> bool:
    """Whether a function accepts the keyword `name` (or any keyword, through **kwargs)."""
    if function is object.__init__:  # a class without its own __init__ takes no arguments
        return False
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):  # a builtin without a signature: assume the book's form
        return False
    return name in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def positional_count(function: Callable) -> int:
    """How many positional parameters a (bound) function has: regularization_loss(layer) has 1."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(p.kind in kinds for p in inspect.signature(function).parameters.values())


@dataclass(frozen=True)
class NnfsClasses:
    """The nnfs-style classes found in one module, keyed by nn-parity's layer, loss and optimizer names."""

    module: ModuleType
    layers: dict[str, type]
    losses: dict[str, type]
    fused: type | None
    optimizers: dict[str, type]
    loss_base: type | None  # where regularization_loss lives when a case has no loss (the book's Loss)

    @classmethod
    def find(cls, module: ModuleType) -> NnfsClasses:
        """Every class of the book's names that the module defines (or imports)."""
        def found(name: str) -> type | None:
            value = getattr(module, name, None)
            return value if isinstance(value, type) else None

        layers = {key: c for key, names in LAYER_CLASSES.items()
                  if (c := next(filter(None, map(found, names)), None)) is not None}
        losses = {key: c for key, name in LOSS_CLASSES.items() if (c := found(name)) is not None}
        optimizers = {key: c for key, name in OPTIMIZER_CLASSES.items() if (c := found(name)) is not None}
        base = found("Loss") or next(iter(losses.values()), None)
        return cls(module, layers, losses, found(FUSED_CLASS), optimizers, base)

    def empty(self) -> bool:
        """True when the module has none of the book's layer, loss or optimizer classes."""
        return not (self.layers or self.losses or self.optimizers)

    def penalties(self) -> tuple[str, ...]:
        """The penalty keys Layer_Dense takes, when a Loss also reports the penalty (regularization_loss)."""
        dense = self.layers.get("dense")
        if dense is None or self.loss_base is None or not hasattr(self.loss_base, "regularization_loss"):
            return ()
        return tuple(key for key, keyword in PENALTY_KEYWORDS.items() if takes(dense.__init__, keyword))

    def hyperparameters(self) -> dict[str, frozenset[str]]:
        """Optimizer name -> the hyperparameters its class takes, in nn-parity's names (lr: learning_rate)."""
        return {name: frozenset(key for key, keyword in HYPER_KEYWORDS.items() if takes(c.__init__, keyword))
                for name, c in self.optimizers.items()}

    def options(self) -> frozenset[str]:
        """Exactly the spec keys and hyperparameters the classes take (docs/own-implementation.md §6)."""
        names = set(self.penalties()).union(*self.hyperparameters().values())
        if "dense" in self.layers:
            names |= {*DENSE_KEYS, *DATA_KEYS}
        if "dropout" in self.layers:
            names |= set(DROPOUT_KEYS)
        return frozenset(names)

    def kinds(self) -> frozenset[str]:
        """pass always; optimizer with an optimizer; training and landscape with Layer_Dense and a loss."""
        trains = "dense" in self.layers and bool(self.losses)
        return frozenset({"pass"} | ({"optimizer"} if self.optimizers else set())
                         | ({"training"} if trains and self.optimizers else set())
                         | ({"landscape"} if trains else set()))


@dataclass(frozen=True)
class NnfsProfile(Profile):
    """A Profile that also skips a case whose optimizer class lacks one of the case's hyperparameters
    (the book's first Optimizer_SGD takes only learning_rate; its Optimizer_Adam takes decay)."""

    hyperparameters: dict[str, frozenset[str]] = field(default_factory=dict)

    def unsupported(self, case: Case) -> str | None:
        """Profile.unsupported, then the case's own hyperparameters against its optimizer class's."""
        reason = super().unsupported(case)
        name = optimizer_name(case)
        if reason or name is None or case.kind not in ("optimizer", "training"):
            return reason
        hyper = case.options["hyper"] if case.kind == "optimizer" else case.options["optimizer"]["hyper"]
        taken = self.hyperparameters.get(name, frozenset())  # other names: Profile.lacks_options
        missing = sorted((set(hyper) & set(HYPER_KEYWORDS)) - taken)
        if missing:
            return f"{self.name}'s {OPTIMIZER_CLASSES[name]} takes no {', '.join(map(repr, missing))}"
        return None
