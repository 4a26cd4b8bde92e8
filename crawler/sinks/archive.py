"""Raw archive: every fetched article page kept as WARC, so today's cleaning rules can be re-applied later.

``output/raw/<site>/<YYYY-MM-DD>.warc.gz`` (UTC date of the fetch), one request and one response record
per article page, written with warcio. ``presswash clean output/raw/<site>/`` re-cleans a past crawl
offline (cleaners.sources.iter_warc) and gives the records the crawl gave: same url, fetched_at (the
WARC-Date, with microseconds: WARC/1.1), title, text, id.

What is stored is what the cleaner saw: the response's headers as received and its body **after**
Scrapy's decompression. So the headers must not promise an encoding the body no longer has:
``Content-Encoding`` and ``Transfer-Encoding`` are kept as ``X-Archive-Orig-*`` (the Wayback Machine's
convention) and ``Content-Length`` is set to the stored body's length. Otherwise warcio would try to
gunzip or de-chunk the body on reading, and the re-cleaned text would differ from the crawl's.

Crash safety. Each record is its own gzip member (warcio's default), and the request/response pair goes
to the file in one ``write()`` on a descriptor opened with ``O_APPEND``, so a kill can tear only the last
member. While a writer has a day file open, a marker ``<file>.writing`` holds the file's size at open
(a known-good offset). A clean close removes it; when the next writer (the same site's next run: the
site lock keeps writers apart) finds it, only the bytes after that offset are scanned and the file is
truncated after the last complete gzip member. A day file is therefore appended to by every run of
that day, and no open ever re-reads a whole archive. (Per-run files would avoid the repair but leave
dozens of small files per site and day; the marker keeps one file per day at the cost of this check.)

Each response record also carries ``Presswash-Site`` and ``Presswash-Hints`` (JSON) headers: what the
spider knew besides the page (its configured site name, the feed's hints), for a reader that wants it.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cleaners import __version__

logger = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"  # 1.1 allows fractional seconds in WARC-Date: fetched_at survives exactly
MARKER_SUFFIX = ".writing"
_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.warc\.gz$")
_RENAMED = {"content-encoding", "transfer-encoding"}
_SCAN_CHUNK = 1 << 20
_SCAN_OUTPUT = 1 << 16


@dataclass(frozen=True, slots=True)
class FetchedResponse:
    """One fetched page in plain values (no Scrapy types), as the archive writes it."""

    url: str
    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes  # after content decoding
    fetched_at: datetime
    reason: str = ""
    protocol: str = "HTTP/1.1"
    method: str = "GET"
    request_headers: Sequence[tuple[str, str]] = ()
    site: str | None = None
    hints: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_scrapy(
        cls,
        response: Any,
        fetched_at: datetime,
        *,
        site: str | None = None,
        hints: Mapping[str, str] | None = None,
    ) -> FetchedResponse:
        """From a scrapy Response (duck-typed: this module imports no Scrapy). ``fetched_at`` must be
        the moment put in the RawDocument, so the archive and the crawl agree on it."""
        request = getattr(response, "request", None)
        protocol = getattr(response, "protocol", None) or "HTTP/1.1"
        if protocol.lower() in ("h2", "http/2"):
            protocol = "HTTP/2"
        return cls(
            url=response.url,
            status=int(response.status),
            headers=_scrapy_headers(response.headers),
            body=bytes(response.body),
            fetched_at=fetched_at,
            protocol=protocol.upper(),
            method=request.method if request is not None else "GET",
            request_headers=_scrapy_headers(request.headers) if request is not None else (),
            site=site,
            hints=dict(hints or {}),
        )


def _scrapy_headers(headers: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values if isinstance(values, list | tuple) else [values]:
            out.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return out


def warc_date(moment: datetime) -> str:
    """WARC-Date with microseconds (WARC/1.1), UTC; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def archived_headers(headers: Iterable[tuple[str, str]], body_length: int) -> list[tuple[str, str]]:
    """The response headers as stored: true to the stored (decoded) body; see the module docstring."""
    out: list[tuple[str, str]] = []
    for name, value in headers:
        lower = name.lower()
        if lower in _RENAMED:
            out.append((f"X-Archive-Orig-{name}", value))
        elif lower == "content-length":
            if value.strip() != str(body_length):
                out.append((f"X-Archive-Orig-{name}", value))
        else:
            out.append((name, value))
    out.append(("Content-Length", str(body_length)))
    return out


