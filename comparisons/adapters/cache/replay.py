"""A framework adapter's calls in one case, replayed from a recording while their inputs match, else run live.

The kinds call a stand-in (AdapterStandIn) exactly as they call an adapter module. Every call chains
the digest of its method and arguments onto the recording's key, so the chain at a call names every
input the framework was handed up to and including it (a teacher-forced step's chain includes every
parameter set it was reset to). A call that only changes the framework's state (build, make_trainer,
set_params) returns a Handle and is remembered; a call that returns results (version, read_params,
run_pass, step, ...) is answered from the recording when it holds that chain. At the first chain it
does not hold, the session goes live: it imports the framework, runs every remembered call again in
order (rebuilding the state the recording skipped) and then runs live to the end. A session that ran
live writes its reads as the new recording when the case finishes, unless a framework call raised.
"""

from __future__ import annotations

from functools import partial

from comparisons.adapters import get_adapter
from comparisons.adapters.cache.keys import Unhashable, digest
from comparisons.adapters.cache.outcomes import untraced
from comparisons.adapters.cache.store import Packer, Store, Unpackable

READS = frozenset({"version", "read_params", "run_pass", "run_optimizer", "draw_initializer",
                   "default_dense_params", "run_expression", "run_perceptron", "step", "loss"})
STATES = frozenset({"build", "make_trainer", "set_params"})
ATTRIBUTES = frozenset({"model"})  # a trainer's model, handed to read_params


class Handle:
    """Stands for a framework object (a model, a trainer) that no recording holds: made live on demand."""

    def __init__(self, session: Session, path: tuple) -> None:
        self._session, self._path = session, path

    def cache_token(self) -> tuple:
        """What the digest reads for it: which call made it, and the attributes taken from it."""
        return ("handle", *self._path)

    def __getattr__(self, name: str):
        if name in READS or name in STATES:
            return partial(self._session.call, self, name)
        if name in ATTRIBUTES:
            return Handle(self._session, (*self._path, name))
        raise AttributeError(f"{name!r}: not a call the reference cache records (READS, STATES)")


class AdapterStandIn:
    """The framework's adapter module as the kinds see it, every call going through a Session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.PROFILE = session.module.PROFILE

    def __getattr__(self, name: str):
        if name in READS or name in STATES:
            return partial(self._session.call, None, name)
        raise AttributeError(f"{name!r}: not a call the reference cache records (READS, STATES)")


class Session:
    """One case's calls into one framework: answered from `store`'s recording `key`, or live."""

    def __init__(self, framework: str, store: Store, key: str, label: dict) -> None:
        self.framework, self.store, self.key, self.label = framework, store, key, label
        self.module = get_adapter(framework)  # the adapter module: importing it imports no framework
        self.entry = store.load(framework, key)
        self.recorded = self.entry.reads if self.entry else {}
        self.chain: str | None = key
        self.calls: list[tuple] = []  # (target handle or None, method, args, kwargs) in call order
        self.objects: dict[int, object] = {}  # live framework objects by the index of the call that made them
        self.live = False
        self.writable = True  # False once a framework call raised or an argument/output cannot be kept
        self.reads: list[tuple[str, list | None]] = []  # (chain, [template, offset]; None: the recording's)
        self.packer = Packer()
        self.hits = 0

    def call(self, target: Handle | None, method: str, *args, **kwargs):
        """One adapter call: a Handle for a state call, the framework's output for a read."""
        if self.chain is not None:
            try:
                self.chain = digest(self.chain, method, target, args, kwargs)
            except Unhashable:
                self.chain, self.writable = None, False  # from here on: live, and nothing written
        index = len(self.calls)
        self.calls.append((target, method, args, kwargs))
        if method in STATES:
            if self.live:
                self._execute(index)
            return None if method == "set_params" else Handle(self, (index,))
        if not self.live and self.chain in self.recorded:
            self.hits += 1
            self.reads.append((self.chain, None))
            return self.entry.output(self.chain)
        self._go_live()
        output = self._execute(index)
        if self.writable:
            try:
                self.reads.append((self.chain, self.packer.pack(output)))
            except Unpackable:
                self.writable = False
        return output

    def _resolve(self, value):
        if not isinstance(value, Handle):
            return value
        obj = self.objects[value._path[0]]
        for attribute in value._path[1:]:
            obj = getattr(obj, attribute)
        return obj

    def _execute(self, index: int):
        target, method, args, kwargs = self.calls[index]
        owner = self.module if target is None else self._resolve(target)
        try:
            with untraced():  # the outcome cache traces the implementation, not the framework
                result = getattr(owner, method)(*map(self._resolve, args),
                                                **{k: self._resolve(v) for k, v in kwargs.items()})
        except BaseException:
            self.writable = False  # a framework fault: rerun live next time, never recorded
            raise
        if method in STATES:
            self.objects[index] = result
        return result

    def _go_live(self) -> None:
        """Run every call made so far (the recording answered them) to bring the framework's state here."""
        if self.live:
            return
        self.live = True
        for index in range(len(self.calls) - 1):
            self._execute(index)

    def commit(self) -> None:
        """Write this case's reads as the recording, when the session ran live and nothing went wrong."""
        if not (self.live and self.writable and self.reads):
            return
        reads = []
        for chain, packed in self.reads:
            if packed is None:  # answered by the old recording before the session went live: copied over
                packed = self.packer.pack(self.entry.output(chain))
            reads.append([chain, *packed])
        try:
            self.store.save(self.framework, self.key, {**self.label, "framework": self.framework,
                                                        "reads": reads}, self.packer)
        except OSError:
            pass  # a full disk or a read-only folder costs the next run its speed, never its rows
