"""Multi-head self-attention from torch.nn: nn.MultiheadAttention(E, H, batch_first=True, bias=True).

torch keeps the q, k, v projections packed, in_proj_weight (3E, E) (out, in) and in_proj_bias (3E,);
this module holds them as separate parameters in torch's (out, in) form and hands the module their
concatenation through torch.func.functional_call, so nn.MultiheadAttention itself computes with them
and autograd gives each its own gradient. Mask polarity (torch's): attn_mask and key_padding_mask
True = NOT allowed (docs/conventions.md §21).
"""

from __future__ import annotations

import torch
from torch import nn

from reference.layouts import Layout

DTYPES = {"float32": torch.float32, "float64": torch.float64}


class SelfAttention(nn.Module):
    """nn.MultiheadAttention(x, x, x) with need_weights=True, average_attn_weights=False (per head).

    causal: attn_mask = triu(ones(T, T), 1) (True above the diagonal: a future key is masked);
    valid_lengths: key_padding_mask[n, s] = s >= length[n]; residual: x + attention(x).
    After forward, `internals['weights']` holds the (N, H, T, T) attention weights.
    """

    def __init__(self, spec: dict, dtype: str) -> None:
        super().__init__()
        width, torch_dtype = spec["n_inputs"], DTYPES[dtype]
        self.mha = nn.MultiheadAttention(width, spec["num_heads"], batch_first=True, bias=True,
                                         dtype=torch_dtype)
        for p in "qkv":
            self.register_parameter(f"{p}_weight", nn.Parameter(torch.zeros(width, width, dtype=torch_dtype)))
            self.register_parameter(f"{p}_bias", nn.Parameter(torch.zeros(width, dtype=torch_dtype)))
        self.out_weight, self.out_bias = self.mha.out_proj.weight, self.mha.out_proj.bias  # shared
        self.causal, self.residual = bool(spec.get("causal")), bool(spec.get("residual"))
        lengths = spec.get("valid_lengths")
        self.lengths = None if lengths is None else torch.tensor(lengths)
        self.internals: dict[str, torch.Tensor] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = x.shape[1]
        positions = torch.arange(steps)
        causal = positions[None, :] > positions[:, None] if self.causal else None  # True = masked
        padding = positions[None, :] >= self.lengths[:, None] if self.lengths is not None else None
        packed = {"in_proj_weight": torch.cat([self.q_weight, self.k_weight, self.v_weight]),
                  "in_proj_bias": torch.cat([self.q_bias, self.k_bias, self.v_bias])}
        output, weights = torch.func.functional_call(
            self.mha, packed, (x, x, x),
            {"key_padding_mask": padding, "attn_mask": causal, "need_weights": True,
             "average_attn_weights": False})
        self.internals = {"weights": weights}
        return x + output if self.residual else output


LAYERS = {"multi_head_attention": SelfAttention}

# scratch (in, out) kernels -> torch (out, in) weights; biases as they are
LAYOUTS = {"multi_head_attention": {
    **{f"{p}_kernel": Layout(f"{p}_weight", permutation=(1, 0)) for p in ("q", "k", "v", "out")},
    **{f"{p}_bias": Layout(f"{p}_bias") for p in ("q", "k", "v", "out")}}}
