"""The cleaning pool of `presswash clean`: worker processes that may die, hang or be killed, and a run that
goes on regardless.

``ProcessPoolExecutor`` breaks as a whole when one worker dies (the OOM killer, a segfault in a C
library): every pending future fails with ``BrokenProcessPool`` and the run ends without stats. Here each
worker holds one document at a time over its own pipe, so the parent always knows which document a
worker held:

- a worker that dies is replaced, and its document is reported with its path as failed
  (``internal_error``: "cleaning worker died ...");
- a worker that overruns the time budget by ``HARD_GRACE_SECONDS`` (an interrupt that cannot land inside
  a C call) is killed and replaced, its document rejected ``too_complex``;
- a worker interrupted by its own budget alarm is replaced after it answers (a library interrupted
  mid-parse may be left half-updated);
- workers die with the parent (``PR_SET_PDEATHSIG``): a ``kill -9`` of the run leaves no orphans.

Results come back in input order, with a bounded window of documents in flight.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from cleaners.article import CleanResult, Rejected, RejectReason
from cleaners.budget import HARD_GRACE_SECONDS
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions

# Documents read ahead per worker: enough to keep workers busy, few enough that memory stays flat.
WINDOW_PER_WORKER = 8
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class FileTask:
    """A plain file the worker reads itself (the parent only hands out paths)."""

    path: str


Task = FileTask | RawDocument
Passthrough = Any  # anything else (a Rejected, a Skipped) is handed back in its place, in order


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no orphan keeps cleaning)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return


def _worker_main(
    conn: Connection, config: CleaningOptions | str | None, parent_pid: int, overrides: tuple[tuple[str, Any], ...] = ()
) -> None:
    """Worker loop: receive ``(seq, task)``, answer ``(seq, result, replace_me)``; None or EOF ends it.
    ``overrides``: one site's cleaning options (SiteConfig.cleaning_overrides), for every task of the run."""
    _die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    from cleaners import worker
    from cleaners.budget import clean_within_budget
    from cleaners.sources import read_file

    worker.init_worker(config)
    options = worker._overridden(overrides)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        seq, task = message
        replace_me = False
        if isinstance(task, FileTask):
            raw = read_file(task.path, options.max_bytes)
            if isinstance(raw, RawDocument):
                result, replace_me = clean_within_budget(raw, options)
            else:
                result = raw
        else:
            result, replace_me = clean_within_budget(task, options)
        try:
            conn.send((seq, result, replace_me))
        except (BrokenPipeError, OSError):
            return
        if replace_me:
            return


def task_source(task: Task) -> str:
    return task.path if isinstance(task, FileTask) else task.source


@dataclass
class _Worker:
    process: Any
    conn: Connection
    seq: int | None = None
    source: str = ""
    deadline: float = 0.0


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class CleaningPool:
    """``workers`` processes cleaning with ``config``: the run's options object (the very options the
    caller cleans with, including any built or changed in code) or a config path each worker loads; see
    the module docstring."""

    def __init__(
        self,
        workers: int,
        config: CleaningOptions | str | None,
        max_seconds: float,
        grace: float = HARD_GRACE_SECONDS,
        overrides: tuple[tuple[str, Any], ...] = (),
    ) -> None:
        self.size = max(1, workers)
        self.config = config
        self.overrides = overrides
        self.grace = grace
        self.hard_seconds = max_seconds + grace if max_seconds > 0 else 0.0
        self.replaced = 0
        self._context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        self._workers: list[_Worker] = []

    def _start(self) -> _Worker:
        parent_conn, child_conn = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main,
            args=(child_conn, self.config, os.getpid(), self.overrides),
            name="presswash-clean",
        )
        process.daemon = True
        process.start()
        child_conn.close()
        return _Worker(process, parent_conn)

    def _stop(self, worker: _Worker, *, kill: bool) -> None:
        if kill:
            worker.process.kill()
        else:
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.conn.send(None)
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def _replace(self, worker: _Worker, *, kill: bool) -> _Worker:
        self._stop(worker, kill=kill)
        self.replaced += 1
        fresh = self._start()
        self._workers[self._workers.index(worker)] = fresh
        return fresh

    def results(self, items: Iterable[Task | Passthrough]) -> Iterator[CleanResult | Passthrough]:
        """Clean every task; hand back every item's outcome in the order of ``items``."""
        self._workers = [self._start() for _ in range(self.size)]
        window = self.size * WINDOW_PER_WORKER
        source = iter(items)
        held: tuple[int, Task] | None = None
        exhausted = False
        next_seq = 0  # next item number to take from ``items``
        next_out = 0  # next item number to hand back
        done: dict[int, Any] = {}
        try:
            while True:
                # Hand out work while the window allows.
                while next_seq - next_out < window:
                    if held is None:
                        if exhausted:
                            break
                        try:
                            item = next(source)
                        except StopIteration:
                            exhausted = True
                            break
                        if not isinstance(item, FileTask | RawDocument):
                            done[next_seq] = item
                            next_seq += 1
                            continue
                        held = (next_seq, item)
                        next_seq += 1
                    idle = next((w for w in self._workers if w.seq is None), None)
                    if idle is None:
                        break
                    self._assign(idle, *held)
                    held = None
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
                busy = [w for w in self._workers if w.seq is not None]
                if not busy:
                    if exhausted and held is None and next_out == next_seq:
                        return
                    continue
                self._collect(busy, done)
        finally:
            for worker in self._workers:
                self._stop(worker, kill=True)
            self._workers = []

    def _assign(self, worker: _Worker, seq: int, task: Task) -> None:
        """Give ``task`` to ``worker``; a worker found dead here had not started it: replace and retry."""
        for _ in range(3):
            try:
                worker.conn.send((seq, task))
                break
            except (BrokenPipeError, OSError):
                worker = self._replace(worker, kill=True)
        else:
            raise RuntimeError("cleaning workers die as soon as they start")
        worker.seq, worker.source = seq, task_source(task)
        worker.deadline = time.monotonic() + self.hard_seconds if self.hard_seconds else float("inf")

    def _collect(self, busy: list[_Worker], done: dict[int, Any]) -> None:
        """Wait for an answer, a death or a deadline; record what happened to each document."""
        now = time.monotonic()
        timeout = max(0.0, min(w.deadline for w in busy) - now)
        handles: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
        ready = set(wait(handles, timeout=None if timeout == float("inf") else timeout))
        for worker in busy:
            if worker.conn in ready:
                try:
                    seq, result, replace_me = worker.conn.recv()
                except (EOFError, OSError):
                    self._died(worker, done)
                    continue
                done[seq] = result
                worker.seq = None
                if replace_me:
                    self._replace(worker, kill=False)
            elif worker.process.sentinel in ready:
                self._died(worker, done)
            elif time.monotonic() >= worker.deadline:
                assert worker.seq is not None
                detail = (
                    f"still cleaning after {self.hard_seconds:g} s (max_seconds plus {self.grace:g} s); "
                    "worker killed and replaced"
                )
                done[worker.seq] = Rejected(RejectReason.TOO_COMPLEX, detail, worker.source)
                self._replace(worker, kill=True)

    def _died(self, worker: _Worker, done: dict[int, Any]) -> None:
        assert worker.seq is not None
        worker.process.join(timeout=5)
        how = _describe_exit(worker.process.exitcode)
        detail = f"cleaning worker died ({how}) while cleaning this document; replaced, the run went on"
        done[worker.seq] = Rejected(RejectReason.INTERNAL_ERROR, detail, worker.source)
        self._replace(worker, kill=True)
