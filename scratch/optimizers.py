"""Optimizers with one interface: opt.step(params, grads) updates params in place, atomically.

t is the 1-based step counter: the first step() computes with t = 1 and leaves opt.t == 1.
Decay (every optimizer, nnfs / legacy tf.keras `decay=`): lr_t = lr / (1 + decay * (t - 1)); nnfs's
`iterations` is t - 1. Defaults are the textbook (nnfs) ones of docs/conventions.md §5; the keyword options
select each framework's convention so that it can be matched exactly.

Atomic: every input is validated and every parameter's step computed before any array is written,
so a failing step (shape or dtype mismatch, NaN/Inf gradient or parameter, missing key) leaves
params and state as they were; the commit is then `param -= step` in place (no new parameter array, no copy).
dtype: each hyperparameter is rounded to the parameter's dtype before use (as Keras does), so
float32 parameters stay float32. float32_hyperparameters=True (Keras, docs/conventions.md §7) also rounds
what Keras passes through tf.cast of a Python float to float32 even in float64: SGD's momentum, Adam's betas
in the bias corrections, Adagrad's initial accumulator, and the whole InverseTimeDecay learning rate.
"""

from __future__ import annotations

import numpy as np

from scratch.errors import all_finite, check_number

State = dict[str, np.ndarray]


