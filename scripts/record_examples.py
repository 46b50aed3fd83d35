"""Re-record the logs shipped with the example notebooks.

Each notebook ``examples/NN_name.ipynb`` has its graph and scenario in ``examples/graphs_NN.py``
(``record_lesson(path)``) and ships its recorded run as ``examples/NN_name.pregel``, so that it
opens without running. Run this after changing a lesson's graph::

    python scripts/record_examples.py            # every lesson
    python scripts/record_examples.py 03 07      # some of them
    python scripts/record_examples.py --out DIR  # somewhere else (the tests use this)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@dataclass(frozen=True)
class Lesson:
    """One example notebook, its graph module and its shipped log."""

    number: str
    name: str
    notebook: Path
    module: str

    @property
    def log(self) -> Path:
        return self.notebook.with_suffix(".pregel")


def lessons(examples: Path = EXAMPLES) -> list[Lesson]:
    """The numbered notebooks of ``examples``, in order."""
    out = []
    for nb in sorted(examples.glob("[0-9][0-9]_*.ipynb")):
        number = nb.name[:2]
        out.append(Lesson(number, nb.stem, nb, f"graphs_{number}"))
    return out


def lesson_module(lesson: Lesson, examples: Path = EXAMPLES) -> ModuleType:
    """Import ``examples/graphs_NN.py``."""
    if str(examples) not in sys.path:
        sys.path.insert(0, str(examples))
    return importlib.import_module(lesson.module)


def record(lesson: Lesson, out_dir: Path, examples: Path = EXAMPLES) -> Path:
    """Record one lesson's run into ``out_dir/NN_name.pregel``; returns the path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / lesson.log.name
    path.unlink(missing_ok=True)
    lesson_module(lesson, examples).record_lesson(path)
    return path


def record_all(
    out_dir: Path = EXAMPLES, only: Iterable[str] = (), examples: Path = EXAMPLES
) -> list[Path]:
    """Record every lesson (or the numbers in ``only``) into ``out_dir``."""
    wanted = set(only)
    return [
        record(lesson, out_dir, examples)
        for lesson in lessons(examples)
        if not wanted or lesson.number in wanted
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", metavar="NN", help="lesson numbers (default: all)")
    parser.add_argument("--out", type=Path, default=EXAMPLES, help="where to write the logs")
    args = parser.parse_args(argv)
    known = {lesson.number for lesson in lessons()}
    unknown = sorted(set(args.lessons) - known)
    if unknown:
        parser.error(f"no lesson {', '.join(unknown)}; lessons: {', '.join(sorted(known))}")
    for path in record_all(args.out, args.lessons):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
