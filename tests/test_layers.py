"""The layers of docs/architecture.md, enforced on the source (AST, nothing imported):

- ``cleaners/`` (the cleaning core) imports neither ``crawler`` nor Scrapy, Twisted or scrapy-redis: the
  local-files flow and the library API (``presswash``) must never load the crawler;
- the state (``crawler/state/``), the sinks (``crawler/sinks/``), the configuration (``crawler/config.py``)
  and the shared vocabulary (``crawler/meta.py``) import neither Scrapy nor Twisted: the command line,
  the scheduler and ``presswash seed`` use them without loading Scrapy, and a test can use them alone;
- no import cycles anywhere in ``cleaners/``, ``crawler/`` and ``presswash/``, counting imports inside
  functions too (a lazy import only hides a cycle). Imports under ``if TYPE_CHECKING:`` are left out:
  they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cleaners", "crawler", "presswash")
FRAMEWORKS = ("scrapy", "twisted", "scrapy_redis")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk_runtime(node: ast.AST) -> Iterator[ast.AST]:
    """Every node below ``node``, skipping the bodies of ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            yield from (n for orelse in child.orelse for n in (orelse, *_walk_runtime(orelse)))
            continue
        yield child
        yield from _walk_runtime(child)


def imported_names(path: Path, name: str) -> set[str]:
    """Dotted names a module imports at run time: ``a.b`` for ``import a.b``, ``a.b`` and ``a.b.c`` for
    ``from a.b import c`` (c may be a module or a name; the caller keeps what exists)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in _walk_runtime(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a ``from pkg import mod`` counts as importing ``mod``)."""
    modules = source_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {target for target in imported_names(path, name) if target in modules}
        graph[name] = {target for target in targets if target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def framework_imports(prefixes: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for name, path in source_modules().items():
        if not any(name == p or name.startswith(p + ".") for p in prefixes):
            continue
        for target in sorted(imported_names(path, name)):
            if target.split(".")[0] in forbidden:
                bad.append(f"{path.relative_to(ROOT)}: imports {target}")
    return bad


def test_cleaners_import_neither_the_crawler_nor_scrapy() -> None:
    assert framework_imports(("cleaners",), ("crawler", *FRAMEWORKS)) == []


def test_state_sinks_and_configuration_import_no_scrapy_or_twisted() -> None:
    layer = ("crawler.state", "crawler.sinks", "crawler.config", "crawler.meta")
    assert framework_imports(layer, FRAMEWORKS) == []
    assert {"crawler.state.sqlite", "crawler.sinks.postgres", "crawler.config"} <= set(source_modules())


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 50  # every module of the three packages was read
    assert "crawler.state.sqlite" in graph["crawler.state"]  # `from pkg import mod` counts as an edge
    assert cycles(graph) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set(), "c": {"c"}}, []),
        ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, [["a", "b"], ["c", "d"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert sorted(cycles(graph)) == expected


def test_type_checking_imports_are_left_out(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import scrapy\n"
        "def f():\n    import twisted.internet\n",
        encoding="utf-8",
    )
    assert imported_names(module, "m") == {"typing", "typing.TYPE_CHECKING", "twisted.internet"}
