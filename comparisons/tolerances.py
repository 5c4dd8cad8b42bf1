"""The one tolerance table: |a - r| <= atol + rtol * |r|, by dtype and kind of quantity."""

from __future__ import annotations

from dataclasses import dataclass

QUANTITY_KIND = {
    "param_copy": "copy",
    "output": "forward",
    "activation": "forward",
    "loss": "forward",
    "metric": "forward",
    "grad_input": "gradient",
    "grad_param": "gradient",
    "grad_activation": "gradient",
    "param_after_step": "step",
}


@dataclass(frozen=True)
class Tolerance:
    """An (atol, rtol) pair and why it is that number."""

    atol: float
    rtol: float
    reason: str


TOLERANCES: dict[tuple[str, str], Tolerance] = {
    ("float64", "copy"): Tolerance(0.0, 0.0, "a parameter copy is exact: same dtype, no arithmetic"),
    ("float32", "copy"): Tolerance(0.0, 0.0, "a parameter copy is exact: same dtype, no arithmetic"),
    ("float64", "forward"): Tolerance(
        1e-12, 1e-10,
        "identical formula in float64: measured floor 1e-16..1e-12 (CONVENTIONS 8); "
        "rtol 1e-10 is the project's float64 bar",
    ),
    ("float64", "gradient"): Tolerance(
        1e-12, 1e-10,
        "identical formula in float64; gradients sum over the batch, still far below 1e-12 absolute",
    ),
    ("float64", "step"): Tolerance(
        1e-12, 1e-10, "one optimizer update in float64 from identical parameters and gradients"
    ),
    ("float32", "forward"): Tolerance(
        1e-5, 1.3e-6, "torch.testing.assert_close float32 defaults: single ops differ by ~1 ulp"
    ),
    ("float32", "gradient"): Tolerance(
        1e-5, 1.3e-6,
        "torch.testing.assert_close float32 defaults; gradients of this size of network "
        "(fan-in <= 32) stay within them",
    ),
    ("float32", "step"): Tolerance(
        1e-5, 1.3e-6, "torch.testing.assert_close float32 defaults for one update"
    ),
}


def tolerance_for(dtype: str, quantity: str) -> Tolerance:
    """The table entry for this dtype and quantity; KeyError names what is missing."""
    try:
        return TOLERANCES[(dtype, QUANTITY_KIND[quantity])]
    except KeyError:
        raise KeyError(f"no tolerance for dtype {dtype!r} and quantity {quantity!r}") from None
