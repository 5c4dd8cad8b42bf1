"""Embedding and recurrent layers from torch.nn: nn.Embedding, nn.RNN (tanh), nn.LSTM, nn.GRU, batch first."""

from __future__ import annotations

import torch
from torch import nn

from reference.layouts import Layout

DTYPES = {"float32": torch.float32, "float64": torch.float64}
MODULES = {"simple_rnn": lambda f, h, **kw: nn.RNN(f, h, nonlinearity="tanh", **kw), "lstm": nn.LSTM,
           "gru": nn.GRU}


class Recurrent(nn.Module):
    """torch's own recurrence (nn.RNN / nn.LSTM / nn.GRU, batch_first=True) for a scratch spec.

    The module keeps its weights (weight_ih_l0 (G*H, F), weight_hh_l0 (G*H, H)); the biases are this
    wrapper's `bias` in the scratch shape, handed to the module as its bias_ih_l0 and bias_hh_l0 by
    torch.func.functional_call: rows 0 and 1 of (2, G*H) (torch's two biases), or (G*H,) and a zero
    b_hh (one bias, Keras's form). Output: every step's h (return_sequences) or the last step's; a
    learned initial state is the parameters initial_h (and initial_c) expanded over the batch.
    NOTE: nn.GRU has only the reset-after formula; a spec with reset_after=False gets it all the same
    (a known difference, comparisons/known_differences.csv).
    """

    def __init__(self, spec: dict, dtype: str) -> None:
        super().__init__()
        kind, units = spec["type"], spec["units"]
        self.rnn = MODULES[kind](spec["n_inputs"], units, batch_first=True, dtype=DTYPES[dtype])
        self.weight_ih_l0, self.weight_hh_l0 = self.rnn.weight_ih_l0, self.rnn.weight_hh_l0  # shared
        two = spec.get("biases", 1) == 2 or (kind == "gru" and spec.get("reset_after", True))
        width = self.rnn.weight_ih_l0.shape[0]
        self.bias = nn.Parameter(torch.zeros((2, width) if two else (width,), dtype=DTYPES[dtype]))
        self.return_sequences = bool(spec.get("return_sequences"))
        self.state_names = (("initial_h", "initial_c") if kind == "lstm" else ("initial_h",)) \
            if spec.get("learned_initial_state") else ()
        for name in self.state_names:
            self.register_parameter(name, nn.Parameter(torch.zeros(units, dtype=DTYPES[dtype])))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        input_bias, recurrent_bias = (self.bias[0], self.bias[1]) if self.bias.ndim == 2 else (
            self.bias, torch.zeros_like(self.bias))
        states = [getattr(self, name).expand(1, x.shape[0], -1).contiguous() for name in self.state_names]
        state = None if not states else states[0] if len(states) == 1 else tuple(states)
        output, _ = torch.func.functional_call(
            self.rnn, {"bias_ih_l0": input_bias, "bias_hh_l0": recurrent_bias}, (x, state))
        return output if self.return_sequences else output[:, -1]


LAYERS = {
    "embedding": lambda spec, dtype: nn.Embedding(spec["vocab_size"], spec["embedding_dim"],
                                                  padding_idx=spec.get("padding_idx"), dtype=DTYPES[dtype]),
    "simple_rnn": Recurrent, "lstm": Recurrent, "gru": Recurrent,
}


def _recurrent_layouts(blocks: tuple[int, ...] | None = None) -> dict[str, Layout]:
    """kernel (F, G*H) -> weight_ih_l0 (G*H, F), recurrent_kernel -> weight_hh_l0, bias kept, gate blocks
    reordered along the scratch's last axis when torch's gate order differs."""
    return {"kernel": Layout("weight_ih_l0", permutation=(1, 0), blocks=blocks),
            "recurrent_kernel": Layout("weight_hh_l0", permutation=(1, 0), blocks=blocks),
            "bias": Layout("bias", blocks=blocks),
            **{name: Layout(name, when="learned_initial_state", when_default=False)
               for name in ("initial_h", "initial_c")}}


# Scratch's (Keras's) gate order -> torch's: LSTM i, f, g, o is the same; GRU z, r, h -> r, z, n.
LAYOUTS = {
    "embedding": {"weight": Layout("weight")},
    "simple_rnn": {k: v for k, v in _recurrent_layouts().items() if k != "initial_c"},
    "lstm": _recurrent_layouts(),
    "gru": {k: v for k, v in _recurrent_layouts(blocks=(1, 0, 2)).items() if k != "initial_c"},
}
