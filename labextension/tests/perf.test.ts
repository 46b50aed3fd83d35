// Step-switch cost: the incremental timeline and side panel draw exactly what a full redraw
// draws, and a step switch reads no layout (sizes come from the ResizeObserver; node boxes are
// measured once), so the browser lays the page out once per frame.

import { afterEach, describe, expect, it, vi } from "vitest";
import { PayloadModel } from "../src/viewer/model";
import { type PanelContext, SidePanel } from "../src/viewer/panel";
import { Timeline } from "../src/viewer/timeline";
import type { Payload, StepDoc, TaskDoc } from "../src/viewer/types";
import type { Viewer } from "../src/viewer/viewer";
import { bigPayload, loadSample } from "./fixture";
import { closeViewers, openViewer as open, pressKey as key } from "./viewers";

const restore: (() => void)[] = [];
afterEach(() => {
  closeViewers();
  while (restore.length) restore.pop()!();
  vi.unstubAllGlobals();
});


/** Steps with 0..8 tasks (the lane cap is 6), some with retries. */
function varied(n: number): StepDoc[] {
  return bigPayload(n, 10).threads[0].namespaces[0].steps.map((s, i) => {
    const base = s.tasks[0];
    if (!base) return s;
    const count = (i * 7) % 9;
    const tasks: TaskDoc[] = Array.from({ length: count }, (_, k) => ({
      ...base,
      id: `${base.id}-${k}`,
      attempts:
        k === 1
          ? [
              { start: i, end: i + 0.5, status: "error", error: { type: "TimeoutError", message: "slow" } },
              { start: i + 0.6, end: i + 1, status: "ok", error: null },
            ]
          : base.attempts,
    }));
    return { ...s, tasks };
  });
}

function freshTimeline(steps: StepDoc[], width: number, index: number, selected: string | null): string {
  const tl = new Timeline({ onSelect: () => undefined });
  tl.setSteps(steps);
  tl.setWidth(width);
  tl.render(index, selected);
  return tl.el.outerHTML;
}

describe("incremental timeline", () => {
  it("draws what a full redraw draws, whatever the moves, selections and widths", () => {
    const steps = varied(300);
    const tl = new Timeline({ onSelect: () => undefined });
    tl.setSteps(steps);
    let width = 1000;
    tl.setWidth(width);
    const taskOf = (i: number, k: number) => steps[i]?.tasks[k]?.id ?? null;
    const moves: [number, string | null][] = [];
    for (let i = 0; i < 60; i++) moves.push([i, i % 5 === 0 ? taskOf(i, 1) : null]);
    for (let i = 60; i > 40; i--) moves.push([i, taskOf(i + 1, 0)]); // selection in a neighbour column
    moves.push([250, null], [251, taskOf(251, 2)], [251, taskOf(250, 0)], [251, null], [3, null], [299, taskOf(299, 0)], [298, null], [0, null]);
    let step = 0;
    for (const [i, sel] of moves) {
      if (step === 30) tl.setWidth((width = 520));
      if (step === 70) tl.setWidth((width = 1400));
      tl.render(i, sel);
      expect(tl.el.outerHTML, `move ${step}: render(${i}, ${sel})`).toBe(freshTimeline(steps, width, i, sel));
      expect(tl.el.querySelectorAll(".pv-tl-col").length).toBe(tl.drawn);
      step++;
    }
  });

  it("keeps the columns that stay in the window", () => {
    const steps = varied(300);
    const tl = new Timeline({ onSelect: () => undefined });
    tl.setSteps(steps);
    tl.setWidth(1280);
    tl.render(100);
    const kept = tl.el.querySelector('.pv-tl-col[data-index="100"]');
    tl.render(101);
    expect(tl.el.querySelector('.pv-tl-col[data-index="100"]')).toBe(kept);
    expect(kept!.classList.contains("pv-current")).toBe(false);
    expect(tl.el.querySelector(".pv-tl-col.pv-current")!.getAttribute("data-index")).toBe("101");
  });

  it("few entries: wide columns, redrawn when the width changes", () => {
    const steps = varied(5);
    const tl = new Timeline({ onSelect: () => undefined });
    tl.setSteps(steps);
    tl.setWidth(600);
    for (const i of [0, 1, 4, 2]) {
      tl.render(i);
      expect(tl.el.outerHTML).toBe(freshTimeline(steps, 600, i, null));
    }
    tl.setWidth(200);
    expect(tl.el.outerHTML).toBe(freshTimeline(steps, 200, 2, null));
  });
});

