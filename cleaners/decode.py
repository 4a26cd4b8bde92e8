"""Bytes to text, for HTML and for plain-text dumps, without ever crashing on bad bytes.

HTML follows the browser's order (BOM, HTTP header, <meta charset>, then detection) via w3lib, Scrapy's
own implementation, so a crawled page and the same page read from disk decode alike.
"""

from __future__ import annotations

import codecs

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, read_bom, resolve_encoding

_BINARY_SNIFF_BYTES = 4096


def looks_binary(content: bytes) -> bool:
    """NUL bytes or many control characters in the first few KB: not a text document."""
    head = content[:_BINARY_SNIFF_BYTES]
    if not head:
        return False
    if read_bom(head)[0] in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls / len(head) > 0.05


# windows-1252 is by far the most common legacy encoding of Western news pages (and what HTML5 reads for
# "latin-1"); on short texts detectors score several single-byte code pages alike, so it wins ties.
_PREFERRED_LEGACY = "cp1252"
_TIE_MARGIN = 0.05


def _detect(content: bytes) -> str | None:
    matches = list(charset_normalizer.from_bytes(content[:200_000]))
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        if (
            match.encoding == _PREFERRED_LEGACY
            and match.chaos <= best.chaos + _TIE_MARGIN
            and match.coherence >= best.coherence - _TIE_MARGIN
        ):
            return match.encoding
    return best.encoding


def decode_html(content: bytes, content_type: str | None = None) -> str:
    """Decode an HTML body; a header charset contradicted by a meta tag and invalid bytes loses to it."""
    header = content_type or ""
    declared = html_body_declared_encoding(content[:4096])
    if declared and "charset=" in header.lower():
        # A server that says utf-8 for a windows-1252 page is common: trust the page if the header fails.
        header_enc = resolve_encoding(header.lower().split("charset=", 1)[1].split(";")[0].strip())
        if header_enc and not _decodes(content, header_enc):
            header = "text/html"
    _, text = html_to_unicode(header or None, content, auto_detect_fun=_detect)
    return text


def _decodes(content: bytes, encoding: str) -> bool:
    try:
        codecs.decode(content, encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def decode_text(content: bytes) -> str:
    """Decode a text dump: BOM, then strict UTF-8, then detection, then replacement characters."""
    bom_encoding, bom = read_bom(content)
    if bom_encoding:
        return content[len(bom) :].decode(bom_encoding, errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    encoding = _detect(content)
    if encoding:
        try:
            return content.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return content.decode("utf-8", errors="replace")
