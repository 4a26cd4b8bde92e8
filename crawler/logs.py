"""The log of ``presswash crawl``: a page a person reads, not Scrapy's start-up dumps once per site.

Scrapy installs its own root handler for every crawler it creates; ``presswash crawl`` asks it not to
(``install_root_handler=False``) and installs this one instead, before the CrawlerProcess, so it sees
everything from the first line. At INFO it logs Scrapy's start-up lists (versions, enabled components,
overridden settings) once for the whole process, however many sites are crawled, and each error as
its one line (the exception's type and message), without the traceback; ``-v`` restores both. The
per-site summary and the stats JSON carry the counts.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

#: Start-up messages Scrapy logs again for each crawler, identified by (logger, message template).
_ONCE = {
    ("scrapy.crawler", "Overridden settings:\n%(settings)s"),
    ("scrapy.middleware", "Enabled %(componentname)ss:\n%(enabledlist)s"),
    ("scrapy.addons", "Enabled addons:\n%(addons)s"),
}


class OncePerProcess(logging.Filter):
    """Lets each of Scrapy's start-up dumps through once (per kind: extensions, middlewares, ...)."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[tuple[str, str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.name, str(record.msg)) not in _ONCE:
            return True
        kind = str(record.args.get("componentname", "")) if isinstance(record.args, dict) else ""
        key = (record.name, str(record.msg), kind)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


class OneLineErrors(logging.Formatter):
    """Formats a logged exception as its type and message on the record's line, without the traceback.

    A formatter, not a filter: the record is shared by every handler (crawler.extensions.DiskGuard reads
    its exception to notice a full disk), so only this handler's text may leave the traceback out."""

    def format(self, record: logging.LogRecord) -> str:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None and not record.stack_info:
            return super().format(record)
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            text = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        if exc is not None and not (str(exc) and str(exc) in record.getMessage()):
            text += f" ({type(exc).__name__}: {exc})".rstrip()
        return text


def install_crawl_logging(settings: Any, verbose: bool = False) -> logging.Handler | None:
    """The root handler of a crawl process, from Scrapy's LOG_* settings (LOG_ENABLED, LOG_FILE,
    LOG_LEVEL, LOG_FORMAT, LOG_DATEFORMAT); returns it (None with LOG_ENABLED off)."""
    if not settings.getbool("LOG_ENABLED", True):
        return None
    log_file = settings.get("LOG_FILE")
    if log_file:
        mode = "a" if settings.getbool("LOG_FILE_APPEND", True) else "w"
        handler: logging.Handler = logging.FileHandler(log_file, mode=mode, encoding=settings.get("LOG_ENCODING"))
    else:
        handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter if verbose else OneLineErrors
    handler.setFormatter(formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")))
    handler.setLevel(settings.get("LOG_LEVEL") or "INFO")
    handler.addFilter(OncePerProcess())
    global _installed
    if _installed is not None:  # a second crawl in this process: replace ours, never log each line twice
        logging.root.removeHandler(_installed)
        _installed.close()
    logging.root.setLevel(logging.NOTSET)
    logging.root.addHandler(handler)
    _installed = handler
    return handler


_installed: logging.Handler | None = None
