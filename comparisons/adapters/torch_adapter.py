"""Adapter for PyTorch: modules from reference.torch_models; tensors copied through their declared layouts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.adapters.dropout import attach_dropout_masks, dropout_masks
from comparisons.adapters.protocol import (
    UNCLIPPED_FUSED,
    PlotStyle,
    Profile,
    layer_internals,
    missing_package,
)
from comparisons.core.determinism import configure_torch
from comparisons.core.spec import buffer_keys, effective_loss, indices_of, layer_names, penalized_layers
from reference.layouts import declared_tensors
from scratch.registry import LAYER_TYPES, LOSSES

PROFILE = Profile(
    name="torch", label="PyTorch", reference=True,
    kinds=frozenset({"pass", "optimizer", "training", "initializer", "landscape", "expression"}),
    style=PlotStyle(color="C1", linestyle="--"),
    layers=frozenset(LAYER_TYPES), losses=frozenset(LOSSES),  # all of scratch's: a test checks the tables
    optimizers=frozenset({"sgd", "adagrad", "rmsprop", "adam"}),
    optimizer_conventions={"sgd": {"momentum_form": "torch"}},  # buf = mu*buf + g; theta -= lr_t*buf
    # running_var keeps the unbiased n/(n-1) batch variance; softplus is x itself above 20
    layer_conventions={"batchnorm1d": {"running_variance": "unbiased"},
                       "batchnorm2d": {"running_variance": "unbiased"}, "softplus": {"threshold": 20.0}},
    # BCELoss: max(log p, -100), backward (p - y) / max(p(1 - p), eps) with eps the float 1e-12 (float64:
    # 9.99999996e-13); nll_loss(log p) on probabilities: no clip (docs/conventions.md §3)
    loss_conventions={"binary_crossentropy": {"probability_clip": None, "log_floor": -100.0,
                                              "denominator_floor": float(np.float32(1e-12))},
                      "categorical_crossentropy": {"probability_clip": None},
                      "categorical_crossentropy_sum": {"probability_clip": None}, **UNCLIPPED_FUSED},
    default_dense_init={"0.weight": "uniform", "0.bias": "uniform"},  # nn.Linear: U(+-1/sqrt(fan_in))
    packages=("torch",),
)


def unavailable_reason() -> str | None:
    """None when torch imports; otherwise why not."""
    return missing_package(("torch",), "torch")


def version() -> str:
    """torch.__version__."""
    import torch

    return f"torch {torch.__version__}"


@dataclass
class TorchModel:
    """The torch modules of a spec, in order, and the spec they were built from."""

    layers: list
    spec: dict

    def tensors(self, trainable_only: bool = False):
        """(scratch key, torch tensor, layout) of every parameter and buffer (trainable_only: parameters)."""
        from reference.torch_models import LAYOUTS

        for i, key, layout in declared_tensors(self.spec["layers"], LAYOUTS, trainable_only):
            yield key, getattr(self.layers[i], layout.attribute), layout

    def parameters(self):
        """(scratch key, torch tensor, layout) of every trainable parameter."""
        return self.tensors(trainable_only=True)

    def buffers(self) -> dict[str, np.ndarray]:
        """Every buffer (running statistics) read back in the scratch layout; {} for most specs."""
        return {key: _numpy(t, layout) for key, t, layout in self.tensors() if not layout.trainable}


def _numpy(tensor, layout=None) -> np.ndarray:
    array = tensor.detach().cpu().numpy()
    return array.copy() if layout is None else layout.from_framework(array)


def _load(model: TorchModel, params: dict[str, np.ndarray], trainable_only: bool = False) -> None:
    """Copy scratch-layout arrays into their tensors (all, or parameters only); LayoutError on a misfit."""
    import torch

    with torch.no_grad():
        for key, tensor, layout in model.tensors(trainable_only):
            value = layout.to_framework(params[key], tuple(tensor.shape), f"torch {key}")
            tensor.copy_(torch.from_numpy(value))


def build(spec: dict, params: dict[str, np.ndarray], dtype: str) -> TorchModel:
    """torch modules of the spec with the given parameters and buffers (nn.Linear.weight <- W.T)."""
    from reference.torch_models import build_layers

    configure_torch()
    model = TorchModel(build_layers(spec["layers"], dtype), spec)
    _load(model, params)
    for layer in model.layers:
        layer.train(spec.get("training", True))
    return model


def read_params(model: TorchModel) -> dict[str, np.ndarray]:
    """Parameters and buffers read back from the modules, in the scratch layout."""
    return {key: _numpy(tensor, layout) for key, tensor, layout in model.tensors()}


def regularization(model: TorchModel, spec: dict):
    """The sum of every Dense layer's L1/L2 penalty (reference.torch_models), or None without any."""
    import torch

    from reference.torch_models import regularization_penalty

    penalties = [p for i in penalized_layers(spec)
                 if (p := regularization_penalty(model.layers[i], spec["layers"][i])) is not None]
    return torch.stack(penalties).sum() if penalties else None


