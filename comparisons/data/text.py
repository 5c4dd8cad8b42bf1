"""Text that ships with Python as character ids: the Zen of Python, read without importing `this`.

`import this` prints the Zen; its module holds the text ROT13-encoded in `s`. Here the string literal
is read from the module's source (ast), decoded with codecs' rot13, lowercased: 856 characters, 32
distinct, no download and nothing printed.
"""

from __future__ import annotations

import ast
import codecs
import importlib.util
from pathlib import Path

import numpy as np


def zen_of_python() -> str:
    """The Zen of Python, lowercased (this.s decoded, as `import this` prints it)."""
    source = Path(importlib.util.find_spec("this").origin).read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "s" for t in node.targets):
            return codecs.decode(ast.literal_eval(node.value), "rot13").lower()
    raise ValueError("the standard library's 'this' module has no string 's'")


def vocabulary(text: str) -> str:
    """The text's distinct characters, sorted: character i has id i."""
    return "".join(sorted(set(text)))


def encode(text: str, chars: str) -> np.ndarray:
    """int64 ids of the characters of text in the vocabulary chars."""
    index = {c: i for i, c in enumerate(chars)}
    return np.array([index[c] for c in text], dtype=np.int64)


def char_windows(text: str, steps: int) -> dict[str, np.ndarray]:
    """x (N, steps) int64 ids of every window of `steps` characters, y (N,) the id of the next one."""
    ids = encode(text, vocabulary(text))
    x = np.lib.stride_tricks.sliding_window_view(ids[:-1], steps).copy()
    return {"x": x, "y": ids[steps:].copy()}