def complete_members_end(path: str | os.PathLike[str], start: int = 0) -> int:
    """Offset just after the last complete gzip member at or after ``start`` (``start`` if none)."""
    good = position = start
    with open(path, "rb") as handle:
        handle.seek(start)
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        pending = b""
        while True:
            if not pending:
                pending = handle.read(_SCAN_CHUNK)
                if not pending:
                    break
            try:
                decompressor.decompress(pending, _SCAN_OUTPUT)  # output discarded: only boundaries matter
            except zlib.error:
                break
            if decompressor.eof:
                rest = decompressor.unused_data
                position += len(pending) - len(rest)
                good = position
                pending = rest
                decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
            else:
                rest = decompressor.unconsumed_tail
                position += len(pending) - len(rest)
                pending = rest
    return good


def repair_torn_tail(path: str | os.PathLike[str], start: int = 0) -> int:
    """Truncate a torn last gzip member (scanning from ``start``, a known-good offset); bytes dropped."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size <= start:
        return 0
    good = complete_members_end(path, start)
    if good < size:
        with path.open("rb+") as handle:
            handle.truncate(good)
    return size - good


class _DayFile:
    """One open day file: its descriptor and its crash marker."""

    def __init__(self, path: Path, *, fsync: bool) -> None:
        self.path = path
        self.marker = path.with_name(path.name + MARKER_SUFFIX)
        self.fsync = fsync
        path.parent.mkdir(parents=True, exist_ok=True)
        self.repaired_bytes = 0
        if self.marker.exists():
            try:
                start = int(self.marker.read_text(encoding="ascii").strip() or 0)
            except (OSError, ValueError):
                start = 0
            self.repaired_bytes = repair_torn_tail(path, start)
            if self.repaired_bytes:
                logger.warning("%s: dropped a torn last record (%d bytes) left by a crash", path, self.repaired_bytes)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.new = os.fstat(self.fd).st_size == 0
        self.marker.write_text(str(os.fstat(self.fd).st_size), encoding="ascii")

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        if self.fsync:
            os.fsync(self.fd)

    def close(self) -> None:
        if self.fsync:
            os.fsync(self.fd)
        os.close(self.fd)
        self.marker.unlink(missing_ok=True)


#: zlib level of each gzip member. warcio compresses at 9, which costs the crawl's process ~2 ms a page
#: (a fifth of its work); 1 takes a quarter of that for files ~20% larger (measured on the benchmark pages).
DEFAULT_GZIP_LEVEL = 1


@functools.cache
def _leveled_writer_class() -> type:
    """warcio's WARCWriter with each record still its own gzip member, compressed at ``gzip_level``
    (warcio is imported on first use: a crawl with the archive off never loads it)."""
    from warcio.warcwriter import WARCWriter

    class LeveledWARCWriter(WARCWriter):  # type: ignore[misc]
        gzip_level = DEFAULT_GZIP_LEVEL

        def _write_warc_record(self, out: Any, record: Any) -> None:
            plain = io.BytesIO()
            super()._write_warc_record(plain, record)  # made with gzip=False: the record as warcio writes it
            compressor = zlib.compressobj(self.gzip_level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
            out.write(compressor.compress(plain.getvalue()) + compressor.flush())

    return LeveledWARCWriter


def _warc_writer(buffer: io.BytesIO, gzip_level: int) -> Any:
    writer = _leveled_writer_class()(buffer, gzip=False, warc_version=WARC_VERSION)
    writer.gzip_level = gzip_level
    return writer


class WarcArchive:
    """Appends fetched article responses to ``<root>/<site>/<UTC date>.warc.gz``.

    One writer per site at a time (the crawl holds the site lock). Not thread-safe: call it from the
    crawl's event loop, where every Scrapy callback and middleware runs.
    """

    def __init__(
        self, root: str | os.PathLike[str], site: str, *, fsync: bool = False, gzip_level: int = DEFAULT_GZIP_LEVEL
    ) -> None:
        if not 1 <= gzip_level <= 9:
            raise ValueError(f"archive.gzip_level: {gzip_level} is not between 1 and 9")
        self.root = Path(root)
        self.site = site
        self.fsync = fsync
        self.gzip_level = gzip_level
        self.records_written = 0
        self._file: _DayFile | None = None

    def path_for(self, day: date) -> Path:
        return self.root / self.site / f"{day.isoformat()}.warc.gz"

    def write(self, fetched: FetchedResponse) -> Path:
        """Append the request and response records of one fetch; returns the file written to."""
        from warcio.statusandheaders import StatusAndHeaders

        moment = fetched.fetched_at if fetched.fetched_at.tzinfo else fetched.fetched_at.replace(tzinfo=UTC)
        target = self._open(self.path_for(moment.astimezone(UTC).date()))
        buffer = io.BytesIO()
        writer = _warc_writer(buffer, self.gzip_level)
        if target.new:  # a new day file opens with a warcinfo record saying who wrote it
            self._write_warcinfo(writer)
            target.new = False
        when = warc_date(moment)
        response_headers = {"WARC-Date": when}
        if fetched.site:
            response_headers["Presswash-Site"] = fetched.site
        if fetched.hints:
            response_headers["Presswash-Hints"] = json.dumps(dict(fetched.hints), ensure_ascii=True, sort_keys=True)
        reason = fetched.reason or _reason(fetched.status)
        response = writer.create_warc_record(
            fetched.url,
            "response",
            payload=io.BytesIO(fetched.body),
            length=len(fetched.body),  # always: without it warcio spools to a temp file it never closes
            http_headers=StatusAndHeaders(
                f"{fetched.status} {reason}".strip(),
                archived_headers(fetched.headers, len(fetched.body)),
                protocol=fetched.protocol,
            ),
            warc_headers_dict=response_headers,
        )
        request = writer.create_warc_record(
            fetched.url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                f"{fetched.method} {_request_target(fetched.url)} {fetched.protocol}",
                _request_headers(fetched.url, fetched.request_headers),
                is_http_request=True,
            ),
            warc_headers_dict={"WARC-Date": when},
        )
        writer.write_request_response_pair(request, response)
        target.write(buffer.getvalue())  # one write: a kill tears at most this pair
        self.records_written += 1
        return target.path

    def _open(self, path: Path) -> _DayFile:
        if self._file is not None and self._file.path == path:
            return self._file
        self.close()
        self._file = _DayFile(path, fsync=self.fsync)
        return self._file

    def _write_warcinfo(self, writer: Any) -> None:
        info = f"software: presswash/{__version__}\r\nformat: WARC File Format 1.1\r\nsite: {self.site}\r\n".encode()
        record = writer.create_warc_record(
            "",
            "warcinfo",
            payload=io.BytesIO(info),
            length=len(info),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": warc_date(datetime.now(UTC))},
        )
        writer.write_record(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _request_headers(url: str, headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The request's headers; Host first when the client added it on the wire (Scrapy's headers lack it)."""
    out = list(headers)
    if not any(name.lower() == "host" for name, _ in out):
        out.insert(0, ("Host", urlsplit(url).netloc))
    return out


