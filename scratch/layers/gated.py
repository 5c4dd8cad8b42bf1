"""Gated recurrent layers: LSTM (gates i, f, c, o) and GRU (gates z, r, h), in Keras's gate order.

Parameters follow scratch/layers/recurrent.py: kernel (F, G*H), recurrent_kernel (H, G*H), bias (G*H,)
or (2, G*H). torch keeps the LSTM gates in the same order (i, f, g, o) and the GRU gates as r, z, n: its
references declare that block reorder (reference/layouts.py).
"""

from __future__ import annotations

import numpy as np

from scratch.activations import sigmoid
from scratch.layers.recurrent import Recurrent, bias_rows, recurrent_record


def _blocks(array: np.ndarray, count: int, units: int) -> tuple[np.ndarray, ...]:
    """The gate blocks of a (N, count*units) array as views (np.split's result, without its overhead)."""
    return tuple(array[:, k * units: (k + 1) * units] for k in range(count))


class LSTM(Recurrent):
    """i, f, o = sigmoid(.), g = tanh(.) of x_t W + b + h_{t-1} U (+ b_hh); c_t = f c_{t-1} + i g;
    h_t = o tanh(c_t) (torch nn.LSTM, keras LSTM; one bias = Keras's, two = torch's b_ih, b_hh)."""

    kind = "lstm"
    gates, states = 4, 2

    def _forward_steps(self, projected, states, recurrent_bias):
        n, steps, width = projected.shape
        units = self.units
        self.acts = np.empty(projected.shape, dtype=projected.dtype)  # i, f, g, o of every step
        self.cells = np.empty((n, steps, units), dtype=projected.dtype)
        hidden = np.empty_like(self.cells)
        h, c = states
        for t in range(steps):
            z = h @ self.params["recurrent_kernel"]
            if recurrent_bias is not None:
                z += recurrent_bias
            z += projected[:, t]
            acts = self.acts[:, t]
            acts[:] = sigmoid(z)  # i, f and o (one call: the sigmoid costs more per call than per element)
            acts[:, 2 * units: 3 * units] = np.tanh(z[:, 2 * units: 3 * units])  # g
            i, f, g, o = _blocks(acts, 4, units)
            c = self.cells[:, t] = f * c + i * g
            h = hidden[:, t] = o * np.tanh(c)
        self.hidden = hidden
        return hidden

    def _backward_steps(self, grad_hidden):
        kernel, steps = self.params["recurrent_kernel"], grad_hidden.shape[1]
        d_projected = np.empty_like(self.acts)
        d_h, d_c = (np.zeros_like(grad_hidden[:, 0]) for _ in range(2))
        for t in reversed(range(steps)):
            i, f, g, o = _blocks(self.acts[:, t], 4, self.units)
            tanh_c = np.tanh(self.cells[:, t])
            c_prev = self.cells[:, t - 1] if t else self.initial[1]
            d_h = grad_hidden[:, t] + d_h  # this step's own gradient plus what flowed back from t + 1
            d_c = d_c + d_h * o * (1 - tanh_c ** 2)  # dc_t also from c_{t+1} = f c_t + ...
            d_gates = d_projected[:, t]
            for block, (upstream, slope) in enumerate(((d_c * g, i * (1 - i)), (d_c * c_prev, f * (1 - f)),
                                                       (d_c * i, 1 - g ** 2), (d_h * tanh_c, o * (1 - o)))):
                d_gates[:, block * self.units: (block + 1) * self.units] = upstream * slope
            d_c = d_c * f
            d_h = d_gates @ kernel.T
        d_recurrent = self._outer_sum(self._previous(self.hidden), d_projected)
        return d_projected, [d_h, d_c], d_recurrent, d_projected.sum(axis=(0, 1))


