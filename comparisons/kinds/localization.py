"""First-divergence localization in the manner of CRADLE / Muffin, confirmed on the layer alone.

forward rule:  the first layer whose activation (or a buffer or internal tensor of its own forward)
               disagrees while its input agrees;
loss rule:     the loss disagrees while the output it reads agrees;
backward rule: the loss, when its gradient dL/d(what it reads) (grad_activation 'loss') disagrees while
               that prediction agrees; else the first layer from the loss whose returned gradient
               (dL/d its input) or parameter gradient disagrees while its upstream gradient agrees.
Confirmation: the blamed layer (or the loss) alone gets the framework's input and upstream gradient in
both implementations; it is confirmed when anything that isolated run returns - activation, internal
tensors, buffers, input gradient, parameter gradients, loss, loss gradient - fails too
(docs/architecture.md §10).
"""

from __future__ import annotations

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.core.agreement import compare
from comparisons.core.spec import effective_loss, image_positions, layer_names
from comparisons.core.tolerances import tolerance_for
from comparisons.data.batches import Batch

BAD = ("failed", "nan")
LOSS = "loss"  # the blamed 'layer' of the loss and backward rules when the loss itself is wrong
ISOLATED = ("activation", "internal", "buffer", "loss", "grad_activation", "grad_param", "grad_input")


def _own(failed: set, quantities: tuple[str, ...], prefix: str) -> bool:
    return any(q in quantities and t.startswith(prefix) for q, t in failed)


def _blame(spec: dict, failed: set) -> tuple[str, int] | None:
    names = layer_names(spec)
    for i, name in enumerate(names):  # every earlier activation agreed, so this input agrees
        if ("activation", name) in failed or _own(failed, ("buffer",), f"{i}.") or _own(
                failed, ("internal",), f"{name}."):
            return "forward", i
    if ("loss", "loss") in failed:
        return "loss", len(names)
    if ("grad_activation", LOSS) in failed or (not names and ("grad_input", "input") in failed):
        return "backward", len(names)  # the loss's own gradient, the prediction it reads agreeing
    for i in reversed(range(len(names))):  # upstream of layer i = what layer i + 1 returned
        upstream = LOSS if i == len(names) - 1 else names[i + 1]
        own = ("grad_activation", names[i]) in failed or _own(failed, ("grad_param",), f"{i}.")
        if own and ("grad_activation", upstream) not in failed:
            return "backward", i
    return None


def _renumbered(params: dict, index: int) -> dict:
    prefix = f"{index}."
    return {f"0.{k[len(prefix):]}": v for k, v in params.items() if k.startswith(prefix)}


def _loss_alone(spec: dict, params: dict, batch: Batch, reference: dict) -> tuple[dict, dict, Batch]:
    """The loss with what it reads: the output, or (softmax + cross-entropy fused) the softmax and its
    logits, so that the isolated run computes the same fused gradient."""
    names, inputs = layer_names(spec), [batch.x]
    inputs += [reference["activation"][name] for name in names]
    fused = effective_loss(spec)[1] == -2
    keep = [len(names) - 1] if fused else []
    sub = {**spec, "layers": [spec["layers"][i] for i in keep], "backward": True, "isolated": True,
           "image": image_positions(spec)[-2 if fused else -1]}
    x = inputs[-2 if fused else -1]
    sub_params = _renumbered(params, keep[0]) if keep else {}
    return sub, sub_params, Batch(np.asarray(x), batch.targets, batch.upstream)


def _layer_alone(spec: dict, params: dict, index: int, batch: Batch, reference: dict
                 ) -> tuple[dict, dict, Batch]:
    """Layer `index` alone (renumbered 0), given the framework's input and upstream gradient; the last
    layer keeps the loss when the framework gave no loss gradient or the loss is fused with it."""
    names, last = layer_names(spec), index == len(spec["layers"]) - 1
    loss_grad = reference.get("grad_activation", {}).get(LOSS)
    with_loss = last and bool(spec["loss"]) and (loss_grad is None or effective_loss(spec)[1] == -2)
    sub = {**spec, "layers": [spec["layers"][index]], "loss": spec["loss"] if with_loss else None,
           "backward": True, "isolated": True, "image": image_positions(spec)[index]}
    x = batch.x if index == 0 else reference["activation"][names[index - 1]]
    if not last:
        upstream = reference["grad_activation"][names[index + 1]]
    else:
        upstream = batch.upstream if with_loss or not spec["loss"] else loss_grad
    return sub, _renumbered(params, index), Batch(np.asarray(x), batch.targets, np.asarray(upstream))


def _isolated_rows(mine: dict, ref: dict, dtype: str) -> list:
    """Agreement of every tensor both isolated runs returned, quantity by quantity."""
    results = []
    for quantity in ISOLATED:
        tol = tolerance_for(dtype, quantity)
        for tensor, expected in ref.get(quantity, {}).items():
            if tensor in mine.get(quantity, {}):
                results.append(compare(mine[quantity][tensor], expected, tol.atol, tol.rtol))
    return results


