"""The notebook widget and the HTML export, on the Python side (the browser side: tests/ui/)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pregel_viz
from pregel_viz import Debugger, PregelVizError
from pregel_viz.views.payload import build_payload

SAMPLE = Path(__file__).parent / "fixtures" / "sample.pregel"
XSS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "</textarea>"]


@pytest.fixture(scope="module")
def run() -> pregel_viz.Run:
    return pregel_viz.load(SAMPLE)


def test_debugger_sends_the_payload_once_and_syncs_only_the_position(run: pregel_viz.Run) -> None:
    w = Debugger(run)
    assert json.loads(w._payload.decode()) == build_payload(run)
    assert w.thread == "failing"  # the last thread
    assert w.ns == ""
    # a finished run opens at its input, as the HTML page and the .pregel document do
    assert w.step == run.threads["failing"].root.supersteps[0].step == -1
    synced = {name for name in w.trait_names(sync=True) if not name.startswith("_")}
    assert {"step", "thread", "ns"} <= synced
    assert "export default" in w._esm or "export{" in w._esm.replace(" ", "")


def test_debugger_takes_a_path_and_a_starting_position() -> None:
    w = Debugger(SAMPLE, thread="happy", step=2)
    assert (w.thread, w.step) == ("happy", 2)
    w.step = 3
    assert w.step == 3


def test_debugger_rejects_misspelled_arguments_and_unknown_threads(run: pregel_viz.Run) -> None:
    with pytest.raises(TypeError):
        Debugger(run, stpe=2)  # type: ignore[call-arg]
    with pytest.raises(KeyError, match="no thread 'nope'"):
        Debugger(run, thread="nope")
    with pytest.raises(KeyError, match="no namespace"):
        Debugger(run, thread="happy", ns="nowhere:1")
    with pytest.raises(TypeError, match=r"expected a pregel_viz\.Run"):
        Debugger(42)  # type: ignore[arg-type]


def test_debugger_without_a_built_viewer_says_how_to_build_it(
    run: pregel_viz.Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pregel_viz.views.assets as assets

    monkeypatch.setattr(assets, "STATIC", tmp_path)
    with pytest.raises(PregelVizError, match="npm run build"):
        Debugger(run)


def test_the_widget_imports_no_langgraph_and_the_html_export_no_widget() -> None:
    """The live debugger, which runs graphs, is apart (live_widget.py); the page needs no
    notebook stack."""
    code = (
        "import sys, pregel_viz.views.html\n"
        "print('pregel_viz.views.widget' in sys.modules)\n"
        "import pregel_viz.views.widget\n"
        "print([m for m in ('langgraph', 'langchain_core') if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "[]"]


def test_the_widgets_take_the_bundle_as_files_for_hot_reload(run: pregel_viz.Run) -> None:
    """``_esm``/``_css`` are given as paths: anywidget reads the files and, with ANYWIDGET_HMR=1,
    watches them; a change it reports reaches the open widgets."""
    from pregel_viz.views.assets import bundle_file, viewer_assets
    from pregel_viz.views.compare_view import CompareDebugger

    js, css = viewer_assets()
    assert bundle_file("viewer.js") == js
    w = Debugger(run)
    assert w._esm == js.read_text(encoding="utf-8")
    if css.is_file():
        assert w._css == css.read_text(encoding="utf-8")
    for cls in (Debugger, CompareDebugger):
        assert str(cls.__dict__["_esm"]) == w._esm  # the file's contents, not the path
    source = Debugger.__dict__["_esm"]
    source.changed.emit("export default {};")  # what anywidget's watcher does on a change
    try:
        assert w._esm == "export default {};"
    finally:
        source.changed.emit(js.read_text(encoding="utf-8"))


def test_run_displays_as_the_widget_with_a_text_summary(run: pregel_viz.Run) -> None:
    data, _ = run._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == run.summary()


def test_displays_carry_the_payload_for_saved_notebooks(run: pregel_viz.Run) -> None:
    """``application/vnd.pregel-viz+json`` (the JupyterLab extension renders it with no kernel),
    next to the widget view; its metadata is where the widget was when displayed."""
    mime = "application/vnd.pregel-viz+json"
    data, meta = Debugger(run, thread="happy", step=2)._repr_mimebundle_()
    assert data[mime] == build_payload(run)
    assert meta[mime] == {"step": 2, "thread": "happy", "ns": ""}
    assert "application/vnd.jupyter.widget-view+json" in data
    json.dumps(data)  # what the kernel sends: plain JSON
    data, _ = run._repr_mimebundle_()
    assert data[mime] == build_payload(run)
    data, _ = run._repr_mimebundle_(exclude={mime})
    assert mime not in data


def test_a_run_still_shows_its_payload_when_the_widget_cannot_be_built(
    run: pregel_viz.Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pregel_viz.views.assets as assets

    monkeypatch.setattr(assets, "STATIC", tmp_path)  # no viewer bundle: no widget
    data, _ = run._repr_mimebundle_()
    assert set(data) == {"application/vnd.pregel-viz+json", "text/plain"}


def test_html_export_is_one_self_contained_page(run: pregel_viz.Run, tmp_path: Path) -> None:
    out = tmp_path / "run.html"
    text = run.to_html(out)
    assert out.read_text(encoding="utf-8") == text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)  # nothing fetched
    assert "@hpcc-js" not in text or "wasm" in text.lower()
    # the inlined data and code cannot close their <script> elements early
    body = text.split('<script type="application/json" id="pregel-viz-payload">', 1)[1]
    payload_text = body.split("</script>", 1)[0]
    assert json.loads(payload_text) == build_payload(run)
    esm = text.split('<script type="text/plain" id="pregel-viz-esm">', 1)[1]
    assert esm.count("</script>") == 2  # its own end, and the bootstrap's
    assert "<" not in payload_text  # written as \u003c (see tests/test_html_inline.py)
    assert all(x.replace("<", "\\u003c").replace(">", "\\u003e") in payload_text for x in XSS)


def test_cli_html_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "sample.html"
    result = subprocess.run(
        [sys.executable, "-m", "pregel_viz", "html", str(SAMPLE), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 100_000
    assert "pregel-viz-esm" in out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_10000_superstep_output_is_packed_under_1_5_mb_and_unpacks_to_the_payload(
    tmp_path: Path,
) -> None:
    """A saved notebook output of a 10,000-superstep run: 10 MB of JSON as the document
    itself, at most 1.5 MB packed (gzip, base64), and the same document when unpacked."""
    from log_variants import record_loop

    from pregel_viz.views.assets import MIME
    from pregel_viz.views.payload import PACKED_ENCODING, payload_json, unpack_document

    log = tmp_path / "loop10k.pregel"
    record_loop(log, 10_000)
    run = pregel_viz.load(log)
    assert len(run.supersteps) > 10_000
    data, meta = Debugger(run, step=-1)._repr_mimebundle_()
    saved = json.dumps({"data": data, "metadata": meta}, separators=(",", ":"))
    plain = len(payload_json(run).encode("utf-8"))
    print(f"10,000 supersteps: output {len(saved) / 1e6:.2f} MB, its JSON {plain / 1e6:.2f} MB")
    assert plain > 8e6  # what was saved before
    assert len(saved) <= 1_500_000
    assert data[MIME]["encoding"] == PACKED_ENCODING and set(data[MIME]) == {"encoding", "data"}
    assert unpack_document(data[MIME]) == build_payload(run)
    assert meta[MIME] == {"step": -1, "thread": run.thread.thread_id, "ns": ""}
    # a Run's own display (no widget: the same document)
    shown, _ = run._repr_mimebundle_()
    assert unpack_document(shown[MIME]) == unpack_document(data[MIME])
