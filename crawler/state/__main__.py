"""``python -m crawler.state vacuum PATH``: compact a state file (crawler.state.sqlite.vacuum)."""

from __future__ import annotations

import argparse

from crawler.state.sqlite import vacuum


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.state", description="state file maintenance")
    parser.add_argument("command", choices=["vacuum"])
    parser.add_argument("path")
    args = parser.parse_args(argv)
    before, after = vacuum(args.path)
    print(f"{args.path}: {before} -> {after} bytes; incremental vacuum on")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
