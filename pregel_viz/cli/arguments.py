"""What the command line is given, read and checked before anything runs: JSON arguments
(``--input``, ``--resume``), a RunnableConfig (``--config``) and the graph (``MODULE:ATTR``).

Each mistake is a :class:`~pregel_viz.errors.UsageError` or
:class:`~pregel_viz.errors.GraphLoadError` of one line that names the problem and the fix.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import uuid
from collections.abc import Callable
from typing import Any

from ..errors import GraphLoadError, UsageError
from ..recorder import as_compiled, config_keys, is_graph

__all__ = ["config_arg", "json_arg", "load_graph", "one_line"]

_CONFIG_EXAMPLE = """--config '{"configurable": {"thread_id": "t1"}, "recursion_limit": 50}'"""


def json_arg(text: str, what: str) -> Any:
    shown = repr(text) if len(text) <= 60 else repr(text[:57]) + "..."
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{what} is not valid JSON ({exc.msg} at column {exc.colno}): {shown}; "
            'quote it for the shell, e.g. --input \'{"question": "hi"}\''
        ) from None
    except RecursionError:
        raise UsageError(
            f"{what} nests lists or objects too deeply for Python to read: {shown}; "
            "pass a shallower value"
        ) from None


def _shown(value: Any) -> str:
    """A JSON value as the user wrote it, cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_int(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


# what each RunnableConfig key may hold, as JSON: (test, description)
_CONFIG_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "configurable": (lambda v: v is None or isinstance(v, dict), "a JSON object"),
    "recursion_limit": (lambda v: _is_int(v, 1), "a whole number of at least 1"),
    "max_concurrency": (lambda v: v is None or _is_int(v, 1), "a whole number of at least 1"),
    "tags": (
        lambda v: isinstance(v, list) and all(isinstance(t, str) for t in v),
        "a list of strings",
    ),
    "metadata": (lambda v: v is None or isinstance(v, dict), "a JSON object"),
    "run_name": (lambda v: isinstance(v, str), "a string"),
    "run_id": (lambda v: v is None or _is_uuid(v), "a UUID string"),
    "callbacks": (lambda v: v is None, "null (callback handlers can only be passed from Python)"),
}
_CONFIGURABLE_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "thread_id": (lambda v: isinstance(v, str) or _is_int(v, 0), "a string"),
    "checkpoint_ns": (lambda v: isinstance(v, str), "a string"),
    "checkpoint_id": (lambda v: v is None or isinstance(v, str), "a string"),
}


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def config_arg(text: str) -> dict[str, Any]:
    """``--config``: a RunnableConfig as JSON, each known key checked before the run starts."""
    config = json_arg(text, "--config")
    if not isinstance(config, dict):
        raise UsageError(
            f"--config must be a JSON object, not {_shown(config)}; e.g. {_CONFIG_EXAMPLE}"
        )
    for key in config:
        if key not in config_keys():
            raise UsageError(
                f"--config has an unknown key {key!r} (LangGraph would ignore it); "
                f"the keys are {', '.join(config_keys())}"
            )
    _check_types(config, _CONFIG_TYPES, "")
    _check_types(config.get("configurable") or {}, _CONFIGURABLE_TYPES, "configurable.")
    if config.get("run_id") is not None:
        config["run_id"] = uuid.UUID(config["run_id"])
    return config


def _check_types(
    values: dict[str, Any], types: dict[str, tuple[Callable[[Any], bool], str]], prefix: str
) -> None:
    for key, (ok, wanted) in types.items():
        if key in values and not ok(values[key]):
            raise UsageError(
                f"--config {prefix}{key} must be {wanted}, not {_shown(values[key])}; "
                f"e.g. {_CONFIG_EXAMPLE}"
            )


def one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _raised(exc: BaseException) -> str:
    """What user code raised, in one short line."""
    text = one_line(str(exc))
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _exit_call(exc: SystemExit) -> str:
    return "sys.exit()" if exc.code is None else f"sys.exit({exc.code!r})"


def load_graph(spec: str) -> Any:
    """Import ``MODULE:ATTR``: a compiled graph, or a zero-argument function returning one."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"expected MODULE:ATTR (for example my_app.graph:app), got {spec!r}")
    _check_module_name(module_name, attr)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    obj: Any = _import(module_name)
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise GraphLoadError(f"module {module_name!r} has no attribute {attr!r}") from None
        except Exception as exc:
            raise GraphLoadError(f"looking up {spec} raised {_raised(exc)}") from None
    if getattr(obj, "__module__", None) == __package__ and getattr(obj, "__name__", None) == "main":
        raise GraphLoadError(f"{spec} is the pregel-viz command itself; name your graph instead")
    if not is_graph(obj) and callable(obj) and not hasattr(obj, "compile"):
        obj = _call_factory(obj, spec)
    return as_compiled(obj, what=spec, error=GraphLoadError)


def _check_module_name(module_name: str, attr: str) -> None:
    """A file path where a module name belongs gets the module name to use instead."""
    if not (
        "/" in module_name
        or "\\" in module_name
        or module_name.endswith(".py")
        or module_name.startswith(".")
    ):
        return
    folder, file = os.path.split(module_name)
    name = file.removesuffix(".py").strip(".")
    where = f"run from {folder} (or add it to PYTHONPATH) and " if folder not in ("", ".") else ""
    raise UsageError(
        f"MODULE is a Python module name, not a file path: got {module_name!r}; "
        f"{where}use {name or 'my_app'}:{attr}"
    )


def _import(module_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise GraphLoadError(
                f"no module named {module_name!r}; run from the directory that holds it "
                "or add that directory to PYTHONPATH"
            ) from None
        raise GraphLoadError(
            f"importing {module_name!r} failed: {one_line(str(exc))}; "
            "install what it needs in this Python environment"
        ) from None
    except SystemExit as exc:
        raise GraphLoadError(
            f"importing {module_name!r} called {_exit_call(exc)}; put the module's script code "
            'under `if __name__ == "__main__":` so that importing it only defines the graph'
        ) from None
    except Exception as exc:
        raise GraphLoadError(
            f"importing {module_name!r} raised {_raised(exc)}; fix the module so that it imports"
        ) from None


def _call_factory(factory: Any, spec: str) -> Any:
    """Call the zero-argument function ``spec`` names; what it raises becomes one line."""
    if inspect.iscoroutinefunction(factory):
        raise GraphLoadError(
            f"{spec} is an async function; point at the compiled graph "
            "or at a plain function that returns it"
        )
    try:
        inspect.signature(factory).bind()
    except TypeError as exc:
        raise GraphLoadError(
            f"{spec} is a function that needs arguments ({exc}); point at a compiled graph "
            "or a zero-argument function that returns one"
        ) from None
    except ValueError:
        pass  # no signature to check (some builtins): just call it
    what = f"calling {spec} (the function that should return the graph)"
    try:
        obj = factory()
    except SystemExit as exc:
        raise GraphLoadError(f"{what} called {_exit_call(exc)}; make it return the graph") from None
    except Exception as exc:
        raise GraphLoadError(
            f"{what} raised {_raised(exc)}; fix it, or point at the compiled graph"
        ) from None
    if inspect.iscoroutine(obj):
        obj.close()
        raise GraphLoadError(f"{spec} returned a coroutine; make it a plain function")
    return obj
