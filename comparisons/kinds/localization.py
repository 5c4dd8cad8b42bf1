"""First-divergence localization in the manner of CRADLE / Muffin, confirmed on the layer alone.

forward rule:  the first layer whose activation disagrees while its input agrees;
loss rule:     the loss disagrees while the output it reads agrees;
backward rule: the first layer from the loss whose returned gradient (dL/d its input) disagrees
               while its upstream gradient (dL/d its output) agrees, or whose parameter gradient
               disagrees while that upstream agrees.
Confirmation: the blamed layer alone gets the framework's input (and upstream gradient) in both
implementations; it is confirmed when that isolated comparison fails too.
"""

from __future__ import annotations

import numpy as np

from comparisons.adapters import get_adapter
from comparisons.core.agreement import compare
from comparisons.core.spec import image_positions, layer_names
from comparisons.core.tolerances import tolerance_for
from comparisons.data.batches import Batch

BAD = ("failed", "nan")


def _blame(spec: dict, failed: set) -> tuple[str, int] | None:
    names = layer_names(spec)
    for i, name in enumerate(names):  # every earlier activation agreed, so this input agrees
        if ("activation", name) in failed:
            return "forward", i
    if ("loss", "loss") in failed:
        return "loss", len(names)
    for i in reversed(range(len(names))):  # upstream of layer i = what layer i + 1 returned
        upstream_agrees = i == len(names) - 1 or ("grad_activation", names[i + 1]) not in failed
        own = ("grad_activation", names[i]) in failed or any(
            q == "grad_param" and t.startswith(f"{i}.") for q, t in failed)
        if own and upstream_agrees:
            return "backward", i
    return None


def _isolated(spec: dict, params: dict, index: int, with_loss: bool) -> tuple[dict, dict]:
    """Spec and parameters of layer `index` alone (renumbered 0), keeping the loss if asked."""
    layer = spec["layers"][index]
    sub = {**spec, "layers": [layer], "loss": spec["loss"] if with_loss else None, "backward": True,
           "image": image_positions(spec)[index]}
    prefix = f"{index}."
    return sub, {f"0.{k[len(prefix):]}": v for k, v in params.items() if k.startswith(prefix)}


def _confirm(rule: str, index: int, spec: dict, params: dict, batch: Batch, reference: dict,
             adapter, dtype: str, shared: dict, implementation: str, mine_spec: dict
             ) -> tuple[bool, float]:
    names = layer_names(spec)
    if rule == "loss":
        sub = mine_sub = {**spec, "layers": [], "backward": True, "image": image_positions(spec)[-1]}
        sub_params, x = {}, reference["output"]["output"]
        quantity, tensor, upstream = "loss", "loss", batch.upstream
    else:
        last = index == len(names) - 1
        sub, sub_params = _isolated(spec, params, index, with_loss=last and bool(spec["loss"]))
        mine_sub = _isolated(mine_spec, params, index, with_loss=last and bool(spec["loss"]))[0]
        x = batch.x if index == 0 else reference["activation"][names[index - 1]]
        upstream = batch.upstream if last else reference["grad_activation"][names[index + 1]]
        quantity = "activation" if rule == "forward" else "grad_input"
        tensor = f"0.{spec['layers'][index]['type']}" if rule == "forward" else "input"
    sub_batch = Batch(np.asarray(x), batch.targets, np.asarray(upstream))
    masks = shared.get("dropout_masks", {})
    sub_shared = {"dropout_masks": {0: masks[index]}} if index in masks else {}
    scratch = get_adapter(implementation)
    ref = adapter.run_pass(adapter.build(sub, sub_params, dtype), sub, sub_batch)
    mine = scratch.run_pass(scratch.build(mine_sub, sub_params, dtype), mine_sub, sub_batch, sub_shared)
    if quantity == "grad_input" and not ref.get("grad_input"):  # integer ids: the parameters' gradients
        quantity, tensors = "grad_param", list(ref["grad_param"])
    else:
        tensors = [tensor]
    tol = tolerance_for(dtype, quantity)
    results = [compare(mine[quantity][t], ref[quantity][t], tol.atol, tol.rtol) for t in tensors]
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
    layer = "loss" if rule == "loss" else layer_names(spec)[index]
    try:
        confirmed, err = _confirm(rule, index, spec, params, batch, reference, adapter, dtype, shared,
                                  implementation, spec if mine_spec is None else mine_spec)
    except Exception as exc:  # noqa: BLE001 - localization must never hide the divergence itself
        return {"rule": rule, "layer": layer, "confirmed": False, "isolated_max_abs_err": np.nan,
                "note": f"confirmation raised {type(exc).__name__}: {exc}"}
    return {"rule": rule, "layer": layer, "confirmed": confirmed, "isolated_max_abs_err": err}


def describe_localization(found: dict) -> str:
    """One line for the failure message."""
    what = {"forward": "its activation disagrees while its input agrees",
            "backward": "its gradient disagrees while its upstream gradient agrees",
            "loss": "the loss disagrees while the output it reads agrees"}[found["rule"]]
    check = ("confirmed: the layer alone, given the framework's input, differs by "
             f"{found['isolated_max_abs_err']:.3e}" if found["confirmed"]
             else "NOT confirmed on the layer alone " + found.get("note", "(it agrees in isolation)"))
    return f"  localized ({found['rule']} rule): '{found['layer']}' - {what}; {check}"
