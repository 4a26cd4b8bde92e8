"""Bytes to text, for HTML and for plain-text dumps, without ever crashing on bad bytes.

HTML follows the browser's order (BOM, HTTP header, <meta charset>, then detection) via w3lib, Scrapy's
own implementation, so a crawled page and the same page read from disk decode alike, except where the
bytes refute a declaration (decode_html). BOM-less UTF-16 is recognized (with_detected_utf16) and NUL
characters are dropped from every decoded text.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import replace

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, read_bom, resolve_encoding

from cleaners.document import RawDocument

_BINARY_SNIFF_BYTES = 4096


def looks_binary(content: bytes) -> bool:
    """Many NUL bytes or control characters in the first few KB: not a text document.

    A stray NUL in a text page does not make it binary (it is stripped from the text); compressed or
    image data has NULs and control bytes all over (about one byte in ten)."""
    head = content[:_BINARY_SNIFF_BYTES]
    if not head:
        return False
    if read_bom(head)[0] in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        return False
    if head.count(b"\x00") > len(head) * 0.01:
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
    """Decode an HTML body; the declared charsets (header, then meta) are followed unless the bytes refute them.

    Refuted means: the bytes are valid UTF-8 with non-ASCII characters and the declaration says otherwise
    (a legacy-encoded text is practically never valid UTF-8: a wrong ``<meta charset=shift_jis>`` on a
    UTF-8 page), or the declared charset does not decode them (Latin-1 bytes under a UTF-8 declaration).
    Then the bytes' own evidence wins: UTF-8, or detection. NUL characters never reach the text.
    """
    if read_bom(content)[0]:
        _, text = html_to_unicode(content_type, content, auto_detect_fun=_detect)
        return strip_nul(text)
    declared = [enc for enc in (_header_charset(content_type), _meta_charset(content)) if enc]
    encoding = _evidence_encoding(content, declared)
    if encoding is None:
        _, text = html_to_unicode(content_type, content, auto_detect_fun=_detect)
    else:
        _, text = html_to_unicode(f"text/html; charset={encoding}", content, auto_detect_fun=_detect)
    return strip_nul(text)


def _header_charset(content_type: str | None) -> str | None:
    if not content_type or "charset=" not in content_type.lower():
        return None
    value = content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip("\"'")
    return resolve_encoding(value) if value else None


def _meta_charset(content: bytes) -> str | None:
    declared = html_body_declared_encoding(content[:4096])
    return resolve_encoding(declared) if declared else None


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _decodes(content: bytes, encoding: str) -> bool:
    try:
        codecs.decode(content, encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _evidence_encoding(content: bytes, declared: list[str]) -> str | None:
    """The encoding to use instead of w3lib's choice, or None to let w3lib follow the declarations."""
    non_ascii = not content.isascii()
    if non_ascii and _decodes(content, "utf-8"):
        return "utf-8"  # valid UTF-8 beats any other declaration (a wrong meta is far likelier)
    if not declared:
        return None  # w3lib detects (with _detect)
    for encoding in declared:
        if _decodes(content, encoding):
            return encoding
    # No declaration decodes the bytes. Mostly-UTF-8 with a few broken bytes (a truncated character)
    # stays UTF-8; otherwise the declaration is wrong and the bytes are detected.
    if any(_is_utf8(encoding) for encoding in declared) and _mostly_utf8(content):
        return "utf-8"
    detected = _detect(content)
    return detected or declared[0]


def _mostly_utf8(content: bytes) -> bool:
    """More valid multi-byte UTF-8 characters than invalid bytes."""
    text = content.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - content.count(b"\xef\xbf\xbd")
    multibyte = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return multibyte > invalid


def strip_nul(text: str) -> str:
    """NUL is never text (PostgreSQL refuses it in a string): dropped wherever it appears."""
    return text.replace("\x00", "") if "\x00" in text else text


