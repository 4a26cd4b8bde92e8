"""Local inputs -> raw documents: files, directories, globs, stdin, gzip, and WARC archives.

Reading is split in two so the process pool does the heavy part: plain files are read and
decompressed by the worker (``read_file``), while WARC archives are walked in the parent (a sequential
format) and their records handed out as RawDocuments. Every problem becomes a Rejected naming the path.
"""

from __future__ import annotations

import glob
import gzip
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cleaners.article import Rejected, RejectReason
from cleaners.document import RawDocument
from cleaners.fetch import Fetcher, is_url

SUPPORTED_SUFFIXES = (".html", ".htm", ".txt", ".html.gz", ".htm.gz", ".txt.gz", ".warc", ".warc.gz")
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True, slots=True)
class FileInput:
    """A plain file (maybe gzipped) that a worker reads itself."""

    path: str


@dataclass(frozen=True, slots=True)
class WarcInput:
    path: str


InputItem = FileInput | WarcInput | RawDocument | Rejected


def is_supported(name: str) -> bool:
    return name.lower().endswith(SUPPORTED_SUFFIXES)


def is_warc(name: str) -> bool:
    return name.lower().endswith((".warc", ".warc.gz"))


def expand_inputs(
    specs: list[str], fetch: Callable[[str], RawDocument | Rejected] | None = None
) -> Iterator[InputItem]:
    """Resolve command-line inputs in a stable order; an input that names nothing becomes a Rejected.

    Directories are walked recursively (sorted, supported suffixes only); a file named explicitly is
    taken whatever its suffix (the core sniffs its type); ``-`` reads standard input; an http(s) URL is
    fetched with ``fetch`` (cleaners.fetch.Fetcher: robots.txt, User-Agent, timeout, size limit).
    """
    for spec in specs:
        if is_url(spec):
            yield (fetch or Fetcher())(spec)
            continue
        if spec == "-":
            yield RawDocument(content=sys.stdin.buffer.read(), source_path="<stdin>")
            continue
        path = Path(spec)
        if path.is_dir():
            # Sorted by full path, so the output order never depends on the file system.
            for found in sorted(p for p in path.rglob("*") if p.is_file() and is_supported(p.name)):
                yield _file_item(str(found))
        elif path.exists():
            yield _file_item(spec)
        elif _GLOB_CHARS & set(spec):
            matches = sorted(glob.glob(spec, recursive=True))
            if not matches:
                yield Rejected(RejectReason.READ_ERROR, "no file matches this pattern", spec)
            for match in matches:
                if Path(match).is_dir():
                    yield from expand_inputs([match])
                else:
                    yield _file_item(match)
        else:
            yield Rejected(RejectReason.READ_ERROR, "no such file or directory", spec)


def _file_item(path: str) -> FileInput | WarcInput:
    return WarcInput(path) if is_warc(path) else FileInput(path)


def read_file(path: str, max_bytes: int) -> RawDocument | Rejected:
    """Read a file, gunzipping ``.gz`` with a size cap (no gzip bomb can exhaust memory)."""
    try:
        if path.lower().endswith(".gz"):
            content = _gunzip_capped(path, max_bytes + 1)
        else:
            if os.path.getsize(path) > max_bytes:
                return Rejected(RejectReason.TOO_LARGE, f"file larger than max_bytes={max_bytes}", path)
            content = Path(path).read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        return Rejected(RejectReason.READ_ERROR, f"corrupt or truncated gzip: {exc}", path)
    except OSError as exc:
        return Rejected(RejectReason.READ_ERROR, f"cannot read: {exc.strerror or exc}", path)
    return RawDocument(content=content, source_path=path)


def _gunzip_capped(path: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    with gzip.open(path, "rb") as handle:
        while size < limit:
            chunk = handle.read(min(1 << 20, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)


def iter_warc(path: str, max_bytes: int) -> Iterator[RawDocument | Rejected]:
    """HTML responses (and resources) of a WARC file, each with its target URI and capture date."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type not in ("response", "resource"):
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                content_type = None
                if record.http_headers is not None:
                    status = record.http_headers.get_statuscode()
                    if record.rec_type == "response" and status and not status.startswith("2"):
                        continue
                    content_type = record.http_headers.get_header("Content-Type")
                else:
                    content_type = record.rec_headers.get_header("Content-Type")
                if content_type and not content_type.lower().startswith(("text/html", "application/xhtml")):
                    continue
                content = record.content_stream().read(max_bytes + 1)
                yield RawDocument(
                    content=content,
                    url=url,
                    source_path=path,
                    content_type=content_type,
                    fetched_at=_warc_date(record.rec_headers.get_header("WARC-Date")),
                    # Written by presswash's own archive: the crawl's configured site name.
                    site=record.rec_headers.get_header("Presswash-Site"),
                    hints={"warc_record_id": record.rec_headers.get_header("WARC-Record-ID") or ""},
                )
    except (ArchiveLoadFailed, EOFError, zlib.error, gzip.BadGzipFile, OSError, ValueError) as exc:
        yield Rejected(RejectReason.READ_ERROR, f"unreadable WARC: {exc}", path)


def _warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
