"""Payloads whose DOT text carries links (URL, href, HTML-label HREF, edge URLs, a graph URL) in
every spelling of ``javascript:`` that once got past the viewer's SVG sanitizer.

A payload is data from wherever the notebook or page came from, so its DOT text is hostile: the
viewer must lay it out and show it with no link left in the SVG. The cases come from
tests/fixtures/hostile_links.json, shared with the TypeScript unit tests.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "hostile_links.json"
SPEC: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
ENCODINGS: list[str] = list(SPEC["encodings"])


def cases(encodings: list[str] | None = None) -> list[str]:
    """The labels of the hostile elements, ``kind/encoding``: each is the text to click."""
    return [f"{k}/{e}" for k in SPEC["kinds"] for e in encodings or ENCODINGS]


def hostile_statements(encodings: list[str] | None = None) -> list[str]:
    """DOT statements, one per case (see :func:`cases`), plus the graph's own URL."""
    out = [SPEC["graph"]]
    i = 0
    for kind, template in SPEC["kinds"].items():
        for enc in encodings or ENCODINGS:
            case = f"{kind}/{enc}"
            link = SPEC["encodings"][enc].replace("{case}", case)
            out.append(template.format(id=f"x{i}", case=case, link=link))
            i += 1
    return out


def hostile_dot(dot: str, encodings: list[str] | None = None) -> str:
    """``dot`` with the hostile statements added and a link on one of its real nodes."""
    real = SPEC["real_node"]
    head = f"\t{real['id']} ["
    assert head in dot, f"no node {real['id']} in the DOT text"
    dot = dot.replace(head, f"{head}{real['attrs']} ", 1)
    body, _, _ = dot.rstrip().rpartition("}")
    return body + "".join(f"\t{s}\n" for s in hostile_statements(encodings)) + "}\n"


def with_hostile_links(payload: dict[str, Any], encodings: list[str] | None = None) -> Any:
    """A copy of ``payload`` whose root graph's DOT text carries the hostile links."""
    out = copy.deepcopy(payload)
    root = out["graphs"][""]
    root["dot"] = hostile_dot(root["dot"], encodings)
    return out


def with_hostile_compare(data: dict[str, Any], encodings: list[str] | None = None) -> Any:
    """A side-by-side document (``a``, ``b``, ``comparison``) with hostile links on both
    sides."""
    out = dict(data)
    for side in ("a", "b"):
        out[side] = with_hostile_links(data[side], encodings)
    return out


# Node names and an edge label that try to break out of their DOT string into attributes of
# their own (LangGraph refuses ':' in a name, so their scripts spell it &#58;).
HOSTILE_NAMES = [
    'a" URL="javascript&#58;alert(1)"',
    'b\\" URL=\\"java&#9;script&#58;alert(2)\\"',
    'c"] [URL="javascript&#58;alert(3)" label="c',
    "d\\",
    '<<TABLE HREF="javascript&#58;alert(4)"><TR><TD>e</TD></TR></TABLE>>',
    '<a href="javascript&#58;alert(5)">f</a>',
    "g&#9;h &amp; &lt;",
    'i\nURL="javascript&#58;alert(6)"',
    "j\\N \\G \\L",
]
HOSTILE_ROUTE = 'k" labelURL="javascript&#58;alert(7)'
HOSTILE_VALUE = "<a href=javascript:alert(8)>v</a> <!-- c --> </script>"


def build_hostile_names(checkpointer: Any = None) -> Any:
    """A chain of nodes named :data:`HOSTILE_NAMES`, the last one routing to the end through
    a path-map key :data:`HOSTILE_ROUTE`; every node writes :data:`HOSTILE_VALUE`."""
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph

    class State(TypedDict, total=False):
        value: str

    g = StateGraph(State)
    for name in HOSTILE_NAMES:
        g.add_node(name, lambda state: {"value": HOSTILE_VALUE})
    g.add_edge(START, HOSTILE_NAMES[0])
    for a, b in itertools.pairwise(HOSTILE_NAMES):
        g.add_edge(a, b)
    g.add_conditional_edges(HOSTILE_NAMES[-1], lambda state: HOSTILE_ROUTE, {HOSTILE_ROUTE: END})
    return g.compile(checkpointer=checkpointer)


def record_hostile_names(path: Path) -> Any:
    """Record :func:`build_hostile_names` to the log ``path``; returns the run."""
    import pregel_viz

    return pregel_viz.record(build_hostile_names(), {"value": ""}, path=path)
