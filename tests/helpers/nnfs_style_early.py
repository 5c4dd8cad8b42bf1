"""An nnfs-style network as the book's middle chapters (before its Model class) write it, for nn-parity's
tests; not the book's code.

Differences from `nnfs_style.py`: forward(inputs) takes no `training` (Layer_Dropout always drops),
Loss.calculate(output, y) neither accumulates nor reports the penalty, regularization_loss(layer) takes
one layer, the combined softmax-CCE class has its own forward(inputs, y_true), Optimizer_SGD is the first
one (learning_rate only, no pre/post_update_params), and there are no Sigmoid, TanH, Linear, binary or
regression losses, Adagrad or RMSprop.
"""

from __future__ import annotations

import numpy as np


class Layer_Dense:
    """inputs @ weights + biases; L2 and L1 penalty gradients added in backward."""

    def __init__(self, n_inputs, n_neurons, weight_regularizer_l1=0, weight_regularizer_l2=0,
                 bias_regularizer_l1=0, bias_regularizer_l2=0):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))
        self.weight_regularizer_l1, self.weight_regularizer_l2 = weight_regularizer_l1, weight_regularizer_l2
        self.bias_regularizer_l1, self.bias_regularizer_l2 = bias_regularizer_l1, bias_regularizer_l2

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        sign_w = np.where(self.weights < 0, -1.0, 1.0).astype(dvalues.dtype)
        sign_b = np.where(self.biases < 0, -1.0, 1.0).astype(dvalues.dtype)
        self.dweights = self.dweights + self.weight_regularizer_l1 * sign_w
        self.dbiases = self.dbiases + self.bias_regularizer_l1 * sign_b
        self.dweights = self.dweights + 2 * self.weight_regularizer_l2 * self.weights
        self.dbiases = self.dbiases + 2 * self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dropout:
    """Drops the fraction `rate` at every forward (validation code leaves the layer out)."""

    def __init__(self, rate):
        self.rate = 1 - rate

    def forward(self, inputs):
        self.inputs = inputs
        keep = np.random.binomial(1, self.rate, size=inputs.shape)
        self.binary_mask = keep.astype(inputs.dtype) / self.rate
        self.output = inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask


class Activation_ReLU:
    """max(0, x)."""

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs > 0, dvalues, 0).astype(dvalues.dtype)


class Activation_Softmax:
    """Normalised exponentials; backward through each sample's Jacobian diag(s) - s s^T."""

    def forward(self, inputs):
        self.inputs = inputs
        exponentials = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exponentials / np.sum(exponentials, axis=1, keepdims=True)

    def backward(self, dvalues):
        self.dinputs = np.empty_like(dvalues)
        for index, (single_output, single_dvalues) in enumerate(zip(self.output, dvalues, strict=True)):
            column = single_output.reshape(-1, 1)
            jacobian = np.diagflat(column) - np.dot(column, column.T)
            self.dinputs[index] = np.dot(jacobian, single_dvalues)


class Loss:
    """calculate: the mean per-sample loss; regularization_loss(layer): that layer's penalty."""

    def regularization_loss(self, layer):
        penalty = 0
        for values, l1, l2 in ((layer.weights, layer.weight_regularizer_l1, layer.weight_regularizer_l2),
                               (layer.biases, layer.bias_regularizer_l1, layer.bias_regularizer_l2)):
            if l1 > 0:
                penalty += l1 * np.sum(np.abs(values))
            if l2 > 0:
                penalty += l2 * np.sum(values * values)
        return penalty

    def calculate(self, output, y):
        return np.mean(self.forward(output, y))


class Loss_CategoricalCrossentropy(Loss):
    """-log(clip(p_true, 1e-7, 1 - 1e-7))."""

    def forward(self, y_pred, y_true):
        clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        if len(y_true.shape) == 1:
            return -np.log(clipped[range(len(y_pred)), y_true])
        return -np.log(np.sum(clipped * y_true, axis=1))

    def backward(self, dvalues, y_true):
        if len(y_true.shape) == 1:
            y_true = np.eye(dvalues.shape[1], dtype=dvalues.dtype)[y_true]
        self.dinputs = -y_true / dvalues / len(dvalues)


class Activation_Softmax_Loss_CategoricalCrossentropy:
    """Softmax then cross-entropy in one object; backward gives (p - onehot) / N."""

    def __init__(self):
        self.activation = Activation_Softmax()
        self.loss = Loss_CategoricalCrossentropy()

    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        return self.loss.calculate(self.output, y_true)

    def backward(self, dvalues, y_true):
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(len(dvalues)), y_true] -= 1
        self.dinputs = self.dinputs / len(dvalues)


class Optimizer_SGD:
    """The first optimizer: theta -= learning_rate * g, nothing else."""

    def __init__(self, learning_rate=1.0):
        self.learning_rate = learning_rate

    def update_params(self, layer):
        layer.weights += -self.learning_rate * layer.dweights
        layer.biases += -self.learning_rate * layer.dbiases


class Optimizer_Adam:
    """Adam with decay lr / (1 + decay * iterations) and bias-corrected moments."""

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        self.learning_rate = self.current_learning_rate = learning_rate
        self.decay, self.iterations = decay, 0
        self.epsilon, self.beta_1, self.beta_2 = epsilon, beta_1, beta_2

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate * (1.0 / (1.0 + self.decay * self.iterations))

    def update_params(self, layer):
        if not hasattr(layer, "weight_cache"):
            layer.weight_momentums = layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_momentums = layer.bias_cache = np.zeros_like(layer.biases)
        t = self.iterations + 1
        for name, gradient in (("weight", layer.dweights), ("bias", layer.dbiases)):
            momentum = self.beta_1 * getattr(layer, f"{name}_momentums") + (1 - self.beta_1) * gradient
            cache = self.beta_2 * getattr(layer, f"{name}_cache") + (1 - self.beta_2) * gradient ** 2
            setattr(layer, f"{name}_momentums", momentum)
            setattr(layer, f"{name}_cache", cache)
            corrected = cache / (1 - self.beta_2 ** t)
            step = momentum / (1 - self.beta_1 ** t) / (np.sqrt(corrected) + self.epsilon)
            values = layer.weights if name == "weight" else layer.biases
            values += -self.current_learning_rate * step

    def post_update_params(self):
        self.iterations += 1
