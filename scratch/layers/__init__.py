"""Layers: the Layer base class and its records (base), then one module per family of layer types.

Each family module ends with RECORDS, the LayerType records scratch.registry collects.
"""

from scratch.layers.base import Layer, LayerType, Shape, Tensor
from scratch.layers.convolution import Conv1D, Conv2D
from scratch.layers.dense import Dense
from scratch.layers.dropout import Dropout
from scratch.layers.flatten import Flatten

__all__ = ["Conv1D", "Conv2D", "Dense", "Dropout", "Flatten", "Layer", "LayerType", "Shape", "Tensor"]
