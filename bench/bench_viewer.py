"""Benchmark the viewer in a real browser: time to first frame, and step-switch latency.

Usage::

    python bench/bench_viewer.py            # 5 page loads per page, 200 step switches per graph
    python bench/bench_viewer.py --quick    # 3 page loads, 100 step switches

Drives Debian's headless Chromium (``/usr/bin/chromium``, or ``$PREGEL_VIZ_CHROMIUM``) with
Playwright; never downloads a browser. Pages are the HTML export (``run.to_html(path)``) opened
from ``file://``. Logs are recorded once and cached in a temporary directory
(``--cache-dir``; ``--fresh`` records them again); the HTML is written anew on every run, so
it always carries the current viewer bundle.

1. Time to first frame: from navigation start (``performance.timeOrigin``) to the moment
   ``.pregel-viewer[data-ready="1"]`` appears, taken in the page by a MutationObserver that an
   init script installs. Every load is a fresh browser context. The figure is compared with
   the same page for a 10-superstep run, loaded in the same rounds (random order per round).
   Hooks in the init script also split the time into phases (payload ``JSON.parse``, bundle
   ``import()``, ``mount()``, Graphviz layout, next paint).
2. Step-switch latency: ``window.pregelViz.setStep(n)`` on consecutive steps. Three measures:

   - *frame cost*: the switch runs at the start of a frame (in a requestAnimationFrame
     callback); the time runs until a message posted from that callback arrives, which is after
     that frame's style, layout and paint. This is the work the switch adds to one frame, the
     figure to hold against the 16 ms budget;
   - *double rAF*: ``t0; setStep(n); await rAF; await rAF`` — includes the wait for vsync,
     so its floor is one to two frame intervals (printed) whatever the viewer does;
   - *frame CPU*: the frame-cost run again under a Chrome trace; per switch, the CPU time
     (``tdur``) of the renderer main-thread task that ran the rAF callback and rendered the
     frame. Unlike the wall-clock figures it does not grow when other processes take the CPU
     (the load average is printed), so it tells the viewer's cost from the machine's mood.

   The baseline is the same measurement on a 5-node graph with as many supersteps, run in the
   same rounds. ``data-layouts`` is read on every switch: it must stay 1.
3. Notebook output size: the MIME bundle a ``Debugger`` of the big run displays (what a saved
   notebook keeps), packed (gzip in base64, as saved now) and as the plain document earlier
   releases saved.
4. Document open time: the big log opened as a ``.pregel`` document in a real JupyterLab
   (started here, on a free port, in a scratch directory), from the document's creation to its
   first graph node (a MutationObserver in the page). *First open*: a copy of the log under a
   new name, so the server has nothing cached; *cached*: the same file opened again. Also when
   the head of the log was shown ("partial") and when the whole payload was ("ready").
   ``--doc-opens 0`` skips it.

Nothing asserts a target; the table prints them beside the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

import pregel_viz
from pregel_viz.views.payload import payload_json

__all__ = [
    "CHROMIUM",
    "DocumentOpenResult",
    "FirstFrameResult",
    "OutputSize",
    "Page",
    "SwitchResult",
    "build_chain",
    "build_loop",
    "chain_page",
    "loop_page",
    "main",
    "measure_document_open",
    "measure_first_frame",
    "measure_output_size",
    "measure_switches",
    "open_browser",
    "render_table",
]

CHROMIUM = os.environ.get("PREGEL_VIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
READY = '.pregel-viewer[data-ready="1"]'
LOAD_TIMEOUT_MS = 180_000

# --- graphs ------------------------------------------------------------------------------------


class LoopState(TypedDict):
    n: int


def build_loop(steps: int) -> Any:
    """One node with a conditional self-edge: ``steps`` supersteps of trivial work."""

    def step(state: LoopState) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    def again(state: LoopState) -> str:
        return "step" if state["n"] < steps else END

    g = StateGraph(LoopState)
    g.add_node("step", step)
    g.add_edge(START, "step")
    g.add_conditional_edges("step", again, ["step", END])
    return g.compile()


class ChainState(TypedDict):
    round: int
    visits: int
    looped: bool


def _is_loop_node(k: int, nodes: int) -> bool:
    return k % 10 == 5 and k < nodes - 1


def chain_rounds(nodes: int, supersteps: int) -> int:
    """Rounds of the chain that make about ``supersteps`` supersteps."""
    per_round = nodes + sum(_is_loop_node(k, nodes) for k in range(nodes))
    return max(1, round(supersteps / per_round))


def build_chain(nodes: int, rounds: int) -> Any:
    """``nodes`` distinct nodes in a chain, run ``rounds`` times (the last node routes back to
    the first); every node ``k % 10 == 5`` also loops on itself once per round."""
    names = [f"node_{k:02d}" for k in range(nodes)]

    def visit(state: ChainState) -> dict[str, Any]:
        return {"visits": state["visits"] + 1}

    def toggle(state: ChainState) -> dict[str, Any]:
        return {"visits": state["visits"] + 1, "looped": not state["looped"]}

    def last(state: ChainState) -> dict[str, Any]:
        return {"visits": state["visits"] + 1, "round": state["round"] + 1}

    def self_or(me: str, nxt: str) -> Any:
        return lambda state: me if state["looped"] else nxt

    def back(state: ChainState) -> str:
        return names[0] if state["round"] < rounds else END

    g = StateGraph(ChainState)
    for k, name in enumerate(names):
        fn = last if k == nodes - 1 else toggle if _is_loop_node(k, nodes) else visit
        g.add_node(name, fn)
    g.add_edge(START, names[0])
    for k, name in enumerate(names[:-1]):
        if _is_loop_node(k, nodes):
            g.add_conditional_edges(name, self_or(name, names[k + 1]), [name, names[k + 1]])
        else:
            g.add_edge(name, names[k + 1])
    g.add_conditional_edges(names[-1], back, [names[0], END])
    return g.compile()


# --- pages -------------------------------------------------------------------------------------


@dataclass
class Page:
    """A recorded run written as an HTML export."""

    name: str
    html: Path
    log: Path
    supersteps: int  # root step entries (the input checkpoint included)
    steps: list[int]  # their LangGraph step numbers, in order
    nodes: int
    payload_bytes: int
    html_bytes: int
    recorded_s: float | None  # None: the log came from the cache

    @property
    def url(self) -> str:
        return self.html.resolve().as_uri()


def default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "pregel-viz-bench-viewer"


def _cached_run(
    log: Path, build: Any, inp: Any, config: dict[str, Any], expect: int, fresh: bool
) -> tuple[pregel_viz.Run, float | None]:
    """The run in ``log``, recorded now if the file is missing, stale or unreadable."""
    if log.exists() and not fresh:
        try:
            run = pregel_viz.load(log)
            if run.outcome.get("status") == "completed" and len(run.supersteps) == expect:
                return run, None
        except Exception:  # a half-written or outdated log: record it again
            pass
    log.parent.mkdir(parents=True, exist_ok=True)
    tmp = log.with_suffix(".tmp")
    t0 = time.perf_counter()
    pregel_viz.record(build(), inp, config, path=tmp)
    elapsed = time.perf_counter() - t0
    os.replace(tmp, log)
    run = pregel_viz.load(log)
    status = run.outcome.get("status")
    if status != "completed" or len(run.supersteps) != expect:
        raise RuntimeError(f"{log.name}: {status}, {len(run.supersteps)} entries, not {expect}")
    return run, elapsed


def _page(name: str, run: pregel_viz.Run, log: Path, nodes: int, recorded_s: float | None) -> Page:
    html = log.with_suffix(".html")
    run.to_html(html)
    return Page(
        name=name,
        html=html,
        log=log,
        supersteps=len(run.supersteps),
        steps=[s.step for s in run.supersteps],
        nodes=nodes,
        payload_bytes=len(payload_json(run).encode("utf-8")),
        html_bytes=html.stat().st_size,
        recorded_s=recorded_s,
    )


def _cache_key() -> str:
    import langgraph.version

    return f"pv{pregel_viz.__version__}-lg{langgraph.version.__version__}"


def loop_page(steps: int, cache_dir: Path, *, fresh: bool = False) -> Page:
    """The HTML export of a ``steps``-superstep self-loop (its log recorded once, cached)."""
    log = cache_dir / f"loop-{steps}-{_cache_key()}.pregel"
    config = {"recursion_limit": steps + 50}
    run, took = _cached_run(log, lambda: build_loop(steps), {"n": 0}, config, steps + 2, fresh)
    return _page(f"loop-{steps}", run, log, 1, took)


def chain_page(nodes: int, supersteps: int, cache_dir: Path, *, fresh: bool = False) -> Page:
    """The HTML export of a ``nodes``-node chain run for about ``supersteps`` supersteps."""
    rounds = chain_rounds(nodes, supersteps)
    per_round = nodes + sum(_is_loop_node(k, nodes) for k in range(nodes))
    expect = rounds * per_round + 2  # the input checkpoint and the __start__ step
    log = cache_dir / f"chain-{nodes}x{rounds}-{_cache_key()}.pregel"
    config = {"recursion_limit": expect + 50}
    inp = {"round": 0, "visits": 0, "looped": False}
    run, took = _cached_run(log, lambda: build_chain(nodes, rounds), inp, config, expect, fresh)
    return _page(f"chain-{nodes}", run, log, nodes, took)


# --- browser -----------------------------------------------------------------------------------


@contextlib.contextmanager
def open_browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        raise FileNotFoundError(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.strip() or "chromium ?"
    except (OSError, subprocess.SubprocessError):
        return "chromium ?"


# Installed before any page script. Times are performance.now(): ms since navigation start.
# Hooks (all but `ready`/`painted` rely on the HTML export's loader script, pregel_viz/html.py):
#   parseStart/parseEnd  the first JSON.parse of a long text (the payload as inlined: a large
#                        one is packed, and its unpacking and real JSON.parse fall in mount())
#   importStart          URL.createObjectURL (the bundle's blob URL, just before import())
#   mountStart           getElementById("pregel-viz-root"): import() resolved, openPage() called
#   mounted              window.pregelViz assigned: openPage() resolved
#   ready                .pregel-viewer[data-ready="1"] exists (MutationObserver)
#   painted              the end of the frame after `ready` (rAF, then a posted message)
_MARKS_JS = r"""
(() => {
  const m = (window.__pvb = {});
  const now = () => performance.now();
  const parse = JSON.parse;
  JSON.parse = function (text, reviver) {
    if (m.parseStart === undefined && typeof text === "string" && text.length > 1000) {
      m.parseStart = now();
      const out = parse.call(this, text, reviver);
      m.parseEnd = now();
      return out;
    }
    return parse.call(this, text, reviver);
  };
  const objectURL = URL.createObjectURL;
  URL.createObjectURL = function (obj) {
    if (m.importStart === undefined) m.importStart = now();
    return objectURL.call(this, obj);
  };
  const byId = Document.prototype.getElementById;
  Document.prototype.getElementById = function (id) {
    if (id === "pregel-viz-root" && m.mountStart === undefined) m.mountStart = now();
    return byId.call(this, id);
  };
  let viz;
  Object.defineProperty(window, "pregelViz", {
    configurable: true,
    get() { return viz; },
    set(v) { if (m.mounted === undefined) m.mounted = now(); viz = v; },
  });
  const check = () => {
    if (m.ready !== undefined || !document.querySelector('.pregel-viewer[data-ready="1"]')) return;
    m.ready = now();
    observer.disconnect();
    requestAnimationFrame(() => {
      const c = new MessageChannel();
      c.port1.onmessage = () => { m.painted = now(); };
      c.port2.postMessage(null);
    });
  };
  const observer = new MutationObserver(check);
  observer.observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-ready"],
  });
})();
"""

PHASES = (  # name, from mark, to mark
    ("to script", None, "parseStart"),
    ("JSON.parse", "parseStart", "parseEnd"),
    ("import()", "importStart", "mountStart"),
    ("mount()", "mountStart", "mounted"),
    ("layout", "mounted", "ready"),
    ("paint", "ready", "painted"),
)


def _check_page(page: Any, errors: list[str], what: str) -> None:
    if errors:
        raise RuntimeError(f"{what}: page errors: {errors}")
    if page.query_selector(".pregel-viewer[data-error]"):
        raise RuntimeError(f"{what}: the viewer shows an error: {page.inner_text('body')[:300]}")


def load_once(browser: Any, page_info: Page) -> dict[str, float]:
    """Open ``page_info`` in a fresh context; the page's marks (ms since navigation start)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.add_init_script(_MARKS_JS)
        page.goto(page_info.url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_selector(READY, state="attached", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function("() => window.__pvb.painted !== undefined", timeout=30_000)
        _check_page(page, errors, page_info.name)
        marks: dict[str, float] = page.evaluate("() => ({ ...window.__pvb })")
        return marks
    finally:
        context.close()


@dataclass
class FirstFrameResult:
    page: Page
    loads: list[dict[str, float]] = field(default_factory=list)

    def series(self, mark: str) -> list[float]:
        return [m[mark] for m in self.loads]

    def median(self, mark: str = "ready") -> float:
        return statistics.median(self.series(mark))

    def phase(self, start: str | None, end: str) -> float:
        """Median over the loads of ``end - start`` (ms)."""
        return statistics.median(m[end] - (m[start] if start else 0.0) for m in self.loads)


def measure_first_frame(
    browser: Any, pages: list[Page], loads: int, *, seed: int = 0, warmup: int = 1
) -> list[FirstFrameResult]:
    """Load every page ``warmup + loads`` times, pages in a random order within each round."""
    rng = random.Random(seed)
    results = {p.name: FirstFrameResult(p) for p in pages}
    for rnd in range(warmup + loads):
        order = list(pages)
        rng.shuffle(order)
        for p in order:
            marks = load_once(browser, p)
            if rnd >= warmup:
                results[p.name].loads.append(marks)
    return [results[p.name] for p in pages]


# --- step switches -----------------------------------------------------------------------------

# One chunk of switches in the page. mode "frame": each switch runs inside a rAF callback and
# ends when a message posted from it arrives (after that frame's style, layout and paint);
# mode "raf2": t0, setStep, two awaited rAFs. Both also time setStep alone (`js`).
_SWITCH_JS = r"""
async ({ targets, mode }) => {
  const v = window.pregelViz;
  const root = document.querySelector(".pregel-viewer");
  const raf = () => new Promise((r) => requestAnimationFrame(r));
  const out = { total: [], js: [], layouts: [], wrong: [] };
  const one = (s) => {
    const t0 = performance.now();
    v.setStep(s);
    const t1 = performance.now();
    return [t0, t1];
  };
  for (const s of targets) {
    let t0, t1, t2;
    if (mode === "frame") {
      [t0, t1, t2] = await new Promise((resolve) => requestAnimationFrame(() => {
        const [a, b] = one(s);
        const c = new MessageChannel();
        c.port1.onmessage = () => resolve([a, b, performance.now()]);
        c.port2.postMessage(null);
      }));
    } else {
      await new Promise((r) => setTimeout(r, 0));
      [t0, t1] = one(s);
      await raf();
      await raf();
      t2 = performance.now();
    }
    out.total.push(t2 - t0);
    out.js.push(t1 - t0);
    out.layouts.push(Number(root.getAttribute("data-layouts")));
    const shown = root.getAttribute("data-step");
    if (shown !== String(s)) out.wrong.push([s, shown]);
  }
  return out;
}
"""

_FRAME_INTERVAL_JS = r"""
async (n) => {
  const ts = [];
  for (let i = 0; i <= n; i++) ts.push(await new Promise((r) => requestAnimationFrame(r)));
  const d = ts.slice(1).map((t, i) => t - ts[i]).sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)];
}
"""

MODES = ("frame", "raf2")
TRACED = "cpu"  # the frame-cost run under a trace
TRACE_CATEGORIES = ["toplevel", "devtools.timeline"]
TASK_EVENTS = ("ThreadControllerImpl::RunTask", "RunTask")  # a main-thread task (toplevel)


def frame_tasks(trace: bytes) -> list[tuple[float, float]]:
    """(wall ms, CPU ms) of every renderer main-thread task that fired rAF callbacks.

    The renderer is the one with the most such tasks (the other pages are idle)."""
    events = json.loads(trace)["traceEvents"]
    names = {
        (e["pid"], e["tid"]): e.get("args", {}).get("name")
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
    }
    by_thread: dict[tuple[int, int], tuple[list[Any], list[Any]]] = {}
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if e.get("ph") != "X" or names.get(key) != "CrRendererMain":
            continue
        tasks, fired = by_thread.setdefault(key, ([], []))
        if e["name"] in TASK_EVENTS:
            tasks.append(e)
        elif e["name"] == "FireAnimationFrame":
            fired.append(e)
    best: list[tuple[float, float]] = []
    for tasks, fired in by_thread.values():
        tasks.sort(key=lambda e: e["ts"])
        fired.sort(key=lambda e: e["ts"])
        out, i = [], 0
        for f in fired:
            while i < len(tasks) and tasks[i]["ts"] + tasks[i]["dur"] < f["ts"]:
                i += 1
            if i < len(tasks) and tasks[i]["ts"] <= f["ts"]:
                task = tasks[i]
                out.append((task["dur"] / 1000, task.get("tdur", task["dur"]) / 1000))
                i += 1  # one entry per task, even if it fired several callbacks
        if len(out) > len(best):
            best = out
    return best


@dataclass
class SwitchResult:
    page: Page
    total: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in MODES})
    js: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in MODES})
    cpu: list[float] = field(default_factory=list)  # ms, frame task CPU time (traced)
    cpu_wall: list[float] = field(default_factory=list)  # ms, the same tasks' wall time
    layouts: list[int] = field(default_factory=list)  # data-layouts after each switch
    layouts_before: int = 0
    frame_interval: float = 0.0  # ms, median rAF-to-rAF on this page

    def median(self, mode: str = "frame", what: str = "total") -> float:
        return statistics.median(getattr(self, what)[mode])

    def p95(self, mode: str = "frame", what: str = "total") -> float:
        return percentile(getattr(self, what)[mode], 95)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _targets(steps: list[int], cursor: int, count: int) -> tuple[list[int], int]:
    """``count`` steps after entry ``cursor``, wrapping round to the first."""
    out = []
    for _ in range(count):
        cursor = (cursor + 1) % len(steps)
        out.append(steps[cursor])
    return out, cursor


