import { afterEach, describe, expect, it, vi } from "vitest";
import { graphvizLayout } from "../src/layout";
import { nodeCorner, sanitizeSvg } from "../src/viewer/graph";
import type { Payload } from "../src/viewer/types";
import type { Viewer, ViewerOptions } from "../src/viewer/viewer";
import { bigPayload, fakeLayout, loadSample, XSS_KEY, XSS_NODE, XSS_VALUE } from "./fixture";
import { closeViewers, mountViewer, openViewer, pressKey as key } from "./viewers";

afterEach(() => {
  closeViewers();
});

const open = (payload: Payload = loadSample(), opts: Partial<ViewerOptions> = {}) => openViewer(payload, opts);

const attr = (v: Viewer, name: string) => v.root.getAttribute(`data-${name}`);
const active = (v: Viewer) => JSON.parse(attr(v, "active") ?? "[]") as string[];
const node = (v: Viewer, name: string) =>
  Array.from(v.root.querySelectorAll("g[data-name]")).find((g) => g.getAttribute("data-name") === name)!;

function noMarkup(root: Element): void {
  expect(root.querySelectorAll("img, script, textarea, iframe, foreignObject").length).toBe(0);
  for (const el of Array.from(root.querySelectorAll("*")))
    for (const a of Array.from(el.attributes)) expect(a.name.toLowerCase().startsWith("on")).toBe(false);
}

