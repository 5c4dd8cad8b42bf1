"""A small network in the class and attribute conventions of the nnfs book's final chapters, written for
nn-parity's tests (`--impl nnfs:tests/helpers/nnfs_style.py`); not the book's code.

Conventions kept (docs/conventions.md §3-§5, §12): forward(inputs, training) storing .output,
backward(dvalues) storing .dinputs; Layer_Dense weights (in, out), biases (1, out), its own L1/L2
gradients with sign(0) = +1; Layer_Dropout(rate) keeps 1 - rate and draws
np.random.binomial(1, keep, shape) / keep; losses clip probabilities to [1e-7, 1 - 1e-7], calculate()
accumulates (new_pass() first) and regularization_loss() reads remember_trainable_layers();
optimizers keep their state on the layers and decay lr / (1 + decay * iterations). Unlike the book,
the MAE gradient has the right sign, and every array keeps its input's dtype.
"""

from __future__ import annotations

import numpy as np

CLIP = 1e-7


class Layer_Dense:
    """z = inputs @ weights + biases, with optional L1/L2 penalties on weights and biases."""

    def __init__(self, n_inputs, n_neurons, weight_regularizer_l1=0, weight_regularizer_l2=0,
                 bias_regularizer_l1=0, bias_regularizer_l2=0):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))
        self.weight_regularizer_l1, self.weight_regularizer_l2 = weight_regularizer_l1, weight_regularizer_l2
        self.bias_regularizer_l1, self.bias_regularizer_l2 = bias_regularizer_l1, bias_regularizer_l2

    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    @staticmethod
    def _penalty_gradient(values, l1, l2):
        gradient = np.zeros_like(values)
        if l1 > 0:
            gradient += l1 * np.where(values < 0, -1, 1).astype(values.dtype)  # +1 at 0, as in the book
        if l2 > 0:
            gradient += 2 * l2 * values
        return gradient

    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dweights += self._penalty_gradient(self.weights, self.weight_regularizer_l1,
                                                self.weight_regularizer_l2)
        self.dbiases += self._penalty_gradient(self.biases, self.bias_regularizer_l1,
                                               self.bias_regularizer_l2)
        self.dinputs = dvalues @ self.weights.T


class Layer_Dropout:
    """Inverted dropout: `rate` is the fraction dropped; self.rate keeps the fraction kept."""

    def __init__(self, rate):
        self.rate = 1 - rate

    def forward(self, inputs, training):
        self.inputs = inputs
        if not training:
            self.output = inputs.copy()
            return
        keep = np.random.binomial(1, self.rate, size=inputs.shape)
        self.binary_mask = keep.astype(inputs.dtype) / self.rate
        self.output = inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask


class Activation_ReLU:
    """max(x, 0); the gradient is 0 where x <= 0."""

    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = np.maximum(inputs, 0)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class Activation_Softmax:
    """Row-wise exp(x - max) normalised; backward is the Jacobian-vector product s * (g - sum(g * s))."""

    def forward(self, inputs, training):
        self.inputs = inputs
        exponentials = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exponentials / np.sum(exponentials, axis=1, keepdims=True)

    def backward(self, dvalues):
        weighted = np.sum(dvalues * self.output, axis=1, keepdims=True)
        self.dinputs = self.output * (dvalues - weighted)


class Activation_Sigmoid:
    """1 / (1 + exp(-x)); derivative s(1 - s)."""

    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = 1 / (1 + np.exp(-inputs))

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output) * self.output


class Activation_TanH:
    """tanh(x); derivative 1 - tanh(x)^2."""

    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = np.tanh(inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output ** 2)


class Activation_Linear:
    """The identity (a regression output)."""

    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = inputs

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()


class Loss:
    """Mean of the per-sample losses, accumulated over a pass; the penalty of the trainable layers."""

    def remember_trainable_layers(self, trainable_layers):
        self.trainable_layers = trainable_layers

    def regularization_loss(self):
        total = 0
        for layer in self.trainable_layers:
            for values, l1, l2 in ((layer.weights, layer.weight_regularizer_l1, layer.weight_regularizer_l2),
                                   (layer.biases, layer.bias_regularizer_l1, layer.bias_regularizer_l2)):
                if l1 > 0:
                    total += l1 * np.sum(np.abs(values))
                if l2 > 0:
                    total += l2 * np.sum(values * values)
        return total

    def calculate(self, output, y, *, include_regularization=False):
        sample_losses = self.forward(output, y)
        data_loss = np.mean(sample_losses)
        self.accumulated_sum += np.sum(sample_losses)
        self.accumulated_count += len(sample_losses)
        if not include_regularization:
            return data_loss
        return data_loss, self.regularization_loss()

    def new_pass(self):
        self.accumulated_sum = 0
        self.accumulated_count = 0


class Loss_CategoricalCrossentropy(Loss):
    """-log of the clipped probability of the true class; labels sparse (N,) or one-hot (N, k)."""

    def forward(self, y_pred, y_true):
        clipped = np.clip(y_pred, CLIP, 1 - CLIP)
        if y_true.ndim == 1:
            confidences = clipped[np.arange(len(clipped)), y_true]
        else:
            confidences = np.sum(clipped * y_true, axis=1)
        return -np.log(confidences)

    def backward(self, dvalues, y_true):
        samples, labels = dvalues.shape
        if y_true.ndim == 1:
            y_true = np.eye(labels, dtype=dvalues.dtype)[y_true]
        self.dinputs = -y_true / dvalues / samples


