"""Reliability audit of `presswash clean` and the configuration (issue 13, cases 1-10, 17, 18, 20, 21 files).

Every bad input and every fault is built here, run through the real command (a subprocess, a real
process pool, real signals) and judged by the same rule: the run ends (never hangs), the input gets a
clear message or a counted outcome that names it, nothing is lost (a good file beside it is written),
nothing is written twice, and the stats add up (``accounted``). Prints one line per case and the two
headline figures; docs/reliability.md reports them.

    python -m bench.reliability_clean            # all cases (about two minutes on two cores)
    python -m bench.reliability_clean --list     # names only
"""

# ruff: noqa: E501  (a table of cases: one case, one line)

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BOILERPLATE = ROOT / "config" / "boilerplate.yaml"
TIMEOUT = 90
PARAGRAPH = (
    "The regional parliament voted on Thursday to extend the night train service to the coast, a decision "
    "that rail unions welcomed but that the finance committee said would cost more than expected."
)
GERMAN = "Die Bürger von Zürich äußerten sich über die Straßenbahn und die Gebühren für Fahrräder am Fluss."


def page(title: str, n: int = 3) -> bytes:
    body = "".join(f"<p>{PARAGRAPH} Paragraph {i} of {title}.</p>" for i in range(n))
    return f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>".encode()


def german(meta: str) -> str:
    body = "".join(f"<p>{GERMAN} Absatz {i}.</p>" for i in range(4))
    return f"<html><head><meta charset='{meta}'></head><body><article><h1>Grüße</h1>{body}</article></body></html>"


def spans(count: int) -> bytes:
    return (
        "<html><body><article><h1>S</h1>"
        + "".join(f"<span>w{i} </span>" for i in range(count))
        + "</article></body></html>"
    ).encode()


@dataclass
class Outcome:
    ok: bool
    note: str


@dataclass
class Run:
    code: int | None
    out: bytes
    err: bytes
    seconds: float
    stats: dict[str, Any]


class Audit:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.n = 0

    def fresh(self) -> Path:
        self.n += 1
        path = self.work / f"case{self.n:03d}"
        path.mkdir()
        (path / "good.html").write_bytes(page("Good neighbour"))
        return path

    def config(self, where: Path, text: str = "", **cleaning: Any) -> Path:
        lines = ["cleaning:", f"  boilerplate: {BOILERPLATE}"] + [
            f"  {k}: {json.dumps(v)}" for k, v in cleaning.items()
        ]
        path = where / "presswash.yaml"
        path.write_text("\n".join(lines) + "\n" + text, encoding="utf-8")
        return path

    def cli(self, *args: str, stdin: Any = None, env: dict[str, str] | None = None, timeout: float = TIMEOUT) -> Run:
        started = time.monotonic()
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("PRESSWASH_")}
        full_env.update(env or {})
        try:
            done = subprocess.run(
                [sys.executable, "-m", "crawler.cli", *args],
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                cwd=ROOT,
                timeout=timeout,
                env=full_env,
                check=False,
            )
            code, out, err = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as exc:
            code, out, err = None, exc.stdout or b"", exc.stderr or b""
        stats: dict[str, Any] = {}
        for index, arg in enumerate(args):
            if arg == "-o" and index + 1 < len(args):
                stats_file = Path(f"{args[index + 1]}.stats.json")
                if stats_file.exists():
                    stats = json.loads(stats_file.read_text())
        return Run(code, out, err, time.monotonic() - started, stats)

    def clean(self, case: Path, *inputs: str, extra: tuple[str, ...] = (), stdin: Any = None) -> Run:
        out = case / "out.jsonl"
        return self.cli("clean", *inputs, str(case / "good.html"), "-o", str(out), *extra, stdin=stdin)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()] if path.exists() else []


def judged(run: Run, case: Path, *, expect: str, named: str | None = None, outcome: str | None = None) -> Outcome:
    """The common rule for a bad input given beside a good file."""
    if run.code is None:
        return Outcome(False, "hung (timeout)")
    if b"Traceback" in run.err:
        return Outcome(False, "traceback")
    written = lines(case / "out.jsonl")
    if not any(r.get("title") == "Good neighbour" for r in written):
        return Outcome(False, "the good file beside it was lost")
    ids = [r["id"] for r in written]
    if len(ids) != len(set(ids)):
        return Outcome(False, "an article written twice")
    if run.stats and not run.stats.get("accounted"):
        return Outcome(False, "stats do not add up")
    if named and named.encode() not in run.err and named not in json.dumps(run.stats):
        return Outcome(False, f"{named} not named")
    if outcome:
        counted = {**run.stats.get("rejected", {}), **run.stats.get("failed", {}), **run.stats.get("skipped", {})}
        if outcome not in counted:
            return Outcome(False, f"not counted as {outcome}: {counted}")
    return Outcome(True, f"{expect} ({run.seconds:.1f} s)")


# --- bad inputs ---------------------------------------------------------------------------------------------


