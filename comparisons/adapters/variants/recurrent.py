"""Negative controls of the sequence layers: gate order, biases, backpropagation through time, embedding."""

from __future__ import annotations

import numpy as np

from comparisons.adapters.variants.base import recast_every
from scratch.layers.embedding import Embedding
from scratch.layers.gated import GRU, LSTM


class GRUGatesTorchOrder(GRU):
    """Reads the gate blocks in torch's order (r, z, n) from parameters laid out in Keras's (z, r, h):
    the update and reset gates swapped, the classic bug of porting GRU weights between the two."""

    SWAP = (1, 0, 2)

    def _swapped(self, arrays: dict[str, np.ndarray]) -> None:
        """Swap the z and r blocks of the last axis of every kernel and bias, in place."""
        for key in ("kernel", "recurrent_kernel", "bias"):
            blocks = np.split(arrays[key], 3, axis=-1)
            arrays[key][...] = np.concatenate([blocks[b] for b in self.SWAP], axis=-1)

    def forward(self, inputs: np.ndarray, training: bool = False, initial_state=None) -> np.ndarray:
        """The correct GRU run on the parameters with z and r swapped (restored afterwards)."""
        self._swapped(self.params)
        try:
            return super().forward(inputs, training, initial_state)
        finally:
            self._swapped(self.params)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """The gradient of that wrong forward, its z and r blocks put back where the parameters keep them."""
        self._swapped(self.params)
        try:
            grad_input = super().backward(grad_output)
        finally:
            self._swapped(self.params)
        self._swapped(self.grads)
        return grad_input


class LSTMBiasCountedTwice(LSTM):
    """One bias added twice, to x W and to h U (numpy-ml's torch reference copies its one bias into both
    of torch's b_ih and b_hh, so torch computes with 2b)."""

    def _split_bias(self):
        input_bias, recurrent_bias = super()._split_bias()
        return input_bias, input_bias if recurrent_bias is None else recurrent_bias


class GRURecurrentBiasDropped(GRU):
    """reset_after with one bias where two are needed: b_hh (row 1) left out, so r multiplies h U_h alone."""

    def _split_bias(self):
        input_bias, recurrent_bias = super()._split_bias()
        return input_bias, np.zeros_like(recurrent_bias)


class LSTMBackpropLastStepOnly(LSTM):
    """Backpropagation through time fed only the last step's upstream gradient: with return_sequences
    every earlier step's own dL/dh_t is dropped (invisible when only the last step has a gradient)."""

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        if grad_output.ndim != 3:  # without return_sequences only the last step has a gradient anyway
            return super().backward(grad_output)
        kept = np.zeros_like(grad_output)
        kept[:, -1] = grad_output[:, -1]
        return super().backward(kept)


class EmbeddingBufferedAdd(Embedding):
    """dW[ids] += g: NumPy buffers the fancy-index +=, so a repeated id gets one of its rows, not the sum."""

    def backward(self, grad_output: np.ndarray) -> None:
        grad = np.zeros_like(self.params["weight"])
        grad[self.ids] += grad_output  # NOTE: the bug; np.add.at(grad, self.ids, grad_output) is right
        self.grads["weight"] = grad
        return None


VARIANTS = {
    "gru_gates_torch_order": recast_every(GRUGatesTorchOrder),
    "lstm_bias_counted_twice": recast_every(LSTMBiasCountedTwice),
    "gru_recurrent_bias_dropped": recast_every(GRURecurrentBiasDropped),
    "lstm_backprop_last_step_only": recast_every(LSTMBackpropLastStepOnly),
    "embedding_buffered_add": recast_every(EmbeddingBufferedAdd),
}
