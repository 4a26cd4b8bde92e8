"""The run log and the per-site lock: what ran when, how it ended, and never two runs of a site at once.

Lock. ``<state dir>/locks/<site>.lock``, taken with ``fcntl.flock(LOCK_EX | LOCK_NB)``: the kernel drops
it when the holder dies, so a crashed run never leaves a stale lock, and two scheduler processes (or a
scheduler and a hand-started ``presswash crawl``) exclude each other. The scheduler hands its open lock
descriptor down to the crawl subprocess (same open file description, so the same lock) and names it in
``$PRESSWASH_HELD_LOCKS``: if the scheduler is killed, the crawl keeps the site locked until it ends,
and the crawl command knows not to lock again (:func:`hold_site_locks`).

Run log. One :class:`crawler.state.RunRecord` per run in the state store (start, end, status, exit
code, pages, articles, rejected, duplicates), its counts read from the stats JSON the crawl writes to
``<output>/<site>/runs/<run_id>.json`` (crawler.extensions.RunAccounting). ``presswash runs`` lists them.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import socket
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cleaners.config import ConfigError

#: Lock files the parent process already holds for this process, separated by os.pathsep.
from cleaners.timestamps import utc_iso
from crawler.state.records import parse_iso

HELD_LOCKS_ENV = "PRESSWASH_HELD_LOCKS"


#: The run id the scheduler chose; the crawl names its stats file after it.
RUN_ID_ENV = "PRESSWASH_RUN_ID"


#: Exit status of a crawl that found its site locked (EX_TEMPFAIL: try again later).
EXIT_LOCKED = 75


#: A run id names files (``<site>/runs/<run_id>.json``): one path component, no way out of the directory.
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}")


def check_run_id(run_id: str, where: str = RUN_ID_ENV) -> str:
    """The run id if it is safe as a file name, else a ConfigError naming it (``../../evil`` would write
    the stats and the URL ledger outside the output directory)."""
    if not _RUN_ID.fullmatch(run_id) or ".." in run_id:
        raise ConfigError(
            f"{where}: {run_id!r} is not a usable run id (letters, digits, '.', '_', ':', '+', '-'; "
            "no '/' or '..'; at most 128 characters)"
        )
    return run_id


def lock_dir_for(state_location_: str, output_dir: str | os.PathLike[str] = "output") -> Path:
    """Locks live beside the state file (``output/locks/``); with a remote state, under the output dir.

    flock is a lock of this machine. With a Redis state (a shared crawl, docs/scaling.md) the lock only
    keeps two processes from sharing one output directory (its day files, WARC archive and replay are
    one writer's); processes with their own output directories crawl the same site together."""
    if "://" in state_location_:
        return Path(output_dir).resolve() / "locks"
    return Path(state_location_).resolve().parent / "locks"


class SiteBusy(RuntimeError):
    """Another process runs this site now."""

    def __init__(self, site: str, holder: str) -> None:
        super().__init__(f"site {site} is already being crawled ({holder or 'holder unknown'})")
        self.site = site
        self.holder = holder


class SiteLock:
    """A non-blocking exclusive lock on one site (see the module docstring)."""

    def __init__(self, lock_dir: str | os.PathLike[str], site: str) -> None:
        self.site = site
        self.path = Path(lock_dir) / f"{site}.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True when taken; False when another process holds it (nothing waits)."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        # Who holds it, for the "skipped: locked by ..." message; written after locking, so never torn
        # by a competitor (they only read).
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid={os.getpid()} host={socket.gethostname()} since={_now()}\n".encode(), 0)
        self._fd = fd
        return True

    def holder(self) -> str:
        """What the holder wrote into the lock file (best effort)."""
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def fileno(self) -> int:
        if self._fd is None:
            raise RuntimeError("lock not held")
        return self._fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> SiteLock:
        if not self.acquire():
            raise SiteBusy(self.site, self.holder())
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextmanager
def hold_site_locks(lock_dir: str | os.PathLike[str], sites: Iterable[str]) -> Iterator[list[SiteLock]]:
    """For ``presswash crawl``: lock every site it crawls, except those the parent (the scheduler)
    already holds for it; raises SiteBusy (exit with EXIT_LOCKED) when one is taken."""
    inherited = {os.path.realpath(p) for p in os.environ.get(HELD_LOCKS_ENV, "").split(os.pathsep) if p}
    with ExitStack() as stack:
        locks = []
        for site in sites:
            lock = SiteLock(lock_dir, site)
            if os.path.realpath(lock.path) in inherited:
                continue
            locks.append(stack.enter_context(lock))
        yield locks


def _now() -> str:
    return utc_iso()


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique across processes: UTC time to the second plus 6 random hex digits."""
    now = now or datetime.now(UTC)
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def stats_path_for(output_dir: str | os.PathLike[str], site: str, run_id: str) -> Path:
    """Where crawler.extensions.RunAccounting writes a run's stats."""
    return Path(output_dir) / site / "runs" / f"{run_id}.json"


def find_stats_file(output_dir: str | os.PathLike[str], site: str, run_id: str, started_at: str) -> Path | None:
    """The run's stats: by its run id, else the newest stats file written since the run started (a crawl
    that does not honour $PRESSWASH_RUN_ID names the file after its own id)."""
    exact = stats_path_for(output_dir, site, run_id)
    if exact.is_file():
        return exact
    runs_dir = Path(output_dir) / site / "runs"
    start = parse_iso(started_at)
    if start is None or not runs_dir.is_dir():
        return None
    newest: tuple[float, Path] | None = None
    for path in runs_dir.glob("*.json"):
        if path.name.endswith(".tmp"):
            continue
        mtime = path.stat().st_mtime
        if mtime >= start.timestamp() - 1 and (newest is None or mtime > newest[0]):
            newest = (mtime, path)
    return newest[1] if newest else None


def read_run_counts(stats_path: str | os.PathLike[str]) -> dict[str, int | None]:
    """pages, articles, rejected, duplicates, failed from a crawl's stats JSON (None when unreadable)."""
    try:
        data = json.loads(Path(stats_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"pages": None, "articles": None, "rejected": None, "duplicates": None, "failed": None}
    rejected = data.get("rejected") or {}
    failed = data.get("failed") or {}
    fetched = data.get("fetched") or {}
    pages = fetched.get("total") if isinstance(fetched, dict) else None
    return {
        "pages": int(pages) if pages is not None else int(data.get("read", 0)),
        "articles": int(data.get("written", 0)),
        "rejected": int(sum(rejected.values())),
        "duplicates": int(rejected.get("duplicate", 0)),
        "failed": int(sum(failed.values())),
    }


def this_host() -> str:
    return socket.gethostname()


__all__ = [
    "EXIT_LOCKED",
    "HELD_LOCKS_ENV",
    "RUN_ID_ENV",
    "SiteBusy",
    "SiteLock",
    "find_stats_file",
    "hold_site_locks",
    "lock_dir_for",
    "new_run_id",
    "read_run_counts",
]