describe("viewer", () => {
  it("shows an empty run's notice (no thread at all) instead of a blank panel", async () => {
    const empty = { ...loadSample(), threads: [], warnings: ["No supersteps recorded: the log holds no checkpoint to show."] } as Payload;
    const v = await open(empty);
    expect(v.root.querySelector(".pv-empty")?.textContent).toBe("No supersteps recorded: the log holds no checkpoint to show.");
    const bare = await open({ ...loadSample(), threads: [], warnings: [] } as Payload);
    expect(bare.root.querySelector(".pv-empty")?.textContent).toBe("No supersteps recorded.");
  });

  it("exposes its position and the highlighted nodes as data attributes", async () => {
    const v = await open(undefined, { thread: "happy", step: 2 });
    expect(attr(v, "step")).toBe("2");
    expect(attr(v, "thread")).toBe("happy");
    expect(attr(v, "ns")).toBe("");
    expect(attr(v, "ready")).toBe("1");
    expect(attr(v, "layouts")).toBe("1");
    expect(active(v)).toEqual(["worker"]);
    expect(v.root.querySelector(".pv-step-label")!.textContent).toBe("step 2 · 5 supersteps");
    expect(v.root.querySelector(".pv-sentence")!.textContent).toBe("Step 2: worker ×3 ran in parallel");
  });

  it("defaults: the last thread, its root, the first entry", async () => {
    const v = await open();
    expect(v.position).toEqual({ thread: "failing", ns: "", step: -1 });
  });

  it("stepping only toggles classes: the layout count stays at one", async () => {
    const layout = vi.fn(fakeLayout(loadSample()));
    const v = await open(undefined, { thread: "happy", step: -1, layout });
    const seen: string[][] = [];
    for (let i = 0; i < 6; i++) {
      seen.push(active(v));
      key(v, "ArrowRight");
    }
    key(v, "Home");
    key(v, "End");
    await v.whenReady();
    expect(layout).toHaveBeenCalledTimes(1);
    expect(attr(v, "layouts")).toBe("1");
    expect(seen).toEqual([[], ["__start__"], ["plan"], ["worker"], ["review"], ["summarize"]]);
  });

  it("marks active, next, error, interrupted nodes, taken edges and Send counts", async () => {
    const v = await open(undefined, { thread: "happy", step: 2 });
    const worker = node(v, "worker");
    expect(worker.classList.contains("pv-active")).toBe(true);
    expect(worker.querySelector(".pv-badge text")!.textContent).toBe("×3");
    expect(node(v, "review").classList.contains("pv-next")).toBe(true);
    expect(node(v, "plan").classList.contains("pv-active")).toBe(false);
    expect(v.root.querySelector("#e3")!.classList.contains("pv-taken")).toBe(true); // worker → review
    expect(v.root.querySelector("#e2")!.classList.contains("pv-taken")).toBe(false);
    v.setStep(3);
    expect(node(v, "review").classList.contains("pv-interrupted")).toBe(true);
    expect(node(v, "worker").querySelector(".pv-badge")!.getAttribute("visibility")).toBe("hidden");
    v.setThread("failing");
    v.setStep(1);
    expect(node(v, "plan").classList.contains("pv-error")).toBe(true);
    expect(v.root.querySelector(".pv-sentence")!.textContent).toBe("Step 1: plan failed (ValueError: cannot plan 'boom')");
    expect(v.root.querySelector(".pv-outcome-chip")!.textContent).toBe("error: ValueError: cannot plan 'boom'");
  });

  it("hostile names, keys and values never become elements, whatever is shown", async () => {
    const v = await open();
    for (const thread of ["happy", "failing"]) {
      v.setThread(thread);
      for (let i = 0; i < 8; i++) {
        const rows = Array.from(v.root.querySelectorAll<HTMLElement>(".pv-task-row"));
        for (const r of rows) {
          r.click();
          for (const d of Array.from(v.root.querySelectorAll("details")) as HTMLDetailsElement[]) {
            d.open = true;
            d.dispatchEvent(new Event("toggle"));
          }
          noMarkup(v.root);
        }
        noMarkup(v.root);
        key(v, "ArrowRight");
      }
    }
    v.setThread("happy");
    v.setStep(1);
    const text = v.root.textContent ?? "";
    expect(text).toContain(XSS_KEY);
    expect(text).toContain(XSS_VALUE);
    // the node named like an <img> tag: its title is text, the SVG label is Graphviz's escaped text
    expect(node(v, XSS_NODE).querySelector("title")!.textContent).toBe(XSS_NODE);
    noMarkup(v.root);
  });

  it("selecting a task (row or graph node) shows why it ran, writes, attempts, input", async () => {
    const v = await open(undefined, { thread: "happy", step: 2 });
    node(v, "worker").dispatchEvent(new MouseEvent("click", { bubbles: true }));
    const details = () => v.root.querySelector(".pv-details")!.textContent ?? "";
    expect(details()).toContain("sent by plan");
    expect(details()).toContain("Writes (2)");
    expect(details()).toContain("Attempts (1)");
    const first = v.root.querySelector(".pv-task-row.pv-selected")!.getAttribute("data-task");
    node(v, "worker").dispatchEvent(new MouseEvent("click", { bubbles: true }));
    const second = v.root.querySelector(".pv-task-row.pv-selected")!.getAttribute("data-task");
    expect(second).not.toBe(first); // cycles through the Sends
    expect(node(v, "worker").classList.contains("pv-selected")).toBe(true);
    v.setStep(3);
    (v.root.querySelector(".pv-task-row") as HTMLElement).click();
    expect(details()).toContain("branch:to:review ∅ → v4, written by worker");
    expect(details()).toContain("Interrupts");
    expect(details()).toContain("Resumed with");
    expect(v.root.querySelectorAll(".pv-attempts tbody tr").length).toBe(2);
  });

  it("state with its diff, channels with versions and updates", async () => {
    const v = await open(undefined, { thread: "happy", step: 2 });
    const row = (k: string) => v.root.querySelector(`.pv-state-table tr[data-key="${k}"]`)!;
    expect(row("results").classList.contains("pv-changed")).toBe(true);
    expect(row("topic").className).toBe("");
    v.setStep(1);
    expect(row("items").classList.contains("pv-added")).toBe(true);
    expect(row("notes").textContent).toContain(XSS_VALUE);
    expect(row("notes").textContent).toContain(XSS_KEY);
    const ch = (k: string) => v.root.querySelector(`.pv-channel-table tr[data-channel="${k}"]`)!;
    expect(ch("items").classList.contains("pv-updated")).toBe(true);
    expect(ch("items").textContent).toContain("LastValue");
    expect(ch("results").textContent).toContain("add");
    expect(ch("topic").classList.contains("pv-updated")).toBe(false);
    expect(ch("topic").textContent).toContain("v2");
  });

  it("next-step triggers are listed in words, their channel in the details", async () => {
    const v = await open(undefined, { thread: "happy", step: 2 });
    expect(v.root.querySelector(".pv-next-list .pv-next-words")!.textContent).toBe("review after worker");
    expect(v.root.querySelector(".pv-next-list .pv-internals-list")!.textContent).toBe("review ← branch:to:review ∅ → v4");
  });

  it("the side panel reads what changed first: step, tasks, state, then the task, the narration", async () => {
    const v = await open(undefined, { thread: "happy", step: 2 });
    const order = Array.from(v.root.querySelectorAll(".pv-side > .pv-section")).map((s) => s.classList[1]);
    expect(order).toEqual(["pv-summary", "pv-tasks", "pv-state", "pv-details", "pv-tokens", "pv-narration", "pv-next-list", "pv-channels"]);
    v.setStep(-1);
    expect(v.root.querySelector(".pv-summary .pv-section-title")!.textContent).toBe("Input");
    expect(v.root.querySelector(".pv-step-label")!.textContent).toBe("input");
    expect(v.root.querySelector<HTMLElement>(".pv-details")!.hidden).toBe(true); // no task: "Tasks (0)" says it
  });

  it("the narration pane (open) tells the current step and follows it", async () => {
    const p = loadSample();
    const steps = p.threads.find((t) => t.id === "happy")!.namespaces[0].steps;
    const v = await open(p, { thread: "happy", step: 2 });
    const pane = v.root.querySelector<HTMLDetailsElement>(".pv-side > .pv-narration")!;
    expect(pane.open).toBe(true);
    const shown = () => Array.from(pane.querySelectorAll(".pv-narration-item")).map((li) => li.textContent);
    const at = (step: number) => steps.find((s) => s.step === step)!.narration!;
    expect(at(2).length).toBeGreaterThan(1);
    expect(shown()).toEqual(at(2));
    expect(shown()[0]).toContain("3 worker tasks ran in parallel");
    const body = pane.querySelector(".pv-section-body")!.firstChild;
    (v.root.querySelectorAll(".pv-task-row")[1] as HTMLElement).click(); // same step: not redrawn
    expect(pane.querySelector(".pv-section-body")!.firstChild).toBe(body);
    key(v, "ArrowRight");
    expect(shown()).toEqual(at(3));
    // hostile names and values in the sentences stay text
    v.setStep(1);
    expect(shown()).toEqual(at(1));
    expect(pane.textContent).toContain(XSS_KEY);
    expect(pane.textContent).toContain(XSS_VALUE);
    noMarkup(pane);
  });

  it("narration sentences naming hostile nodes are text, and a step without narration says so", async () => {
    const p = loadSample();
    const happy = p.threads.find((t) => t.id === "happy")!.namespaces[0];
    const hostile = [`${XSS_NODE} ran because ${XSS_KEY} arrived.`, `${XSS_VALUE}<b onclick=alert(1)>bold</b>`];
    happy.steps[1].narration = hostile;
    delete happy.steps[2].narration;
    const v = await open(p, { thread: "happy", step: 0 });
    const pane = v.root.querySelector(".pv-narration")!;
    expect(Array.from(pane.querySelectorAll(".pv-narration-item")).map((li) => li.textContent)).toEqual(hostile);
    expect(pane.querySelectorAll("b, img, script").length).toBe(0);
    noMarkup(v.root);
    v.setStep(1);
    expect(pane.querySelectorAll(".pv-narration-item").length).toBe(0);
    expect(pane.textContent).toContain("No narration recorded");
  });

  it("enters a subgraph (button or double-click) and goes back with the breadcrumb", async () => {
    const changes: unknown[] = [];
    const v = await open(undefined, { thread: "happy", step: 4, onChange: (p) => changes.push(p) });
    (v.root.querySelector(".pv-task-row") as HTMLElement).click();
    const button = v.root.querySelector<HTMLButtonElement>(".pv-open-subgraph")!;
    const subNs = button.getAttribute("data-ns")!;
    button.click();
    await v.whenReady();
    expect(v.position).toEqual({ thread: "happy", ns: subNs, step: -1 });
    expect(attr(v, "layouts")).toBe("2");
    expect(Array.from(v.root.querySelectorAll(".pv-breadcrumb .pv-crumb")).map((c) => c.textContent)).toEqual(["root", "summarize"]);
    key(v, "End");
    expect(active(v)).toEqual(["polish"]);
    (v.root.querySelector(".pv-breadcrumb button.pv-crumb") as HTMLElement).click();
    expect(v.position).toEqual({ thread: "happy", ns: "", step: 4 });
    expect(v.root.querySelector(".pv-task-row.pv-selected")!.textContent).toContain("summarize");
    // the root's SVG is reused: no new layout
    expect(attr(v, "layouts")).toBe("2");
    node(v, "summarize").dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    expect(v.position.ns).toBe(subNs);
    expect(changes.length).toBeGreaterThanOrEqual(3);
  });

  it("keyboard, buttons, slider and the thread select move the view and report it", async () => {
    const changes: { step: number; thread: string; ns: string }[] = [];
    const v = await open(undefined, { thread: "happy", step: 0, onChange: (p) => changes.push(p) });
    key(v, "ArrowRight");
    expect(v.position.step).toBe(1);
    key(v, "ArrowLeft");
    key(v, "ArrowLeft");
    key(v, "ArrowLeft"); // clamped at the first entry
    expect(v.position.step).toBe(-1);
    key(v, "End");
    expect(v.position.step).toBe(4);
    (v.root.querySelector(".pv-first") as HTMLElement).click();
    expect(v.position.step).toBe(-1);
    (v.root.querySelector(".pv-next-btn") as HTMLElement).click();
    expect(v.position.step).toBe(0);
    const slider = v.root.querySelector<HTMLInputElement>(".pv-slider")!;
    slider.value = "3";
    slider.dispatchEvent(new Event("input"));
    expect(v.position.step).toBe(2);
    const sel = v.root.querySelector<HTMLSelectElement>(".pv-thread")!;
    expect(sel.closest("label")!.hidden).toBe(false);
    sel.value = "failing";
    sel.dispatchEvent(new Event("change"));
    expect(v.position.thread).toBe("failing");
    // a newly chosen thread opens on its last entry
    const failing = loadSample().threads.find((t) => t.id === "failing")!.namespaces.find((n) => n.ns === "")!;
    const lastOfFailing = failing.steps[failing.steps.length - 1].step;
    expect(changes.map((c) => c.step)).toEqual([1, 0, -1, 4, -1, 0, 2, lastOfFailing]);
    // host calls do not echo back
    v.setStep(1);
    expect(changes.length).toBe(8);
  });

  it("plays at the chosen speed and stops at the end", async () => {
    vi.useFakeTimers();
    try {
      const v = mountViewer(loadSample(), { thread: "happy", step: -1, playInterval: 800 });
      const speed = v.root.querySelector<HTMLSelectElement>(".pv-speed")!;
      speed.value = "4";
      speed.dispatchEvent(new Event("change"));
      (v.root.querySelector(".pv-play") as HTMLElement).click();
      expect(v.root.classList.contains("pv-playing")).toBe(true);
      vi.advanceTimersByTime(200);
      expect(v.position.step).toBe(0);
      vi.advanceTimersByTime(2000);
      expect(v.position.step).toBe(4);
      expect(v.root.classList.contains("pv-playing")).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a 10,000-step run on a 60-node graph: no per-step work proportional to the steps", async () => {
    const p = bigPayload(10_000, 60);
    const t0 = performance.now();
    const v = await open(p, { step: 0 });
    const openMs = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 200; i++) key(v, "ArrowRight");
    const stepMs = (performance.now() - t1) / 200;
    v.setStep(9_000);
    v.setStep(17);
    expect(attr(v, "layouts")).toBe("1");
    expect(v.root.querySelectorAll(".pv-tl-col").length).toBeLessThan(40);
    expect(active(v)).toEqual(["node_18"]);
    // generous bounds for a slow CI machine under jsdom
    expect(openMs).toBeLessThan(3000);
    expect(stepMs).toBeLessThan(50);
  });

  it("setPayload keeps the position (a live run grew)", async () => {
    const v = await open(undefined, { thread: "happy", step: 3 });
    v.setPayload(loadSample());
    expect(v.position).toEqual({ thread: "happy", ns: "", step: 3 });
    expect(attr(v, "layouts")).toBe("1");
  });

  it("a layout failure is shown as text and still marks the viewer ready", async () => {
    const v = await open(undefined, { layout: () => Promise.reject(new Error("no wasm")) });
    expect(attr(v, "ready")).toBe("1");
    expect(v.root.querySelector(".pv-graph")!.textContent).toContain("Graph layout failed: no wasm");
  });
});

