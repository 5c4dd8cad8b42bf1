"""The reference cache (docs/architecture.md §9): entries keep every type they were given, a recording is
replayed only while the framework's inputs are the same (teacher forcing included), a stale entry is never
used, a fault is never recorded, the folder stays within its bound, and `nn-parity cache` reads it."""

from __future__ import annotations

import importlib.util
import os
import types

import numpy as np
import pytest

from comparisons.adapters.cache import keys, replay
from comparisons.adapters.cache.keys import Unhashable, digest
from comparisons.adapters.cache.replay import Session
from comparisons.adapters.cache.store import Entry, Packer, Store, Unpackable
from comparisons.cases import case_by_id
from comparisons.cli import main
from comparisons.core.settings import RunSettings
from comparisons.kinds.dispatch import compare_case

HAS_TORCH = importlib.util.find_spec("torch") is not None
OUTPUT = {"loss": {"loss": np.float32(0.25)}, "activation": {"0.dense": np.arange(6.0).reshape(2, 3)},
          "shared": {"dropout_masks": {1: np.array([[True, False]])}}, "scalar": np.array(1.5),
          "items": [1, 2.5, "s", None, True, (np.int64(3), np.zeros((0, 2), np.float32))],
          "nan": float("nan"), "mask": np.arange(15).reshape(3, 5) % 3 == 0, "none": np.zeros(0, bool)}


def _roundtrip(*values) -> list:
    packer = Packer()
    reads = [[f"chain{i}", *packer.pack(value)] for i, value in enumerate(values)]
    entry = Entry({"templates": packer.templates, "reads": reads}, np.array(packer.data()))
    assert len(packer.templates) == len({repr(type(v)) for v in values})  # one structure, one template
    return [entry.output(chain) for chain, _, _ in reads]


def _same(a, b) -> None:
    assert type(a) is type(b), (a, b)
    if isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b) and a.tobytes() == b.tobytes()
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_an_entry_gives_back_the_types_dtypes_shapes_and_bytes_it_was_given():
    second = {**OUTPUT, "activation": {"0.dense": np.arange(6.0, 12.0).reshape(2, 3)}}
    first, again = _roundtrip(OUTPUT, second)  # the same structure: one template, other offsets
    _same(OUTPUT, first)
    _same(second, again)
    with pytest.raises(Unpackable):
        Packer().pack({"x": object()})


def test_the_digest_reads_order_dtype_and_type_and_refuses_what_it_cannot_read():
    a, b = np.ones(3, np.float32), np.ones(3, np.float64)
    assert digest({"x": a}) == digest({"x": a.copy()})
    assert digest({"x": a}) != digest({"x": b})
    assert digest({"x": 1, "y": 2}) != digest({"y": 2, "x": 1})
    assert digest(1) != digest(1.0) != digest(True)
    assert digest(np.arange(4).reshape(2, 2)) != digest(np.arange(4).reshape(4, 1))
    assert digest(np.float32(1.5)) != digest(np.float64(1.5)) != digest(np.array(1.5))
    with pytest.raises(Unhashable):
        digest(object())


class FakeTrainer:
    """w <- w - lr * (w - 1) per step; counts the live calls the framework saw."""

    def __init__(self, params, log):
        self.w, self.log, self.model = params["w"].copy(), log, types.SimpleNamespace(w=None)
        log.append("make_trainer")

    def step(self, x, y, shared=None):
        self.log.append("step")
        self.w = self.w - 0.5 * (self.w - x.sum())
        return {"loss": np.float64(self.w.sum()), "params": {"w": self.w.copy()}}

    def set_params(self, params):
        self.log.append("set_params")
        self.w = params["w"].copy()


def fake_module(log: list) -> types.ModuleType:
    module = types.ModuleType("fake_adapter")
    module.PROFILE = None
    module.version = lambda: log.append("version") or "fake 1.0"
    module.make_trainer = lambda spec, params, optimizer, dtype: FakeTrainer(params, log)
    module.read_params = lambda model: {"w": np.zeros(2)}
    return module


def train(adapter, teacher: list[np.ndarray]) -> list:
    """A teacher-forced loop: a step, then the framework reset to the given parameters."""
    outputs = [adapter.version()]
    trainer = adapter.make_trainer({}, {"w": np.zeros(2)}, {}, "float64")
    outputs.append(adapter.read_params(trainer.model))
    for step, handed in enumerate(teacher):
        outputs.append(trainer.step(np.full(2, step + 1.0), None))
        trainer.set_params({"w": handed})
    return outputs


def session(store: Store, log: list, monkeypatch) -> tuple[Session, replay.AdapterStandIn]:
    monkeypatch.setattr(replay, "get_adapter", lambda name: fake_module(log))
    made = Session("fake", store, "k" * 32, {"case": "c"})
    return made, replay.AdapterStandIn(made)