class Optimizer:
    """Shared step(): validation, lr decay, per-key state, atomic in-place assignment."""

    name = "optimizer"

    def __init__(self, lr: float, decay: float = 0.0, float32_hyperparameters: bool = False) -> None:
        self.lr = check_number(self.name, "lr", lr, low=0.0)
        self.decay = check_number(self.name, "decay", decay, low=0.0)
        self.float32_hyperparameters = bool(float32_hyperparameters)
        self.t = 0  # steps taken; the step being computed is t + 1
        self.state: dict[str, State] = {}  # per parameter key, e.g. state["0.weight"]["velocity"]

    def current_lr(self, t: int) -> float:
        """lr_t = lr / (1 + decay*(t - 1)) for 1-based t (nnfs; keras InverseTimeDecay(lr, 1, decay), which
        computes it in float32 from float32 lr and decay: float32_hyperparameters)."""
        if self.float32_hyperparameters and self.decay:
            f32 = np.float32
            return float(f32(self.lr) / (f32(1.0) + f32(self.decay) * f32(t - 1)))
        return self.lr / (1.0 + self.decay * (t - 1))

    def hyper(self, value: float) -> float:
        """value, or float32(value) with float32_hyperparameters (Keras's tf.cast of a Python float)."""
        return float(np.float32(value)) if self.float32_hyperparameters else value

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every params[key] in place from grads[key]; nothing is written if any check fails."""
        self._validate(params, grads)
        t = self.t + 1
        lr_t = self.current_lr(t)
        updates = {}
        for key, param in params.items():
            dtype = param.dtype.type
            updates[key] = self._update(param, grads[key], self._state_for(key, param), lr_t, t, dtype)
        for key, (step, new_state) in updates.items():  # commit: every check passed, every step computed
            params[key] -= step  # theta_new = theta - step
            self.state[key] = new_state
        self.t = t

    def _state_for(self, key: str, param: np.ndarray) -> State:
        return self.state.get(key) or self._initial_state(param)

    def _initial_state(self, param: np.ndarray) -> State:
        return {}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State, lr_t: float, t: int,
                dtype: type) -> tuple[np.ndarray, State]:
        """(step, new state) as fresh arrays, theta_new = theta - step; must not write to param or state."""
        raise NotImplementedError

    def _validate(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        if params.keys() != grads.keys():
            missing, extra = sorted(params.keys() - grads.keys()), sorted(grads.keys() - params.keys())
            raise ValueError(f"{self.name}: params and grads keys differ (no grad for {missing}; "
                             f"grad without param: {extra})")
        for key, param in params.items():
            grad = grads[key]
            for what, array in (("param", param), ("grad", grad)):
                if not isinstance(array, np.ndarray) or array.dtype.type not in (np.float32, np.float64):
                    kind = getattr(array, "dtype", type(array).__name__)
                    raise TypeError(f"{self.name}: {what} {key!r} must be a float array, got {kind}")
            if grad.shape != param.shape:
                raise ValueError(f"{self.name}: grad {key!r} has shape {grad.shape}, param has {param.shape}")
            if grad.dtype != param.dtype:
                raise TypeError(f"{self.name}: grad {key!r} is {grad.dtype}, param is {param.dtype}")
            if not param.flags.writeable:
                raise ValueError(f"{self.name}: param {key!r} is read-only and cannot be updated in place")
            stale = [name for name, array in self.state.get(key, {}).items()
                     if array.shape != param.shape or array.dtype != param.dtype]
            if stale:
                raise ValueError(f"{self.name}: state {stale} of {key!r} does not match the param")
            for what, array in (("param", param), ("grad", grad)):
                if not all_finite(array):
                    raise ValueError(f"{self.name}: {what} {key!r} contains NaN or Inf; "
                                     "params left unchanged")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, decay={self.decay}, t={self.t})"


class SGD(Optimizer):
    """theta -= lr_t*g; momentum 'nnfs': v = mu*v - lr_t*g, theta += v (keras SGD, sklearn);
    'torch': buf = mu*buf + g, theta -= lr_t*buf (torch.optim.SGD). Nesterov: nnfs form
    theta += mu*v - lr_t*g (keras / sklearn); torch form theta -= lr_t*(g + mu*buf) (torch.optim.SGD)."""

    name = "sgd"
    MOMENTUM_FORMS = ("nnfs", "torch")

    def __init__(self, lr: float = 1.0, momentum: float = 0.0, nesterov: bool = False, decay: float = 0.0,
                 momentum_form: str = "nnfs", float32_hyperparameters: bool = False) -> None:
        super().__init__(lr, decay, float32_hyperparameters)
        self.momentum = check_number(self.name, "momentum", momentum, low=0.0, high=1.0, high_open=True)
        if momentum_form not in self.MOMENTUM_FORMS:
            raise ValueError(f"sgd: momentum_form must be in {self.MOMENTUM_FORMS}, got {momentum_form!r}")
        if nesterov and self.momentum == 0:
            raise ValueError("sgd: nesterov=True needs momentum > 0")
        self.nesterov, self.momentum_form = bool(nesterov), momentum_form

    def _initial_state(self, param: np.ndarray) -> State:
        return {"velocity": np.zeros_like(param)} if self.momentum else {}

    def _update(self, param, grad, state, lr_t, t, dtype):
        lr, mu = dtype(lr_t), dtype(self.hyper(self.momentum))
        if not self.momentum:
            return lr * grad, state
        # NOTE: the forms agree only while lr_t is constant: torch's buf sums raw gradients and scales
        # the whole sum by today's lr, nnfs/keras's v keeps each past step at the lr it was taken with.
        if self.momentum_form == "nnfs":
            velocity = mu * state["velocity"] - lr * grad
            change = mu * velocity - lr * grad if self.nesterov else velocity  # theta += change
            return -change, {"velocity": velocity}
        velocity = mu * state["velocity"] + grad  # torch's momentum_buffer (= g at t = 1)
        direction = grad + mu * velocity if self.nesterov else velocity
        return lr * direction, {"velocity": velocity}


class Adagrad(Optimizer):
    """cache += g^2; theta -= lr_t*g/(sqrt(cache) + eps) (nnfs; torch.optim.Adagrad(lr_decay=decay));
    eps_inside_sqrt: lr_t*g/sqrt(cache + eps), initial_accumulator 0.1 (keras.optimizers.Adagrad)."""

    name = "adagrad"

    def __init__(self, lr: float = 1.0, epsilon: float = 1e-7, decay: float = 0.0,
                 initial_accumulator: float = 0.0, eps_inside_sqrt: bool = False,
                 float32_hyperparameters: bool = False) -> None:
        super().__init__(lr, decay, float32_hyperparameters)
        self.epsilon = check_number(self.name, "epsilon", epsilon, low=0.0)
        self.initial_accumulator = check_number(self.name, "initial_accumulator", initial_accumulator, low=0)
        self.eps_inside_sqrt = bool(eps_inside_sqrt)

    def _initial_state(self, param: np.ndarray) -> State:
        return {"cache": np.full_like(param, self.hyper(self.initial_accumulator))}

    def _update(self, param, grad, state, lr_t, t, dtype):
        cache = state["cache"] + grad * grad
        return _scaled_step(dtype(lr_t), grad, cache, dtype(self.epsilon), self.eps_inside_sqrt), {
            "cache": cache}


class RMSprop(Optimizer):
    """cache = rho*cache + (1-rho)*g^2; theta -= lr_t*g/(sqrt(cache) + eps) (nnfs; torch RMSprop(alpha=rho));
    eps_inside_sqrt: lr_t*g/sqrt(cache + eps) (keras.optimizers.RMSprop)."""

    name = "rmsprop"

    def __init__(self, lr: float = 1e-3, rho: float = 0.9, epsilon: float = 1e-7, decay: float = 0.0,
                 eps_inside_sqrt: bool = False, float32_hyperparameters: bool = False) -> None:
        super().__init__(lr, decay, float32_hyperparameters)
        self.rho = check_number(self.name, "rho", rho, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number(self.name, "epsilon", epsilon, low=0.0)
        self.eps_inside_sqrt = bool(eps_inside_sqrt)

    def _initial_state(self, param: np.ndarray) -> State:
        return {"cache": np.zeros_like(param)}

    def _update(self, param, grad, state, lr_t, t, dtype):
        rho = dtype(self.rho)
        cache = rho * state["cache"] + dtype(1 - self.rho) * (grad * grad)  # 1 - rho exact, then rounded
        return _scaled_step(dtype(lr_t), grad, cache, dtype(self.epsilon), self.eps_inside_sqrt), {
            "cache": cache}


class Adam(Optimizer):
    """m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g^2; theta -= lr_t*m_hat/(sqrt(v_hat) + eps) (nnfs, torch Adam);
    epsilon_hat: theta -= lr_t*sqrt(1-b2^t)/(1-b1^t)*m/(sqrt(v) + eps) (keras.optimizers.Adam, sklearn)."""

    name = "adam"

    def __init__(self, lr: float = 1e-3, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 decay: float = 0.0, epsilon_hat: bool = False,
                 float32_hyperparameters: bool = False) -> None:
        super().__init__(lr, decay, float32_hyperparameters)
        self.beta_1 = check_number(self.name, "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_number(self.name, "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number(self.name, "epsilon", epsilon, low=0.0)
        self.epsilon_hat = bool(epsilon_hat)

    def _initial_state(self, param: np.ndarray) -> State:
        return {"m": np.zeros_like(param), "v": np.zeros_like(param)}

    def _update(self, param, grad, state, lr_t, t, dtype):
        b1, b2, eps = dtype(self.beta_1), dtype(self.beta_2), dtype(self.epsilon)
        # NOTE: 1 - beta in Python floats, then rounded (torch and Keras alike): in float32, 1 - f32(0.999)
        # is 0.00099998713, 1.3e-5 away from float32(0.001)
        m = b1 * state["m"] + dtype(1 - self.beta_1) * grad
        v = b2 * state["v"] + dtype(1 - self.beta_2) * (grad * grad)
        # Python floats; Keras powers its betas after tf.cast, float32 ones (float32_hyperparameters)
        correction_1, correction_2 = 1.0 - self.hyper(self.beta_1)**t, 1.0 - self.hyper(self.beta_2)**t
        if self.epsilon_hat:
            # NOTE: eps here is eps_hat; the textbook-equivalent epsilon is eps_hat/sqrt(1-b2^t),
            # 31.6*eps_hat at t = 1, so no constant eps makes the two forms agree. Keras computes
            # alpha in the parameters' dtype: in float32, 1 - b2^t cancels (relative 3e-5 at t = 1).
            power_1, power_2 = (dtype(self.hyper(b)) ** dtype(t) for b in (self.beta_1, self.beta_2))
            alpha = dtype(lr_t) * np.sqrt(dtype(1) - power_2) / (dtype(1) - power_1)
            return alpha * m / (np.sqrt(v) + eps), {"m": m, "v": v}
        m_hat, v_hat = m / dtype(correction_1), v / dtype(correction_2)
        return dtype(lr_t) * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v}


def _scaled_step(lr: np.floating, grad: np.ndarray, cache: np.ndarray, eps: np.floating,
                 eps_inside_sqrt: bool) -> np.ndarray:
    """lr*g/(sqrt(cache) + eps), or lr*g/sqrt(cache + eps) (keras Adagrad / RMSprop)."""
    if eps_inside_sqrt:
        return lr * grad / np.sqrt(cache + eps)
    return lr * grad / (np.sqrt(cache) + eps)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}


def build_optimizer(name: str, **options) -> Optimizer:
    """An optimizer from its name and keyword options, e.g. build_optimizer('adam', lr=0.05, decay=5e-7)."""
    if name not in OPTIMIZERS:
        raise KeyError(f"scratch: unknown optimizer {name!r}; known: {', '.join(sorted(OPTIMIZERS))}")
    return OPTIMIZERS[name](**options)
