"""Per-site health across runs: what each run of a site produced, kept in the state store, and drift
against the site's own recent baseline (a template change turning stories into teasers or navigation, a
paywall, a rule that suddenly fires on every page).

A site that changes its template does not fail: it keeps producing records, only worse ones. So every run
leaves one row per site (articles written, rejections by reason, median words, the share of articles with
a title, an author and a date, the share flagged, hits per boilerplate rule), and each new row is judged
against the median of the site's previous runs. Drift is logged at WARNING when the run ends, written into
the run's stats (``health``) and shown by ``presswash health`` (crawler/cli/health.py).

No Scrapy here: crawler.config validates ``health:`` with :class:`HealthSettings`, and the CLI judges drift
without loading Scrapy. The crawl's extension that records the rows is crawler/extensions/health.py; the rows
are kept by crawler/state/site_memory.py.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cleaners.article import Article

#: Rejections that mean "the page had no story in it": their share rising is a template change.
EMPTY_REASONS = ("too_short", "no_content", "not_article", "consent_wall", "empty")


class HealthSettings(BaseModel):
    """``health:`` of config/presswash.yaml: the drift thresholds (docs/health.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    baseline_runs: int = Field(default=5, ge=1, le=100)
    min_baseline_runs: int = Field(default=3, ge=1, le=100)
    min_yield_ratio: float = Field(default=0.5, gt=0, le=1)
    max_words_change: float = Field(default=0.5, gt=0)
    max_empty_share_increase: float = Field(default=0.25, gt=0, le=1)
    max_flagged_increase: float = Field(default=0.25, gt=0, le=1)
    max_rule_hits_change: float = Field(default=1.0, gt=0)


# --- one run's row ------------------------------------------------------------------------------------


class RunTally:
    """What the written articles of one run of a site looked like (fed one record at a time)."""

    def __init__(self) -> None:
        self.words: list[int] = []
        self.with_title = 0
        self.with_author = 0
        self.with_date = 0
        self.flagged = 0
        self.flags: Counter[str] = Counter()
        self.rule_hits: Counter[str] = Counter()

    def add(self, record: Article | Mapping[str, Any]) -> None:
        """One written article: the crawl's Article item, or a record read back from the JSON lines."""
        if isinstance(record, Article):
            words, title, authors, published = record.word_count, record.title, record.authors, record.published
            flags, rules = record.flags, [removal.rule for removal in record.removed]
        else:
            words, title = int(record.get("word_count") or 0), record.get("title")
            authors, published, flags = record.get("authors"), record.get("published"), record.get("flags") or []
            rules = [str(r.get("rule")) for r in record.get("removed") or [] if isinstance(r, dict)]
        self.words.append(words)
        self.with_title += bool(title)
        self.with_author += bool(authors)
        self.with_date += bool(published)
        self.flagged += bool(flags)
        self.flags.update(flags)
        self.rule_hits.update(rules)

    def row(
        self,
        *,
        site: str,
        run_id: str,
        finished_at: str,
        rejected: dict[str, int],
        failed: dict[str, int],
        read: int | None = None,
    ) -> dict[str, Any]:
        written = len(self.words)
        total = read if read is not None else written + sum(rejected.values()) + sum(failed.values())

        def share(count: int, of: int) -> float | None:
            return round(count / of, 4) if of else None

        empty = sum(rejected.get(reason, 0) for reason in EMPTY_REASONS)
        return {
            "site": site,
            "run_id": run_id,
            "finished_at": finished_at,
            "read": total,
            "written": written,
            "rejected": dict(sorted(rejected.items())),
            "failed": dict(sorted(failed.items())),
            "median_words": statistics.median(self.words) if self.words else None,
            "share_title": share(self.with_title, written),
            "share_author": share(self.with_author, written),
            "share_date": share(self.with_date, written),
            "share_flagged": share(self.flagged, written),
            "share_empty": share(empty, total),
            "flags": dict(sorted(self.flags.items())),
            "rule_hits": dict(sorted(self.rule_hits.items())),
        }


# --- drift --------------------------------------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def judge_drift(row: dict[str, Any], baseline: list[dict[str, Any]], settings: HealthSettings) -> list[str]:
    """What moved beyond the thresholds in ``row`` against the median of ``baseline`` (earlier runs of
    the same site), in words; empty when nothing did. The caller checks there are enough earlier runs."""
    found: list[str] = []
    base_written = _median([b.get("written") for b in baseline])
    if base_written and row["written"] < settings.min_yield_ratio * base_written:
        found.append(f"yield: {row['written']} articles written, baseline {base_written:g}")
    base_words = _median([b.get("median_words") for b in baseline])
    words = row.get("median_words")
    if base_words and (words is None or abs(words - base_words) > settings.max_words_change * base_words):
        found.append(f"length: median {words if words is not None else 0:g} words, baseline {base_words:g}")
    base_empty = _median([b.get("share_empty") for b in baseline]) or 0.0
    empty = row.get("share_empty") or 0.0
    if empty - base_empty > settings.max_empty_share_increase:
        found.append(f"empty or short pages: {empty:.0%} of pages, baseline {base_empty:.0%}")
    base_flagged = _median([b.get("share_flagged") for b in baseline]) or 0.0
    flagged = row.get("share_flagged") or 0.0
    if flagged - base_flagged > settings.max_flagged_increase:
        found.append(f"flagged: {flagged:.0%} of articles, baseline {base_flagged:.0%}")
    written = max(row["written"], 1)
    rules = sorted({rule for b in [row, *baseline] for rule in (b.get("rule_hits") or {})})
    for rule in rules:
        now = (row.get("rule_hits") or {}).get(rule, 0) / written
        base = _median([(b.get("rule_hits") or {}).get(rule, 0) / max(b.get("written") or 0, 1) for b in baseline])
        base = base or 0.0
        if abs(now - base) >= max(settings.max_rule_hits_change * base, 0.5):
            found.append(f"rule {rule}: {now:.2f} hits per article, baseline {base:.2f}")
    return found


def verdict(rows: list[dict[str, Any]], settings: HealthSettings) -> tuple[str, list[str]]:
    """("drift" | "ok" | "no_baseline", reasons) for the newest of a site's rows (oldest first)."""
    if not rows:
        return "no_baseline", ["no runs recorded"]
    *earlier, latest = rows
    baseline = earlier[-settings.baseline_runs :]
    if len(baseline) < settings.min_baseline_runs:
        return "no_baseline", [
            f"only {len(baseline)} earlier run(s); {settings.min_baseline_runs} are needed to judge drift"
        ]
    reasons = judge_drift(latest, baseline, settings)
    return ("drift" if reasons else "ok"), reasons


# --- one logical run of several processes -----------------------------------------------------------------

#: In a scaled-out crawl every process records its own row; processes started with run ids that share
#: the part before this separator (``PRESSWASH_RUN_ID=round7+host1``, ``round7+host2``) are one run.
RUN_GROUP_SEPARATOR = "+"
#: ``presswash health`` reads this many rows per run asked for, so a run of that many processes merges whole.
MAX_PROCESSES_PER_RUN = 64


def run_group(run_id: str) -> str:
    """The logical run a process's run id belongs to: the part before the first ``+`` (all of it without)."""
    return run_id.split(RUN_GROUP_SEPARATOR, 1)[0]


def _weighted_median(pairs: list[tuple[float, int]]) -> float | None:
    """The median of per-process medians, each weighted by its articles: the merged rows keep no word
    counts, so this stands in for the median of all the run's articles (exact with one process)."""
    pairs = sorted((value, weight) for value, weight in pairs if value is not None and weight > 0)
    total = sum(weight for _, weight in pairs)
    if not total:
        return None
    seen = 0
    for value, weight in pairs:
        seen += weight
        if seen * 2 >= total:
            return value
    return pairs[-1][0]


def merge_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A site's rows (oldest first) with the rows of one logical run (:func:`run_group`) merged into one:
    counts summed, shares weighted by the articles (or, for ``share_empty``, the pages) each process had,
    ``processes`` and ``run_ids`` saying what was merged. Rows alone in their group come back unchanged.
    Ordered by the last process to finish; the drift of a merged row is judged again on merged rows."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((str(row.get("site")), run_group(str(row.get("run_id") or ""))), []).append(row)
    merged = []
    for (site, group), members in groups.items():
        if len(members) == 1:
            merged.append(members[0])
            continue
        written = sum(int(m.get("written") or 0) for m in members)
        read = sum(int(m.get("read") or 0) for m in members)

        def counts(key: str, members: list[dict[str, Any]] = members) -> dict[str, int]:
            total: Counter[str] = Counter()
            for member in members:
                total.update(member.get(key) or {})
            return dict(sorted(total.items()))

        def share(key: str, weight: str, of: int, members: list[dict[str, Any]] = members) -> float | None:
            parts = [(m.get(key), int(m.get(weight) or 0)) for m in members if m.get(key) is not None]
            return round(sum(v * w for v, w in parts) / of, 4) if of and parts else None

        merged.append(
            {
                "site": site,
                "run_id": group,
                "run_ids": sorted(str(m.get("run_id")) for m in members),
                "processes": len(members),
                "finished_at": max(str(m.get("finished_at") or "") for m in members),
                "read": read,
                "written": written,
                "rejected": counts("rejected"),
                "failed": counts("failed"),
                "median_words": _weighted_median(
                    [(m.get("median_words"), int(m.get("written") or 0)) for m in members]
                ),
                "share_title": share("share_title", "written", written),
                "share_author": share("share_author", "written", written),
                "share_date": share("share_date", "written", written),
                "share_flagged": share("share_flagged", "written", written),
                "share_empty": share("share_empty", "read", read),
                "flags": counts("flags"),
                "rule_hits": counts("rule_hits"),
                "merged": True,
            }
        )
    merged.sort(key=lambda row: (str(row.get("site")), str(row.get("finished_at") or ""), str(row.get("run_id"))))
    return merged


def judge_merged(rows: list[dict[str, Any]], settings: HealthSettings) -> list[dict[str, Any]]:
    """:func:`merge_rows`, each merged row's ``drift`` and ``status`` judged against the merged rows before
    it (a process's own row was judged, when it ended, on what had finished by then)."""
    merged = merge_rows(rows)
    for index, row in enumerate(merged):
        if row.get("merged"):
            earlier = [r for r in merged[:index] if r.get("site") == row.get("site")]
            status, reasons = verdict([*earlier, row], settings)
            row["status"], row["drift"] = status, reasons if status == "drift" else []
    return merged
