"""Fixed thread counts and deterministic kernels, applied once per process before any math."""

from __future__ import annotations

import os
from pathlib import Path

THREADS = int(os.environ.get("NN_PARITY_THREADS", "1"))
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTEROP_THREADS",
              "TF_NUM_INTRAOP_THREADS")


# XLA on the CPU (JAX): Eigen on one thread, THREADS intra-op threads.
XLA_FLAGS = f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={THREADS}"


def configure_environment() -> None:
    """Thread counts, TF log level and JAX's float64 switch through the environment (before numpy/torch/
    tf/jax import): JAX reads JAX_ENABLE_X64 once, at import (docs/conventions.md §16)."""
    for name in THREAD_ENV:
        os.environ.setdefault(name, str(THREADS))
    os.environ.setdefault("JAX_ENABLE_X64", "1")  # else float64 arrays silently become float32
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("XLA_FLAGS", XLA_FLAGS)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # plain Eigen kernels: fixed op order, no log line


JAX_COMPILED = "jax-compiled"  # the subfolder of the reference cache that holds JAX's compiled programs
JAX_COMPILED_MAX_BYTES = 256 * 2**20


def use_jax_compilation_cache(cache: Path) -> None:
    """JAX's persistent compilation cache in cache/jax-compiled (set before the first JAX import): a JAX
    case whose reference-cache entry is missing reruns JAX, but reuses the XLA program compiled for it before.

    NOTE: a compiled program is keyed by its HLO, the JAX/XLA versions and flags; reusing it changes no
    number (docs/architecture.md §9). A folder the user set in JAX_COMPILATION_CACHE_DIR is kept."""
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(cache / JAX_COMPILED))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")  # every program, even quick ones
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")
    os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(JAX_COMPILED_MAX_BYTES))


_configured: set[str] = set()


def configure_torch() -> None:
    """torch.set_num_threads(THREADS) and torch.use_deterministic_algorithms(True), once."""
    if "torch" in _configured:
        return
    configure_environment()
    import torch

    torch.set_num_threads(THREADS)
    # NOTE: torch.use_deterministic_algorithms(True) = this eager-mode switch + a torch._inductor flag
    # for compiled code, whose import costs ~1.6 s per process; nothing here is compiled.
    set_deterministic = getattr(torch._C, "_set_deterministic_algorithms", None)
    if set_deterministic is None:
        torch.use_deterministic_algorithms(True)
    else:
        set_deterministic(True)
    _configured.add("torch")


def configure_tensorflow() -> None:
    """TF intra/inter-op threads = THREADS and op determinism on, once."""
    if "tensorflow" in _configured:
        return
    configure_environment()  # before the first TensorFlow import
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
        tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    except RuntimeError:  # NOTE: TF already initialised its runtime; the env vars still hold
        pass
    tf.config.experimental.enable_op_determinism()
    # NOTE: no Grappler rewrites (fusions, arithmetic re-association) in tf.function graphs: a traced
    # training step then runs the kernels eager mode runs, in the same order.
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    _configured.add("tensorflow")


def configure_jax() -> None:
    """The environment above (x64, CPU, XLA threads) set before the first JAX import, once."""
    if "jax" in _configured:
        return
    configure_environment()  # JAX reads these once, when it is first imported
    _configured.add("jax")


# Settings that say only where something is kept, never what is computed: a recording's key leaves them out
# (else moving the cache folder, whose jax-compiled/ JAX_COMPILATION_CACHE_DIR names, drops every entry).
WHERE_ONLY = frozenset({"JAX_COMPILATION_CACHE_DIR"})


def settings() -> dict:
    """The determinism settings in force, for environment.json."""
    return {
        "threads": THREADS,
        **{name: os.environ.get(name) for name in THREAD_ENV},
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        **{name: os.environ.get(name) for name in ("JAX_ENABLE_X64", "JAX_PLATFORMS", "XLA_FLAGS",
                                                       "JAX_COMPILATION_CACHE_DIR")},
        "torch_deterministic_algorithms": True,
        "tf_op_determinism": True,
        "tf_grappler": "off (disable_meta_optimizer)",
    }