def test_teacher_forced_steps_replay_until_the_parameters_handed_in_differ(tmp_path, monkeypatch):
    store = Store(tmp_path)
    first = [np.full(2, v) for v in (1.0, 2.0, 3.0)]
    other = [first[0], np.full(2, 7.0), first[2]]  # differs from step 2's reset on
    expected = {name: train(fake_module([]), handed) for name, handed in (("first", first), ("other", other))}

    log: list = []
    made, adapter = session(store, log, monkeypatch)
    _same(train(adapter, first), expected["first"])
    made.commit()
    assert log.count("step") == 3 and len(list(tmp_path.glob("*.npz"))) == 1

    log.clear()
    made, adapter = session(store, log, monkeypatch)
    _same(train(adapter, first), expected["first"])
    assert log == [] and made.hits == 5  # version, read_params, 3 steps: the framework never ran

    log.clear()
    made, adapter = session(store, log, monkeypatch)
    _same(train(adapter, other), expected["other"])
    assert made.hits == 4  # up to step 2; step 3 follows the new reset: everything replayed live
    assert log == ["version", "make_trainer", "step", "set_params", "step", "set_params", "step",
                   "set_params"]
    made.commit()
    log.clear()
    made, adapter = session(store, log, monkeypatch)
    _same(train(adapter, other), expected["other"])
    assert log == []


def test_a_framework_that_raises_is_not_recorded(tmp_path, monkeypatch):
    log: list = []
    made, adapter = session(Store(tmp_path), log, monkeypatch)
    made.module.version = lambda: (_ for _ in ()).throw(RuntimeError("broken"))
    with pytest.raises(RuntimeError):
        adapter.version()
    made.commit()
    assert list(tmp_path.iterdir()) == []


def test_eviction_removes_the_least_recently_used_entries_beyond_the_bound(tmp_path):
    store = Store(tmp_path)
    for i, name in enumerate(("old", "middle", "new")):
        packer = Packer()
        store.save("torch", name, {"reads": [["c", *packer.pack(np.zeros(5000))]]}, packer)
        os.utime(store.path("torch", name), (1000 + i, 1000 + i))
    assert not list(tmp_path.glob(".tmp-*"))  # written atomically: no temporary file left behind
    store.load("torch", "old")  # a hit counts as a use
    size = store.path("torch", "old").stat().st_size
    assert store.evict(2 * size + 10) == 1
    assert sorted(p.stem for p in tmp_path.glob("*.npz")) == ["torch-new", "torch-old"]
    assert store.info()["entries"] == 2 and store.clear() == 2 and store.info()["entries"] == 0


def test_nn_parity_cache_info_and_clear(tmp_path, capsys):
    packer = Packer()
    Store(tmp_path).save("jax", "a" * 32, {"reads": [["c", *packer.pack(np.ones(3))]]}, packer)
    (tmp_path / "jax-compiled").mkdir()
    (tmp_path / "jax-compiled" / "jit_f-cache").write_bytes(b"x" * 2**20)
    assert main(["cache", "info", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "entries:  1" in out and "jax" in out and "compiled programs (jax-compiled/): 1.0 MB" in out
    assert main(["cache", "clear", "--cache-dir", str(tmp_path)]) == 0
    assert "removed 1 entry" in capsys.readouterr().out and not list(tmp_path.glob("*.npz"))
    assert not (tmp_path / "jax-compiled").exists()


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_a_stale_entry_of_another_framework_or_harness_version_is_never_used(tmp_path, monkeypatch):
    from comparisons.adapters import torch_adapter

    calls = []
    real = torch_adapter.run_pass
    monkeypatch.setattr(torch_adapter, "run_pass", lambda *a, **k: calls.append(1) or real(*a, **k))
    settings, case = RunSettings(cache=tmp_path), case_by_id("mlp_spiral_cce")
    rows = compare_case(case, "torch", "float64", settings=settings).rows
    assert calls == [1]
    assert compare_case(case, "torch", "float64", settings=settings).rows[0]["status"] == "passed"
    assert calls == [1]  # replayed
    for name, stale in (("package_versions", lambda fw: (("torch", "0.0.1"),)),
                        ("harness_version", lambda fw: "another harness")):
        with monkeypatch.context() as patch:
            patch.setattr(keys, name, stale)
            again = compare_case(case, "torch", "float64", settings=settings).rows
        assert [r["max_abs_err"] for r in again] == [r["max_abs_err"] for r in rows]
        assert len(calls) == 2, name  # ran live: the entry of the other version was not used
        calls.clear()
        calls.append(1)


def test_a_recording_key_names_what_is_computed_not_where_the_cache_folder_is(monkeypatch):
    facts = {"case": "mlp_spiral_cce", "kind": "pass", "seed": 0, "dtype": "float64"}
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "/one/place/jax-compiled")
    here = keys.recording_key("jax", facts, 1)
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "/another/place/jax-compiled")
    assert keys.recording_key("jax", facts, 1) == here  # a moved cache folder keeps its entries
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
    assert keys.recording_key("jax", facts, 1) != here  # a setting that changes what XLA computes does not
