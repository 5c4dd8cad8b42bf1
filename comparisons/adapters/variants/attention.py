"""Negative controls of multi-head attention: the mask's polarity, the softmax's axis."""

from __future__ import annotations

from comparisons.adapters.variants.base import recast_every
from scratch.layers.attention import MultiHeadAttention


class AttentionMaskInverted(MultiHeadAttention):
    """The key-padding mask in the wrong polarity: True read as 'masked' (torch's key_padding_mask)
    where scratch's True means 'may attend', so only the padded keys are attended."""

    def allowed(self, n, steps, key_mask):
        mask = super().allowed(n, steps, key_mask)
        return None if mask is None else ~mask


class AttentionSoftmaxQueryAxis(MultiHeadAttention):
    """Softmax over the query axis of the (N, H, T_query, T_key) scores instead of the key axis."""

    softmax_axis = -2


VARIANTS = {
    "attention_mask_inverted": recast_every(AttentionMaskInverted),
    "attention_softmax_query_axis": recast_every(AttentionSoftmaxQueryAxis),
}
