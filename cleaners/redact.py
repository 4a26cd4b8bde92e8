"""Passwords out of every message, log line, stats file and run log.

Connection strings carry credentials (``redis://:PW@host``, ``postgresql://user:PW@host``,
``password=PW`` in a libpq DSN), and they end up in error messages written by code that only meant to
say which server failed, including libraries' own exceptions. Rather than trusting every message to
leave the password out, the text is redacted where it leaves the process: the CLI's error output, every
log record (a record factory, so Scrapy's handlers and any library logger are covered), the stats
JSON and the run log.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "***"

# scheme://user:password@  (the user may be empty: redis://:password@host)
_URL_USERINFO = re.compile(r"(?P<prefix>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s'\"]*:)(?P<secret>[^@/\s'\"]+)(?=@)")
# password=secret, in a libpq DSN or a URL's query (?password=...)
_KEY_VALUE = re.compile(
    r"(?P<prefix>\b(?:password|passwd|pwd|pass)\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|\"[^\"]*\"|[^\s&;,'\"]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the password of every URL and ``password=`` pair replaced by ``***``."""
    if "=" not in text and "@" not in text:
        return text
    text = _URL_USERINFO.sub(lambda m: m["prefix"] + REDACTED, text)
    return _KEY_VALUE.sub(lambda m: m["prefix"] + REDACTED, text)


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dicts, lists), e.g. a stats document."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


class RedactingStream:
    """A text stream (standard error) that redacts whatever is written to it: messages printed by any
    module, including ones that quote a library's exception, leave the process without passwords."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding...
        return getattr(self._stream, name)


_installed = False


def install_log_redaction() -> None:
    """Redact the message, the arguments and the traceback of every log record made in this process."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_arg(arg) for key, arg in record.args.items()}
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(redacting_factory)


def _redact_arg(arg: Any) -> Any:
    """Strings and exceptions (whose text names the server that failed); other objects are left to be
    formatted lazily, as logging intends."""
    if isinstance(arg, str):
        return redact(arg)
    if isinstance(arg, BaseException):
        text = str(arg)
        redacted = redact(text)
        return redacted if redacted != text else arg
    return arg
