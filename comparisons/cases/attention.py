"""Attention cases: multi-head self-attention alone (heads, causal and padding masks, T = 1 and T > 1,
batch 1 and > 1), an attention block (x + attention(x), layer norm, dense) and its negative controls
(docs/conventions.md §21). Every case compares the per-head attention weights as quantity 'internal'.

Sequences are batch-first, (N, T, E), in scratch, torch (batch_first=True) and Keras alike.
"""

from __future__ import annotations

from comparisons.cases.negative_controls import negative_control
from comparisons.cases.recurrent import _sequence
from comparisons.core.case import Case

SUITE = "sequence"
BOTH = ("torch", "tensorflow")  # JAX claims no sequence layer


def _attention(heads: int, **options) -> dict:
    return {"type": "multi_head_attention", "num_heads": heads, **options}


# (id, component, layer, data): one attention layer each, a random upstream gradient
ATTENTION = (
    ("mha_e8_h2", "MultiHeadAttention(E=8, H=2), T=5, batch 3", _attention(2), _sequence(3, 5, 8)),
    ("mha_e8_h4_t1_b1", "MultiHeadAttention(E=8, H=4), T=1, batch 1", _attention(4), _sequence(1, 1, 8)),
    ("mha_e8_h4_causal", "MultiHeadAttention(E=8, H=4) causal, T=6, batch 2", _attention(4, causal=True),
     _sequence(2, 6, 8)),
    ("mha_e8_h2_causal_b1", "MultiHeadAttention(E=8, H=2) causal, T=4, batch 1", _attention(2, causal=True),
     _sequence(1, 4, 8)),
    ("mha_e8_h2_padding", "MultiHeadAttention(E=8, H=2), key padding: valid lengths 5, 2, 3, 1 of T=5",
     _attention(2, valid_lengths=(5, 2, 3, 1)), _sequence(4, 5, 8)),
    ("mha_e8_h4_causal_padding", "MultiHeadAttention(E=8, H=4) causal and key padding (lengths 4, 2, 6)",
     _attention(4, causal=True, valid_lengths=(4, 2, 6)), _sequence(3, 6, 8)),
    ("mha_e6_h3_residual_t1", "x + MultiHeadAttention(E=6, H=3)(x), T=1, batch 2",
     _attention(3, residual=True), _sequence(2, 1, 6)),
)

# x + attention(x), layer norm over the sample (T, E), flatten, dense: a transformer block's first half;
# eps given (torch's default 1e-5; Keras's is 1e-3).
BLOCK = ({"type": "layernorm", "eps": 1e-5}, {"type": "flatten"}, {"type": "dense", "units": 3})


def _case(name: str, component: str, layers: tuple, data: dict, frameworks=BOTH, **kw) -> Case:
    return Case(id=name, suite=SUITE, component=component, layers=layers, data=data, frameworks=frameworks,
                **kw)


CASES: tuple[Case, ...] = (
    *(_case(name, component, (layer,), data, loss=None) for name, component, layer, data in ATTENTION),
    _case("attention_block_residual_layernorm",
          "x + MultiHeadAttention(E=8, H=2, causal)(x) - LayerNorm(T, E) - Flatten - Dense(40, 3), T=5, "
          "batch 3, cross-entropy on logits", (_attention(2, residual=True, causal=True), *BLOCK),
          {**_sequence(3, 5, 8), "target_width": 3}, loss="categorical_crossentropy_logits"),
    _case("attention_block_residual_padding_layernorm",
          "x + MultiHeadAttention(E=8, H=4, key padding 4, 2)(x) - LayerNorm(T, E) - Flatten - Dense(32, 3), "
          "T=4, batch 2", (_attention(4, residual=True, valid_lengths=(4, 2)), *BLOCK), _sequence(2, 4, 8),
          loss=None),
    _case("attention_block_residual_lstm",
          "x + MultiHeadAttention(E=8, H=2, causal)(x) - LSTM(8->5) - Dense(5, 3), T=5, batch 3, "
          "cross-entropy on logits", (_attention(2, residual=True, causal=True), {"type": "lstm", "units": 5},
                                       {"type": "dense", "units": 3}),
          {**_sequence(3, 5, 8), "target_width": 3}, loss="categorical_crossentropy_logits"),
    # the 8x8 digits as sequences of 8 rows of 8 pixels (T = E = 8), trained with SGD
    *(_case(f"attention_digits_rows_sgd_{mode}", "x + MultiHeadAttention(E=8, H=2, causal)(x) - LSTM(8->6) "
            f"- Dense(6, 10), cross-entropy on logits, the digits' rows as (N, 8, 8) sequences, SGD lr 0.1, "
            f"batch 64 [{mode}]", (_attention(2, residual=True, causal=True), {"type": "lstm", "units": 6},
                                   {"type": "dense", "units": 10}),
            {"kind": "digits", "shape": (8, 8)}, loss="categorical_crossentropy_logits", seed=21,
            kind="training", options={"optimizer": {"name": "sgd", "hyper": {"lr": 0.1}}, "mode": mode,
                                      "epochs": {"short": 1, "full": 3}, "batch_size": 64, "shuffle": True})
      for mode in ("free", "teacher")),
)


NEGATIVE_CONTROLS: tuple[Case, ...] = (
    negative_control(
        "attention_mask_inverted", "attention_mask_inverted",
        "MultiHeadAttention(E=8, H=2) with the key-padding mask read in the wrong polarity (torch's True = "
        "masked given where True = may attend is meant): only padded keys attended",
        ("activation", "0.multi_head_attention"), layers=(_attention(2, valid_lengths=(3, 2, 4)),),
        loss=None, data=_sequence(3, 5, 8), frameworks=BOTH,
        notes="every length is below T, so every query still has keys to attend: wrong values, no NaN"),
    negative_control(
        "attention_softmax_query_axis", "attention_softmax_query_axis",
        "MultiHeadAttention(E=8, H=2): softmax over the query axis of the scores instead of the key axis",
        ("activation", "0.multi_head_attention"), layers=(_attention(2),), loss=None,
        data=_sequence(3, 5, 8), frameworks=BOTH,
        notes="the weights no longer sum to 1 over the keys; the projections agree"),
)