def _utf16_without_bom(content: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the bytes look like BOM-less UTF-16 text, else None.

    Mostly-Latin UTF-16 has a NUL in every other byte, on the odd offsets (LE) or the even ones (BE);
    a binary file has NULs scattered over both."""
    head = content[:_BINARY_SNIFF_BYTES]
    head = head[: len(head) - len(head) % 2]
    if len(head) < 8 or read_bom(head)[0]:
        return None
    pairs = len(head) // 2
    even_zero = sum(1 for b in head[0::2] if b == 0)
    odd_zero = sum(1 for b in head[1::2] if b == 0)
    for encoding, zero, other in (("utf-16-le", odd_zero, even_zero), ("utf-16-be", even_zero, odd_zero)):
        if zero >= pairs * 0.3 and other <= pairs * 0.02:
            try:
                text = head.decode(encoding)
            except UnicodeDecodeError:
                continue
            controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
            if controls <= len(text) * 0.02:
                return encoding
    return None


def with_detected_utf16(raw: RawDocument) -> RawDocument:
    """BOM-less UTF-16 re-encoded as UTF-8 with a BOM (which every later step honours); others unchanged.

    Without this, UTF-16 text is refused as binary (NULs) and its HTML is never recognized."""
    encoding = _utf16_without_bom(raw.content)
    if encoding is None:
        return raw
    content = raw.content[: len(raw.content) - len(raw.content) % 2]
    return replace(raw, content=codecs.BOM_UTF8 + content.decode(encoding, errors="replace").encode())


def decode_text(content: bytes) -> str:
    """Decode a text dump: BOM, then strict UTF-8, then detection, then replacement characters."""
    return strip_nul(_decode_text(content))


def _decode_text(content: bytes) -> str:
    bom_encoding, bom = read_bom(content)
    if bom_encoding:
        return content[len(bom) :].decode(bom_encoding, errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(content):
        return content.decode("utf-8", errors="replace")
    encoding = _detect(content)
    if encoding:
        try:
            return content.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return content.decode("utf-8", errors="replace")


# UTF-8 read as Latin-1/windows-1252 leaves a lead character (Â..ô) followed by a continuation byte's
# character: a cheap test that spares ftfy's costlier check (~0.2 ms a paragraph) on clean text.
MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
# The lead characters of the mojibake of the common scripts (Latin accents and punctuation: Ã Â â; emoji:
# ð; Cyrillic: Ð Ñ; Greek: Î Ï; Arabic: Ø Ù; Hebrew: ×; Indic and CJK: à ä å æ ç è é). Looking for each
# with ``in`` is about three times faster than the hint's regular expression over a whole page.
_MOJIBAKE_LEADS = ("\u00c3", "\u00c2", "\u00e2", "\u00f0", "\u00d0", "\u00d1", "\u00ce", "\u00cf", "\u00d8", "\u00d9")
_MOJIBAKE_LEADS += ("\u00d7", "\u00e0", "\u00e4", "\u00e5", "\u00e6", "\u00e7", "\u00e8", "\u00e9")
# Scripts and style sheets: their text is not the page's, and ftfy over a page's inline JSON costs seconds.
_CODE_BLOCKS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# A run of text between two tags longer than this is data, not the page's text: left alone.
MOJIBAKE_MAX_RUN = 20_000


def repair_mojibake(html: str) -> str:
    """The page with its mis-decoded runs of text repaired ("Investorâ\\x80\\x99s" -> "Investor’s").

    A page that was once decoded as Latin-1 or windows-1252 and saved again as UTF-8 carries its mojibake in
    the markup itself, whatever charset we read it with. It must be repaired before extraction: trafilatura
    drops the C1 control characters of "â\\x80\\x99", and "Investorâs" is past repair. Only the runs of
    text between two tags that show the mojibake hint are handed to ftfy (``fix_encoding``, which changes a
    run only when it decodes to better text), not scripts or style sheets; a clean page costs a few
    substring searches (well under a millisecond)."""
    if not any(lead in html for lead in _MOJIBAKE_LEADS) or MOJIBAKE_HINT.search(html) is None:
        return html
    import ftfy  # here, not at the top: most documents never need it, and importing it is ~0.1 s a start

    code = [match.span() for match in _CODE_BLOCKS.finditer(html)]
    parts: list[str] = []
    done = 0
    for match in MOJIBAKE_HINT.finditer(html):
        if match.start() < done or any(a <= match.start() < b for a, b in code):
            continue
        start = max(html.rfind("<", 0, match.start()), html.rfind(">", 0, match.start())) + 1
        ends = [i for i in (html.find("<", match.end()), html.find(">", match.end())) if i >= 0]
        end = min(ends, default=len(html))
        if end - start > MOJIBAKE_MAX_RUN:
            done = end
            continue
        parts += [html[done:start], ftfy.fix_encoding(html[start:end])]
        done = end
    return "".join(parts) + html[done:] if parts else html
