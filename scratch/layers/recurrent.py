"""Recurrent layers over batch-first sequences (N, T, F): the shared machinery, and SimpleRNN (tanh).

One parameter layout for every recurrent layer (Keras's): kernel (F, G*H) and recurrent_kernel (H, G*H)
hold the G gate blocks of H units side by side along their last axis, in Keras's gate order; bias is
(G*H,) with one bias (Keras: added once per gate) or (2, G*H) with two (torch's b_ih and b_hh: row 0
added to x @ kernel, row 1 to h @ recurrent_kernel). LSTM and GRU live in scratch/layers/gated.py.
"""

from __future__ import annotations

import numpy as np

from scratch.errors import check_float_array, check_shape
from scratch.layers.base import Layer, LayerType, Shape, Tensor
from scratch.training import check_positive_int

STATE_NAMES = ("initial_h", "initial_c")  # the parameters of a learned initial state, LSTM has both


class Recurrent(Layer):
    """A recurrent layer: x W + b for every step at once, then a Python loop over time steps.

    Subclasses set `gates` (G) and `states` (1, or 2 for LSTM's h and c) and implement
    _forward_steps / _backward_steps. Options: return_sequences (output (N, T, H), else the last
    step (N, H)); learned_initial_state (parameters initial_h (and initial_c) of shape (H,), the same
    initial state for every sample; otherwise zeros); biases (1 or 2, see the module docstring).
    forward(x, initial_state=...) also takes a per-sample initial state: an (N, H) array, for LSTM
    an (h, c) pair; its gradient is `grad_initial_state` after backward.
    """

    gates = 1
    states = 1

    def __init__(self, input_size: int, units: int, return_sequences: bool = False,
                 learned_initial_state: bool = False, biases: int = 1, dtype: type = np.float64,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        check_positive_int(type(self).__name__, "input_size", input_size)
        check_positive_int(type(self).__name__, "units", units)
        self.input_size, self.units = int(input_size), int(units)
        self.return_sequences = bool(return_sequences)
        self.learned_initial_state = bool(learned_initial_state)
        if biases not in (1, 2) or isinstance(biases, bool):
            raise ValueError(f"{type(self).__name__}({input_size}->{units}): biases must be 1 (Keras) or 2 "
                             f"(torch's b_ih, b_hh), got {biases!r}")
        self.biases = int(biases)
        rng = rng if rng is not None else np.random.default_rng(0)
        width, bound = self.gates * self.units, 1.0 / np.sqrt(self.units)  # torch's U(+-1/sqrt(H))
        self.params["kernel"] = rng.uniform(-bound, bound, (self.input_size, width)).astype(dtype)
        self.params["recurrent_kernel"] = rng.uniform(-bound, bound, (self.units, width)).astype(dtype)
        self.params["bias"] = np.zeros((2, width) if self.biases == 2 else (width,), dtype=dtype)
        for name in STATE_NAMES[:self.states] if self.learned_initial_state else ():
            self.params[name] = np.zeros(self.units, dtype=dtype)
        self.inputs: np.ndarray | None = None
        self.grad_initial_state: list[np.ndarray] = []

    @property
    def name(self) -> str:
        """'LSTM(F->H, return_sequences, ...)': class, sizes and the options set, for error messages."""
        options = [flag for flag, on in (("return_sequences", self.return_sequences),
                                         ("learned_initial_state", self.learned_initial_state)) if on]
        options += [f"{key}={value}" for key, value in self._formula_options().items()]
        return f"{type(self).__name__}({self.input_size}->{self.units}{''.join(', ' + o for o in options)})"

    def _formula_options(self) -> dict:
        """Options that change the formula, as shown in the name (GRU adds reset_after)."""
        return {"biases": self.biases} if self.biases != 1 else {}

    # ----- forward -----

    def _initial_states(self, n: int, dtype: np.dtype, given) -> list[np.ndarray]:
        """The (N, H) initial states: given (checked), the learned parameters broadcast, or zeros."""
        if given is None:
            if self.learned_initial_state:
                return [np.broadcast_to(self.params[name], (n, self.units)).copy()
                        for name in STATE_NAMES[:self.states]]
            return [np.zeros((n, self.units), dtype=dtype) for _ in range(self.states)]
        if self.learned_initial_state:
            raise ValueError(f"{self.name}: initial_state was given to a layer whose initial state is a "
                             f"learned parameter; give one or the other")
        states = [given] if isinstance(given, np.ndarray) else list(given)
        if len(states) != self.states:
            raise ValueError(f"{self.name}: initial_state must be {self.states} array(s) of shape "
                             f"(N={n}, H={self.units}), got {len(states)}")
        for name, state in zip(STATE_NAMES[:self.states], states, strict=True):
            check_float_array(self.name, f"initial_state {name[-1]}", state)
            if state.shape != (n, self.units):
                raise ValueError(f"{self.name}: initial_state {name[-1]} must have shape (N={n}, "
                                 f"H={self.units}), got {state.shape}")
            if state.dtype != dtype:
                raise ValueError(f"{self.name}: initial_state {name[-1]} must have the input's dtype "
                                 f"{dtype}, got {state.dtype}")
        return [state.copy() for state in states]

    def _split_bias(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(bias added to x @ kernel, bias added to h @ recurrent_kernel or None)."""
        bias = self.params["bias"]
        return (bias[0], bias[1]) if self.biases == 2 else (bias, None)

    def forward(self, inputs: np.ndarray, training: bool = False, initial_state=None) -> np.ndarray:
        """(N, T, F) -> (N, T, H) with return_sequences, else (N, H): the hidden state at every step."""
        check_float_array(self.name, "input", inputs)
        if inputs.ndim != 3 or inputs.shape[1] == 0 or inputs.shape[2] != self.input_size:
            raise ValueError(f"{self.name}: input must have shape (N, T, F={self.input_size}) with T >= 1, "
                             f"got shape {inputs.shape}")
        states = self._initial_states(len(inputs), inputs.dtype, initial_state)
        input_bias, recurrent_bias = self._split_bias()
        projected = inputs @ self.params["kernel"]  # (N, T, G*H): every step's x W at once
        projected += input_bias
        self.inputs, self.initial = inputs, states
        hidden = self._forward_steps(projected, states, recurrent_bias)  # (N, T, H)
        return hidden if self.return_sequences else hidden[:, -1].copy()

    def _forward_steps(self, projected: np.ndarray, states: list[np.ndarray],
                       recurrent_bias: np.ndarray | None) -> np.ndarray:
        """Every step from x W + b (N, T, G*H) and the initial states: the hidden states (N, T, H)."""
        raise NotImplementedError

    # ----- backward -----

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Backpropagation through time: dL/dh_t = g_t + dL/dh_t from step t + 1, every step accumulated.

        dkernel = sum_t x_t^T dz_t, drecurrent_kernel = sum_t h_{t-1}^T dz_t (GRU v1: (r h)^T for the
        candidate block), dbias = sum of dz (two biases: row 1 the recurrent part's), dx_t = dz_t W^T,
        the learned initial state's gradient summed over the batch.
        """
        if self.inputs is None:
            raise RuntimeError(f"{self.name}: backward before forward")
        n, steps, _ = self.inputs.shape
        if self.return_sequences:
            check_shape(self.name, "grad_output", grad_output, (n, steps, self.units))
            grad_hidden = grad_output
        else:
            check_shape(self.name, "grad_output", grad_output, (n, self.units))
            grad_hidden = np.zeros((n, steps, self.units), dtype=grad_output.dtype)
            grad_hidden[:, -1] = grad_output
        d_projected, d_states, d_recurrent, d_recurrent_bias = self._backward_steps(grad_hidden)
        flat = d_projected.reshape(n * steps, -1)
        self.grads["kernel"] = self.inputs.reshape(n * steps, -1).T @ flat
        self.grads["recurrent_kernel"] = d_recurrent
        input_bias_grad = flat.sum(axis=0)
        self.grads["bias"] = (np.stack([input_bias_grad, d_recurrent_bias]) if self.biases == 2
                              else input_bias_grad)
        for name, grad in zip(STATE_NAMES, d_states, strict=False):
            if self.learned_initial_state:
                self.grads[name] = grad.sum(axis=0)
        self.grad_initial_state = d_states
        return d_projected @ self.params["kernel"].T

    def _backward_steps(self, grad_hidden: np.ndarray):
        """From dL/dh_t of every step (N, T, H): (dL/d(x W + b) (N, T, G*H), [dL/d initial state],
        drecurrent_kernel, dL/d recurrent bias (G*H,))."""
        raise NotImplementedError

    def _previous(self, hidden: np.ndarray) -> np.ndarray:
        """h_{t-1} for every step (N, T, H): the initial state, then the hidden states but the last."""
        return np.concatenate([self.initial[0][:, None], hidden[:, :-1]], axis=1)

    @staticmethod
    def _outer_sum(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """sum over n, t of left[n, t]^T right[n, t]: (A, B) from (N, T, A) and (N, T, B)."""
        return left.reshape(-1, left.shape[-1]).T @ right.reshape(-1, right.shape[-1])

    def __repr__(self) -> str:
        return self.name


class SimpleRNN(Recurrent):
    """h_t = tanh(x_t W + b + h_{t-1} U (+ b_hh)) (torch nn.RNN(nonlinearity='tanh'), keras SimpleRNN)."""

    kind = "simple_rnn"

    def _forward_steps(self, projected, states, recurrent_bias):
        hidden = np.empty(projected.shape, dtype=projected.dtype)
        h = states[0]
        for t in range(projected.shape[1]):
            recurrent = h @ self.params["recurrent_kernel"]
            if recurrent_bias is not None:
                recurrent += recurrent_bias
            h = hidden[:, t] = np.tanh(projected[:, t] + recurrent)
        self.hidden = hidden
        return hidden

    def _backward_steps(self, grad_hidden):
        hidden, kernel = self.hidden, self.params["recurrent_kernel"]
        d_projected = np.empty_like(hidden)
        d_h = np.zeros_like(hidden[:, 0])
        for t in reversed(range(hidden.shape[1])):
            d_h = grad_hidden[:, t] + d_h  # this step's own gradient plus what flowed back from t + 1
            d_projected[:, t] = d_h * (1 - hidden[:, t] ** 2)
            d_h = d_projected[:, t] @ kernel.T
        d_recurrent = self._outer_sum(self._previous(hidden), d_projected)
        return d_projected, [d_h], d_recurrent, d_projected.sum(axis=(0, 1))


RECURRENT_OPTIONS = ("return_sequences", "learned_initial_state")


def recurrent_record(name: str, cls: type[Recurrent], options: tuple[str, ...], bias_shape, notes: str
                     ) -> LayerType:
    """The LayerType of a recurrent layer: kernel, recurrent_kernel, bias, optional learned initial state."""
    def build(spec: dict, dtype: str) -> Recurrent:
        return cls(spec["n_inputs"], spec["units"], dtype=dtype,
                   **{key: spec[key] for key in (*RECURRENT_OPTIONS, *options) if key in spec})

    def output_shape(spec: dict, shape: Shape) -> Shape:
        return (shape[0], spec["units"]) if spec.get("return_sequences") else (spec["units"],)

    width = lambda s: cls.gates * s["units"]  # noqa: E731 - the G*H of every shape below
    states = tuple(Tensor(state, lambda s: (s["units"],), "bias", when="learned_initial_state",
                          when_default=False) for state in STATE_NAMES[:cls.states])
    return LayerType(
        name, build, required=("n_inputs", "units"), options=(*RECURRENT_OPTIONS, *options),
        params=(Tensor("kernel", lambda s: (s["n_inputs"], width(s)), "weight"),
                Tensor("recurrent_kernel", lambda s: (s["units"], width(s)), "weight"),
                Tensor("bias", lambda s: bias_shape(s, width(s)), "bias"), *states),
        output_shape=output_shape, notes=notes)


def bias_rows(spec: dict, width: int) -> tuple[int, ...]:
    """(2, G*H) with torch's two biases (biases=2), else (G*H,)."""
    return (2, width) if spec.get("biases", 1) == 2 else (width,)


RECORDS = (recurrent_record("simple_rnn", SimpleRNN, ("biases",), bias_rows,
                            "h_t = tanh(x_t W + b + h_{t-1} U), batch-first (N, T, F)"),)
