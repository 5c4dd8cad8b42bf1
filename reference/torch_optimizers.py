"""Scratch optimizers expressed with torch.optim (and torch.optim.lr_scheduler for decay)."""

from __future__ import annotations

import torch

# Scratch hyperparameter name -> torch keyword, per optimizer; absent ones keep torch's defaults.
KEYWORDS = {
    "sgd": {"lr": "lr", "momentum": "momentum", "nesterov": "nesterov"},
    "adagrad": {"lr": "lr", "epsilon": "eps", "initial_accumulator": "initial_accumulator_value",
                "decay": "lr_decay"},  # torch's own lr_decay: lr / (1 + (t - 1) * lr_decay)
    "rmsprop": {"lr": "lr", "rho": "alpha", "epsilon": "eps"},
    "adam": {"lr": "lr", "epsilon": "eps"},
}
CLASSES = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
           "adam": torch.optim.Adam}


def build_optimizer(name: str, params: list[torch.Tensor], hyper: dict):
    """(torch.optim optimizer, LambdaLR scheduler or None): decay gives lr / (1 + decay * (t - 1))."""
    if name not in CLASSES:
        raise KeyError(f"torch reference: unknown optimizer {name!r}; known: {sorted(CLASSES)}")
    options = {torch_name: hyper[key] for key, torch_name in KEYWORDS[name].items() if key in hyper}
    if name == "adam" and ("beta_1" in hyper or "beta_2" in hyper):
        options["betas"] = (hyper.get("beta_1", 0.9), hyper.get("beta_2", 0.999))
    optimizer = CLASSES[name](params, **options)
    decay = hyper.get("decay", 0.0)
    if not decay or name == "adagrad":
        return optimizer, None
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda steps_done: 1 / (1 + decay * steps_done))
    return optimizer, scheduler