def run_pass(model: TorchModel, spec: dict, batch, shared: dict | None = None) -> dict:
    """Forward through the modules, autograd backward; every layer input's gradient retained."""
    import torch

    from reference.torch_models import LOSSES

    torch.manual_seed(spec.get("seed", 0))  # torch's own dropout draws its masks from this
    x = torch.from_numpy(batch.x.copy())
    ids = not x.is_floating_point()  # integer ids (an embedding's input) have no gradient
    x.requires_grad_(not ids)
    inputs, outputs = [x], []
    for layer in model.layers:
        outputs.append(layer(inputs[-1]))
        if outputs[-1].requires_grad:
            outputs[-1].retain_grad()
        inputs.append(outputs[-1])
    names = layer_names(spec)
    results = {"activation": {n: _numpy(o) for n, o in zip(names, outputs, strict=True)},
               "internal": layer_internals(model.layers, names, _numpy), "loss": {}}
    if outputs:
        results["output"] = {"output": _numpy(outputs[-1])}
    if buffer_keys(spec):  # running statistics after the pass
        results["buffer"] = model.buffers()
    heads, head_grads = [], []
    loss_name, prediction = effective_loss(spec)
    if loss_name:
        loss = LOSSES[loss_name](inputs[prediction], torch.from_numpy(batch.targets.copy()))
        results["loss"]["loss"] = _numpy(loss)
        heads, head_grads = [loss], [None]
    else:
        heads, head_grads = [inputs[-1]], [torch.from_numpy(batch.upstream.copy())]
    penalty = regularization(model, spec)
    if penalty is not None:
        results["loss"]["regularization"] = _numpy(penalty)
        heads, head_grads = [*heads, penalty], [*head_grads, None]
    if not spec.get("backward", True):
        return attach_dropout_masks(results, spec)
    torch.autograd.backward(heads, head_grads)
    results["grad_activation"] = {n: _numpy(t.grad) for n, t in zip(names, inputs, strict=False)
                                  if t is not x or not ids}
    if loss_name and names:  # dL/d(what the loss reads): the output, or the logits of a fused softmax
        results["grad_activation"]["loss"] = _numpy(inputs[prediction].grad)
    results["grad_param"] = {key: _numpy(t.grad, layout) for key, t, layout in model.parameters()}
    results["grad_input"] = {} if ids else {"input": _numpy(x.grad)}
    return attach_dropout_masks(results, spec)



def run_optimizer(spec: dict, params: dict[str, np.ndarray], grads: list[dict]) -> list[dict]:
    """Parameters read back after loading and after each torch.optim step (scheduler stepped too)."""
    import torch

    from reference.torch_optimizers import build_optimizer

    configure_torch()
    tensors = {key: torch.from_numpy(value.copy()).requires_grad_(True) for key, value in params.items()}
    optimizer, scheduler = build_optimizer(spec["optimizer"], list(tensors.values()), spec["hyper"])
    history = [{key: _numpy(t) for key, t in tensors.items()}]
    for step_grads in grads:
        for key, tensor in tensors.items():
            tensor.grad = torch.from_numpy(step_grads[key].copy())
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        history.append({key: _numpy(t) for key, t in tensors.items()})
    return history