def _confirm(rule: str, index: int, spec: dict, params: dict, batch: Batch, reference: dict,
             adapter, dtype: str, shared: dict, implementation: str, mine_spec: dict
             ) -> tuple[bool, float]:
    if index == len(spec["layers"]):  # the loss, or its gradient
        sub, sub_params, sub_batch = _loss_alone(spec, params, batch, reference)
        mine_sub = {**_loss_alone(mine_spec, params, batch, reference)[0], "loss": sub["loss"]}
        index = len(spec["layers"]) - 1
    else:
        sub, sub_params, sub_batch = _layer_alone(spec, params, index, batch, reference)
        mine_sub = {**_layer_alone(mine_spec, params, index, batch, reference)[0], "loss": sub["loss"]}
    masks = shared.get("dropout_masks", {})
    sub_shared = {"dropout_masks": {0: masks[index]}} if sub["layers"] and index in masks else {}
    scratch = get_adapter(implementation)
    ref = adapter.run_pass(adapter.build(sub, sub_params, dtype), sub, sub_batch)
    ref.pop("shared", None)
    mine = scratch.run_pass(scratch.build(mine_sub, sub_params, dtype), mine_sub, sub_batch, sub_shared)
    results = _isolated_rows(mine, ref, dtype)
    if not results:
        raise ValueError("the isolated runs returned no tensor in common")
    return any(r.status in BAD for r in results), max(r.max_abs_err for r in results)


def localize(spec: dict, params: dict, batch: Batch, reference: dict, rows: list[dict],
             adapter, dtype: str, shared: dict, implementation: str = "scratch",
             mine_spec: dict | None = None) -> dict | None:
    """{'rule', 'layer', 'confirmed', 'isolated_max_abs_err'} for a pass that diverged, else None.

    `adapter` is the framework's, as the pass called it (the reference cache's stand-in in a cached run);
    mine_spec: the spec the implementation under test built (with its layer conventions), else spec."""
    failed = {(r["quantity"], r["tensor"]) for r in rows if r["status"] in BAD}
    blame = _blame(spec, failed) if failed else None
    if blame is None:
        return None
    rule, index = blame
    layer = LOSS if index == len(spec["layers"]) else layer_names(spec)[index]
    try:
        confirmed, err = _confirm(rule, index, spec, params, batch, reference, adapter, dtype, shared,
                                  implementation, spec if mine_spec is None else mine_spec)
    except Exception as exc:  # noqa: BLE001 - localization must never hide the divergence itself
        return {"rule": rule, "layer": layer, "confirmed": False, "isolated_max_abs_err": np.nan,
                "note": f"confirmation raised {type(exc).__name__}: {exc}"}
    return {"rule": rule, "layer": layer, "confirmed": confirmed, "isolated_max_abs_err": err}


def confirm_update(adapter, implementation: str, optimizers: tuple[dict, dict], params: dict, grads: dict,
                   dtype: str) -> dict:
    """The optimizer alone at a run's first step (fresh state): one run_optimizer step of both sides from
    the same parameters with the framework's gradients; confirmed when the parameters after it differ."""
    start = {key: params[key] for key in grads}
    ref = adapter.run_optimizer(optimizers[0], start, [grads])[1]
    mine = get_adapter(implementation).run_optimizer(optimizers[1], start, [grads])[1]
    tol = tolerance_for(dtype, "param_after_step")
    results = [compare(mine[key], value, tol.atol, tol.rtol) for key, value in ref.items()]
    return {"rule": "update", "layer": "optimizer", "confirmed": any(r.status in BAD for r in results),
            "isolated_max_abs_err": max(r.max_abs_err for r in results)}


def describe_localization(found: dict) -> str:
    """One line for the failure message."""
    what = {"forward": "its activation (or its own buffer) disagrees while its input agrees",
            "backward": "its gradient disagrees while its upstream gradient agrees",
            "loss": "the loss disagrees while the output it reads agrees",
            "update": "the replayed pass agrees everywhere, the parameters after the update do not",
            "replay": "the step could not be replayed"}[found["rule"]]
    if found["layer"] == LOSS and found["rule"] == "backward":
        what = "its gradient dL/d(what it reads) disagrees while that prediction agrees"
    where = {LOSS: "the loss", "optimizer": "the optimizer"}.get(found["layer"], "the layer")
    check = (f"confirmed: {where} alone, given the framework's input, differs by "
             f"{found['isolated_max_abs_err']:.3e}" if found["confirmed"]
             else f"NOT confirmed on {where} alone " + found.get("note", "(it agrees in isolation)"))
    return f"  localized ({found['rule']} rule): '{found['layer']}' - {what}; {check}"
