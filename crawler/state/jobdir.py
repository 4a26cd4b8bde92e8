"""JobDir: Scrapy's JOBDIR kept only while it is known to be consistent.

Scrapy's JOBDIR is only consistent after a clean close (the disk queues write their sizes and the
scheduler its ``active.json`` on close; the dupefilter's ``requests.seen`` is appended unflushed). A marker
file says "open"; a JOBDIR found still marked open was left by a killed process and is discarded:
resuming from it could replay garbage or, worse, have the persistent dupefilter swallow requests the kill
lost. Discarding is always safe because the state store, not the JOBDIR, is the record of what was
written: the next run re-reads the feeds and skips what is known.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


logger = logging.getLogger(__name__)


JOBDIR_MARKER = "presswash.open"


class JobDir:
    """A site's Scrapy JOBDIR, kept only while it is known to be consistent (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.marker = self.path / JOBDIR_MARKER

    def open(self) -> bool:
        """Before Scrapy's scheduler opens it: discard a JOBDIR left by a killed run, then mark it open.
        Returns True when a stale JOBDIR was discarded."""
        stale = self.marker.exists()
        if stale:
            holder = self.marker.read_text(encoding="utf-8", errors="replace").strip()
            logger.warning(
                "%s: left by a run that did not close (%s); discarded: this run starts afresh and skips "
                "what the state store already has",
                self.path,
                holder or "killed",
            )
            shutil.rmtree(self.path, ignore_errors=True)
        elif self.path.is_dir() and any(self.path.iterdir()):
            logger.info("%s: resuming the previous run's requests", self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.marker.write_text(f"pid={os.getpid()}\n", encoding="utf-8")
        return stale

    def close(self, finish_reason: str | None) -> None:
        """After Scrapy has saved it: a finished run leaves nothing to resume (the directory goes, so the
        next run starts afresh); an interrupted one keeps it for the next run. Never closed (None): the
        marker stays, and the next run discards the directory."""
        if finish_reason is None:
            return
        if finish_reason == "finished":
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            self.marker.unlink(missing_ok=True)
