"""The raw document: what a source (a crawl response, a local file, a WARC record) hands to the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

DocumentKind = Literal["html", "text"]


@dataclass(frozen=True, slots=True)
class RawDocument:
    """Undecoded bytes plus what is known about where they came from.

    Bytes rather than text, because decoding is part of cleaning: the charset can come from the HTTP
    header, a BOM or a meta tag, and the core is the one place that decides.
    """

    content: bytes
    url: str | None = None
    source_path: str | None = None
    content_type: str | None = None
    kind: DocumentKind | None = None
    fetched_at: datetime | None = None
    site: str | None = None
    hints: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The name a user knows this input by, for errors and stats: the URL, and for a record of a local
        archive (WARC) also the file it is in."""
        if self.url and self.source_path and self.source_path != self.url:
            return f"{self.url} (in {self.source_path})"
        return self.url or self.source_path or "<unnamed>"
