// Step-switch cost: the incremental timeline and side panel draw exactly what a full redraw
// draws, and a step switch reads no layout (sizes come from the ResizeObserver; node boxes are
// measured once), so the browser lays the page out once per frame.

import { afterEach, describe, expect, it, vi } from "vitest";
import { PayloadModel } from "../src/viewer/model";
import { type PanelContext, SidePanel } from "../src/viewer/panel";
import { Timeline } from "../src/viewer/timeline";
import type { Payload, StepDoc, TaskDoc } from "../src/viewer/types";
import { createViewer, type Viewer } from "../src/viewer/viewer";
import { bigPayload, fakeLayout, loadSample } from "./fixture";

const viewers: Viewer[] = [];
const restore: (() => void)[] = [];
afterEach(() => {
  while (viewers.length) viewers.pop()!.destroy();
  while (restore.length) restore.pop()!();
  vi.unstubAllGlobals();
  document.body.replaceChildren();
});

async function open(payload: Payload, opts: { thread?: string; step?: number } = {}): Promise<Viewer> {
  const host = document.createElement("div");
  document.body.appendChild(host);
  const v = createViewer(host, payload, { layout: fakeLayout(payload), ...opts });
  viewers.push(v);
  await v.whenReady();
  return v;
}

const key = (v: Viewer, k: string) => v.root.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));

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
    // a "layout": the pane is 400 px high, node_k's box is 40 px below node_(k-1)'s
    const PANE_H = 400;
    const NODES = 60;
    let reads = 0;
    let scroll = 0;
    let scrollWrites = 0;
    const rectOf = (top: number, height: number) => ({ top, height, bottom: top + height, left: 0, width: 300, right: 300, x: 0, y: top, toJSON: () => ({}) });
    const proto = Element.prototype;
    const gbcr = proto.getBoundingClientRect;
    proto.getBoundingClientRect = function (this: Element) {
      reads++;
      if (this.classList.contains("pv-graph")) return rectOf(0, PANE_H) as DOMRect;
      const name = this.getAttribute("data-name");
      const k = name?.startsWith("node_") ? Number(name.slice(5)) : NaN;
      return (isFinite(k) ? rectOf(8 + k * 40 - scroll, 24) : rectOf(0, 0)) as DOMRect;
    };
    restore.push(() => (proto.getBoundingClientRect = gbcr));
    for (const prop of ["clientWidth", "clientHeight", "offsetWidth", "offsetHeight"] as const) {
      const d = Object.getOwnPropertyDescriptor(proto, prop) ?? Object.getOwnPropertyDescriptor(HTMLElement.prototype, prop);
      if (!d?.get) continue;
      const owner = Object.getOwnPropertyDescriptor(proto, prop) ? proto : HTMLElement.prototype;
      Object.defineProperty(owner, prop, { ...d, get(this: Element) { reads++; return d.get!.call(this); } });
      restore.push(() => Object.defineProperty(owner, prop, d));
    }

    const v = await open(bigPayload(200, NODES), { step: 0 });
    const pane = v.root.querySelector<HTMLElement>(".pv-graph")!;
    const maxScroll = NODES * 40 + 16 - PANE_H;
    Object.defineProperty(pane, "scrollTop", {
      get: () => {
        reads++;
        return scroll;
      },
      set: (x: number) => {
        scrollWrites++;
        scroll = Math.max(0, Math.min(maxScroll, x));
      },
    });
    Object.defineProperty(pane, "scrollLeft", { get: () => 0, set: () => undefined });
    // the pane got its size: the viewer measures then (the layout is fresh in this callback)
    const ro = observers.find((o) => o.targets.includes(pane))!;
    ro.cb([{ target: pane } as unknown as ResizeObserverEntry], ro as unknown as ResizeObserver);
    reads = 0;

    let layoutReads = 0;
    for (let i = 0; i < 150; i++) {
      const writesBefore = scrollWrites;
      reads = 0;
      key(v, "ArrowRight");
      // reading the scroll position back right after writing it is free (the layout is fresh)
      layoutReads += reads - (scrollWrites > writesBefore ? 1 : 0);
      const active = JSON.parse(v.root.getAttribute("data-active") ?? "[]") as string[];
      const k = Number(active[0].slice(5));
      const top = 8 + k * 40 - scroll;
      expect(top >= 0 && top + 24 <= PANE_H, `node_${k} at ${top} (scroll ${scroll})`).toBe(true);
    }
    expect(layoutReads).toBe(0);
    expect(scrollWrites).toBeGreaterThan(10);
    expect(v.root.getAttribute("data-layouts")).toBe("1");

    // after a resize the boxes are measured again, in the observer's callback
    reads = 0;
    ro.cb([{ target: pane } as unknown as ResizeObserverEntry], ro as unknown as ResizeObserver);
    expect(reads).toBeGreaterThan(NODES);
    reads = 0;
    key(v, "ArrowRight");
    expect(reads).toBeLessThanOrEqual(1);
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
