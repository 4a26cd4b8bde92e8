"""Local inputs -> raw documents: files, directories, globs, stdin, gzip, and WARC archives.

Reading is split in two so the process pool does the heavy part: plain files are read and
decompressed by the worker (``read_file``), while WARC archives are walked in the parent (a sequential
format) and their records handed out as RawDocuments. Every problem becomes a Rejected naming the path,
and everything seen but deliberately not cleaned (a FIFO or a symlink loop in a directory, a WARC request
record) a Skipped with its reason: a run accounts for all it read. Nothing is ever read without a bound.
"""

from __future__ import annotations

import errno
import glob
import gzip
import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

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


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input seen and deliberately not cleaned (a FIFO in a directory, a WARC request record): counted
    under its reason, so the stats account for everything a run read, not only for documents."""

    reason: str
    detail: str
    source: str


InputItem = FileInput | WarcInput | RawDocument | Rejected | Skipped


def is_supported(name: str) -> bool:
    return name.lower().endswith(SUPPORTED_SUFFIXES)


def is_warc(name: str) -> bool:
    return name.lower().endswith((".warc", ".warc.gz"))


def expand_inputs(
    specs: list[str],
    max_bytes: int = 16_000_000,
    fetch: Callable[[str], RawDocument | Rejected] | None = None,
) -> Iterator[InputItem]:
    """Resolve command-line inputs in a stable order; an input that names nothing becomes a Rejected.

    Directories are walked recursively (sorted, supported suffixes only; what cannot be read there, a
    FIFO, a device, a symbolic link loop or a link to a directory, is a Skipped with its reason); a file
    named explicitly is taken whatever its suffix (the core sniffs its type) if it is a regular file;
    ``-`` reads standard input, at most ``max_bytes``; an http(s) URL is fetched with ``fetch``
    (cleaners.fetch.Fetcher: robots.txt, User-Agent, timeout, size limit).
    """
    seen: set[tuple[int, int]] = set()
    for item in _expand(specs, max_bytes, fetch):
        if isinstance(item, FileInput | WarcInput):
            try:
                info = os.stat(item.path)
            except OSError:
                yield item  # the reader reports it
                continue
            if (info.st_dev, info.st_ino) in seen:  # named twice (or a hard link): its articles would be too
                yield Skipped("named_twice", "the same file was already given as an input", item.path)
                continue
            seen.add((info.st_dev, info.st_ino))
        yield item


def _expand(
    specs: list[str], max_bytes: int, fetch: Callable[[str], RawDocument | Rejected] | None = None
) -> Iterator[InputItem]:
    for spec in specs:
        if is_url(spec):
            yield (fetch or Fetcher())(spec)
            continue
        if spec == "-":
            yield _read_stdin(max_bytes)
            continue
        path = Path(spec)
        if path.is_dir():
            yield from _walk(path)
        elif path.exists():
            yield _named_file(spec)
        elif os.path.lexists(spec):
            yield Rejected(RejectReason.READ_ERROR, _dangling_detail(spec), spec)
        elif _GLOB_CHARS & set(spec):
            matches = sorted(glob.glob(spec, recursive=True))
            if not matches:
                yield Rejected(RejectReason.READ_ERROR, "no file matches this pattern", spec)
            for match in matches:
                if Path(match).is_dir():
                    yield from _expand([match], max_bytes, fetch)
                else:
                    yield _named_file(match)
        else:
            yield Rejected(RejectReason.READ_ERROR, "no such file or directory", spec)


def _read_stdin(max_bytes: int) -> RawDocument | Rejected:
    """Standard input, read up to ``max_bytes`` + 1: ``/dev/zero`` or a 5 GB pipe never fills memory."""
    content = sys.stdin.buffer.read(max_bytes + 1)
    if len(content) > max_bytes:
        detail = f"more than max_bytes={max_bytes} on stdin (not read further)"
        return Rejected(RejectReason.TOO_LARGE, detail, "<stdin>")
    return RawDocument(content=content, source_path="<stdin>")


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def _dangling_detail(path: str) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        return f"broken symbolic link ({exc.strerror or exc})"
    return "no such file or directory"


def _named_file(path: str) -> FileInput | WarcInput | Rejected:
    """A file named on the command line: only a regular file is read (a FIFO would block the run for ever)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return Rejected(RejectReason.READ_ERROR, f"cannot read: {exc.strerror or exc}", path)
    if not stat.S_ISREG(mode):
        hint = "; to clean a pipe's output, give it on stdin as -" if stat.S_ISFIFO(mode) else ""
        return Rejected(RejectReason.READ_ERROR, f"{_kind_of(mode)}, not a regular file: not read{hint}", path)
    return _file_item(path)


