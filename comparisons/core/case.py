"""A comparison case as plain data, and the spec every implementation builds from it."""

from __future__ import annotations

from dataclasses import dataclass, field

from scratch.registry import layer_type, output_shape

DTYPES = ("float32", "float64")
KINDS = ("pass", "optimizer", "training", "initializer", "perceptron", "landscape", "expression")


@dataclass(frozen=True)
class Case:
    """One comparison: a layer list, a loss (or None for a random upstream gradient), data, seed.

    `frameworks` None means every reference framework whose profile runs the case's kind
    (comparisons.adapters.frameworks_for); a tuple names them.
    """

    id: str
    suite: str
    component: str
    layers: tuple[dict, ...]
    loss: str | None
    data: dict
    seed: int = 0
    dtypes: tuple[str, ...] = DTYPES
    frameworks: tuple[str, ...] | None = None
    training: bool = True
    backward: bool = True
    kind: str = "pass"  # one of KINDS
    options: dict = field(default_factory=dict, compare=False)  # kind-specific plain data
    notes: str = field(default="", compare=False)

    def model_spec(self) -> dict:
        """Plain-data spec every implementation builds from: layers with the sizes they read off their
        input (n_inputs, in_channels), loss; an image input adds 'image': True (channel-first)."""
        shape = input_shape(self.data)
        layers = []
        for layer in self.layers:
            resolved = {**layer, **layer_type(layer["type"]).input_keys(shape)}
            shape = output_shape(resolved, shape)
            layers.append(resolved)
        spec = {"layers": layers, "loss": self.loss, "training": self.training,
                "backward": self.backward, "seed": self.seed,
                "scratch_variant": self.options.get("scratch_variant")}
        return {**spec, "image": True} if self.data.get("image") else spec


def input_shape(data: dict) -> tuple[int, ...]:
    """The per-sample input shape of a data spec: data['shape'] (N-D), else (data['n_features'],)."""
    return tuple(data["shape"]) if "shape" in data else (data["n_features"],)


def run_length(value, full: bool):
    """A length that depends on the run: {'short': n, 'full': m} picks one; a plain value is itself."""
    if isinstance(value, dict) and set(value) == {"short", "full"}:
        return value["full" if full else "short"]
    return value