class Activation_Softmax_Loss_CategoricalCrossentropy:
    """Softmax and cross-entropy together: dL/dlogits = (p - onehot) / N."""

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if y_true.ndim == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[np.arange(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples


class Loss_BinaryCrossentropy(Loss):
    """Mean over outputs of -(y log p + (1 - y) log(1 - p)), p clipped."""

    def forward(self, y_pred, y_true):
        clipped = np.clip(y_pred, CLIP, 1 - CLIP)
        losses = -(y_true * np.log(clipped) + (1 - y_true) * np.log(1 - clipped))
        return np.mean(losses, axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = dvalues.shape
        clipped = np.clip(dvalues, CLIP, 1 - CLIP)
        self.dinputs = -(y_true / clipped - (1 - y_true) / (1 - clipped)) / outputs / samples


class Loss_MeanSquaredError(Loss):
    """Mean over outputs of (y - y_hat)^2."""

    def forward(self, y_pred, y_true):
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = dvalues.shape
        self.dinputs = -2 * (y_true - dvalues) / outputs / samples


class Loss_MeanAbsoluteError(Loss):
    """Mean over outputs of |y - y_hat|; gradient sign(y_hat - y) / (k N) (the book has the sign flipped)."""

    def forward(self, y_pred, y_true):
        return np.mean(np.abs(y_true - y_pred), axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = dvalues.shape
        self.dinputs = np.sign(dvalues - y_true) / outputs / samples


class _Optimizer:
    """lr_t = learning_rate / (1 + decay * iterations), set before each step; iterations counted after."""

    def __init__(self, learning_rate, decay):
        self.learning_rate = self.current_learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0

    def pre_update_params(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate / (1 + self.decay * self.iterations)

    def post_update_params(self):
        self.iterations += 1


class Optimizer_SGD(_Optimizer):
    """theta += v, v = momentum * v - lr_t * g (v = -lr_t * g without momentum)."""

    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0):
        super().__init__(learning_rate, decay)
        self.momentum = momentum

    def update_params(self, layer):
        if not self.momentum:
            layer.weights += -self.current_learning_rate * layer.dweights
            layer.biases += -self.current_learning_rate * layer.dbiases
            return
        if not hasattr(layer, "weight_momentums"):
            layer.weight_momentums = np.zeros_like(layer.weights)
            layer.bias_momentums = np.zeros_like(layer.biases)
        lr = self.current_learning_rate
        layer.weight_momentums = self.momentum * layer.weight_momentums - lr * layer.dweights
        layer.bias_momentums = self.momentum * layer.bias_momentums - lr * layer.dbiases
        layer.weights += layer.weight_momentums
        layer.biases += layer.bias_momentums


class Optimizer_Adagrad(_Optimizer):
    """cache += g^2; theta -= lr_t * g / (sqrt(cache) + epsilon)."""

    def __init__(self, learning_rate=1.0, decay=0.0, epsilon=1e-7):
        super().__init__(learning_rate, decay)
        self.epsilon = epsilon

    def update_params(self, layer):
        if not hasattr(layer, "weight_cache"):
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_cache = np.zeros_like(layer.biases)
        layer.weight_cache += layer.dweights ** 2
        layer.bias_cache += layer.dbiases ** 2
        lr = self.current_learning_rate
        layer.weights += -lr * layer.dweights / (np.sqrt(layer.weight_cache) + self.epsilon)
        layer.biases += -lr * layer.dbiases / (np.sqrt(layer.bias_cache) + self.epsilon)


class Optimizer_RMSprop(_Optimizer):
    """cache = rho * cache + (1 - rho) * g^2; theta -= lr_t * g / (sqrt(cache) + epsilon)."""

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, rho=0.9):
        super().__init__(learning_rate, decay)
        self.epsilon, self.rho = epsilon, rho

    def update_params(self, layer):
        if not hasattr(layer, "weight_cache"):
            layer.weight_cache = np.zeros_like(layer.weights)
            layer.bias_cache = np.zeros_like(layer.biases)
        layer.weight_cache = self.rho * layer.weight_cache + (1 - self.rho) * layer.dweights ** 2
        layer.bias_cache = self.rho * layer.bias_cache + (1 - self.rho) * layer.dbiases ** 2
        lr = self.current_learning_rate
        layer.weights += -lr * layer.dweights / (np.sqrt(layer.weight_cache) + self.epsilon)
        layer.biases += -lr * layer.dbiases / (np.sqrt(layer.bias_cache) + self.epsilon)


class Optimizer_Adam(_Optimizer):
    """Bias-corrected moments: theta -= lr_t * m_hat / (sqrt(v_hat) + epsilon)."""

    def __init__(self, learning_rate=0.001, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        super().__init__(learning_rate, decay)
        self.epsilon, self.beta_1, self.beta_2 = epsilon, beta_1, beta_2

    def _moments(self, layer, name, gradient):
        momentum, cache = f"{name}_momentums", f"{name}_cache"
        if not hasattr(layer, cache):
            setattr(layer, momentum, np.zeros_like(gradient))
            setattr(layer, cache, np.zeros_like(gradient))
        setattr(layer, momentum, self.beta_1 * getattr(layer, momentum) + (1 - self.beta_1) * gradient)
        setattr(layer, cache, self.beta_2 * getattr(layer, cache) + (1 - self.beta_2) * gradient ** 2)
        step = self.iterations + 1
        corrected_momentum = getattr(layer, momentum) / (1 - self.beta_1 ** step)
        corrected_cache = getattr(layer, cache) / (1 - self.beta_2 ** step)
        return -self.current_learning_rate * corrected_momentum / (np.sqrt(corrected_cache) + self.epsilon)

    def update_params(self, layer):
        layer.weights += self._moments(layer, "weight", layer.dweights)
        layer.biases += self._moments(layer, "bias", layer.dbiases)
