"""Layers: the Layer base class and its records (base), then one module per family of layer types.

Each family module ends with RECORDS, the LayerType records scratch.registry collects.
"""

from scratch.layers.base import Layer, LayerType, Shape, Tensor
from scratch.layers.dense import Dense
from scratch.layers.dropout import Dropout
from scratch.layers.flatten import Flatten
from scratch.layers.normalization import BatchNorm1D, BatchNorm2D, LayerNorm, RMSNorm

__all__ = ["BatchNorm1D", "BatchNorm2D", "Dense", "Dropout", "Flatten", "Layer", "LayerNorm", "LayerType",
           "RMSNorm", "Shape", "Tensor"]