class GRU(Recurrent):
    """z, r = sigmoid(.), h~ = tanh(.), h_t = z h_{t-1} + (1 - z) h~ (torch nn.GRU, keras GRU).

    reset_after=True (Keras's default, torch's only formula, two biases (2, 3H)):
    h~ = tanh(x W_h + b_h + r (h_{t-1} U_h + b_hh_h)). reset_after=False (Keras's v1, one bias (3H,)):
    h~ = tanh(x W_h + b_h + (r h_{t-1}) U_h), which torch cannot express.
    """

    kind = "gru"
    gates = 3

    def __init__(self, input_size: int, units: int, return_sequences: bool = False,
                 learned_initial_state: bool = False, reset_after: bool = True, dtype: type = np.float64,
                 rng: np.random.Generator | None = None) -> None:
        self.reset_after = bool(reset_after)
        super().__init__(input_size, units, return_sequences, learned_initial_state,
                         biases=2 if self.reset_after else 1, dtype=dtype, rng=rng)

    def _formula_options(self) -> dict:
        return {"reset_after": self.reset_after}

    def _forward_steps(self, projected, states, recurrent_bias):
        n, steps, _ = projected.shape
        units, kernel = self.units, self.params["recurrent_kernel"]
        # per step: z, r, h~ (acts) and what multiplies U_h (h_{t-1}, or r h_{t-1} before the reset)
        self.acts = np.empty(projected.shape, dtype=projected.dtype)
        self.candidate_in = np.empty((n, steps, units), dtype=projected.dtype)
        hidden = np.empty_like(self.candidate_in)
        h = states[0]
        for t in range(steps):
            acts = self.acts[:, t]
            if self.reset_after:
                recurrent = h @ kernel + recurrent_bias
                acts[:, : 2 * units] = sigmoid(projected[:, t, : 2 * units] + recurrent[:, : 2 * units])
                self.candidate_in[:, t] = recurrent[:, 2 * units:]  # h U_h + b_hh_h, kept for dr
                candidate = acts[:, units: 2 * units] * recurrent[:, 2 * units:]
            else:
                acts[:, : 2 * units] = sigmoid(projected[:, t, : 2 * units] + h @ kernel[:, : 2 * units])
                reset = self.candidate_in[:, t] = acts[:, units: 2 * units] * h
                candidate = reset @ kernel[:, 2 * units:]
            acts[:, 2 * units:] = np.tanh(projected[:, t, 2 * units:] + candidate)
            z, hh = acts[:, :units], acts[:, 2 * units:]
            h = hidden[:, t] = z * h + (1 - z) * hh
        self.hidden = hidden
        return hidden

    def _backward_steps(self, grad_hidden):
        units, kernel = self.units, self.params["recurrent_kernel"]
        previous = self._previous(self.hidden)
        d_projected = np.empty_like(self.acts)
        d_recurrent_in = np.empty_like(self.acts)  # dL/d(h U + b_hh) (reset_after) or its z, r blocks
        d_h = np.zeros_like(grad_hidden[:, 0])
        for t in reversed(range(grad_hidden.shape[1])):
            z, r, hh = _blocks(self.acts[:, t], 3, units)
            h_prev = previous[:, t]
            d_h = grad_hidden[:, t] + d_h  # this step's own gradient plus what flowed back from t + 1
            d_cand = d_h * (1 - z) * (1 - hh ** 2)  # dL/d(pre-activation of h~)
            d_projected[:, t, 2 * units:] = d_cand
            d_projected[:, t, :units] = d_h * (h_prev - hh) * z * (1 - z)
            d_next = d_h * z
            if self.reset_after:
                d_r = d_cand * self.candidate_in[:, t]
                d_recurrent_in[:, t, 2 * units:] = d_cand * r
            else:
                d_reset = d_cand @ kernel[:, 2 * units:].T  # dL/d(r h_{t-1})
                d_r = d_reset * h_prev
                d_next += d_reset * r
                d_recurrent_in[:, t, 2 * units:] = d_cand
            d_projected[:, t, units: 2 * units] = d_r * r * (1 - r)
            d_recurrent_in[:, t, : 2 * units] = d_projected[:, t, : 2 * units]
            if self.reset_after:
                d_h = d_next + d_recurrent_in[:, t] @ kernel.T
            else:
                d_h = d_next + d_recurrent_in[:, t, : 2 * units] @ kernel[:, : 2 * units].T
        d_recurrent = self._outer_sum(previous, d_recurrent_in)
        if not self.reset_after:  # the candidate block multiplies r h_{t-1}, not h_{t-1}
            d_recurrent[:, 2 * units:] = self._outer_sum(self.candidate_in, d_recurrent_in[..., 2 * units:])
        return d_projected, [d_h], d_recurrent, d_recurrent_in.sum(axis=(0, 1))


RECORDS = (
    recurrent_record("lstm", LSTM, ("biases",), bias_rows,
                     "c_t = f c_{t-1} + i g, h_t = o tanh(c_t); gates i, f, c, o; batch-first"),
    recurrent_record("gru", GRU, ("reset_after",),
                     lambda s, width: (2, width) if s.get("reset_after", True) else (width,),
                     "h_t = z h_{t-1} + (1 - z) h~; gates z, r, h (Keras); reset_after True or False"),
)
