"""The per-document budget: no single page may pin a cleaning worker.

A hostile or broken page can be small enough to download and still cost minutes and gigabytes to parse
(1M ``<span>`` in 14 MB took 127 s and 1.76 GB). Two limits, both in ``cleaning:`` of presswash.yaml:

- ``max_elements``: HTML with more start tags than this is rejected ``too_complex`` before it is parsed.
  Counting ``<`` not followed by ``/`` is a memchr-speed pass, and a page's parse memory grows with its
  elements (about 1.8 KB each, measured), so this bounds memory too.
- ``max_seconds``: cleaning that runs longer is interrupted (SIGALRM in the worker's main thread) and
  rejected ``too_complex``. An interrupt inside a long C call only lands when the call returns, so the
  process pool also kills a worker that overruns by ``HARD_GRACE_SECONDS`` more (cleaners.pool).

Both are per document and the run goes on.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from cleaners.article import CleanResult, Rejected, RejectReason
from cleaners.core import clean, document_kind
from cleaners.document import RawDocument
from cleaners.options import CleaningOptions

#: Beyond the soft limit, how long the pool waits before it kills the worker (an interrupt that cannot
#: land inside a C call).
HARD_GRACE_SECONDS = 10.0


class BudgetExceeded(BaseException):
    """Raised by the alarm; a BaseException so the core's ``except Exception`` does not swallow it."""


def count_elements(content: bytes) -> int:
    """Start tags, comments and declarations: every ``<`` not followed by ``/`` (an upper bound)."""
    return content.count(b"<") - content.count(b"</")


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise BudgetExceeded after ``seconds`` of wall time (main thread only; elsewhere no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise BudgetExceeded

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def clean_within_budget(raw: RawDocument, options: CleaningOptions) -> tuple[CleanResult, bool]:
    """Clean one document under the budget. Returns the result and whether the process should be
    replaced (it was interrupted mid-parse, so a library's state may be half-updated)."""
    if options.max_elements and raw.content and document_kind(raw) == "html":
        elements = count_elements(raw.content)
        if elements > options.max_elements:
            detail = f"about {elements} HTML elements > max_elements={options.max_elements}; not parsed"
            return Rejected(RejectReason.TOO_COMPLEX, detail, raw.source), False
    try:
        with time_limit(options.max_seconds):
            return clean(raw, options), False
    except BudgetExceeded:
        detail = f"cleaning took longer than max_seconds={options.max_seconds:g}; interrupted"
        return Rejected(RejectReason.TOO_COMPLEX, detail, raw.source), True