def _walk(root: Path) -> Iterator[FileInput | WarcInput | Skipped]:
    """Every entry under ``root``, sorted by full path; symbolic links to directories are not followed."""
    entries: list[tuple[Path, FileInput | WarcInput | Skipped]] = []
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                children = list(listing)
        except OSError as exc:
            entries.append((directory, Skipped("unreadable_directory", exc.strerror or str(exc), str(directory))))
            continue
        for entry in children:
            path = Path(entry.path)
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                    continue
                mode = os.stat(entry.path).st_mode  # follows a link to its target
            except OSError as exc:
                if entry.is_symlink():
                    reason = "symlink_loop" if exc.errno == errno.ELOOP else "broken_symlink"
                    entries.append((path, Skipped(reason, _dangling_detail(entry.path), entry.path)))
                else:
                    entries.append((path, Skipped("unreadable", exc.strerror or str(exc), entry.path)))
                continue
            if stat.S_ISDIR(mode):
                detail = "symbolic link to a directory: not followed"
                entries.append((path, Skipped("symlinked_directory", detail, entry.path)))
            elif not stat.S_ISREG(mode):
                entries.append((path, Skipped("not_regular_file", f"{_kind_of(mode)}: not read", entry.path)))
            elif not is_supported(entry.name):
                continue  # a directory's other files (.json, .css, images) are not inputs
            else:
                entries.append((path, _file_item(entry.path)))
    # Sorted by full path, so the output order never depends on the file system.
    for _, item in sorted(entries, key=lambda pair: pair[0]):
        yield item


def _file_item(path: str) -> FileInput | WarcInput:
    return WarcInput(path) if is_warc(path) else FileInput(path)


