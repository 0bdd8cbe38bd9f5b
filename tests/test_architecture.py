"""The shape of the house: toolkit/'s import graph and the length of its functions.

Run it as a script to see the graph: ``python tests/test_architecture.py`` prints every
module's layer, the number of toolkit-internal import arrows, the cycles and the upward
arrows (and the functions over the length limit).

Import graph. Every ``import toolkit...`` / ``from toolkit... import ...`` in a module's AST
is an arrow, at module level or inside a function (a function-level import is still a
dependency, only a lazy one), ``if TYPE_CHECKING:`` blocks excluded (they never run).
``from toolkit.pkg import name`` points at ``toolkit.pkg.name`` when that is a module, else
at ``toolkit.pkg``. Arrows are counted between *modules*; an arrow into a package's
``__init__`` is an arrow into that package.

Layers, lowest first (:data:`LAYERS`). A module may import modules of its own layer or of
lower ones; an arrow to a higher layer is *upward*. The layers follow the data flow: errors,
atomic writers, the task records with what they declare their sections with (the section
schema, the names) and the run spec; the run-folder contract; the config (everything a config
is, without TensorFlow); the science (data, models, filters, Tomtom, attribution, training);
the input checks; the steps; the cluster and sweep machinery that runs steps; the report and
summary; the command line on top.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

TOOLKIT = Path(__file__).resolve().parents[1] / "toolkit"

MAX_FUNCTION_LINES = 80

# Layer of a module: the longest prefix in this list that names it or a package above it
# (``"toolkit"`` itself names only the root package). Lower index = lower layer. Each entry is
# also a *unit* of the unit-level cycle check. Modules of one layer may import each other
# (without a cycle).
LAYERS: list[tuple[str, ...]] = [
    # 0 leaves: the version, errors, test fault hooks, atomic writers; the task and analysis
    # records (functions named as strings) and what they declare their sections with (the
    # section schema, the name tables); the run spec
    (
        "toolkit",
        "toolkit.errors",
        "toolkit.faults",
        "toolkit.files",
        "toolkit.provenance",
        "toolkit.tasks",
        "toolkit.config.schema",
        "toolkit.config.names",
        "toolkit.config.spec",
    ),
    # 1 the run-folder contract (what a run spec's folder holds)
    ("toolkit.run_folder",),
    # 2 everything a config is (no TensorFlow), the eras
    (
        "toolkit.config",
        "toolkit.config.sections",
        "toolkit.config.train",
        "toolkit.config.model",
        "toolkit.config.analysis",
        "toolkit.eras",
    ),
    # 3 the science: data, models, activations, filters, motifs, attribution, training, plots
    (
        "toolkit.activations",
        "toolkit.data",
        "toolkit.models",
        "toolkit.filters",
        "toolkit.meme_io",
        "toolkit.tomtom",
        "toolkit.match",
        "toolkit.localisation",
        "toolkit.attribution",
        "toolkit.training",
        "toolkit.plots",
    ),
    # 4 the input checks (they open files with the science's readers)
    ("toolkit.config.inputs",),
    # 5 the steps that run one spec
    ("toolkit.steps",),
    # 6 running specs: sweep, containers, cluster, status
    ("toolkit.sweep", "toolkit.containers", "toolkit.cluster", "toolkit.status"),
    # 7 reading results: report, summary
    ("toolkit.report", "toolkit.summary"),
    # 8 the command line and the entry points (`python -m toolkit`, `-m toolkit.distributed`)
    ("toolkit.cli", "toolkit.__main__", "toolkit.distributed"),
]


def _matches(mod: str, prefix: str) -> bool:
    if prefix == "toolkit":  # the root package: its __init__ only
        return mod == prefix
    return mod == prefix or mod.startswith(prefix + ".")


def module_name(path: Path) -> str:
    rel = path.relative_to(TOOLKIT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(TOOLKIT.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Every Import/ImportFrom node, outside ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(name: str, known: set[str]) -> str | None:
    """The toolkit module ``name`` names, or the nearest package above it."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """module -> the toolkit modules it imports (self-arrows left out)."""
    mods = modules()
    known = set(mods)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                if target.split(".")[0] != "toolkit":
                    continue
                resolved = _resolve(target, known)
                if resolved and resolved != mod:
                    graph[mod].add(resolved)
    return graph


def layer(mod: str) -> int:
    return LAYERS.index(next(group for group in LAYERS if unit(mod) in group))


def unit(mod: str) -> str:
    """The entry of :data:`LAYERS` that names ``mod`` (the longest matching prefix)."""
    found = [p for group in LAYERS for p in group if _matches(mod, p)]
    if not found:
        raise KeyError(f"{mod} is in no layer of tests/test_architecture.py LAYERS")
    return max(found, key=len)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def upward(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Arrows from a module to one of a higher layer."""
    return sorted((a, b) for a, targets in graph.items() for b in targets if layer(b) > layer(a))


