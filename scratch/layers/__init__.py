"""Layers: the Layer base class and its records (base), then one module per family of layer types.

Each family module ends with RECORDS, the LayerType records scratch.registry collects.
"""

from scratch.layers.base import Layer, LayerType, Shape, Tensor
from scratch.layers.convolution import Conv1D, Conv2D
from scratch.layers.dense import Dense
from scratch.layers.dropout import Dropout
from scratch.layers.flatten import Flatten, port_dense_weight
from scratch.layers.normalization import BatchNorm1D, BatchNorm2D, LayerNorm, RMSNorm
from scratch.layers.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D

__all__ = ["AvgPool2D", "BatchNorm1D", "BatchNorm2D", "Conv1D", "Conv2D", "Dense", "Dropout", "Flatten",
           "GlobalAvgPool2D", "Layer", "LayerNorm", "LayerType", "MaxPool2D", "RMSNorm", "Shape", "Tensor",
           "port_dense_weight"]
