"""The index page of a test session's report: which tests ran which graphs, and how they ended.

:func:`describe_run` reduces a recorded run to the few facts a row shows (graph, supersteps,
outcome, error line); :func:`index_html` lays out the tests as one static HTML page. The page
holds no script and loads nothing: it opens from ``file://`` in a CI artifact, and its Content
Security Policy forbids scripts, so even a name that slipped through as markup could not run.
Every test id, graph name and message is escaped as text.

The pytest plugin (:mod:`pregel_viz.pytest_plugin`) builds the entries as tests end and calls
:func:`index_html` once, at the end of the session.
"""

from __future__ import annotations

import hashlib
import html
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..analysis.export import error_line, superstep_count
from ..model import Run

__all__ = ["OUTCOMES", "describe_run", "index_html", "safe_stem"]

# A test's outcome, in the order the index lists them: what needs a look first.
OUTCOMES = ("failed", "error", "xpassed", "passed", "xfailed", "skipped")
MAX_TEXT = 300  # characters of one message shown in a cell (the logs hold them whole)
_STEM_CHARS = 80


def safe_stem(test_id: str) -> str:
    """A file name stem for ``test_id``: readable, safe on every file system, unique.

    Only ``[A-Za-z0-9_-]`` (so no ``/``, no ``..``, no leading dot, no reserved device name),
    at most 80 characters of the id, then ``-`` and 8 hex digits of its SHA-256, so two ids that
    read the same once cleaned (``a/b`` and ``a_b``, ``T`` and ``t`` on a case-insensitive
    disk) still get different names.
    """
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", test_id).strip("_-")[:_STEM_CHARS].strip("_-")
    digest = hashlib.sha256(test_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{readable or 'test'}-{digest}"


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_run(run: Run) -> dict[str, Any]:
    """What a row of the index says about one recorded run: ``graph``, ``steps`` (the root
    graph's supersteps over all its threads, counted as ``pregel-viz info`` and the viewer's
    toolbar count them: :func:`~pregel_viz.model.superstep_count`),
    ``status`` (completed, error, interrupted...) and ``error`` (one line, or "")."""
    steps = sum(superstep_count(t.supersteps) for t in run.threads.values())
    outcome = run.outcome
    error = error_line(outcome["error"]) if outcome.get("error") else ""
    if not error and outcome.get("interrupts"):
        error = "waiting on interrupt: " + ", ".join(repr(v) for v in outcome["interrupts"])
    return {
        "graph": str(run.meta.get("graph", "?")),
        "steps": steps,
        "status": str(outcome.get("status", "unknown")),
        "error": _clip(error),
    }


_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1f2328; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.meta { margin: 0 0 16px; color: #57606a; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px;
  border-bottom: 1px solid #d0d7de; }
th { background: #f6f8fa; position: sticky; top: 0; font-weight: 600; }
td.test { font-family: ui-monospace, monospace; font-size: 12.5px; overflow-wrap: anywhere;
  max-width: 34em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.error { font-family: ui-monospace, monospace; font-size: 12.5px; overflow-wrap: anywhere;
  max-width: 40em; color: #82071e; }
tbody.test-group:nth-of-type(even) td { background: #fbfbfc; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px;
  font-weight: 600; white-space: nowrap; }
.o-failed, .o-error, .o-xpassed { background: #ffebe9; color: #82071e; }
.o-passed { background: #dafbe1; color: #116329; }
.o-xfailed, .o-skipped { background: #eaeef2; color: #57606a; }
.s-error { color: #82071e; font-weight: 600; }
.s-interrupted { color: #9a6700; font-weight: 600; }
.why { display: block; margin-top: 3px; color: #82071e; font-family: ui-monospace, monospace;
  font-size: 12px; overflow-wrap: anywhere; }
a { color: #0969da; }
.none { color: #8c959f; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _href(path: str) -> str:
    """A relative link to ``path`` (a name the plugin made safe), percent-encoded and escaped."""
    return _e(urllib.parse.quote(path, safe="/"))


def _sorted(tests: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    def key(test: Mapping[str, Any]) -> tuple[int, str]:
        outcome = str(test.get("outcome", ""))
        rank = OUTCOMES.index(outcome) if outcome in OUTCOMES else len(OUTCOMES)
        return rank, str(test.get("nodeid", ""))

    return sorted(tests, key=key)


def _test_rows(test: Mapping[str, Any]) -> list[str]:
    runs: Sequence[Mapping[str, Any]] = test.get("runs") or [{}]
    span = f' rowspan="{len(runs)}"' if len(runs) > 1 else ""
    outcome = str(test.get("outcome", "?"))
    why = test.get("message") or ""
    head = (
        f'<td class="test"{span}>{_e(test.get("nodeid", ""))}'
        + (f'<span class="why">{_e(_clip(str(why)))}</span>' if why else "")
        + f'</td><td{span}><span class="badge o-{_e(outcome)}">{_e(outcome)}</span></td>'
    )
    rows = []
    for i, run in enumerate(runs):
        status = str(run.get("status", ""))
        links = []
        if run.get("page"):
            links.append(f'<a href="{_href(run["page"])}">step through</a>')
        if run.get("log"):
            links.append(f'<a href="{_href(run["log"])}">.pregel</a>')
        cells = (
            f"<td>{_e(run.get('graph', ''))}</td>"
            f'<td class="num">{_e(run.get("steps", ""))}</td>'
            f'<td class="s-{_e(status)}">{_e(status)}</td>'
            f'<td class="error">{_e(run.get("error", ""))}</td>'
            f"<td>{' · '.join(links) or '<span class=none>none</span>'}</td>"
        )
        rows.append(f"<tr>{head if i == 0 else ''}{cells}</tr>")
    return rows


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def index_html(
    tests: Iterable[Mapping[str, Any]],
    *,
    title: str = "pregel-viz test report",
    other_tests: int = 0,
    outside_runs: int = 0,
    notes: Sequence[str] = (),
) -> str:
    """The index page for ``tests``, as text.

    Each test is a mapping: ``nodeid``, ``outcome`` (one of :data:`OUTCOMES`), ``message``
    (why it failed, one line, or ""), and ``runs``, each a mapping with the keys of
    :func:`describe_run` plus ``log`` and ``page``: links relative to the page ("" for none).
    Failures come first. ``other_tests`` (tests that ran no graph), ``outside_runs`` (runs made
    outside any test, while collecting) and ``notes`` (lines of text) go in the header.
    """
    ordered = _sorted(tests)
    nruns = sum(len(t.get("runs") or ()) for t in ordered)
    counts: dict[str, int] = {}
    for test in ordered:
        counts[str(test.get("outcome"))] = counts.get(str(test.get("outcome")), 0) + 1
    by_outcome = ", ".join(
        f"{counts[o]} {o}" for o in (*OUTCOMES, *sorted(set(counts) - set(OUTCOMES))) if o in counts
    )
    summary = f"{_plural(len(ordered), 'test')} recorded {_plural(nruns, 'graph run')}"
    if by_outcome:
        summary += f" ({by_outcome})"
    summary += "."
    if other_tests:
        summary += f" {_plural(other_tests, 'other test')} ran no graph."
    if outside_runs:
        summary += f" {_plural(outside_runs, 'run')} outside any test (while collecting)."
    body: list[str] = []
    for test in ordered:
        body.append('<tbody class="test-group">')
        body.extend(_test_rows(test))
        body.append("</tbody>")
    head = (
        "<thead><tr><th>Test</th><th>Result</th><th>Graph</th><th>Supersteps</th>"
        "<th>Run outcome</th><th>Error</th><th>Run</th></tr></thead>"
    )
    rows = "\n".join(body)
    table = f"<table>{head}\n{rows}</table>" if ordered else "<p>No test ran a graph.</p>"
    extra = "".join(f'<p class="meta">{_e(note)}</p>' for note in notes)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p class="meta" id="summary">{_e(summary)}</p>
{extra}
{table}
</body>
</html>
"""