def bad_inputs(a: Audit) -> list[tuple[str, Callable[[], Outcome]]]:
    cases: list[tuple[str, Callable[[], Outcome]]] = []

    def add(name: str) -> Callable[[Callable[[], Outcome]], Callable[[], Outcome]]:
        def register(func: Callable[[], Outcome]) -> Callable[[], Outcome]:
            cases.append((name, func))
            return func

        return register

    def file_case(name: str, filename: str, content: bytes, outcome: str, *, named: bool = True) -> None:
        """``outcome``: the reason it must be counted under; "" when it must be written as an article."""

        def run() -> Outcome:
            case = a.fresh()
            (case / filename).write_bytes(content)
            result = a.clean(case, str(case / filename))
            if not outcome:
                verdict = judged(result, case, expect="written")
                sources = [r.get("source_path") or "" for r in lines(case / "out.jsonl")]
                if verdict.ok and not any(s.endswith(filename) for s in sources):
                    return Outcome(False, f"not written: {result.err[-300:]!r}")
                if any("\x00" in r["text"] or "\ufffd" in r["text"] for r in lines(case / "out.jsonl")):
                    return Outcome(False, "NUL or U+FFFD in the text")
                return verdict
            return judged(result, case, expect=outcome, named=filename if named else None, outcome=outcome)

        cases.append((name, run))

    @add("FIFO named directly")
    def _() -> Outcome:
        case = a.fresh()
        os.mkfifo(case / "pipe.html")
        return judged(
            a.clean(case, str(case / "pipe.html")), case, expect="refused", named="pipe.html", outcome="read_error"
        )

    @add("FIFO inside a directory")
    def _() -> Outcome:
        case = a.fresh()
        os.mkfifo(case / "pipe.html")
        return judged(a.clean(case, str(case)), case, expect="skipped", outcome="not_regular_file")

    @add("/dev/zero named directly")
    def _() -> Outcome:
        case = a.fresh()
        return judged(a.clean(case, "/dev/zero"), case, expect="refused", named="/dev/zero", outcome="read_error")

    @add("/dev/zero on stdin")
    def _() -> Outcome:
        case = a.fresh()
        with open("/dev/zero", "rb") as zero:
            run = a.clean(case, "-", stdin=zero)
        return judged(run, case, expect="too_large after max_bytes", outcome="too_large")

    @add("40 MB on stdin (over max_bytes)")
    def _() -> Outcome:
        case = a.fresh()
        big = case / "big.bin"
        big.write_bytes(b"<p>" + b"x" * 40_000_000)
        with big.open("rb") as handle:
            run = a.clean(case, "-", stdin=handle)
        return judged(run, case, expect="too_large", outcome="too_large")

    @add("empty stdin")
    def _() -> Outcome:
        case = a.fresh()
        return judged(a.clean(case, "-", stdin=subprocess.DEVNULL), case, expect="empty", outcome="empty")

    @add("symlink loop named directly")
    def _() -> Outcome:
        case = a.fresh()
        (case / "loop.html").symlink_to(case / "loop.html")
        return judged(
            a.clean(case, str(case / "loop.html")), case, expect="read_error", named="loop", outcome="read_error"
        )

    @add("symlink loop inside a directory")
    def _() -> Outcome:
        case = a.fresh()
        (case / "loop.html").symlink_to(case / "loop.html")
        return judged(a.clean(case, str(case)), case, expect="skipped", outcome="symlink_loop")

    @add("two-link symlink cycle inside a directory")
    def _() -> Outcome:
        case = a.fresh()
        (case / "a.html").symlink_to(case / "b.html")
        (case / "b.html").symlink_to(case / "a.html")
        return judged(a.clean(case, str(case)), case, expect="skipped", outcome="symlink_loop")

    @add("broken symlink inside a directory")
    def _() -> Outcome:
        case = a.fresh()
        (case / "gone.html").symlink_to(case / "missing.html")
        return judged(a.clean(case, str(case)), case, expect="skipped", outcome="broken_symlink")

    @add("directory symlink to its parent")
    def _() -> Outcome:
        case = a.fresh()
        (case / "up").symlink_to(case)
        return judged(a.clean(case, str(case)), case, expect="skipped", outcome="symlinked_directory")

    @add("unix socket inside a directory")
    def _() -> Outcome:
        import socket

        case = a.fresh()
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(case / "s.html"))
        try:
            return judged(a.clean(case, str(case)), case, expect="skipped", outcome="not_regular_file")
        finally:
            sock.close()

    @add("missing file")
    def _() -> Outcome:
        case = a.fresh()
        return judged(
            a.clean(case, str(case / "nope.html")), case, expect="read_error", named="nope.html", outcome="read_error"
        )

    @add("glob matching nothing")
    def _() -> Outcome:
        case = a.fresh()
        return judged(a.clean(case, str(case / "*.nothing")), case, expect="read_error", outcome="read_error")

    @add("empty directory")
    def _() -> Outcome:
        case = a.fresh()
        (case / "empty").mkdir()
        return judged(a.clean(case, str(case / "empty")), case, expect="nothing to do")

    @add("same file named twice")
    def _() -> Outcome:
        case = a.fresh()
        return judged(a.clean(case, str(case / "good.html")), case, expect="skipped", outcome="named_twice")

    @add("hard link to the same file")
    def _() -> Outcome:
        case = a.fresh()
        os.link(case / "good.html", case / "same.html")
        return judged(a.clean(case, str(case / "same.html")), case, expect="skipped", outcome="named_twice")

    file_case("empty file", "empty.html", b"", "empty")
    file_case("whitespace-only file", "blank.html", b"  \n\t\n  ", "empty")
    file_case("random bytes named .html", "noise.html", os.urandom(20_000), "not_text")
    file_case("PNG named .html", "logo.html", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "not_text")
    file_case("truncated gzip", "cut.html.gz", gzip.compress(page("Cut") * 20)[:200], "read_error")
    file_case("not gzip despite .gz", "fake.html.gz", page("Fake"), "read_error")
    file_case("gzip bomb (1 GB of zeros)", "bomb.html.gz", gzip.compress(b"\0" * 200_000_000, 1) * 5, "too_large")
    file_case("file over max_bytes", "huge.html", b"<p>" + b"y" * 17_000_000, "too_large")
    file_case(
        "14 MB page of 1M <span>",
        "spans1m.html",
        b"<html><body>" + b"<span>x</span>" * 1_000_000 + b"</body></html>",
        "too_complex",
    )
    file_case("8 MB page of 600k elements", "spans600k.html", spans(600_000), "too_complex")
    file_case("120k elements (just over max_elements)", "spans120k.html", spans(120_000), "too_complex")
    file_case("page without text", "bare.html", b"<html><body><div></div></body></html>", "no_content")
    file_case("text dump with only a title", "title.txt", b"Only a title\n", "no_content")
    file_case(
        "NUL after 4 KB of a .txt", "nul.txt", ("T\n\n" + (PARAGRAPH + "\n\n") * 30 + "x\0y " + PARAGRAPH).encode(), ""
    )
    file_case("stray NUL in an HTML page", "nul.html", page("Nul").replace(b"Paragraph 1", b"Para\0graph 1"), "")
    file_case(
        "billion laughs in HTML",
        "laughs.html",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><html><body><p>&d;&d;&d;</p></body></html>',
        "no_content",  # entities are not expanded: nothing is left
    )
    file_case(
        "XXE reading /etc/passwd",
        "xxe.html",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><html><body><p>&e;</p></body></html>',
        "no_content",  # the external entity is never read
    )
    file_case("10 MB single line without tags", "line.txt", b"Title\n\n" + b"word " * 2_000_000, "")
    file_case(
        "50k nested <div>",
        "deep.html",
        b"<html><body>" + b"<div>" * 50_000 + b"text" + b"</div>" * 50_000 + b"</body></html>",
        "no_content",
    )
    file_case(
        "invalid UTF-8 in a .txt",
        "bad.txt",
        b"Title\n\n" + PARAGRAPH.encode() + b" \xff\xfe\xfa " + PARAGRAPH.encode(),
        "",
    )

    def encoding_case(name: str, content: bytes) -> None:
        def run() -> Outcome:
            case = a.fresh()
            (case / "enc.html").write_bytes(content)
            result = a.clean(case, str(case / "enc.html"))
            outcome = judged(result, case, expect="decoded")
            if not outcome.ok:
                return outcome
            texts = [r["text"] for r in lines(case / "out.jsonl") if r.get("source_path", "").endswith("enc.html")]
            if not texts or GERMAN not in texts[0] or "\ufffd" in texts[0]:
                return Outcome(False, "mojibake or replacement characters")
            return outcome

        cases.append((name, run))

    encoding_case("shift_jis meta on UTF-8 bytes", german("shift_jis").encode())
    encoding_case("Latin-1 bytes under a UTF-8 meta", german("utf-8").encode("latin-1"))
    encoding_case("cp1252 bytes under a UTF-8 meta", german("utf-8").encode("cp1252"))
    encoding_case("UTF-16-LE without BOM", german("utf-16").encode("utf-16-le"))
    encoding_case("UTF-16-BE without BOM", german("utf-16").encode("utf-16-be"))
    encoding_case("UTF-16 with BOM", german("utf-16").encode("utf-16"))
    encoding_case("UTF-8 with BOM and a latin-1 meta", b"\xef\xbb\xbf" + german("iso-8859-1").encode())
    encoding_case("no charset at all, Latin-1 bytes", german("").replace("<meta charset=''>", "").encode("latin-1"))

    def warc(records: list[tuple[str, str, str, bytes]], gz: bool = True) -> bytes:
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=gz)
        for rec_type, url, status, body in records:
            headers = None
            if status:
                ctype = "image/png" if body.startswith(b"\x89PNG") else "text/html"
                headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, rec_type, payload=io.BytesIO(body), length=len(body), http_headers=headers
            )
            writer.write_record(record)
        return buffer.getvalue()

    three = [("response", f"https://w.example/{i}", "200 OK", page(f"W{i}", n=8)) for i in range(3)]
    for gz in (False, True):
        for fraction in (0.6, 0.7, 0.95):
            suffix = ".warc.gz" if gz else ".warc"
            file_case(
                f"WARC{'.gz' if gz else ''} cut at {int(fraction * 100)}%",
                "cut" + suffix,
                warc(three, gz)[: int(len(warc(three, gz)) * fraction)],
                "read_error",
            )
    file_case("garbage with a .warc suffix", "junk.warc", os.urandom(5000), "read_error")

    @add("empty .warc.gz")
    def _() -> Outcome:
        case = a.fresh()
        (case / "empty.warc.gz").write_bytes(b"")
        return judged(a.clean(case, str(case / "empty.warc.gz")), case, expect="an archive of no record")

    file_case(
        "WARC request records only",
        "req.warc.gz",
        warc([("request", "https://w.example/", "", b"GET / HTTP/1.1\r\n\r\n")]),
        "warc_request",
    )
    file_case("WARC revisit record", "rev.warc.gz", warc([("revisit", "https://w.example/", "", b"")]), "warc_revisit")
    file_case(
        "WARC 404 response",
        "404.warc.gz",
        warc([("response", "https://w.example/x", "404 Not Found", page("Gone"))]),
        "warc_http_4xx",
    )
    file_case(
        "WARC 500 response",
        "500.warc.gz",
        warc([("response", "https://w.example/x", "500 Oops", page("Err"))]),
        "warc_http_5xx",
    )
    file_case(
        "WARC image response",
        "img.warc.gz",
        warc([("response", "https://w.example/i.png", "200 OK", b"\x89PNG" + b"\0" * 50)]),
        "warc_not_html",
    )
    file_case(
        "WARC response over max_bytes",
        "big.warc.gz",
        warc([("response", "https://w.example/b", "200 OK", b"<p>" + b"z" * 16_500_000)]),
        "too_large",
    )
    file_case(
        "WARC response of 600k elements",
        "bomb.warc.gz",
        warc([("response", "https://w.example/s", "200 OK", spans(600_000))]),
        "too_complex",
    )

    # --- configuration -----------------------------------------------------------------------------------

    def config_case(name: str, make: Callable[[Path], list[str]], must: str, code: int = 2) -> None:
        def run() -> Outcome:
            case = a.fresh()
            result = a.cli(*make(case))
            if result.code is None:
                return Outcome(False, "hung (timeout)")
            if b"Traceback" in result.err:
                return Outcome(False, "traceback")
            if result.code != code or must.encode() not in result.err:
                return Outcome(False, f"exit {result.code}: {result.err[-300:]!r}")
            return Outcome(True, f"refused, names {must!r} ({result.seconds:.1f} s)")

        cases.append((name, run))

    def rules_with(pattern: str) -> Callable[[Path], list[str]]:
        def make(case: Path) -> list[str]:
            rules = case / "rules.yaml"
            rules.write_text(
                "version: 1\nkinds:\n  junk:\n    - id: junk.bad\n      reason: a rule that passes its own examples\n"
                f"      match: ['{pattern}']\n      examples:\n        remove: [xxy]\n",
                encoding="utf-8",
            )
            config = case / "presswash.yaml"
            config.write_text(f"cleaning:\n  boilerplate: {rules}\n", encoding="utf-8")
            return ["clean", str(case / "good.html"), "--config", str(config)]

        return make

    config_case("boilerplate rule (x+x+)+y", rules_with("(x+x+)+y"), "(x+x+)+y")
    config_case("boilerplate rule (\\w+\\s?)*y", rules_with("(\\w+\\s?)*y"), "backtrack")
    config_case("boilerplate rule that is not a regex", rules_with("(xx"), "invalid regular expression")
    config_case("boilerplate rule matching the empty line", rules_with("x*"), "empty line")

    def sites_with(replace: Callable[[str], str]) -> Callable[[Path], list[str]]:
        def make(case: Path) -> list[str]:
            text = (ROOT / "config" / "sites.demo.yaml").read_text(encoding="utf-8")
            sites = case / "sites.yaml"
            sites.write_text(replace(text), encoding="utf-8")
            return ["crawl", "--config", str(sites), "--output", str(case / "out")]

        return make

    config_case(
        "article_url (a+)+$",
        sites_with(lambda t: t.replace("    article_url:\n", "    article_url:\n      - '(a+)+$'\n", 1)),
        "(a+)+$",
    )

    def bomb(text: str) -> str:
        lines_ = ["x: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']"]
        for level in range(1, 10):
            previous = "a" if level == 1 else f"l{level - 1}"
            lines_.append(f"l{level}: &l{level} [" + ",".join([f"*{previous}"] * 9) + "]")
        return "\n".join(lines_) + "\n" + text

    config_case("YAML alias bomb in sites.yaml", sites_with(bomb), "alias bomb")
    config_case(
        "YAML alias bomb in presswash.yaml",
        lambda case: [
            "clean",
            str(case / "good.html"),
            "--config",
            str(a.config(case, bomb("").replace("x:", "state:", 1))),
        ],
        "alias bomb",
    )
    config_case(
        "recursive YAML alias",
        lambda case: ["clean", str(case / "good.html"), "--config", str(a.config(case, "scale: &s {a: *s}\n"))],
        "recursive",
    )
    config_case(
        "cleaning.languages: [english]",
        lambda case: ["clean", str(case / "good.html"), "--config", str(a.config(case, languages=["english"]))],
        "cleaning.languages",
    )
    config_case(
        "cleaning.max_elements: -1",
        lambda case: ["clean", str(case / "good.html"), "--config", str(a.config(case, max_elements=-1))],
        "cleaning.max_elements",
    )
    config_case(
        "unknown cleaning key",
        lambda case: ["clean", str(case / "good.html"), "--config", str(a.config(case, max_byte=5))],
        "unknown key",
    )
    config_case(
        "YAML syntax error",
        lambda case: ["clean", str(case / "good.html"), "--config", str(a.config(case, "state: [unclosed\n"))],
        "YAML syntax error",
    )
    config_case(
        "presswash.yaml not UTF-8",
        lambda case: [
            "clean",
            str(case / "good.html"),
            "--config",
            str(_write(case / "p.yaml", b"cleaning:\n  min_words: \xff\n")),
        ],
        "not UTF-8",
    )
    config_case(
        "missing boilerplate file",
        lambda case: [
            "clean",
            str(case / "good.html"),
            "--config",
            str(_write(case / "p.yaml", b"cleaning:\n  boilerplate: nope.yaml\n")),
        ],
        "nope.yaml",
    )
    config_case(
        "state.path under a regular file",
        lambda case: [
            "crawl",
            "--config",
            "config/sites.demo.yaml",
            "--clean-config",
            str(a.config(case, f"state:\n  path: {case / 'good.html'}/s.db\n")),
            "--output",
            str(case / "o"),
        ],
        "state.path",
    )
    config_case(
        "state.path is a directory",
        lambda case: [
            "crawl",
            "--config",
            "config/sites.demo.yaml",
            "--clean-config",
            str(a.config(case, f"state:\n  path: {case}\n")),
            "--output",
            str(case / "o"),
        ],
        "state.path",
    )

    def env_case(
        name: str, args: list[str], env: dict[str, str], must: str, never: str, code: int | None = None
    ) -> None:
        def run() -> Outcome:
            result = a.cli(*args, env=env)
            if result.code is None:
                return Outcome(False, "hung (timeout)")
            if never.encode() in result.err + result.out:
                return Outcome(False, f"{never!r} printed")
            if must.encode() not in result.err or (code is not None and result.code != code):
                return Outcome(False, f"exit {result.code}: {result.err[-300:]!r}")
            return Outcome(True, f"exit {result.code}, names {must!r}")

        cases.append((name, run))

    demo = ["crawl", "--config", "config/sites.demo.yaml", "--output", str(a.work / "crawl-out")]
    env_case(
        "PRESSWASH_RUN_ID=../../../evil",
        demo,
        {"PRESSWASH_RUN_ID": "../../../evil"},
        "PRESSWASH_RUN_ID",
        "Traceback",
        2,
    )
    env_case("PRESSWASH_RUN_ID with a slash", demo, {"PRESSWASH_RUN_ID": "a/b"}, "PRESSWASH_RUN_ID", "Traceback", 2)
    down = {"PRESSWASH_REDIS_URL": "redis://:S3CRETPW@127.0.0.1:1/0", "PRESSWASH_DEMO_URL": "http://127.0.0.1:9"}
    env_case("Redis password, crawl with Redis down", demo, down, "redis://:***@", "S3CRETPW")
    env_case(
        "Redis password, seed with Redis down",
        ["seed", "--site", "demo", "--config", "config/sites.demo.yaml"],
        down,
        "***",
        "S3CRETPW",
    )
    env_case("Redis password, runs with Redis down", ["runs"], down, "***", "S3CRETPW")
    env_case(
        "PostgreSQL password, load with the server down",
        ["load", str(ROOT / "README.md"), "--postgres", "postgresql://ana:S3CRETPW@127.0.0.1:1/db"],
        {},
        "presswash load",
        "S3CRETPW",
    )

    @add("presswash load: one malformed line among ten")
    def _() -> Outcome:
        dsn = os.environ.get("PRESSWASH_TEST_POSTGRES_DSN", "postgresql://127.0.0.1:5432/test")
        try:
            import psycopg

            with psycopg.connect(dsn, connect_timeout=3) as conn:
                schema = f"presswash_audit_{os.getpid()}"
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        except Exception as exc:
            return Outcome(False, f"PostgreSQL not reachable: {exc}")
        case = a.fresh()
        for index in range(10):
            (case / f"{index}.html").write_bytes(page(f"Load {index}"))
        (case / "good.html").unlink()
        out = case / "ten.jsonl"
        a.cli("clean", str(case), "-o", str(out))
        data = out.read_bytes().splitlines(keepends=True)
        data.insert(3, b'{"id": "broken", \n')
        out.write_bytes(b"".join(data))
        result = a.cli("load", str(out), "--postgres", dsn, "--schema", schema)
        with psycopg.connect(dsn) as conn:
            rows = conn.execute(f"SELECT count(*) FROM {schema}.articles").fetchone()[0]
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        if rows != 10 or b"line 4" not in result.err:
            return Outcome(False, f"{rows} rows loaded; {result.err[-200:]!r}")
        return Outcome(True, "10 rows, the bad line named")

    return cases


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- faults ---------------------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cpu(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def corpus(where: Path, count: int, slow: int = 0) -> Path:
    root = where / "in"
    root.mkdir()
    for index in range(count):
        (root / f"{index:04d}.html").write_bytes(page(f"Story {index}", n=6))
    if slow:
        (root / "0000-slow.html").write_bytes(spans(slow))
    return root


def start(args: list[str]) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESSWASH_")}
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


def wait_lines(path: Path, count: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if (path.read_bytes().count(b"\n") if path.exists() else 0) >= count and len(children(proc.pid)) >= 2:
            return
        time.sleep(0.02)


def each_once(out: Path, expected: int) -> Outcome | None:
    ids = [r["id"] for r in lines(out)]
    if len(ids) != len(set(ids)):
        return Outcome(False, f"{len(ids) - len(set(ids))} duplicate ids")
    if len(ids) != expected:
        return Outcome(False, f"{len(ids)} of {expected} written")
    return None


def faults(a: Audit) -> list[tuple[str, Callable[[], Outcome]]]:
    cases: list[tuple[str, Callable[[], Outcome]]] = []

    def kill_then_rerun(after: int, rerun: list[str], append: bool = False) -> Callable[[], Outcome]:
        def run() -> Outcome:
            case = a.fresh()
            root = corpus(case, 120)
            out = case / "out.jsonl"
            extra = ["--append"] if append else []
            proc = start(["clean", str(root), "-o", str(out), "-q", *extra])
            wait_lines(out if append else case / "out.jsonl.partial", after, proc)
            workers = children(proc.pid)
            proc.kill()
            proc.wait()
            time.sleep(3)
            if any(alive(pid) for pid in workers):
                return Outcome(False, "workers alive 3 s after the run was killed")
            again = a.cli("clean", str(root), "-o", str(out), "-q", *extra, *rerun)
            if again.code != 0:
                return Outcome(False, f"re-run exit {again.code}")
            return each_once(out, 120) or Outcome(True, f"killed after >= {after} lines; re-run: each id once")

        return run

    for after in (0, 10, 60, 110):
        cases.append((f"kill -9 after {after} lines, plain re-run", kill_then_rerun(after, [])))
    for after in (5, 80):
        cases.append((f"kill -9 after {after} lines, --resume", kill_then_rerun(after, ["--resume"])))
    cases.append(("kill -9 with --append, then --append --resume", kill_then_rerun(30, ["--resume"], append=True)))

    def worker_signal(sig: int, how_many: int, expect: str) -> Callable[[], Outcome]:
        def run() -> Outcome:
            case = a.fresh()
            root = corpus(case, 40, slow=40_000)
            out = case / "out.jsonl"
            config = a.config(case, max_seconds=3)
            proc = start(["clean", str(root), "-o", str(out), "-q", "--config", str(config)])
            deadline = time.monotonic() + 30
            targets: list[int] = []
            while time.monotonic() < deadline:
                workers = children(proc.pid)
                if len(workers) == 2 and max(cpu(p) for p in workers) >= 50:
                    targets = sorted(workers, key=cpu, reverse=True)[:how_many]
                    break
                time.sleep(0.05)
            for pid in targets:
                os.kill(pid, sig)
            try:
                _, err = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                return Outcome(False, "hung")
            stats = json.loads(Path(f"{out}.stats.json").read_text())
            if not stats.get("accounted") or stats["read"] != 41 or not targets:
                return Outcome(False, f"stats: {stats.get('read')} read, accounted {stats.get('accounted')}")
            if b"Traceback" in err or stats["written"] < 40 - how_many:
                return Outcome(False, f"written {stats['written']}")
            if expect not in json.dumps(stats):
                return Outcome(False, f"{expect!r} not in the stats")
            return Outcome(True, f"written {stats['written']}, failed {stats['failed']}, rejected {stats['rejected']}")

        return run

    cases.append(
        ("SIGKILL of the worker holding a page (OOM killer)", worker_signal(signal.SIGKILL, 1, "killed by SIGKILL"))
    )
    cases.append(("SIGKILL of both workers", worker_signal(signal.SIGKILL, 2, "killed by SIGKILL")))
    cases.append(("SIGSTOP of a worker (hung worker)", worker_signal(signal.SIGSTOP, 1, "killed and replaced")))
    cases.append(("SIGSEGV in a worker", worker_signal(signal.SIGSEGV, 1, "SIGSEGV")))

    def parent_signal(sig: int) -> Callable[[], Outcome]:
        def run() -> Outcome:
            case = a.fresh()
            root = corpus(case, 120)
            out = case / "out.jsonl"
            proc = start(["clean", str(root), "-o", str(out), "-q"])
            wait_lines(case / "out.jsonl.partial", 20, proc)
            proc.send_signal(sig)
            _, _err = proc.communicate(timeout=60)
            stats = json.loads(Path(f"{out}.stats.json").read_text())
            if proc.returncode != 130 or not stats.get("interrupted") or not stats.get("accounted"):
                return Outcome(False, f"exit {proc.returncode}, stats {stats.get('interrupted')}")
            again = a.cli("clean", str(root), "-o", str(out), "-q", "--resume")
            return each_once(out, 120) or Outcome(True, f"exit 130 with stats; --resume finished ({again.code})")

        return run

    cases.append(("SIGTERM of the run", parent_signal(signal.SIGTERM)))
    cases.append(("SIGINT (Ctrl-C) of the run", parent_signal(signal.SIGINT)))

    def dev_full() -> Outcome:
        case = a.fresh()
        result = a.cli("clean", str(case / "good.html"), "-o", "/dev/full", "--append", "--stats", str(case / "s.json"))
        stats = json.loads((case / "s.json").read_text())
        if result.code != 1 or b"No space left" not in result.err or b"Traceback" in result.err:
            return Outcome(False, f"exit {result.code}")
        return Outcome(True, f"exit 1, stats: {stats['output_error']}")

    cases.append(("disk full (-o /dev/full)", dev_full))

    def tmpfs_full() -> Outcome:
        mount = a.work / "tiny"
        mount.mkdir()
        made = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, check=False
        )
        if made.returncode != 0:
            return Outcome(False, f"cannot mount a tmpfs: {made.stderr.decode().strip()}")
        try:
            case = a.fresh()
            root = corpus(case, 60)
            out = mount / "out.jsonl"
            first = a.cli("clean", str(root), "-o", str(out), "--stats", str(case / "s.json"), "-q")
            stats = json.loads((case / "s.json").read_text())
            if first.code != 1 or "disk full" not in stats.get("output_error", "") or b"Traceback" in first.err:
                return Outcome(False, f"exit {first.code}: {first.err[-200:]!r}")
            kept = len(lines(mount / "out.jsonl.partial"))
            final = case / "moved.jsonl"
            shutil.move(mount / "out.jsonl.partial", case / "moved.jsonl.partial")  # "free the disk"
            again = a.cli("clean", str(root), "-o", str(final), "--resume", "-q")
            return each_once(final, 60) or Outcome(True, f"{kept} lines kept at ENOSPC; resumed ({again.code})")
        finally:
            subprocess.run(["umount", str(mount)], check=False)

    cases.append(("disk full on a 64 KB tmpfs, then --resume", tmpfs_full))

    def stats_unwritable() -> Outcome:
        case = a.fresh()
        result = a.cli("clean", str(case / "good.html"), "--stats", "/dev/full/x.json")
        if result.code != 0 or b"cannot write the stats" not in result.err:
            return Outcome(False, f"exit {result.code}: {result.err[-200:]!r}")
        return Outcome(True, "said so, articles still on stdout")

    cases.append(("stats file unwritable", stats_unwritable))

    def output_unwritable() -> Outcome:
        case = a.fresh()
        result = a.cli("clean", str(case / "good.html"), "-o", str(case / "good.html" / "x.jsonl"))
        if result.code != 1 or b"cannot write" not in result.err or b"Traceback" in result.err:
            return Outcome(False, f"exit {result.code}: {result.err[-200:]!r}")
        return Outcome(True, "refused before cleaning")

    cases.append(("output under a regular file", output_unwritable))

    def two_runs_one_output() -> Outcome:
        case = a.fresh()
        root = corpus(case, 80, slow=40_000)  # the slow page keeps the first run going for seconds
        out = case / "out.jsonl"
        first = start(["clean", str(root), "-o", str(out), "-q"])
        wait_lines(case / "out.jsonl.partial", 0, first)
        second = a.cli("clean", str(root), "-o", str(out), "-q")
        first.communicate(timeout=120)
        if second.code != 1 or b"another presswash clean" not in second.err:
            return Outcome(False, f"second run exit {second.code}")
        return each_once(out, 81) or Outcome(True, "second run refused, first complete")

    cases.append(("two runs into one output at once", two_runs_one_output))

    def broken_pipe() -> Outcome:
        case = a.fresh()
        root = corpus(case, 60)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRESSWASH_")}
        cmd = f"{sys.executable} -m crawler.cli clean {root} | head -c 100 > /dev/null; echo ${{PIPESTATUS[0]}}"
        done = subprocess.run(["bash", "-c", cmd], cwd=ROOT, capture_output=True, timeout=TIMEOUT, env=env, check=False)
        time.sleep(1)
        leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and str(root).encode() in _cmdline(p)]
        if leftovers or done.stdout.strip() not in (b"0", b"141"):
            return Outcome(False, f"exit {done.stdout!r}, {len(leftovers)} processes left")
        return Outcome(True, f"exit {done.stdout.decode().strip()}, no process left")

    cases.append(("reader of stdout goes away (| head)", broken_pipe))

    def budget_in_process() -> Outcome:
        case = a.fresh()
        (case / "slow.html").write_bytes(spans(30_000))
        config = a.config(case, max_seconds=1)
        result = a.clean(case, str(case / "slow.html"), extra=("--workers", "1", "--config", str(config)))
        return judged(result, case, expect="too_complex (alarm, no pool)", outcome="too_complex")

    cases.append(("page over max_seconds with --workers 1", budget_in_process))

    def budget_in_pool() -> Outcome:
        case = a.fresh()
        (case / "slow.html").write_bytes(spans(30_000))
        config = a.config(case, max_seconds=1)
        result = a.clean(case, str(case / "slow.html"), extra=("--config", str(config)))
        return judged(result, case, expect="too_complex (alarm in a worker)", outcome="too_complex")

    cases.append(("page over max_seconds in the pool", budget_in_pool))

    def vanished_input() -> Outcome:
        sys.path.insert(0, str(ROOT))
        from cleaners.batch import clean_inputs

        case = a.fresh()
        root = corpus(case, 3)
        stats_holder: list[Any] = []

        def remove_next(result: Any) -> None:
            for path in sorted(root.iterdir(), reverse=True):
                if path.exists():
                    path.unlink()
                    break

        stats_holder.append(clean_inputs([str(root)], output=case / "out.jsonl", workers=1, on_result=remove_next))
        stats = stats_holder[0]
        if not stats.accounted or stats.failed.get("read_error", 0) < 1:
            return Outcome(False, f"{stats.to_dict()}")
        return Outcome(True, f"deleted inputs counted read_error ({stats.failed['read_error']})")

    cases.append(("input deleted during the run", vanished_input))

    def replaced_by_fifo() -> Outcome:
        from cleaners.sources import read_file

        case = a.fresh()
        target = case / "x.html"
        os.mkfifo(target)  # listed as a file a moment ago, a FIFO now
        started = time.monotonic()
        result = read_file(str(target), 1000)
        if time.monotonic() - started > 5 or getattr(result, "reason", None) is None:
            return Outcome(False, "blocked or read")
        return Outcome(True, f"refused: {result.detail}")  # type: ignore[union-attr]

    cases.append(("file replaced by a FIFO after listing", replaced_by_fifo))

    def kill_during_resume() -> Outcome:
        case = a.fresh()
        root = corpus(case, 120)
        out = case / "out.jsonl"
        for _ in range(2):
            proc = start(["clean", str(root), "-o", str(out), "-q", "--resume"])
            before = len(lines(case / "out.jsonl.partial"))
            wait_lines(case / "out.jsonl.partial", before + 15, proc)
            proc.kill()
            proc.wait()
        a.cli("clean", str(root), "-o", str(out), "-q", "--resume")
        return each_once(out, 120) or Outcome(True, "killed twice while resuming; each id once")

    cases.append(("kill -9 during a --resume, twice", kill_during_resume))
    return cases


