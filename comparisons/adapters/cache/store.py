"""The cache on disk: one .npz file per recording, written atomically, read without pickle, bounded (LRU).

An entry holds two arrays: 'data', every array of the recording's outputs back to back (uint8, each
aligned to 16 bytes; boolean arrays, the dropout masks, eight elements to a byte), and 'index', UTF-8
JSON of the outputs' structure (dicts, lists, tuples, strings, numbers, None; arrays and NumPy scalars
by dtype, shape and offset), one template per distinct structure, each read naming its template and
where in 'data' its arrays start. Loading builds the same Python types, dtypes and shapes that were
recorded, so a cached run gives the rows of a live one. Writes go to a temporary file in the same
folder and os.replace() it into place: a reader (another pytest-xdist worker, another run) sees the old
entry or the new one, never half of one. Every hit touches the file, and evict() removes the least
recently used entries beyond the size bound.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_MAX_MB = 3000  # above make report's and the short run's recordings together (README, Performance)
ALIGN = 16


class Unpackable(TypeError):
    """An output the entry format cannot hold (the recording is then not written)."""


class Packer:
    """Outputs as JSON-able templates (structure, dtypes, shapes, offsets from the output's start) plus one
    byte buffer of their arrays; outputs of the same structure share a template, so an index stays small."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.templates: list[list] = []
        self._ids: dict[str, int] = {}

    def _array(self, value: np.ndarray, tag: str, base: int) -> list:
        if value.dtype.hasobject:
            raise Unpackable("an object array")
        shape = list(value.shape)
        if tag == "a" and value.dtype == np.bool_:  # dropout masks: eight to a byte ('p')
            tag, raw = "p", np.packbits(value.ravel()).tobytes()
        else:
            raw = np.ascontiguousarray(value).tobytes()
        offset = self.size - base
        padding = -len(raw) % ALIGN
        self.chunks.append(raw + b"\0" * padding)
        self.size += len(raw) + padding
        return [tag, value.dtype.str, shape, offset]

    def _form(self, value, base: int):
        if isinstance(value, np.ndarray):
            return self._array(value, "a", base)
        if isinstance(value, np.generic):
            return self._array(np.asarray(value), "g", base)
        if isinstance(value, dict):
            return ["d", [[self._form(k, base), self._form(v, base)] for k, v in value.items()]]
        if isinstance(value, (list, tuple)):
            return ["l" if isinstance(value, list) else "t", [self._form(v, base) for v in value]]
        if value is None:
            return ["n"]
        for tag, kind in (("b", bool), ("i", int), ("f", float), ("s", str)):  # bool before int
            if type(value) is kind:
                return [tag, value]
        raise Unpackable(f"a {type(value).__name__}")

    def pack(self, value) -> list[int]:
        """[template id, offset of its first array]: one output, its arrays copied into the buffer."""
        base = self.size
        form = self._form(value, base)
        key = json.dumps(form, separators=(",", ":"))
        if key not in self._ids:
            self._ids[key] = len(self.templates)
            self.templates.append(form)
        return [self._ids[key], base]

    def data(self) -> np.ndarray:
        return np.frombuffer(b"".join(self.chunks), dtype=np.uint8)


def builder(form):
    """A function (data, base) -> the output `form` describes, its arrays views into data at base + offset."""
    tag = form[0]
    if tag in ("a", "g", "p"):
        dtype, shape, offset = np.dtype(form[1]), tuple(form[2]), form[3]
        count = int(np.prod(shape, dtype=np.int64))
        if tag == "p":
            return lambda data, base: np.unpackbits(data[base + offset:base + offset + (count + 7) // 8],
                                                    count=count).view(np.bool_).reshape(shape)
        end = offset + count * dtype.itemsize
        if tag == "g":
            return lambda data, base: data[base + offset:base + end].view(dtype).reshape(shape)[()]
        return lambda data, base: data[base + offset:base + end].view(dtype).reshape(shape)
    if tag == "d":
        items = [(builder(k)(None, 0), builder(v)) for k, v in form[1]]  # keys: plain constants
        return lambda data, base: {key: build(data, base) for key, build in items}
    if tag in ("l", "t"):
        parts = [builder(v) for v in form[1]]
        if tag == "l":
            return lambda data, base: [build(data, base) for build in parts]
        return lambda data, base: tuple(build(data, base) for build in parts)
    constant = None if tag == "n" else form[1]
    return lambda data, base: constant


class Entry:
    """A loaded recording: its reads by chain, each output built afresh from the buffer when asked for."""

    def __init__(self, header: dict, data: np.ndarray) -> None:
        self.header, self.data = header, data
        self.reads = {chain: (template, base) for chain, template, base in header["reads"]}
        self._builders: dict[int, object] = {}

    def output(self, chain: str):
        """The output recorded at this chain (a KeyError when there is none)."""
        template, base = self.reads[chain]
        if template not in self._builders:
            self._builders[template] = builder(self.header["templates"][template])
        return self._builders[template](self.data, base)


@dataclass
class Store:
    """A cache folder: entries '<framework>-<key>.npz'."""

    directory: Path

    def path(self, framework: str, key: str) -> Path:
        return self.directory / f"{framework}-{key}.npz"

    def load(self, framework: str, key: str) -> Entry | None:
        """The entry, or None (no entry, or one that cannot be read)."""
        path = self.path(framework, key)
        try:
            with np.load(path, allow_pickle=False) as entry:
                data = np.array(entry["data"])  # writeable: np.load hands back a read-only buffer here
                header = json.loads(entry["index"].tobytes().decode("utf-8"))
            entry = Entry(header, data)
            os.utime(path)  # last used now: eviction removes the least recently used first
            return entry
        except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError, zipfile.BadZipFile):
            return None  # missing, removed meanwhile, or unreadable: a miss

    def save(self, framework: str, key: str, header: dict, packer: Packer) -> None:
        """Write the entry atomically (temporary file, then os.replace); header['reads'] holds
        [chain, template id, offset] triples of packer's outputs."""
        self.directory.mkdir(parents=True, exist_ok=True)
        header = {**header, "templates": packer.templates}
        index = np.frombuffer(json.dumps(header, separators=(",", ":")).encode("utf-8"), dtype=np.uint8)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, data=packer.data(), index=index)
            os.replace(temporary, self.path(framework, key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def entries(self) -> list[tuple[Path, os.stat_result]]:
        """(path, stat) of every entry, least recently used first."""
        found = []
        for path in self.directory.glob("*.npz"):
            if path.name.startswith(".tmp-"):
                continue
            try:
                found.append((path, path.stat()))
            except OSError:
                continue
        return sorted(found, key=lambda item: item[1].st_mtime)

    def evict(self, max_bytes: int) -> int:
        """Remove least recently used entries until the rest fit in max_bytes (and stale temporary files
        older than an hour); the number removed."""
        for path in self.directory.glob(".tmp-*"):
            try:
                if path.stat().st_mtime < time.time() - 3600:
                    path.unlink()
            except OSError:
                continue
        entries = self.entries()
        total, removed = sum(stat.st_size for _, stat in entries), 0
        for path, stat in entries:
            if total <= max_bytes:
                break
            path.unlink(missing_ok=True)
            total, removed = total - stat.st_size, removed + 1
        return removed

    def clear(self) -> int:
        """Remove every entry (and temporary file); the number of entries removed."""
        entries = self.entries()
        for path, _ in entries:
            path.unlink(missing_ok=True)
        for path in self.directory.glob(".tmp-*"):
            path.unlink(missing_ok=True)
        return len(entries)

    def info(self) -> dict:
        """Folder, entry count and bytes in total and per framework, oldest and newest use."""
        entries = self.entries()
        frameworks: dict[str, list[int]] = {}
        for path, stat in entries:
            counts = frameworks.setdefault(path.name.rsplit("-", 1)[0], [0, 0])
            counts[0], counts[1] = counts[0] + 1, counts[1] + stat.st_size
        return {"directory": str(self.directory), "entries": len(entries),
                "bytes": sum(stat.st_size for _, stat in entries),
                "frameworks": {name: {"entries": n, "bytes": size}
                               for name, (n, size) in sorted(frameworks.items())},
                "oldest_use": entries[0][1].st_mtime if entries else None,
                "newest_use": entries[-1][1].st_mtime if entries else None}