describe("SVG sanitizing", () => {
  it("drops scripts, foreignObject, event handlers and javascript: links", () => {
    const svg = sanitizeSvg(
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">
        <script>alert(1)</script>
        <g id="n0" onclick="alert(2)" class="node"><title>n0</title>
          <a xlink:href="javascript:alert(3)" href="javascript:alert(4)"><text onmouseover="x()">hi</text></a>
          <foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(5)"/></div></foreignObject>
        </g><!-- n0 --></svg>`,
    );
    const host = document.createElement("div");
    host.appendChild(svg);
    expect(host.querySelectorAll("script, foreignObject, img").length).toBe(0);
    const html = host.innerHTML;
    expect(html).not.toMatch(/on(load|click|mouseover|error)=/i);
    expect(html).not.toContain("javascript:");
    expect(host.querySelector("text")!.textContent).toBe("hi");
  });

  it("rejects what is not SVG", () => {
    expect(() => sanitizeSvg("<html><body>x</body></html>")).toThrow();
    expect(() => sanitizeSvg("not xml <")).toThrow();
  });
});

describe("real WASM Graphviz (runs under Node too)", () => {
  it("lays out the sample once per graph key, with the ids the viewer looks up", async () => {
    const p = loadSample();
    const svgText = await graphvizLayout(p.graphs[""].dot);
    const svg = sanitizeSvg(svgText);
    for (const n of p.graphs[""].nodes) expect(svg.querySelector(`g[id="${n.id}"]`)).not.toBeNull();
    for (const e of p.graphs[""].edges) expect(svg.querySelector(`g[id="${e.id}"]`)).not.toBeNull();
    expect(svg.querySelector("#n4")!.getAttribute("class")).toContain("pv-subgraph");
    expect(nodeCorner(svg.querySelector("#n2")!)).not.toBeNull();
    // the hostile node name is an escaped text label, not markup
    const host = document.createElement("div");
    host.appendChild(svg);
    expect(host.querySelectorAll("img").length).toBe(0);
    expect(host.querySelector("#n5 text")!.textContent).toBe(XSS_NODE);

    const v = await open(p, { layout: graphvizLayout, thread: "happy", step: 2 });
    expect(attr(v, "layouts")).toBe("1");
    expect(node(v, "worker").classList.contains("pv-active")).toBe(true);
    expect(node(v, "worker").querySelector(".pv-badge text")!.textContent).toBe("×3");
  });
});
