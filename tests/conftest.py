"""Shared pytest fixtures. Each concern has its own section below; append new fixtures in a new section."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# --------------------------------------------------------------------------------------------------
# Network isolation: tests only ever talk to 127.0.0.1. A proxy picked up from the environment would
# send loopback requests (urllib, Scrapy) somewhere else, so proxies are cleared at import.
# --------------------------------------------------------------------------------------------------

for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(_var, None)
os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"

# --------------------------------------------------------------------------------------------------
# Demo news site (tests/http_server.py, content in tests/site/, truth in tests/site/manifest.json)
# --------------------------------------------------------------------------------------------------

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:  # lets `import http_server` work whatever pytest's import mode
    sys.path.insert(0, str(TESTS_DIR))

from http_server import start_server_subprocess, stop_server  # noqa: E402

DEMO_MANIFEST_PATH = TESTS_DIR / "site" / "manifest.json"


@pytest.fixture(scope="session")
def demo_site() -> Iterator[str]:
    """Base URL (no trailing slash) of a demo site shared by the whole session. Do not mutate it
    through /_control/ (use fresh_demo_site); /fail/flaky.html has already failed once if anyone hit it."""
    proc, base_url = start_server_subprocess()
    try:
        yield base_url
    finally:
        stop_server(proc)


@pytest.fixture
def fresh_demo_site() -> Iterator[str]:
    """Base URL of a private demo site for one test: safe to update/publish/reset and to count hits."""
    proc, base_url = start_server_subprocess()
    try:
        yield base_url
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def demo_manifest() -> dict[str, Any]:
    """tests/site/manifest.json: what the demo site contains and what a crawler/cleaner should output."""
    return json.loads(DEMO_MANIFEST_PATH.read_text(encoding="utf-8"))
