"""Scalar expression graphs (case kind 'expression') with torch's own ops and autograd.

The graph is plain data (comparisons/data/expressions.py): leaves [name, value], nodes [name, op,
operands], an operand a name or a number. Leaves are 0-d tensors with requires_grad; each node is one
torch op; backward() from the output gives every leaf's gradient.
"""

from __future__ import annotations

import torch

DTYPES = {"float32": torch.float32, "float64": torch.float64}

# op -> the torch op; radd/rsub/rmul/rdiv are the same ops with the number first (c + v, c - v, ...)
OPS = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
    "neg": torch.neg, "exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "radd": torch.add, "rsub": torch.sub, "rmul": torch.mul, "rdiv": torch.div,
}


def run_expression(graph: dict, dtype: str) -> dict:
    """{'value': the output, 'grads': {leaf: d output / d leaf}} from torch autograd."""
    kind = DTYPES[dtype]
    leaves = {name: torch.tensor(value, dtype=kind, requires_grad=True) for name, value in graph["leaves"]}
    values = dict(leaves)
    for name, op, operands in graph["nodes"]:
        args = [values[o] if isinstance(o, str)
                else o if op == "pow" else torch.tensor(o, dtype=kind)  # pow: a constant Python exponent
                for o in operands]
        values[name] = OPS[op](*args)
    output = values[graph["output"]]
    output.backward()
    return {"value": output.item(), "grads": {
        name: leaf.grad.item() if leaf.grad is not None else 0.0 for name, leaf in leaves.items()}}
