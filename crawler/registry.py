"""One reference-counted registry: a resource shared by every crawler of a process that asks for it with
the same key, created on first use and closed when its last user releases it.

The crawlers of a multi-site run share the cleaning pool (crawler.pipelines.clean.SharedPool: one worker
per core, not one pool per site) and the state store with its dedup index (crawler.state.shared.SharedState:
one overlay of articles in flight for every site).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Entry(Generic[V]):
    value: V
    users: int = 0


class SharedRegistry(Generic[K, V]):
    """``acquire(key, create)`` -> the shared value (created by ``create`` for its first user);
    ``release(key)`` -> True when that was its last user, and the caller closes it."""

    def __init__(self) -> None:
        self._items: dict[K, _Entry[V]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: K, create: Callable[[], V]) -> V:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                entry = self._items[key] = _Entry(create())
            entry.users += 1
            return entry.value

    def release(self, key: K) -> bool:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return False
            entry.users -= 1
            if entry.users > 0:
                return False
            del self._items[key]
            return True
