"""JSON-lines output that a crash can never leave half-written.

Each record goes out as one ``write()`` of a complete line on a file opened in append mode, so a killed
process leaves at most one torn line at the end; opening the file again truncates that torn tail
before anything new is appended. Readers can therefore trust every line they see.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def repair_torn_tail(path: Path) -> int:
    """Truncate a partial last line left by a crash; returns the number of bytes dropped."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with path.open("rb+") as handle:
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return 0
        # Scan backwards in blocks for the last newline.
        position = size
        block = 65536
        while position > 0:
            start = max(0, position - block)
            handle.seek(start)
            chunk = handle.read(position - start)
            index = chunk.rfind(b"\n")
            if index != -1:
                keep = start + index + 1
                handle.truncate(keep)
                return size - keep
            position = start
        handle.truncate(0)
        return size


class JsonlWriter:
    """Appends whole lines to a file (or writes to a stream such as stdout)."""

    def __init__(self, target: str | Path | IO[str], *, fsync: bool = False) -> None:
        self.fsync = fsync
        self.lines_written = 0
        self.repaired_bytes = 0
        self._fd: int | None = None
        self._stream: IO[str] | None = None
        if isinstance(target, str | Path):
            self.path: Path | None = Path(target)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.repaired_bytes = repair_torn_tail(self.path)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        else:
            self.path = None
            self._stream = target

    def write_line(self, line: str) -> None:
        if "\n" in line:
            raise ValueError("a JSON line must not contain a newline")
        data = line + "\n"
        if self._fd is not None:
            payload = data.encode("utf-8")
            start = os.fstat(self._fd).st_size
            try:
                written = os.write(self._fd, payload)
                while written < len(payload):  # a short write on a regular file is rare but legal
                    written += os.write(self._fd, payload[written:])
            except OSError:
                with contextlib.suppress(OSError):  # disk full mid-line: take the torn part back
                    os.ftruncate(self._fd, start)
                raise
            if self.fsync:
                os.fsync(self._fd)
        else:
            assert self._stream is not None
            self._stream.write(data)
            self._stream.flush()
        self.lines_written += 1

    def write(self, record: dict[str, Any]) -> None:
        self.write_line(json.dumps(record, ensure_ascii=False, separators=(",", ":")))

    def sync(self) -> None:
        """Flush the lines to the disk (before a rename makes them the output)."""
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Every complete line of a JSON-lines file (a torn last line, if any, is skipped)."""
    with Path(path).open("rb") as handle:
        for raw in handle:
            if raw.endswith(b"\n") and raw.strip():
                yield json.loads(raw)
