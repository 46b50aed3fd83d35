"""The package's house rules, checked, so the structure cannot decay again.

1. Layers: data flows one way (recorder -> log -> reader -> model -> analysis -> views); a
   module imports from its own layer or below, the recorder and the views never import each
   other, and the import graph has no cycle (imports inside functions count; type-only imports
   and ``Run._repr_mimebundle_``'s late import of the widget do not).
2. Owners: only recorder/ (and the demo graph) imports langgraph or langchain_core; only
   logfile.py imports ormsgpack.
3. Size: no module over 600 lines.
4. Private names: a name with a leading underscore (not a dunder) is private to the module it
   is defined in: no other module imports it, not even a sibling. A private module
   (``recorder/_lg.py``) is private to its folder: only its own folder imports from it. What
   another module needs is made public where it lives (``Run.get_thread``,
   ``recorder.as_compiled``, ``logfile.FRAME``...).

Every import is read, at module level or inside a function. The exceptions below are listed
with their reason; one that no longer happens fails the test too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pregel_viz"

# (importing module, module imported from, name) -> why it is allowed
ALLOWED: dict[tuple[str, str, str], str] = {
    **{
        (module, "pregel_viz._version", "__version__"): (
            "the build backend reads the version from pregel_viz/_version.py; importing it from "
            "the package itself would run pregel_viz/__init__ first"
        )
        for module in ("pregel_viz.recorder._session", "pregel_viz.views.html")
    },
}


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _is_private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _module_name(path: Path, root: Path) -> tuple[str, str]:
    """The dotted name of the module at ``path`` and of the package (folder) it is in."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        name = ".".join(parts[:-1])
        return name, name
    return ".".join(parts), ".".join(parts[:-1])


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _private_imports(root: Path = PACKAGE) -> set[tuple[str, str, str]]:
    """Every (importer, imported-from, name) where the name is private (to its module) or a
    module on its way is private and the importer is in another folder than that module."""
    top = root.name
    found: set[tuple[str, str, str]] = set()
    for path in sorted(root.rglob("*.py")):
        module, package = _module_name(path, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[tuple[str, str]] = []
            if isinstance(node, ast.ImportFrom):
                source = _absolute(node, package)
                targets = [(source, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    source, _, name = alias.name.rpartition(".")
                    targets.append((source, name))
            for source, name in targets:
                if source != top and not source.startswith(top + "."):
                    continue
                parts = [*source.split("."), name]
                for i, part in enumerate(parts):
                    if not _is_private(part):
                        continue
                    # who owns the private part: a private module, the folder it is in; a
                    # private name of a module, that module alone
                    owner = ".".join(parts[:i])
                    is_name = (
                        i == len(parts) - 1 and not (root.parent / owner.replace(".", "/")).is_dir()
                    )
                    if (module != owner) if is_name else (package != owner):
                        found.add((module, source, name))
                    break
    return found


def test_given_the_package_when_its_imports_are_read_then_no_private_name_crosses_a_folder() -> (
    None
):
    found = _private_imports()
    unexplained = sorted(found - ALLOWED.keys())
    assert not unexplained, "private names imported from another folder:\n" + "\n".join(
        f"  {m} imports {n} from {s}" for m, s, n in unexplained
    )


def test_given_the_allowed_exceptions_when_checked_then_each_still_happens() -> None:
    stale = sorted(ALLOWED.keys() - _private_imports())
    assert not stale, "allowed exceptions that no longer happen (remove them):\n" + "\n".join(
        f"  {m} imports {n} from {s}" for m, s, n in stale
    )


def test_given_private_imports_when_checked_then_crossing_names_and_modules_are_found(
    tmp_path: Path,
) -> None:
    files = {
        "pkg/__init__.py": "from ._version import __version__\n",
        "pkg/_version.py": "__version__ = '1'\n",
        "pkg/model.py": "def _helper(): ...\n",
        "pkg/view.py": "from .model import _helper\n",  # a sibling's private name: found
        "pkg/rec/__init__.py": "from ._lg import KEY\nfrom .._version import __version__\n",
        "pkg/rec/_lg.py": "KEY = 1\n",
        "pkg/live.py": "from .rec._lg import KEY\n\ndef f():\n    from .view import _x\n",
        "pkg/rec/tool.py": "from ..model import _helper\nimport pkg.rec._lg\n",
    }
    _write_tree(tmp_path, files)
    assert _private_imports(tmp_path / "pkg") == {
        ("pkg.view", "pkg.model", "_helper"),
        ("pkg.live", "pkg.view", "_x"),  # inside a function too
        ("pkg.live", "pkg.rec._lg", "KEY"),
        ("pkg.rec", "pkg._version", "__version__"),
        ("pkg.rec.tool", "pkg.model", "_helper"),
    }


# --------------------------------------------------------------------------- the layers
#
# Data flows one way: recorder -> log -> reader -> model -> analysis -> views. Lowest first; a
# module imports from its own layer or below, never above, and the import graph has no cycle.
# The recorder (producer) and the views (documents and widgets) share a layer and never import
# each other: the applications on top (the package's __init__, cli, magic, server, the pytest
# plugin, the demo, notebook.debug) join them.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("_version", "errors", "events", "values")),
    ("log", ("load_limits", "_logsink", "logfile")),
    ("model", ("spans", "model")),
    ("reader", ("reader",)),
    ("analysis", ("analysis",)),
    ("recorder and views", ("recorder", "views")),
    (
        "applications",
        ("", "__main__", "cli", "magic", "server", "pytest_plugin", "demo", "notebook", "testing"),
    ),
]
INDEPENDENT = ("recorder", "views")
# Imports that do not count: type-only ones, and Run._repr_mimebundle_'s late import of the
# widget (a Run shows itself in notebooks; the one documented exception).
LATE_IMPORTS_ALLOWED = {("model", "_repr_mimebundle_")}  # (module under the package, function)
OWNERS = {  # third-party packages only these modules (or folders) may import
    "langgraph": ("recorder", "demo"),
    "langchain_core": ("recorder", "demo"),
    "ormsgpack": ("logfile",),
    "psycopg": ("recorder",),
    "langgraph_sdk": ("recorder",),
}
MAX_LINES = 600


def _room(module: str) -> str:
    """The first part of a module's name under the package: its folder or top-level module."""
    parts = module.split(".")[1:]
    return parts[0] if parts else ""


def _layer(module: str) -> int:
    room = _room(module)
    for i, (_, rooms) in enumerate(LAYERS):
        if room in rooms:
            return i
    raise AssertionError(f"{module} is in no layer: add it to LAYERS in {__file__}")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, skip_functions: set[str]) -> list[ast.Import | ast.ImportFrom]:
    """Every import that runs, at module level or in a function, except type-only ones and
    those in the functions named in ``skip_functions``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                child.name in skip_functions
            ):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def _graph(root: Path = PACKAGE) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module -> the package modules it imports, module -> the top-level packages outside
    it imports). ``from .x import name`` counts as importing ``x``'s module (or package)."""
    top = root.name
    modules = {_module_name(p, root)[0]: p for p in sorted(root.rglob("*.py"))}
    inner: dict[str, set[str]] = {m: set() for m in modules}
    outer: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        package = _module_name(path, root)[1]
        skip = {f for m, f in LATE_IMPORTS_ALLOWED if f"{top}.{m}" == module}
        for node in _imports(ast.parse(path.read_text(encoding="utf-8")), skip):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(node, package)
                names = [f"{source}.{a.name}" for a in node.names]
                targets = [n if n in modules else source for n in names]
            else:
                targets = [a.name for a in node.names]
            for target in targets:
                if target == top or target.startswith(top + "."):
                    while target not in modules and "." in target:
                        target = target.rpartition(".")[0]
                    if target != module:
                        inner[module].add(target)
                else:
                    outer[module].add(target.partition(".")[0])
    return inner, outer


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_given_the_package_when_its_imports_are_followed_then_there_is_no_cycle() -> None:
    cycles = _cycles(_graph()[0])
    assert not cycles, "import cycles (imports inside functions count):\n" + "\n".join(
        "  " + " <-> ".join(c) for c in cycles
    )


def test_given_the_layers_when_each_import_is_checked_then_none_points_up() -> None:
    inner, _ = _graph()
    wrong = []
    for module, targets in sorted(inner.items()):
        for target in sorted(targets):
            rooms = {_room(module), _room(target)}
            if _layer(target) > _layer(module) or (rooms == set(INDEPENDENT) and len(rooms) == 2):
                wrong.append(
                    f"  {module} ({LAYERS[_layer(module)][0]}) imports {target} "
                    f"({LAYERS[_layer(target)][0]})"
                )
    assert not wrong, "imports against the flow:\n" + "\n".join(wrong)


def test_given_third_party_packages_when_imported_then_only_by_their_owners() -> None:
    _, outer = _graph()
    wrong = [
        f"  {module} imports {package} (only {', '.join(OWNERS[package])} may)"
        for module, packages in sorted(outer.items())
        for package in sorted(packages)
        if package in OWNERS and _room(module) not in OWNERS[package]
    ]
    assert not wrong, "\n".join(wrong)


def test_given_the_modules_when_counted_then_none_is_over_the_limit() -> None:
    long = {
        str(p.relative_to(PACKAGE.parent)): n
        for p in sorted(PACKAGE.rglob("*.py"))
        # every "\n"-separated piece, the empty one after the last newline too
        if (n := len(p.read_text(encoding="utf-8").split("\n"))) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by responsibility): {long}"


def test_given_a_small_package_when_its_graph_is_read_then_cycles_and_layers_are_found(
    tmp_path: Path,
) -> None:
    files = {
        "pkg/__init__.py": "from .model import Run\n",
        "pkg/model.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .views.page import x\n"
            "def f():\n    from .views import page\n"
            "def _repr_mimebundle_():\n    from .cli import y\n"
        ),
        "pkg/views/__init__.py": "",
        "pkg/views/page.py": "import ormsgpack.x\nfrom ..model import Run\n",
        "pkg/cli.py": "from . import model\nimport langgraph\n",
    }
    _write_tree(tmp_path, files)
    inner, outer = _graph(tmp_path / "pkg")
    assert inner == {
        "pkg": {"pkg.model"},
        "pkg.model": {"pkg.views.page"},  # the function-level import counts, the others not
        "pkg.views": set(),
        "pkg.views.page": {"pkg.model"},
        "pkg.cli": {"pkg.model"},
    }
    assert outer["pkg.views.page"] == {"ormsgpack"} and outer["pkg.cli"] == {"langgraph"}
    assert _cycles(inner) == [["pkg.model", "pkg.views.page"]]
