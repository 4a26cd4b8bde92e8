"""Is the process that wrote a record still alive? For claims and run records left by killed processes.

A process is named by ``host``, ``pid`` and a start token (its start time in clock ticks since boot, from
``/proc/<pid>/stat``), so a pid reused by an unrelated process after a ``kill -9`` is not mistaken for
the original. On another host nothing can be asked: the caller decides by age (a lease or heartbeat).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path


def process_start_token(pid: int) -> str | None:
    """The start time of ``pid`` (field 22 of /proc/<pid>/stat), or None where /proc is not readable."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces: split after its last ')'.
    rest = text.rsplit(")", 1)[-1].split()
    return rest[19] if len(rest) > 19 else None


def process_started_at(pid: int) -> float | None:
    """When ``pid`` started, as a Unix time (boot time + start ticks), or None where /proc cannot tell."""
    token = process_start_token(pid)
    if token is None:
        return None
    try:
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
            if line.startswith("btime ")
        )
        return boot + int(token) / os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, ValueError):
        return None


@cache
def this_host() -> str:
    return socket.gethostname()


@dataclass(frozen=True, slots=True)
class ProcessId:
    """Who holds something: host, pid and start token (``host:pid:token`` as text)."""

    host: str
    pid: int
    token: str | None

    @classmethod
    def current(cls) -> ProcessId:
        pid = os.getpid()
        return cls(this_host(), pid, process_start_token(pid))

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token or '-'}"

    @classmethod
    def parse(cls, text: str) -> ProcessId | None:
        host, _, rest = text.rpartition(":")
        host, _, pid = host.rpartition(":")
        if not host or not pid.isdigit():
            return None
        return cls(host, int(pid), None if rest == "-" else rest)


def pid_alive(pid: int, token: str | None = None) -> bool:
    """True when ``pid`` runs on this host (and, when a start token is known, is the same process)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, belongs to another user
    if token is not None:
        current = process_start_token(pid)
        if current is not None and current != token:
            return False  # the pid was reused
    return True


def is_alive(owner: ProcessId) -> bool | None:
    """True or False on this host; None for another host (unknowable from here)."""
    if owner.host != this_host():
        return None
    return pid_alive(owner.pid, owner.token)


__all__ = ["ProcessId", "is_alive", "pid_alive", "process_start_token", "process_started_at", "this_host"]