class TorchTrainer:
    """torch modules + torch.optim: zero_grad, forward, loss, backward, step (a torch training loop)."""

    def __init__(self, spec: dict, params: dict[str, np.ndarray], optimizer: dict, dtype: str) -> None:
        from reference.torch_optimizers import build_optimizer

        self.spec, self.steps = spec, 0
        self.dropout = tuple(indices_of(spec, ("dropout",)))  # layers whose masks are shared
        self.model = build(spec, params, dtype)
        tensors = [tensor for _, tensor, _ in self.model.parameters()]
        self.optimizer, self.scheduler = build_optimizer(optimizer["optimizer"], tensors, optimizer["hyper"])

    def _forward_loss(self, x: np.ndarray, targets: np.ndarray, retain: tuple[int, ...] = ()):
        """(data loss, loss + penalties, [x, out_0, ..., out_n-1]); inputs of `retain` keep .grad."""
        import torch

        from reference.torch_models import LOSSES

        inputs = [torch.from_numpy(x)]
        for i, layer in enumerate(self.model.layers):
            if i in retain:
                inputs[-1].retain_grad()
            inputs.append(layer(inputs[-1]))
        loss_name, prediction = effective_loss(self.spec)
        loss = LOSSES[loss_name](inputs[prediction], torch.from_numpy(targets))
        penalty = regularization(self.model, self.spec)
        return loss, loss if penalty is None else loss + penalty, inputs

    def step(self, x: np.ndarray, targets: np.ndarray, shared: dict | None = None) -> dict:
        """One update; loss and output of the pre-update model, the gradients used, params after."""
        import torch

        self.steps += 1
        if self.dropout:
            torch.manual_seed(self.spec["seed"] + self.steps)  # torch's own dropout draws from this
        self.optimizer.zero_grad()
        loss, total, inputs = self._forward_loss(x, targets, retain=self.dropout)
        total.backward()
        result = {"loss": _numpy(loss), "output": _numpy(inputs[-1]),
                  "grads": {key: _numpy(t.grad, layout) for key, t, layout in self.model.parameters()},
                  "shared": {"dropout_masks": dropout_masks(  # layer i's output is inputs[i + 1]
                      self.spec, {i: _numpy(inputs[i + 1]) for i in self.dropout},
                      {i: _numpy(inputs[i].grad) for i in self.dropout})}}
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        result["params"] = {key: _numpy(t, layout) for key, t, layout in self.model.parameters()}
        result["buffers"] = self.model.buffers()
        return result

    def loss(self, x: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """The data loss of one forward without autograd (the spec's training flag decides dropout)."""
        import torch

        with torch.no_grad():
            return _numpy(self._forward_loss(x, targets)[0])

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Overwrite every parameter (teacher forcing); optimizer state and buffers are kept."""
        _load(self.model, params, trainable_only=True)


def make_trainer(spec: dict, params: dict[str, np.ndarray], optimizer: dict, dtype: str) -> TorchTrainer:
    """A stepwise trainer: step(x, targets) -> {loss, output, grads, params, shared}; set_params."""
    configure_torch()
    return TorchTrainer(spec, params, optimizer, dtype)


def draw_initializer(spec: dict, shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    """One draw of torch.nn.init.<op>_ from torch.Generator().manual_seed(seed), in the (in, out) layout."""
    from reference.torch_initializers import draw

    return draw(spec["initializer"], shape, dtype, seed, **spec.get("options", {}))


def default_dense_params(n_inputs: int, n_outputs: int, dtype: str, seed: int) -> dict[str, np.ndarray]:
    """torch.nn.Linear's default parameters: W, b ~ U(+-1/sqrt(fan_in)), W as (in, out)."""
    from reference.torch_initializers import default_linear

    return default_linear(n_inputs, n_outputs, dtype, seed)


def run_expression(graph: dict, dtype: str) -> dict:
    """A scalar expression graph with torch ops and autograd: its value and every leaf's gradient."""
    from reference.torch_expressions import run_expression as run

    configure_torch()
    return run(graph, dtype)
