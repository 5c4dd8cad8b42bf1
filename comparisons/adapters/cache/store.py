"""The cache on disk: one .npz file per recording, written atomically, read without pickle, bounded (LRU).

An entry holds two arrays: 'data', every array of the recording's outputs back to back (uint8, each
aligned to 16 bytes; boolean arrays, the dropout masks, eight elements to a byte), and 'index', UTF-8
JSON of the outputs' structure (dicts, lists, tuples, strings, numbers, None; arrays and NumPy scalars
by dtype, shape and offset into 'data'). Loading builds the same Python types, dtypes and shapes that
were recorded, so a cached run gives the rows of a live one. Writes go to a temporary file in the same
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
    """Outputs turned into JSON-able structure plus one byte buffer of their arrays."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def _array(self, value: np.ndarray, tag: str) -> list:
        if value.dtype.hasobject:
            raise Unpackable("an object array")
        shape = list(value.shape)
        if tag == "a" and value.dtype == np.bool_:  # dropout masks: eight to a byte ('p')
            tag, raw = "p", np.packbits(value.ravel()).tobytes()
        else:
            raw = np.ascontiguousarray(value).tobytes()
        offset = self.size
        padding = -len(raw) % ALIGN
        self.chunks.append(raw + b"\0" * padding)
        self.size += len(raw) + padding
        return [tag, value.dtype.str, shape, offset]

    def pack(self, value):
        """The JSON-able form of one output; its arrays copied into the buffer."""
        if isinstance(value, np.ndarray):
            return self._array(value, "a")
        if isinstance(value, np.generic):
            return self._array(np.asarray(value), "g")
        if isinstance(value, dict):
            return ["d", [[self.pack(k), self.pack(v)] for k, v in value.items()]]
        if isinstance(value, (list, tuple)):
            return ["l" if isinstance(value, list) else "t", [self.pack(v) for v in value]]
        if value is None:
            return ["n"]
        for tag, kind in (("b", bool), ("i", int), ("f", float), ("s", str)):  # bool before int
            if type(value) is kind:
                return [tag, value]
        raise Unpackable(f"a {type(value).__name__}")

    def data(self) -> np.ndarray:
        return np.frombuffer(b"".join(self.chunks), dtype=np.uint8)


def unpack(form, data: np.ndarray):
    """The output a packed form describes; its arrays are views into `data`, with the recorded dtype."""
    tag = form[0]
    if tag == "p":
        shape, offset = tuple(form[2]), form[3]
        count = int(np.prod(shape, dtype=np.int64))
        bits = np.unpackbits(data[offset:offset + (count + 7) // 8], count=count)
        return bits.view(np.bool_).reshape(shape)
    if tag in ("a", "g"):
        dtype, shape, offset = np.dtype(form[1]), tuple(form[2]), form[3]
        count = int(np.prod(shape, dtype=np.int64))
        array = data[offset:offset + count * dtype.itemsize].view(dtype).reshape(shape)
        return array[()] if tag == "g" else array
    if tag == "d":
        return {unpack(k, data): unpack(v, data) for k, v in form[1]}
    if tag in ("l", "t"):
        items = [unpack(v, data) for v in form[1]]
        return items if tag == "l" else tuple(items)
    return None if tag == "n" else form[1]


@dataclass
class Store:
    """A cache folder: entries '<framework>-<key>.npz'."""

    directory: Path

    def path(self, framework: str, key: str) -> Path:
        return self.directory / f"{framework}-{key}.npz"

    def load(self, framework: str, key: str) -> dict | None:
        """The entry's header ('reads': [chain, packed form] pairs) and its 'data' buffer, or None (no entry,
        or one that cannot be read). unpack(form, header['data']) builds a read's output, fresh each time."""
        path = self.path(framework, key)
        try:
            with np.load(path, allow_pickle=False) as entry:
                data = np.array(entry["data"])  # writeable: np.load hands back a read-only buffer here
                header = json.loads(entry["index"].tobytes().decode("utf-8"))
            header["data"] = data
            os.utime(path)  # last used now: eviction removes the least recently used first
            return header
        except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError, zipfile.BadZipFile):
            return None  # missing, removed meanwhile, or unreadable: a miss

    def save(self, framework: str, key: str, header: dict, packer: Packer) -> None:
        """Write the entry atomically (temporary file, then os.replace)."""
        self.directory.mkdir(parents=True, exist_ok=True)
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
