"""Sequence cases: embedding, SimpleRNN, LSTM and GRU alone, embedding -> LSTM / GRU -> dense models, an
LSTM trained on noisy-sine windows, and their negative controls (docs/conventions.md §20).

Sequences are batch-first, (N, T, F), in scratch, torch (batch_first=True) and Keras alike. Sizes are
odd on purpose: hidden != input, T = 1 and T > 1, batch 1 and > 1.
"""

from __future__ import annotations

from comparisons.cases.negative_controls import negative_control
from comparisons.core.case import Case

SUITE = "sequence"
TORCH = ("torch",)  # a form only torch has (two biases in SimpleRNN / LSTM, padding_idx): Keras cannot


def _sequence(batch: int, steps: int, features: int) -> dict:
    """Float sequences (N, T, F), |x| in [0.1, 2] with random signs."""
    return {"kind": "signed_uniform", "batch": batch, "shape": (steps, features), "low": 0.1, "high": 2.0}


def _ids(batch: int, steps: int, vocab: int, **extra) -> dict:
    """Integer ids (N, T) in [0, vocab), a repeated id guaranteed (comparisons/data/batches.py)."""
    return {"kind": "ids", "batch": batch, "shape": (steps,), "vocab": vocab, **extra}


def _case(name: str, component: str, layers: tuple, data: dict, frameworks=None, loss=None, **kw) -> Case:
    return Case(id=name, suite=SUITE, component=component, layers=layers, loss=loss, data=data,
                frameworks=frameworks, **kw)


# (id, component, layer, data, frameworks): one recurrent layer each, a random upstream gradient
RECURRENT = (
    ("simple_rnn_last", "SimpleRNN(3->5), last step", {"type": "simple_rnn", "units": 5}, _sequence(4, 6, 3)),
    ("simple_rnn_sequences_t1_b1", "SimpleRNN(2->3) T=1, batch 1, every step",
     {"type": "simple_rnn", "units": 3, "return_sequences": True}, _sequence(1, 1, 2)),
    ("simple_rnn_learned_state", "SimpleRNN(4->3), learned initial state, every step",
     {"type": "simple_rnn", "units": 3, "return_sequences": True, "learned_initial_state": True},
     _sequence(3, 5, 4)),
    ("simple_rnn_two_biases", "SimpleRNN(3->4) with torch's b_ih and b_hh, learned state, every step",
     {"type": "simple_rnn", "units": 4, "return_sequences": True, "biases": 2, "learned_initial_state": True},
     _sequence(2, 5, 3), TORCH),
    ("lstm_last", "LSTM(3->5), last step", {"type": "lstm", "units": 5}, _sequence(4, 6, 3)),
    ("lstm_sequences", "LSTM(4->3), every step", {"type": "lstm", "units": 3, "return_sequences": True},
     _sequence(2, 7, 4)),
    ("lstm_t1_b1", "LSTM(5->2) T=1, batch 1, last step", {"type": "lstm", "units": 2}, _sequence(1, 1, 5)),
    ("lstm_learned_state", "LSTM(3->4), learned initial h and c, every step",
     {"type": "lstm", "units": 4, "return_sequences": True, "learned_initial_state": True},
     _sequence(3, 5, 3)),
    ("lstm_two_biases", "LSTM(3->4) with torch's b_ih and b_hh, learned initial h and c, every step",
     {"type": "lstm", "units": 4, "return_sequences": True, "biases": 2, "learned_initial_state": True},
     _sequence(2, 6, 3), TORCH),
    ("gru_last", "GRU(3->5) reset_after, last step", {"type": "gru", "units": 5}, _sequence(4, 6, 3)),
    ("gru_sequences_learned_state", "GRU(4->3) reset_after, learned initial state, every step",
     {"type": "gru", "units": 3, "return_sequences": True, "learned_initial_state": True},
     _sequence(3, 5, 4)),
    ("gru_t1_b1", "GRU(2->3) T=1, batch 1, every step",
     {"type": "gru", "units": 3, "return_sequences": True}, _sequence(1, 1, 2)),
    # Keras's v1 formula, reset before U_h: TensorFlow agrees; torch cannot express it, so its nn.GRU
    # (reset after, the same one bias, b_hh = 0) is a known difference of the formula alone
    ("gru_reset_before", "GRU(3->4) reset_after=False (Keras v1), learned initial state, every step",
     {"type": "gru", "units": 4, "return_sequences": True, "reset_after": False,
      "learned_initial_state": True}, _sequence(3, 5, 3)),
)

LSTM_MODEL = ({"type": "embedding", "vocab_size": 9, "embedding_dim": 4}, {"type": "lstm", "units": 5},
              {"type": "dense", "units": 3})