def _open_viewer(browser: Any, p: Page) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(p.url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector(READY, state="attached", timeout=LOAD_TIMEOUT_MS)
    page.evaluate("() => window.pregelViz.viewer.whenReady()")
    _check_page(page, errors, p.name)
    return context, page, errors


def measure_switches(
    browser: Any,
    pages: list[Page],
    switches: int,
    *,
    chunks: int = 4,
    warmup: int = 20,
    seed: int = 0,
) -> list[SwitchResult]:
    """``switches`` step switches per page and per mode, in ``chunks`` rounds; within a round
    the pages (and the modes) take turns in a random order."""
    rng = random.Random(seed)
    chunks = max(1, min(chunks, switches))
    opened = {}
    results = {p.name: SwitchResult(p) for p in pages}
    try:
        for p in pages:
            context, page, errors = _open_viewer(browser, p)
            opened[p.name] = (context, page, errors)
            r = results[p.name]
            r.layouts_before = int(page.get_attribute(".pregel-viewer", "data-layouts") or 0)
            r.frame_interval = float(page.evaluate(_FRAME_INTERVAL_JS, 30))
        cursors = dict.fromkeys(opened, 0)
        per_chunk = [switches // chunks + (i < switches % chunks) for i in range(chunks)]
        for rnd, count in enumerate([warmup, *per_chunk]):
            jobs = [(p, m) for p in pages for m in (*MODES, TRACED)]
            rng.shuffle(jobs)
            for p, mode in jobs:
                _, page, errors = opened[p.name]
                page.bring_to_front()
                targets, cursors[p.name] = _targets(p.steps, cursors[p.name], count)
                args = {"targets": targets, "mode": "frame" if mode == TRACED else mode}
                if mode == TRACED:
                    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
                    try:
                        out = page.evaluate(_SWITCH_JS, args)
                    finally:
                        tasks = frame_tasks(browser.stop_tracing())
                else:
                    out = page.evaluate(_SWITCH_JS, args)
                _check_page(page, errors, p.name)
                if out["wrong"]:
                    raise RuntimeError(f"{p.name}: setStep showed other steps: {out['wrong'][:5]}")
                r = results[p.name]
                r.layouts.extend(out["layouts"])
                if not rnd:  # round 0 warms up
                    continue
                if mode == TRACED:
                    r.cpu_wall.extend(wall for wall, _ in tasks)
                    r.cpu.extend(cpu for _, cpu in tasks)
                else:
                    r.total[mode].extend(out["total"])
                    r.js[mode].extend(out["js"])
    finally:
        for context, _, _ in opened.values():
            context.close()
    return [results[p.name] for p in pages]


# --- notebook output size -----------------------------------------------------------------------


@dataclass
class OutputSize:
    page: Page
    packed: int  # bytes of the MIME bundle as displayed (and saved) now
    plain: int  # the same with the document itself, as earlier releases saved it


def measure_output_size(page: Page) -> OutputSize:
    """The saved size of a ``Debugger``'s output for ``page``'s run, packed and plain."""
    from pregel_viz.views.assets import MIME
    from pregel_viz.views.payload import unpack_document

    run = pregel_viz.load(page.log)
    data, meta = pregel_viz.Debugger(run)._repr_mimebundle_()

    def size(d: dict[str, Any]) -> int:
        return len(json.dumps({"data": d, "metadata": meta}, separators=(",", ":")))

    plain = {**data, MIME: unpack_document(data[MIME])}
    return OutputSize(page, size(data), size(plain))


# --- document open time -----------------------------------------------------------------------

# Times (ms since navigation start) of the document, its head shown, its first graph node, and
# the whole payload shown; the same marks as the JupyterLab scale test's.
_OPEN_JS = (Path(__file__).resolve().parent / "open_marks.js").read_text(encoding="utf-8")


@contextlib.contextmanager
def jupyter_lab(root: Path) -> Iterator[str]:
    """A JupyterLab serving ``root`` (isolated config, own process group); yields its URL with
    the token query."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    home = Path(tempfile.mkdtemp(prefix="pv-bench-lab-"))
    env = dict(os.environ)
    for name in ("config", "runtime", "data", "settings", "workspaces"):
        (home / name).mkdir()
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    token = "pregel-viz-bench"
    url = f"http://127.0.0.1:{port}"
    log = open(home / "lab.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
            f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {(home / 'lab.log').read_text()}")
            try:
                req = urllib.request.Request(
                    f"{url}/api/status", headers={"Authorization": f"token {token}"}
                )
                urllib.request.urlopen(req, timeout=5).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("jupyter lab did not answer within 90 s") from None
                time.sleep(0.3)
        yield f"{url}|{token}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


@dataclass
class DocumentOpenResult:
    page: Page
    first: list[dict[str, float]] = field(default_factory=list)  # marks of each first open
    cached: list[dict[str, float]] = field(default_factory=list)

    @staticmethod
    def to(marks: list[dict[str, float]], mark: str = "node") -> list[float]:
        """ms from the document's creation to ``mark``, per open."""
        return [m[mark] - m["doc"] for m in marks if mark in m]


def _open_document(browser: Any, lab: str, name: str) -> dict[str, float]:
    url, token = lab.split("|")
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.add_init_script(_OPEN_JS)
        page.goto(f"{url}/lab/tree/{name}?reset&token={token}", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function(
            "() => window.__pvOpen.node !== undefined && window.__pvOpen.ready !== undefined",
            timeout=LOAD_TIMEOUT_MS,
        )
        if errors:
            raise RuntimeError(f"{name}: page errors: {errors}")
        marks: dict[str, float] = page.evaluate("() => ({ ...window.__pvOpen })")
        return marks
    finally:
        context.close()


def measure_document_open(browser: Any, page: Page, opens: int) -> DocumentOpenResult:
    """Open ``page``'s log as a `.pregel` document ``opens`` times first (a new copy each time)
    and as many times cached, after one warm-up open of each."""
    result = DocumentOpenResult(page)
    root = Path(tempfile.mkdtemp(prefix="pv-bench-docs-"))
    try:
        with jupyter_lab(root) as lab:
            for i in range(opens + 1):
                name = f"open-{i}.pregel"
                shutil.copy(page.log, root / name)
                first = _open_document(browser, lab, name)
                cached = _open_document(browser, lab, name)
                if i:  # the first round warms the browser's and the server's code up
                    result.first.append(first)
                    result.cached.append(cached)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return result


# --- table -------------------------------------------------------------------------------------


def _ms(x: float) -> str:
    return f"{x:.1f}"


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def render_table(
    first: list[FirstFrameResult],
    switch: list[SwitchResult],
    output: OutputSize | None = None,
    document: DocumentOpenResult | None = None,
) -> str:
    """The results as one markdown table; ``first[0]`` and ``switch[0]`` are the measured
    pages, the others their baselines."""
    rows: list[tuple[str, str, str, str]] = []  # metric, page, measured, target
    if first:
        big = first[0]
        for i, f in enumerate(first):
            p = f.page
            rows.append(
                (
                    "time to first frame (nav start → data-ready), median / min (ms)"
                    if i == 0
                    else "baseline: the same, smaller run",
                    f"{p.name} ({p.supersteps:,} entries, {len(f.loads)} loads)",
                    f"{_ms(f.median())} / {_ms(min(f.series('ready')))}",
                    "< 1000 ms" if i == 0 else "",
                )
            )
        for f in first[1:]:
            rows.append(
                (
                    "first-frame ratio (median / median)",
                    f"{big.page.name} / {f.page.name}",
                    f"{big.median() / f.median():.2f}x",
                    "",
                )
            )
        for f in first:
            rows.append(
                (
                    "first frame painted (next frame after data-ready), median (ms)",
                    f.page.name,
                    _ms(f.median("painted")),
                    "",
                )
            )
        for f in first:
            parts = " · ".join(f"{name} {f.phase(a, b):.0f}" for name, a, b in PHASES)
            rows.append(("phases, medians (ms)", f.page.name, parts, ""))
        for f in first:
            rows.append(
                (
                    "payload JSON / HTML export size",
                    f.page.name,
                    f"{_mb(f.page.payload_bytes)} / {_mb(f.page.html_bytes)}",
                    "",
                )
            )
    if switch:
        top = switch[0]
        for i, s in enumerate(switch):
            p = s.page
            rows.append(
                (
                    "step switch, frame cost (setStep → end of its frame), p95 / median (ms)"
                    if i == 0
                    else "baseline: the same, smaller graph",
                    f"{p.name} ({p.nodes} nodes, {p.supersteps} entries, "
                    f"{len(s.total['frame'])} switches)",
                    f"{_ms(s.p95())} / {_ms(s.median())}",
                    "p95 < 16 ms" if i == 0 else "",
                )
            )
        for s in switch[1:]:
            rows.append(
                (
                    "frame-cost ratio, p95 (median)",
                    f"{top.page.name} / {s.page.name}",
                    f"{top.p95() / s.p95():.2f}x ({top.median() / s.median():.2f}x)",
                    "",
                )
            )
        for s in switch:
            if not s.cpu:
                continue
            rows.append(
                (
                    "frame CPU time (traced; not inflated by other processes), p95 / median (ms)",
                    f"{s.page.name} ({len(s.cpu)} frames; their wall time p95 "
                    f"{_ms(percentile(s.cpu_wall, 95))})",
                    f"{_ms(percentile(s.cpu, 95))} / {_ms(statistics.median(s.cpu))}",
                    "",
                )
            )
        for s in switch[1:]:
            if top.cpu and s.cpu:
                ratio_p95 = percentile(top.cpu, 95) / percentile(s.cpu, 95)
                ratio_med = statistics.median(top.cpu) / statistics.median(s.cpu)
                rows.append(
                    (
                        "frame-CPU ratio, p95 (median)",
                        f"{top.page.name} / {s.page.name}",
                        f"{ratio_p95:.2f}x ({ratio_med:.2f}x)",
                        "",
                    )
                )
        for s in switch:
            js = s.js["frame"]
            rows.append(
                (
                    "setStep() JavaScript alone, p95 / median (ms)",
                    s.page.name,
                    f"{_ms(percentile(js, 95))} / {_ms(statistics.median(js))}",
                    "",
                )
            )
        for s in switch:
            rows.append(
                (
                    "step switch, double rAF (vsync-bound), p95 / median (ms)",
                    f"{s.page.name} (frame interval {s.frame_interval:.1f} ms)",
                    f"{_ms(s.p95('raf2'))} / {_ms(s.median('raf2'))}",
                    "",
                )
            )
        for s in switch:
            rows.append(
                (
                    "data-layouts: before → after the switches (max)",
                    s.page.name,
                    f"{s.layouts_before} → {s.layouts[-1] if s.layouts else '?'} "
                    f"(max {max(s.layouts, default=0)})",
                    "stays 1",
                )
            )
    if output is not None:
        rows.append(
            (
                "notebook output as saved (MIME bundle), packed / plain (earlier releases)",
                f"{output.page.name} ({output.page.supersteps:,} entries)",
                f"{_mb(output.packed)} / {_mb(output.plain)} = {output.packed / output.plain:.2f}x",
                "<= 1.5 MB",
            )
        )
    if document is not None and document.first:
        d = document
        opened, again = d.to(d.first), d.to(d.cached)
        where = f"{d.page.name} ({d.page.supersteps:,} entries, {len(opened)} opens)"
        rows.append(
            (
                "document open, first (nothing cached): creation → first graph node, "
                "median / min (ms)",
                where,
                f"{_ms(statistics.median(opened))} / {_ms(min(opened))}",
                "< 1500 ms",
            )
        )
        rows.append(
            (
                "document open, cached: creation → first graph node, median / min (ms)",
                where,
                f"{_ms(statistics.median(again))} / {_ms(min(again))}",
                "",
            )
        )
        rows.append(
            (
                "document open ratio, first / cached (medians)",
                d.page.name,
                f"{statistics.median(opened) / statistics.median(again):.2f}x",
                "",
            )
        )
        heads = d.to(d.first, "partial")
        rows.append(
            (
                "document first open: head shown / whole payload shown, medians (ms)",
                d.page.name,
                f"{_ms(statistics.median(heads)) if heads else '-'} / "
                f"{_ms(statistics.median(d.to(d.first, 'ready')))}",
                "",
            )
        )
    lines = [
        "| metric | page | measured | target |",
        "|---|---|---|---|",
        *(f"| {m} | {g} | {v} | {t} |" for m, g, v, t in rows),
    ]
    return "\n".join(lines)


def load_average() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def context_line(loads: int, switches: int, load_before: str = "?") -> str:
    import langgraph.version

    return (
        f"pregel-viz {pregel_viz.__version__}, langgraph {langgraph.version.__version__}, "
        f"{chromium_version()} (headless, --disable-gpu), {os.cpu_count()} CPU(s), load average "
        f"(1/5/15 min) {load_before} before, {load_average()} after; viewport "
        f"{VIEWPORT['width']}x{VIEWPORT['height']}. First frame: {loads} fresh loads per page "
        "after one warm-up round, pages in a random order per round. Step switches: "
        f"{switches} per page and per measure after 20 warm-up ones, in 4 rounds, pages and "
        "measures in a random order per round. Frame cost = setStep() at the start of a frame "
        "→ the end of that frame's rendering (what has to fit in 16 ms); double rAF also "
        "waits for vsync; frame CPU = the same, traced, CPU time of the frame's task."
    )


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 loads and 100 switches")
    parser.add_argument("--loads", type=int, default=None, help="page loads per page (5)")
    parser.add_argument("--switches", type=int, default=None, help="switches per page (200)")
    parser.add_argument("--big-steps", type=int, default=10_000)
    parser.add_argument("--small-steps", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=60)
    parser.add_argument("--base-nodes", type=int, default=5)
    parser.add_argument("--chain-steps", type=int, default=200, help="supersteps of the chains")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--fresh", action="store_true", help="record the cached logs again")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--doc-opens", type=int, default=None, help="document opens, first and cached (3; 0: none)"
    )
    args = parser.parse_args(argv)
    doc_opens = args.doc_opens if args.doc_opens is not None else (2 if args.quick else 3)
    loads = args.loads or (3 if args.quick else 5)
    switches = args.switches or (100 if args.quick else 200)
    cache = args.cache_dir or default_cache_dir()

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    say(f"pages (logs cached in {cache}) ...")
    first_pages = [
        loop_page(args.big_steps, cache, fresh=args.fresh),
        loop_page(args.small_steps, cache, fresh=args.fresh),
    ]
    switch_pages = [
        chain_page(args.nodes, args.chain_steps, cache, fresh=args.fresh),
        chain_page(args.base_nodes, args.chain_steps, cache, fresh=args.fresh),
    ]
    for p in (*first_pages, *switch_pages):
        how = "cached log" if p.recorded_s is None else f"recorded in {p.recorded_s:.1f} s"
        say(f"  {p.name}: {p.supersteps} entries, {how}, {p.html}")
    load_before = load_average()
    with open_browser() as browser:
        say(f"first frame: {loads} loads per page ...")
        first = measure_first_frame(browser, first_pages, loads, seed=args.seed)
        say(f"step switches: {switches} per page and measure ...")
        switch = measure_switches(browser, switch_pages, switches, seed=args.seed)
        document = None
        if doc_opens:
            say(f"document open: {doc_opens} first and cached opens in JupyterLab ...")
            document = measure_document_open(browser, first_pages[0], doc_opens)
    say("notebook output size ...")
    output = measure_output_size(first_pages[0])
    print()
    print(context_line(loads, switches, load_before))
    print()
    print(render_table(first, switch, output, document))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