def unit_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles between units (the entries of :data:`LAYERS`: a module or a package).

    A package's own ``__init__`` re-exporting its modules is not an arrow between units.
    """
    coarse: dict[str, set[str]] = defaultdict(set)
    for a, targets in graph.items():
        for b in targets:
            if unit(a) != unit(b):
                coarse[unit(a)].add(unit(b))
    return cycles(coarse)


def code_lines(func: ast.FunctionDef | ast.AsyncFunctionDef, source: list[str]) -> int:
    """Lines of code of a function: no docstring, no blank lines, no comment-only lines."""
    doc: set[int] = set()
    body = func.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            doc = set(range(body[0].lineno, body[0].end_lineno + 1))
    first = min([func.lineno] + [d.lineno for d in func.decorator_list])
    count = 0
    for lineno in range(first, func.end_lineno + 1):
        text = source[lineno - 1].strip()
        if lineno in doc or not text or text.startswith("#"):
            continue
        count += 1
    return count


def function_lengths(tree: ast.AST, source: list[str], prefix: str = ""):
    """``(qualname, lines of code)`` of every function under ``tree``, nested ones too."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{child.name}"
            yield name, code_lines(child, source)
            yield from function_lengths(child, source, name + ".")
        elif isinstance(child, ast.ClassDef):
            yield from function_lengths(child, source, f"{prefix}{child.name}.")
        else:
            yield from function_lengths(child, source, prefix)


def long_functions(limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    """``module:qualname`` and its lines of code, for every function over ``limit``."""
    found = []
    for mod, path in modules().items():
        text = path.read_text()
        for name, n in function_lengths(ast.parse(text, str(path)), text.splitlines()):
            if n > limit:
                found.append((f"{mod}:{name}", n))
    return sorted(found, key=lambda x: -x[1])


def test_every_module_has_a_layer():
    for mod in modules():
        layer(mod)


def test_no_import_cycle():
    graph = import_graph()
    assert cycles(graph) == []
    assert unit_cycles(graph) == []


def test_no_upward_import():
    assert upward(import_graph()) == []


def test_no_function_longer_than_the_limit():
    assert long_functions() == []


def test_the_graph_helper_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    pkg = tmp_path / "toolkit"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from toolkit.sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toolkit import a\n"
        "from . import c\n"
    )
    (pkg / "sub" / "c.py").write_text("import toolkit.a\n")
    monkeypatch.setattr(sys.modules[__name__], "TOOLKIT", pkg)
    graph = import_graph()
    assert graph["toolkit.a"] == {"toolkit.sub.b"}
    assert graph["toolkit.sub.b"] == {"toolkit.sub.c"}
    assert cycles(graph) == [["toolkit.a", "toolkit.sub.b", "toolkit.sub.c"]]


def test_function_length_counts_code_only():
    text = (
        "def f(x):\n"
        '    """Doc\n\n    more doc.\n    """\n'
        "    # a comment\n"
        "\n"
        "    y = x  # trailing comments count\n"
        "    return y\n"
    )
    assert list(function_lengths(ast.parse(text), text.splitlines())) == [("f", 3)]


def main() -> None:
    graph = import_graph()
    arrows = sum(len(t) for t in graph.values())
    print(f"{len(graph)} modules, {arrows} toolkit-internal import arrows")
    for index in range(len(LAYERS)):
        members = sorted(m for m in graph if layer(m) == index)
        print(f"layer {index}: {' '.join(members)}")
    for comp in cycles(graph):
        print("cycle:", " <-> ".join(comp))
    for comp in unit_cycles(graph):
        print("unit cycle:", " <-> ".join(comp))
    for a, b in upward(graph):
        print(f"upward: {a} (layer {layer(a)}) -> {b} (layer {layer(b)})")
    for name, n in long_functions():
        print(f"long: {name} {n} lines of code")


if __name__ == "__main__":
    main()


def test_every_task_and_analysis_names_existing_functions():
    """Each ``"module:function"`` of a Task or an Analysis is a top-level function (by AST:
    nothing is imported, so this stays free of TensorFlow)."""
    from toolkit.tasks import ANALYSES, TASKS

    mods = modules()
    targets = [
        value
        for entry in [*TASKS.values(), *ANALYSES.values()]
        for value in vars(entry).values()
        if isinstance(value, str) and ":" in value and value.startswith("toolkit.")
    ]
    assert len(targets) >= len(TASKS) + len(ANALYSES)
    for target in targets:
        module, _, name = target.partition(":")
        tree = ast.parse(mods[module].read_text())
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert name in defined, target