def read_file(path: str, max_bytes: int) -> RawDocument | Rejected:
    """Read a regular file, at most ``max_bytes`` (gunzipped for ``.gz``: no gzip bomb exhausts memory).

    Opened without blocking and checked to be a regular file on the descriptor itself, so a path that
    became a FIFO since it was listed cannot hang a worker."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return Rejected(RejectReason.READ_ERROR, f"cannot read: {exc.strerror or exc}", path)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            return Rejected(RejectReason.READ_ERROR, f"{_kind_of(mode)}, not a regular file: not read", path)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            if path.lower().endswith(".gz"):
                content = gunzip_capped(handle, max_bytes + 1)
            else:
                content = handle.read(max_bytes + 1)
                if len(content) > max_bytes:
                    return Rejected(RejectReason.TOO_LARGE, f"file larger than max_bytes={max_bytes}", path)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        return Rejected(RejectReason.READ_ERROR, f"corrupt or truncated gzip: {exc}", path)
    except OSError as exc:
        return Rejected(RejectReason.READ_ERROR, f"cannot read: {exc.strerror or exc}", path)
    finally:
        os.close(fd)
    return RawDocument(content=content, source_path=path)


def gunzip_capped(handle: IO[bytes], limit: int) -> bytes:
    """At most ``limit`` decompressed bytes (a gzip bomb stops there); a cut or corrupt stream raises
    (EOFError, gzip.BadGzipFile, zlib.error) rather than giving part of a page."""
    chunks: list[bytes] = []
    size = 0
    with gzip.GzipFile(fileobj=handle, mode="rb") as unzipped:
        while size < limit:
            chunk = unzipped.read(min(1 << 20, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)


_HTML_TYPES = ("text/html", "application/xhtml")


def iter_warc(path: str, max_bytes: int) -> Iterator[RawDocument | Rejected | Skipped]:
    """HTML responses (and resources) of a WARC file, each with its target URI and capture date.

    Every other record is a Skipped with its reason (request, revisit, metadata, warcinfo, a 4xx
    response, a non-HTML body); a record cut short and a file that ends inside a record are failures
    (``read_error``) naming the file and the offset, never an article cut mid-word or a silent end.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    def skipped(reason: str, detail: str, url: str | None) -> Skipped:
        return Skipped(reason, detail, f"{url or '?'} (in {path})")

    held: tuple[int, str | None, RawDocument | Rejected | Skipped] | None = None
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                # One record is held back until the next one is found: only then is it known to be whole.
                if held is not None:
                    yield held[2]
                url = record.rec_headers.get_header("WARC-Target-URI")
                item = _warc_item(record, path, url, max_bytes, skipped)
                held = (records.get_record_offset(), url, item)  # after the read: this reads to the record's end
            # warcio ends quietly inside a cut gzip member: the held record is whole only if its member is.
            truncated = held is not None and path.lower().endswith(".gz") and not _gzip_member_complete(path, held[0])
            if held is not None and truncated:
                detail = f"truncated WARC: the record at offset {held[0]} is cut off"
                held = (held[0], held[1], Rejected(RejectReason.READ_ERROR, detail, f"{held[1] or '?'} (in {path})"))
            if held is not None:
                yield held[2]
                held = None
            if records.offset < size:
                unread = size - records.offset
                detail = f"truncated or corrupt WARC: {unread} bytes after offset {records.offset} unreadable"
                yield Rejected(RejectReason.READ_ERROR, detail, path)
    except (ArchiveLoadFailed, EOFError, zlib.error, gzip.BadGzipFile, OSError, ValueError, AttributeError) as exc:
        # AttributeError: warcio on a malformed record (a response without a target URI, say)
        if held is not None:
            yield held[2]
        yield Rejected(RejectReason.READ_ERROR, f"unreadable WARC: {exc}", path)


def _warc_item(
    record: Any, path: str, url: str | None, max_bytes: int, skipped: Callable[[str, str, str | None], Skipped]
) -> RawDocument | Rejected | Skipped:
    if record.rec_type not in ("response", "resource"):
        return skipped(f"warc_{record.rec_type}", f"{record.rec_type} record", url)
    content_type = None
    if record.http_headers is not None:
        status = record.http_headers.get_statuscode()
        if record.rec_type == "response" and status and not status.startswith("2"):
            return skipped(f"warc_http_{status[0]}xx", f"HTTP status {status}", url)
        content_type = record.http_headers.get_header("Content-Type")
    else:
        content_type = record.rec_headers.get_header("Content-Type")
    if content_type and not content_type.lower().startswith(_HTML_TYPES):
        return skipped("warc_not_html", f"content type {content_type}", url)
    content = record.content_stream().read(max_bytes + 1)
    missing = getattr(record.raw_stream, "limit", 0) or 0
    if len(content) <= max_bytes and missing > 0:
        detail = f"truncated WARC record: {missing} bytes of its block missing"
        return Rejected(RejectReason.READ_ERROR, detail, f"{url or '?'} (in {path})")
    return RawDocument(
        content=content,
        url=url,
        source_path=path,
        content_type=content_type,
        fetched_at=_warc_date(record.rec_headers.get_header("WARC-Date")),
        # Written by presswash's own archive: the crawl's configured site name.
        site=record.rec_headers.get_header("Presswash-Site"),
        hints={"warc_record_id": record.rec_headers.get_header("WARC-Record-ID") or ""},
    )


def _gzip_member_complete(path: str, offset: int) -> bool:
    """Whether the gzip member starting at ``offset`` (the last record's) ends before the file does."""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    with open(path, "rb") as handle:
        handle.seek(offset)
        while not decompressor.eof:
            chunk = handle.read(1 << 20)
            if not chunk:
                return False
            try:
                decompressor.decompress(chunk, 1 << 16)
                while decompressor.unconsumed_tail and not decompressor.eof:
                    decompressor.decompress(decompressor.unconsumed_tail, 1 << 16)
            except zlib.error:
                return False
    return True


def _warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
