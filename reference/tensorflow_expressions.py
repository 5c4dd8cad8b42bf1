"""Scalar expression graphs (case kind 'expression') with TensorFlow's own ops under a GradientTape.

The graph is plain data (comparisons/data/expressions.py): leaves [name, value], nodes [name, op,
operands], an operand a name or a number. Leaves are watched 0-d constants; each node is one tf op;
tape.gradient of the output gives every leaf's gradient.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

# op -> the tf op; radd/rsub/rmul/rdiv are the same ops with the number first (c + v, c - v, ...)
OPS = {
    "add": tf.add, "sub": tf.subtract, "mul": tf.multiply, "div": tf.divide, "pow": tf.pow,
    "neg": tf.negative, "exp": tf.exp, "log": tf.math.log, "tanh": tf.tanh, "relu": tf.nn.relu,
    "sigmoid": tf.sigmoid,
    "radd": tf.add, "rsub": tf.subtract, "rmul": tf.multiply, "rdiv": tf.divide,
}


def run_expression(graph: dict, dtype: str) -> dict:
    """{'value': the output, 'grads': {leaf: d output / d leaf}} from tf.GradientTape."""
    leaves = {name: tf.constant(value, dtype=dtype) for name, value in graph["leaves"]}
    with tf.GradientTape() as tape:
        for leaf in leaves.values():
            tape.watch(leaf)
        values = dict(leaves)
        for name, op, operands in graph["nodes"]:
            args = [values[o] if isinstance(o, str) else tf.constant(o, dtype=dtype) for o in operands]
            values[name] = OPS[op](*args)
        output = values[graph["output"]]
    grads = tape.gradient(output, list(leaves.values()))
    return {"value": float(output.numpy()), "grads": {
        name: float(g.numpy()) if g is not None else 0.0 for name, g in zip(leaves, grads, strict=True)}}
