"""Adapter for PyTorch: nn.Linear weights are (out, in), so W is transposed in and out."""

from __future__ import annotations

import importlib.util

import numpy as np

from comparisons.adapters import dense_indices, layer_names, loss_on_logits
from comparisons.determinism import configure_torch


def unavailable_reason() -> str | None:
    """None when torch imports; otherwise why not."""
    if importlib.util.find_spec("torch") is None:
        return "torch is not installed (pip install 'nn-parity[torch]' -c constraints.txt)"
    return None


def version() -> str:
    """torch.__version__."""
    import torch

    return f"torch {torch.__version__}"


def build(spec: dict, params: dict[str, np.ndarray], dtype: str):
    """torch modules of the spec; nn.Linear.weight <- W.T, bias <- b."""
    import torch

    from reference.torch_models import build_layers

    configure_torch()
    layers = build_layers(spec["layers"], dtype)
    with torch.no_grad():
        for i in dense_indices(spec):
            layers[i].weight.copy_(torch.from_numpy(params[f"{i}.weight"].T.copy()))
            layers[i].bias.copy_(torch.from_numpy(params[f"{i}.bias"]))
    return layers


def _numpy(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def read_params(layers) -> dict[str, np.ndarray]:
    """Parameters read back from the modules, in the scratch layout (weight.T)."""
    params = {}
    for i, layer in enumerate(layers):
        if hasattr(layer, "weight"):
            params[f"{i}.weight"] = _numpy(layer.weight).T.copy()
            params[f"{i}.bias"] = _numpy(layer.bias)
    return params


def run_pass(layers, spec: dict, batch) -> dict[str, dict[str, np.ndarray]]:
    """Forward through the modules, autograd backward; every layer's input gradient retained."""
    import torch

    from reference.torch_models import LOSSES

    x = torch.from_numpy(batch.x.copy()).requires_grad_(True)
    inputs, outputs = [x], []
    for layer in layers:
        out = layer(inputs[-1])
        out.retain_grad()
        outputs.append(out)
        inputs.append(out)
    names = layer_names(spec)
    results = {
        "activation": {n: _numpy(o) for n, o in zip(names, outputs, strict=True)},
        "output": {"output": _numpy(outputs[-1])},
    }
    if spec["loss"]:
        prediction = inputs[-2] if loss_on_logits(spec) else outputs[-1]
        loss = LOSSES[spec["loss"]](prediction, torch.from_numpy(batch.labels))
        results["loss"] = {"loss": _numpy(loss)}
        loss.backward()
    else:
        outputs[-1].backward(torch.from_numpy(batch.upstream.copy()))
    results["grad_activation"] = {n: _numpy(t.grad) for n, t in zip(names, inputs, strict=False)}
    results["grad_param"] = {}
    for i in dense_indices(spec):
        results["grad_param"][f"{i}.weight"] = _numpy(layers[i].weight.grad).T.copy()
        results["grad_param"][f"{i}.bias"] = _numpy(layers[i].bias.grad)
    results["grad_input"] = {"input": _numpy(x.grad)}
    return results
