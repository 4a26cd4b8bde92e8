"""A tiny HTTP server for the crawl fault tests: files from a directory, plus routes from ``routes.json``.

Run ``python tests/fault_server.py DIR [PORT]``: binds 127.0.0.1 on PORT (default: a free one), prints exactly one line,
``http://127.0.0.1:PORT``, and serves ``DIR`` until killed (or until its stdin closes). ``DIR/routes.json``
(read at each request, so a test may change it) maps a path to ``{"status": N, "headers": {...},
"body": "..."}``; ``{base}`` in a header or body is this server's URL. ``/_hits`` answers the number of
requests per path so far, as JSON. The standard library only, like tests/http_server.py.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
HITS: Counter[str] = Counter()
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if path == "/_hits":
            with LOCK:
                return self._send(200, {"Content-Type": "application/json"}, json.dumps(HITS).encode())
        with LOCK:
            HITS[path] += 1
        routes_file = ROOT / "routes.json"
        routes = json.loads(routes_file.read_text(encoding="utf-8")) if routes_file.is_file() else {}
        if path in routes:
            route = routes[path]
            headers = {k: v.replace("{base}", base) for k, v in route.get("headers", {}).items()}
            body = route.get("body", "").replace("{base}", base).encode("utf-8")
            return self._send(route.get("status", 200), headers, body)
        file = (ROOT / path.lstrip("/")).resolve()
        if ROOT.resolve() not in file.parents or not file.is_file():
            return self._send(404, {"Content-Type": "text/plain"}, b"not found")
        kind = {
            ".html": "text/html; charset=utf-8",
            ".xml": "application/xml",
            ".txt": "text/plain; charset=utf-8",
        }.get(file.suffix, "application/octet-stream")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(file.stat().st_size))
        self.end_headers()
        try:
            with file.open("rb") as handle:
                while chunk := handle.read(65536):
                    self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client stopped reading (a capped download): expected
        return None

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # the test closes our stdin (or dies): stop
    server.shutdown()


if __name__ == "__main__":
    main()
