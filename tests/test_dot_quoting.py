"""Names and labels reach Graphviz only as quoted text: pregel_viz/dot.py's DOT for names that
try to break out of their string (tests/hostile_links.py), laid out by the same WASM Graphviz
the viewer uses (through node, from labextension/node_modules).
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hostile_links import HOSTILE_NAMES, HOSTILE_ROUTE

from pregel_viz.views.dot import LABEL_MAX, graph_view

LABEXT = Path(__file__).resolve().parent.parent / "labextension"
SVG = "{http://www.w3.org/2000/svg}"
LAYOUT = """
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { readFileSync } from "node:fs";
const gv = await Graphviz.load();
process.stdout.write(gv.dot(readFileSync(0, "utf8"), "svg"));
"""


def _layout(dot: str) -> str:
    node = shutil.which("node")
    if node is None or not (LABEXT / "node_modules" / "@hpcc-js").is_dir():
        pytest.fail("node and labextension/node_modules are needed (pip install -e . runs npm)")
    done = subprocess.run(
        [node, "--input-type=module", "-e", LAYOUT],
        input=dot,
        capture_output=True,
        text=True,
        cwd=LABEXT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-600:]
    return done.stdout


def _drawn(text: str, name: str) -> bool:
    """``text`` is ``name`` as drawn: whole, or (a long name) its start and end around "…"."""
    if len(name) <= LABEL_MAX:
        return text == name
    head, sep, tail = text.partition("…")
    return bool(sep) and len(text) == LABEL_MAX and name.startswith(head) and name.endswith(tail)


def test_hostile_names_and_labels_are_drawn_as_their_own_text() -> None:
    names = ["__start__", *HOSTILE_NAMES, "__end__"]
    structure = {
        "nodes": [{"id": n} for n in names],
        "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(names[:-1])]
        + [{"source": names[-2], "target": "__end__", "conditional": True, "label": HOSTILE_ROUTE}],
    }
    view = graph_view(structure)
    root = ET.fromstring(_layout(view["dot"]))
    # no link, image or anything but what a plain graph is drawn with
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {"svg", "g", "title", "polygon", "ellipse", "path", "text"}, tags
    assert not [k for el in root.iter() for k in el.attrib if "href" in k or k == "target"]
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    for node in view["nodes"]:
        texts = ["".join(t.itertext()) for t in groups[node["id"]].iter(f"{SVG}text")]
        expected = {"__start__": "start", "__end__": "end"}.get(node["name"], node["name"])
        assert _drawn("\n".join(texts), expected), (node, texts)
    # the classes the viewer restyles, on exactly these groups
    nodes = [g for g in groups.values() if "pv-node" in (g.get("class") or "").split()]
    assert sorted(g.get("id") for g in nodes) == sorted(n["id"] for n in view["nodes"])
    (route,) = [e for e in view["edges"] if e["label"]]
    (text,) = ["".join(t.itertext()) for t in groups[route["id"]].iter(f"{SVG}text")]
    assert _drawn(text, HOSTILE_ROUTE), text
