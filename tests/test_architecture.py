"""The package's import rule, checked: no module borrows a private name from another folder.

A name with a leading underscore (not a dunder) is private to the folder it is defined in: its
module and the sibling modules of the same package may use it, nothing else. A private module
(``recorder/_lg.py``) counts the same way: only its own folder imports from it. What another
folder needs is made public where it lives (``Run.get_thread``, ``recorder.as_compiled``...).

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
    """Every (importer, imported-from, name) where the name or a module on its way is private
    and the importer is in another folder than the private part."""
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
                    # the folder that owns the private part: the package it is in (a name
                    # of a plain module belongs to that module's package)
                    owner = ".".join(parts[:i])
                    if i == len(parts) - 1 and not (root.parent / owner.replace(".", "/")).is_dir():
                        owner = owner.rpartition(".")[0]
                    if package != owner:
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


def test_given_private_imports_when_checked_then_only_those_across_folders_are_found(
    tmp_path: Path,
) -> None:
    files = {
        "pkg/__init__.py": "from ._version import __version__\n",
        "pkg/_version.py": "__version__ = '1'\n",
        "pkg/model.py": "def _helper(): ...\n",
        "pkg/view.py": "from .model import _helper\n",  # a sibling: allowed
        "pkg/rec/__init__.py": "from ._lg import KEY\nfrom .._version import __version__\n",
        "pkg/rec/_lg.py": "KEY = 1\n",
        "pkg/live.py": "from .rec._lg import KEY\n\ndef f():\n    from .view import _x\n",
        "pkg/rec/tool.py": "from ..model import _helper\nimport pkg.rec._lg\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert _private_imports(tmp_path / "pkg") == {
        ("pkg.live", "pkg.rec._lg", "KEY"),
        ("pkg.rec", "pkg._version", "__version__"),
        ("pkg.rec.tool", "pkg.model", "_helper"),
    }