def _cmdline(proc_dir: Path) -> bytes:
    try:
        return (proc_dir / "cmdline").read_bytes()
    except OSError:
        return b""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the case names only")
    parser.add_argument("-k", default="", help="run only the cases whose name contains this")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="presswash-audit-") as work:
        audit = Audit(Path(work))
        groups = {"bad inputs": bad_inputs(audit), "faults": faults(audit)}
        totals: dict[str, tuple[int, int]] = {}
        for group, cases in groups.items():
            passed = tried = 0
            for name, run in cases:
                if args.k not in name:
                    continue
                if args.list:
                    print(f"{group}: {name}")
                    continue
                tried += 1
                try:
                    outcome = run()
                except Exception as exc:
                    outcome = Outcome(False, f"audit error: {type(exc).__name__}: {exc}")
                passed += outcome.ok
                print(f"{'ok  ' if outcome.ok else 'FAIL'} {group}: {name}: {outcome.note}", flush=True)
            totals[group] = (passed, tried)
        if not args.list:
            (ok_in, n_in), (ok_f, n_f) = totals["bad inputs"], totals["faults"]
            print(f"\n{n_in} bad inputs tried, {ok_in} handled; {n_f} faults injected, {ok_f} survived")
            return 0 if ok_in == n_in and ok_f == n_f else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
