"""Attention weights cross the adapters as quantity 'internal' and each framework's mask polarity is the
one docs/conventions.md §21 declares: masked keys get weight exactly 0, the rest sum to 1."""

from __future__ import annotations

import numpy as np
import pytest

from comparisons.adapters import get_adapter
from comparisons.cases import case_by_id
from comparisons.kinds.dispatch import compare_case

TENSOR = "0.multi_head_attention.weights"


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_per_head_weights_are_compared_and_the_masks_mean_what_the_docs_say(framework):
    if get_adapter(framework).unavailable_reason():
        pytest.skip(get_adapter(framework).unavailable_reason())
    case = case_by_id("mha_e8_h4_causal_padding")  # causal, valid lengths (4, 2, 6) of T = 6
    outcome = compare_case(case, framework, "float64")
    internal = [r for r in outcome.rows if r["quantity"] == "internal"]
    assert [(r["tensor"], r["status"], r["shape"]) for r in internal] == [(TENSOR, "passed", "(3, 4, 6, 6)")]
    lengths = case.layers[0]["valid_lengths"]
    keys = np.arange(6)
    allowed = (keys[None, :] <= keys[:, None])[None] & (keys < np.array(lengths)[:, None])[:, None, :]
    for side in ("framework", "scratch"):
        weights = outcome.extras["results"][side]["internal"][TENSOR]
        assert np.all(weights[~np.broadcast_to(allowed[:, None], weights.shape)] == 0), side
        assert np.all(weights[np.broadcast_to(allowed[:, None], weights.shape)] > 0), side
        np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)


def test_a_case_without_internals_has_no_internal_rows():
    outcome = compare_case(case_by_id("lstm_last"), "torch", "float64")
    assert not [r for r in outcome.rows if r["quantity"] == "internal"]