# --- retention ----------------------------------------------------------------------------------------


def prune_archive(
    root: str | os.PathLike[str],
    retention_days: int | None,
    *,
    today: date | None = None,
    site: str | None = None,
) -> list[Path]:
    """Delete day files older than ``retention_days`` (by the date in their name, not their mtime,
    which appends keep fresh); returns what was deleted. ``None`` keeps everything. A file still open
    (its ``.writing`` marker present) is left alone."""
    if retention_days is None:
        return []
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1 (today's file is being written)")
    cutoff = (today or datetime.now(UTC).date()) - timedelta(days=retention_days)
    root = Path(root)
    site_dirs = [root / site] if site else sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    deleted: list[Path] = []
    for site_dir in site_dirs:
        if not site_dir.is_dir():
            continue
        for path in sorted(site_dir.iterdir()):
            match = _DAY_FILE.match(path.name)
            if not match or path.with_name(path.name + MARKER_SUFFIX).exists():
                continue
            try:
                day = date.fromisoformat(match.group(1))
            except ValueError:
                continue
            if day < cutoff:
                path.unlink(missing_ok=True)
                deleted.append(path)
    if deleted:
        logger.info("archive retention (%d days): deleted %d files", retention_days, len(deleted))
    return deleted


__all__ = [
    "FetchedResponse",
    "WarcArchive",
    "archived_headers",
    "complete_members_end",
    "prune_archive",
    "repair_torn_tail",
    "warc_date",
]