describe("side panel updates", () => {
  function contexts(p: Payload): PanelContext[] {
    const model = new PayloadModel(p);
    const out: PanelContext[] = [];
    for (const thread of model.threads) {
      for (const ns of thread.doc.namespaces.map((n) => n.ns)) {
        const space = thread.namespace(ns)!;
        const graph = p.graphs[space.key];
        for (let index = 0; index < space.length; index++) {
          const step = space.steps[index];
          const base = { thread, space, index, step, graph, warnings: p.warnings ?? [] };
          out.push({ ...base, selected: null });
          for (const t of step.tasks) out.push({ ...base, selected: t }); // select each task in turn
          out.push({ ...base, selected: null });
        }
        // and back
        for (let index = space.length - 1; index >= 0; index -= 2) {
          out.push({ thread, space, index, step: space.steps[index], graph, warnings: p.warnings ?? [], selected: space.steps[index].tasks[0] ?? null });
        }
      }
    }
    return out;
  }

  it("draws what a fresh panel draws, step after step (sections are skipped or patched)", () => {
    for (const p of [loadSample(), bigPayload(40, 8)]) {
      const panel = new SidePanel({ selectTask: () => undefined, openNamespace: () => undefined });
      for (const ctx of contexts(p)) {
        panel.update(ctx);
        const fresh = new SidePanel({ selectTask: () => undefined, openNamespace: () => undefined });
        fresh.update(ctx);
        expect(panel.el.outerHTML, `${ctx.thread.id} ${ctx.space.ns} #${ctx.index} ${ctx.selected?.id}`).toBe(fresh.el.outerHTML);
      }
    }
  });

  it("patches the channel table in place", async () => {
    const v = await open(loadSample(), { thread: "happy", step: 1 });
    const row = () => v.root.querySelector('.pv-channel-table tr[data-channel="items"]')!;
    const before = row();
    expect(before.classList.contains("pv-updated")).toBe(true);
    v.setStep(2);
    expect(row()).toBe(before);
    expect(before.classList.contains("pv-updated")).toBe(false);
  });

  it("keeps sections whose inputs did not change", async () => {
    const v = await open(loadSample(), { thread: "happy", step: 2 });
    const next = v.root.querySelector(".pv-next-list .pv-section-body")!.firstChild;
    const rows = Array.from(v.root.querySelectorAll(".pv-task-row"));
    (rows[1] as HTMLElement).click(); // selecting a task: the same step, the same rows
    expect(v.root.querySelector(".pv-next-list .pv-section-body")!.firstChild).toBe(next);
    expect(Array.from(v.root.querySelectorAll(".pv-task-row"))).toEqual(rows);
    expect(rows.map((r) => r.classList.contains("pv-selected"))).toEqual([false, true, false]);
    (rows[2] as HTMLElement).click();
    expect(rows.map((r) => r.classList.contains("pv-selected"))).toEqual([false, false, true]);
  });
});