def _component_cases() -> list[Case]:
    cases = [_case(name, component, (layer,), data, *frameworks)
             for name, component, layer, data, *frameworks in RECURRENT]
    cases += [
        _case("embedding_repeated_ids", "Embedding(7x4), ids (3, 5) with repeats",
              ({"type": "embedding", "vocab_size": 7, "embedding_dim": 4},), _ids(3, 5, 7)),
        _case("embedding_b1", "Embedding(5x3), batch 1, T=6",
              ({"type": "embedding", "vocab_size": 5, "embedding_dim": 3},), _ids(1, 6, 5)),
        _case("embedding_padding_idx", "Embedding(6x3) padding_idx=0 (torch's; Keras has none), id 0 present",
              ({"type": "embedding", "vocab_size": 6, "embedding_dim": 3, "padding_idx": 0},),
              _ids(3, 4, 6, plant=[0, 0]), TORCH),
        _case("seq_embedding_lstm_dense_cce", "Embedding(9x4)-LSTM(4->5)-Dense(5,3), cross-entropy on logits",
              LSTM_MODEL, _ids(6, 7, 9, target_width=3), loss="categorical_crossentropy_logits"),
        _case("seq_embedding_gru_dense_softmax_cce",
              "Embedding(8x3)-GRU(3->4, learned state)-Dense(4,3)-Softmax, fused cross-entropy",
              ({"type": "embedding", "vocab_size": 8, "embedding_dim": 3},
               {"type": "gru", "units": 4, "learned_initial_state": True}, {"type": "dense", "units": 3},
               {"type": "softmax"}),
              _ids(5, 6, 8, target_width=3), loss="categorical_crossentropy"),
    ]
    return cases


def _training_cases() -> list[Case]:
    """LSTM(1->6, learned state)-Dense(6,1) on windows of 8 of sin(0.1 t) + noise as (N, 8, 1), MSE, SGD
    at lr 0.1 in batches of 16; free-running and teacher-forced."""
    data = {"kind": "series", "length": 120, "noise": 0.1, "n_features": 8, "shape": (8, 1)}
    layers = ({"type": "lstm", "units": 6, "learned_initial_state": True}, {"type": "dense", "units": 1})
    optimizer = {"name": "sgd", "hyper": {"lr": 0.1}}
    return [_case(f"lstm_series_sgd_{mode}", f"LSTM(1->6, learned state)-Dense(6,1) on sine windows [{mode}]",
                  layers, data, loss="mse", seed=16, kind="training",
                  options={"optimizer": optimizer, "epochs": {"short": 2, "full": 10}, "batch_size": 16,
                           "mode": mode})
            for mode in ("free", "teacher")]


CASES: tuple[Case, ...] = (*_component_cases(), *_training_cases())


def _sequence_control(*args, **case) -> Case:
    """A negative control on torch and TensorFlow: JAX claims no sequence layer, and a control skipped
    there would read as 'missed' in summary.csv."""
    return negative_control(*args, frameworks=("torch", "tensorflow"), **case)


NEGATIVE_CONTROLS: tuple[Case, ...] = (
    _sequence_control(
        "gru_gates_torch_order", "gru_gates_torch_order",
        "GRU(3->5) reading Keras-ordered gate blocks (z, r, h) in torch's order (r, z, n)",
        ("activation", "0.gru"), layers=({"type": "gru", "units": 5},), loss=None, data=_sequence(4, 6, 3),
        notes="the copy agrees (the parameters are right); the update and reset gates are swapped"),
    _sequence_control(
        "lstm_bias_counted_twice", "lstm_bias_counted_twice",
        "LSTM(3->5) with its one bias added to x W and to h U (numpy-ml's torch reference: b_ih = b_hh = b)",
        ("activation", "0.lstm"), layers=({"type": "lstm", "units": 5},), loss=None, data=_sequence(4, 6, 3),
        notes="random non-zero biases show it at once; numpy-ml's zero biases hid it"),
    _sequence_control(
        "gru_recurrent_bias_dropped", "gru_recurrent_bias_dropped",
        "GRU(3->5) reset_after with one bias where two are needed (b_hh left out)",
        ("activation", "0.gru"), layers=({"type": "gru", "units": 5},), loss=None, data=_sequence(4, 6, 3)),
    _sequence_control(
        "lstm_backprop_last_step_only", "lstm_backprop_last_step_only",
        "LSTM(4->3) every step: backpropagation through time fed only the last step's upstream gradient",
        ("grad_activation", "0.lstm"), layers=({"type": "lstm", "units": 3, "return_sequences": True},),
        loss=None, data=_sequence(2, 7, 4),
        notes="the forward agrees; only a random upstream gradient on every step shows g_1..g_{T-1} lost"),
    _sequence_control(
        "embedding_buffered_add", "embedding_buffered_add",
        "Embedding(9x4)-LSTM-Dense: dW[ids] += g, a repeated id counted once (np.add.at sums them)",
        ("grad_param", "0.weight"), layers=LSTM_MODEL, loss="categorical_crossentropy_logits",
        data=_ids(6, 7, 9, target_width=3),
        notes="every activation and every input gradient agree; only the rows of repeated ids are wrong"),
)
