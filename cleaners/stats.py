"""Run statistics: every input is accounted for (written, rejected with a reason, or failed).

The same counters serve the crawl (mirrored into Scrapy's stats as ``presswash/...``) and the CLI,
and are written as a JSON file beside the output.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cleaners.article import Rejected
from cleaners.redact import redact_value
from cleaners.timestamps import utc_iso

MAX_EXAMPLES_PER_REASON = 20


@dataclass
class RunStats:
    started_at: str = field(default_factory=utc_iso)
    finished_at: str | None = None
    read: int = 0
    written: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def count_written(self) -> None:
        self.written += 1

    def count_rejected(self, rejected: Rejected) -> None:
        """Count a rejection (or a failure: an input that could not be processed) and keep a few examples."""
        bucket = self.failed if rejected.reason.is_failure else self.rejected
        bucket[rejected.reason.value] += 1
        examples = self.examples.setdefault(rejected.reason.value, [])
        if len(examples) < MAX_EXAMPLES_PER_REASON:
            examples.append({"source": rejected.source, "detail": rejected.detail})

    def count_skipped(self, reason: str, source: str, detail: str) -> None:
        """Count an input seen but deliberately not cleaned (a FIFO in a directory, a WARC request record)."""
        self.skipped[reason] += 1
        examples = self.examples.setdefault(reason, [])
        if len(examples) < MAX_EXAMPLES_PER_REASON:
            examples.append({"source": source, "detail": detail})

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())

    @property
    def total_failed(self) -> int:
        return sum(self.failed.values())

    @property
    def accounted(self) -> bool:
        """Every input read ended somewhere: written, rejected, failed or skipped, each by reason."""
        return self.read == self.written + self.total_rejected + self.total_failed + self.total_skipped

    def finish(self) -> None:
        self.finished_at = utc_iso()

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "read": self.read,
            "written": self.written,
            "rejected": dict(sorted(self.rejected.items())),
            "failed": dict(sorted(self.failed.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "accounted": self.accounted,
            "examples": self.examples,
            **self.extra,
        }

    def write_json(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        document = redact_value(self.to_dict())  # an example's detail may quote a connection string
        tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a stats file

    def summary(self) -> str:
        parts = [f"read {self.read}", f"written {self.written}", f"rejected {self.total_rejected}"]
        if self.rejected:
            parts[-1] += " (" + ", ".join(f"{k}: {v}" for k, v in sorted(self.rejected.items())) + ")"
        parts.append(f"failed {self.total_failed}")
        if self.failed:
            parts[-1] += " (" + ", ".join(f"{k}: {v}" for k, v in sorted(self.failed.items())) + ")"
        if self.skipped:
            parts.append(
                f"skipped {self.total_skipped} ("
                + ", ".join(f"{k}: {v}" for k, v in sorted(self.skipped.items()))
                + ")"
            )
        return "presswash: " + ", ".join(parts)

    def print_summary(self, stream: IO[str] | None = None) -> None:
        print(self.summary(), file=stream or sys.stderr)