describe("viewer step switches", () => {
  it("a stepped viewer shows what a freshly opened one shows", async () => {
    const p = loadSample();
    const v = await open(p, { thread: "happy", step: -1 });
    const parts = (x: Viewer) => [".pv-side", ".pv-timeline", ".pv-toolbar"].map((s) => x.root.querySelector(s)!.outerHTML);
    for (let i = 0; i < 6; i++) {
      const w = await open(p, { thread: "happy", step: v.position.step });
      expect(parts(v)).toEqual(parts(w));
      w.destroy();
      key(v, "ArrowRight");
    }
  });

  it("reads no layout while it switches steps, and keeps the active node in view", async () => {
    // a ResizeObserver we drive by hand
    const observers: { cb: ResizeObserverCallback; targets: Element[] }[] = [];
    class FakeResizeObserver {
      targets: Element[] = [];
      constructor(readonly cb: ResizeObserverCallback) {
        observers.push(this);
      }
      observe(t: Element): void {
        this.targets.push(t);
      }
      unobserve(): void {}
      disconnect(): void {}
    }
    vi.stubGlobal("ResizeObserver", FakeResizeObserver);
    // a 60-node chain laid out top to bottom, as Graphviz would: node_k's box is 24 units high,
    // 40 below node_(k-1)'s, in a viewBox that holds them all
    const NODES = 60;
    const VB_W = 240;
    const VB_H = NODES * 40 + 16;
    const payload = bigPayload(200, NODES);
    const view = payload.graphs[""];
    const layout = async (): Promise<string> => {
      const nodes = view.nodes
        .map((n, k) => `<g id="${n.id}" class="node"><title>${n.name}</title><polygon points="20,${8 + k * 40} 220,${8 + k * 40} 220,${32 + k * 40} 20,${32 + k * 40}"/><text x="120" y="${24 + k * 40}">${n.name}</text></g>`)
        .join("");
      return `<svg xmlns="http://www.w3.org/2000/svg" width="${VB_W}pt" height="${VB_H}pt" viewBox="0 0 ${VB_W} ${VB_H}"><g id="graph0" class="graph">${nodes}</g></svg>`;
    };
    // every layout read is counted
    let reads = 0;
    const proto = Element.prototype;
    const gbcr = proto.getBoundingClientRect;
    proto.getBoundingClientRect = function (this: Element) {
      reads++;
      return gbcr.call(this);
    };
    restore.push(() => (proto.getBoundingClientRect = gbcr));
    for (const prop of ["clientWidth", "clientHeight", "offsetWidth", "offsetHeight", "scrollTop", "scrollLeft"] as const) {
      const owner = Object.getOwnPropertyDescriptor(proto, prop) ? proto : HTMLElement.prototype;
      const d = Object.getOwnPropertyDescriptor(owner, prop);
      if (!d?.get) continue;
      Object.defineProperty(owner, prop, { ...d, get(this: Element) { reads++; return d.get!.call(this); } });
      restore.push(() => Object.defineProperty(owner, prop, d));
    }

    const v = await open(payload, { layout, step: 0 });
    // the pane's viewport (the holder the graph is drawn and scrolled in): 600 × 400 px, then
    // smaller; its scroll position as the browser keeps it (clamped to the drawing)
    const pane = v.root.querySelector<HTMLElement>(".pv-graph")!;
    const holder = pane.querySelector<HTMLElement>(".pv-graph-holder")!;
    const svg = () => holder.querySelector<SVGSVGElement>("svg")!;
    const px = (x: string) => parseFloat(x) || 0;
    let paneW = 600;
    let paneH = 400;
    let scroll = { top: 0, left: 0 };
    let pans = 0;
    const axis = (prop: "scrollTop" | "scrollLeft", side: "top" | "left", size: () => number, drawn: () => number) =>
      Object.defineProperty(holder, prop, {
        configurable: true,
        get: () => {
          reads++;
          return scroll[side];
        },
        set: (x: number) => {
          const to = Math.max(0, Math.min(Math.max(0, drawn() - size()), x));
          if (to !== scroll[side]) pans++;
          scroll = { ...scroll, [side]: to };
        },
      });
    axis("scrollTop", "top", () => paneH, () => px(svg().style.height));
    axis("scrollLeft", "left", () => paneW, () => px(svg().style.width));
    Object.defineProperty(holder, "clientWidth", { configurable: true, get: () => (reads++, paneW) });
    Object.defineProperty(holder, "clientHeight", { configurable: true, get: () => (reads++, paneH) });
    const resize = () => {
      const ro = observers.find((o) => o.targets.includes(pane))!;
      ro.cb([{ target: pane } as unknown as ResizeObserverEntry], ro as unknown as ResizeObserver);
    };
    /** The active node's box in the pane, px, as drawn: the SVG's scale and margins, less the
     *  pane's scroll position. */
    const activeBox = () => {
      const name = (JSON.parse(v.root.getAttribute("data-active") ?? "[]") as string[])[0];
      const k = Number(name.slice(5));
      const st = svg().style;
      const scale = px(st.width) / VB_W;
      const top = (8 + k * 40) * scale + px(st.marginTop) - scroll.top;
      const left = 20 * scale + px(st.marginLeft) - scroll.left;
      return { name, top, left, bottom: top + 24 * scale, right: left + 200 * scale, scale };
    };
    const inView = (b: ReturnType<typeof activeBox>) => b.top >= 0 && b.left >= 0 && b.bottom <= paneH && b.right <= paneW;
    // the pane got its size: the viewer measures it then (the layout is fresh in this callback)
    resize();
    const opened = activeBox();
    expect(opened.scale).toBeGreaterThanOrEqual(0.6); // readable: a tall graph is not shrunk to fit
    expect(px(svg().style.height)).toBeGreaterThan(paneH); // so stepping down the chain must pan

    let layoutReads = 0;
    for (let i = 0; i < 150; i++) {
      reads = 0;
      key(v, "ArrowRight");
      layoutReads += reads;
      const b = activeBox();
      expect(inView(b), `${b.name} at ${JSON.stringify(b)} in a ${paneW}×${paneH} pane`).toBe(true);
      expect(b.scale).toBe(opened.scale); // stepping keeps the zoom
    }
    expect(layoutReads).toBe(0);
    // it pans only when the node leaves the view: a pan shows about ten nodes ahead
    expect(pans).toBeGreaterThan(10);
    expect(pans).toBeLessThan(60);
    expect(v.root.getAttribute("data-layouts")).toBe("1");

    // a smaller pane: measured once, in the observer's callback, and the node stays in view
    paneW = 500;
    paneH = 150;
    reads = 0;
    resize();
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThan(10);
    const after = activeBox();
    expect(inView(after), `${after.name} at ${JSON.stringify(after)} after a resize`).toBe(true);
    reads = 0;
    for (let i = 0; i < 20; i++) {
      key(v, "ArrowRight");
      const b = activeBox();
      expect(inView(b), `${b.name} at ${JSON.stringify(b)} in the smaller pane`).toBe(true);
    }
    expect(reads).toBe(0);
  });

  it("turns the colour transitions off while stepping quickly", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const v = await open(loadSample(), { thread: "happy", step: -1 });
      key(v, "ArrowRight");
      expect(v.root.classList.contains("pv-fast")).toBe(false); // one step: fades stay
      vi.advanceTimersByTime(100);
      key(v, "ArrowRight");
      expect(v.root.classList.contains("pv-fast")).toBe(true);
      vi.advanceTimersByTime(100);
      key(v, "ArrowRight");
      expect(v.root.classList.contains("pv-fast")).toBe(true);
      vi.advanceTimersByTime(300);
      expect(v.root.classList.contains("pv-fast")).toBe(false);
      key(v, "ArrowRight");
      expect(v.root.classList.contains("pv-fast")).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
