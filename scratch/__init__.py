"""nn-parity scratch: a neural-network library written from scratch in NumPy only."""

from scratch.activations import ReLU, Softmax
from scratch.layers import Dense, Layer
from scratch.losses import CategoricalCrossEntropy
from scratch.model import Sequential

__all__ = ["CategoricalCrossEntropy", "Dense", "Layer", "ReLU", "Sequential", "Softmax"]
