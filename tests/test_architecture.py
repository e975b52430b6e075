"""The layout's rules, checked on the source (AST), so they hold as the code grows:

- no import circle among ganhub modules (imports under ``if TYPE_CHECKING:`` are for type
  checkers only and do not count; imports inside functions do);
- no ganhub module over 500 lines, and functions small (median ≤ 10 lines);
- built-in plugins import only ganhub's public modules, the path a third party takes.
"""

from __future__ import annotations

import ast
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ganhub"
PUBLIC = {"ganhub", "ganhub.imaging", "ganhub.weights", "ganhub.testing", "ganhub.train",
          "ganhub.train.losses", "ganhub.onnx"}
MAX_MODULE_LINES = 500
MAX_MEDIAN_FUNCTION_LINES = 10


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Import statements that run, skipping ``if TYPE_CHECKING:`` bodies."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for orelse in child.orelse:
                    visit(orelse)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The ganhub modules ``path`` imports (``from pkg import submodule`` counts as the submodule)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    result = set()
    for node in runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            result |= {alias.name for alias in node.names}
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(anchor + ([base] if base else []))
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            result.add(sub if sub in known else base)
    return {m for m in result if m.split(".")[0] == "ganhub"}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(files)
    return {name: {m for m in imported_modules(path, known) if m in known and m != name}
            for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path (first == last), or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            # A package's __init__ importing its own submodules is how packages re-export.
            if target.startswith(node + "."):
                continue
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_checker_finds_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_among_ganhub_modules() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " → ".join(cycle or [])


def test_no_ganhub_module_is_over_500_lines() -> None:
    sizes = {module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {m: n for m, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_functions_stay_small() -> None:
    lengths = [node.end_lineno - node.lineno + 1
               for path in PACKAGE.rglob("*.py")
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert statistics.median(lengths) <= MAX_MEDIAN_FUNCTION_LINES, statistics.median(lengths)


def test_plugins_import_only_public_ganhub_modules() -> None:
    known = set(import_graph())
    offenders = {}
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        if ".egg-info" in str(path):
            continue
        private = {m for m in imported_modules(path, known | PUBLIC) if m not in PUBLIC}
        if private:
            offenders[str(path.relative_to(ROOT))] = sorted(private)
    assert offenders == {}, f"plugins must use the public API ({sorted(PUBLIC)}): {offenders}"
