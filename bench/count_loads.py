"""Counts of the demo crawl: configuration files parsed, Article validations per written article.

    .venv/bin/python -m bench.count_loads

Why: issue 11 measured a one-site crawl parsing presswash.yaml 6 times and validating 43 Articles for 21
written ones; this counts the same thing on the code as it is, to show the change. The crawl runs in one
process (cleaning inline, so the workers' parses are not hidden in other processes); every call of
``cleaners.config.load_yaml`` is counted by file name, and every pydantic validation of an Article
(``Article(...)``, ``Article.model_validate``, ``model_validate_json``) is counted.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any


def main() -> int:
    import cleaners.config

    parses: Counter[str] = Counter()
    original_load = cleaners.config.load_yaml

    def counting_load(path: Any) -> Any:
        parses[Path(path).name] += 1
        return original_load(path)

    cleaners.config.load_yaml = counting_load  # before anything imports it by name

    from cleaners.article import Article

    validations = Counter[str]()
    original_init = Article.__init__
    original_validate = Article.model_validate.__func__  # type: ignore[attr-defined]
    original_validate_json = Article.model_validate_json.__func__  # type: ignore[attr-defined]

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        validations["Article(...)"] += 1
        original_init(self, *args, **kwargs)

    def counting_validate(cls: Any, *args: Any, **kwargs: Any) -> Any:
        validations["model_validate"] += 1
        return original_validate(cls, *args, **kwargs)

    def counting_validate_json(cls: Any, *args: Any, **kwargs: Any) -> Any:
        validations["model_validate_json"] += 1
        return original_validate_json(cls, *args, **kwargs)

    Article.__init__ = counting_init  # type: ignore[method-assign]
    Article.model_validate = classmethod(counting_validate)  # type: ignore[method-assign,assignment]
    Article.model_validate_json = classmethod(counting_validate_json)  # type: ignore[method-assign,assignment]

    try:
        from crawler.runner import run_crawl
    except ImportError:  # before issue 11 the crawl was crawler.crawl
        from crawler.crawl import run_crawl  # type: ignore[attr-defined,no-redef]
    from crawler.demo import DEMO_CONFIG, start_demo_server, stop_demo_server

    for variable in [k for k in os.environ if "proxy" in k.lower()]:
        os.environ.pop(variable)
    proc, base = start_demo_server(0.2, ports=(0,))
    os.environ["PRESSWASH_DEMO_URL"] = base
    with tempfile.TemporaryDirectory(prefix="presswash-count-") as tmp:
        try:
            overrides = {"PRESSWASH_RETRY_BACKOFF_BASE": 0.2, "PRESSWASH_CLEAN_MODE": "inline"}
            run_crawl(str(DEMO_CONFIG), ["demo"], tmp, overrides)
        finally:
            stop_demo_server(proc)
        stats = json.loads(sorted((Path(tmp) / "demo" / "runs").glob("*[0-9].json"))[-1].read_text())
    written = stats["written"]
    total = sum(validations.values())
    report = {
        "config_parses": dict(sorted(parses.items())),
        "article_validations": dict(sorted(validations.items())),
        "article_validations_total": total,
        "written": written,
        "validations_per_written_article": round(total / written, 2) if written else None,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
