// The side panel shows what changed first (list appends as "+" items), and the keyboard keeps
// working: focus stays in the viewer when a button disables or a subgraph opens or closes,
// Escape and Backspace leave a subgraph, play goes past 10 steps/s.

import { afterEach, describe, expect, it, vi } from "vitest";
import type { Payload } from "../src/viewer/types";
import { appendedCount, renderAppended, sameValue } from "../src/viewer/values";
import type { ViewerOptions } from "../src/viewer/viewer";
import { loadSample } from "./fixture";
import { closeViewers, openViewer } from "./viewers";

afterEach(() => {
  closeViewers();
});

const open = (opts: Partial<ViewerOptions> = {}, payload: Payload = loadSample()) => openViewer(payload, opts);

const press = (target: Element, key: string) =>
  target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
const focused = () => document.activeElement;

describe("list appends", () => {
  it("counts an append only when the old list is a prefix of the new one", () => {
    expect(appendedCount(["a"], ["a", "b", "c"])).toBe(2);
    expect(appendedCount([], [{ x: 1 }])).toBe(1);
    expect(appendedCount([{ id: 1, c: "x" }], [{ c: "x", id: 1 }, 2])).toBe(1); // key order ignored
    expect(appendedCount(["a", "b"], ["a", "B", "c"])).toBe(0); // an item replaced
    expect(appendedCount(["a", "b"], ["a"])).toBe(0);
    expect(appendedCount("ab", "abc")).toBe(0);
    expect(sameValue({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 1, b: undefined as never })).toBe(false);
  });

  it("shows the new items, each readable and marked +, not the list and what it was", async () => {
    const v = await open({ thread: "happy", step: 4 });
    const row = v.root.querySelector(`.pv-state-table tr[data-key="results"]`)!;
    expect(row.classList.contains("pv-changed")).toBe(true);
    expect(row.querySelector(".pv-was:not(.pv-append-all)")).toBeNull();
    expect(row.querySelector(".pv-append-head")!.textContent).toBe("+ 3 appended (6 items now)");
    const items = Array.from(row.querySelectorAll(".pv-append-item")).map((li) => li.textContent);
    expect(items).toEqual(['+"A"', '+"B"', '+"C"']);
    // a value replaced is still told with what it was
    const summary = v.root.querySelector(`.pv-state-table tr[data-key="summary"]`)!;
    expect(summary.querySelector(".pv-append-item")).toBeNull();
    // the keys the step changed come first
    const keys = Array.from(v.root.querySelectorAll(".pv-state-table tbody tr")).map((tr) => tr.getAttribute("data-key"));
    expect(keys.slice(0, 2).sort()).toEqual(["results", "summary"]);
  });

  it("a long append shows ten items and the rest on demand", () => {
    const list = Array.from({ length: 64 }, (_, i) => i);
    const el = renderAppended(list, 4);
    expect(el.querySelectorAll(".pv-append-item").length).toBe(10);
    const more = el.querySelector<HTMLDetailsElement>(".pv-append-more")!;
    expect(more.querySelector("summary")!.textContent).toBe("+ 50 more appended");
    more.open = true;
    (more as HTMLDetailsElement & { pvBuild?: () => void }).pvBuild?.();
    expect(el.querySelectorAll(".pv-append-item").length).toBe(60);
  });
});

describe("names", () => {
  it("state keys, channels and writes are one-line names with their whole text as a tooltip", async () => {
    const v = await open({ thread: "happy", step: 2 });
    const names = Array.from(v.root.querySelectorAll(".pv-state-table td.pv-name, .pv-channel-table td.pv-name"));
    expect(names.length).toBeGreaterThan(4);
    for (const td of names) {
      const span = td.querySelector(".pv-name-text")!;
      expect(span.getAttribute("title")).toBe(span.textContent);
    }
  });
});

describe("keyboard", () => {
  it("focus stays in the viewer when the next button disables at the last step", async () => {
    const v = await open({ thread: "happy", step: 3 });
    const next = v.root.querySelector<HTMLButtonElement>(".pv-next-btn")!;
    next.focus();
    next.click();
    expect(next.disabled).toBe(true);
    expect(v.root.contains(focused())).toBe(true);
    expect((focused() as HTMLButtonElement).disabled).not.toBe(true);
    press(focused()!, "ArrowLeft");
    expect(v.position.step).toBe(3);
    press(focused()!, "End");
    expect(v.position.step).toBe(4);
  });

  it("a host move does not take the focus from outside", async () => {
    const input = document.createElement("input");
    document.body.appendChild(input);
    input.focus();
    const v = await open({ thread: "happy", step: 0 });
    v.setStep(4);
    expect(focused()).toBe(input);
  });

  it("opening a subgraph keeps the focus; Escape and Backspace go back to the parent's task", async () => {
    const v = await open({ thread: "happy", step: 4 });
    const row = v.root.querySelector<HTMLElement>('.pv-task-row')!;
    row.focus();
    row.click();
    const openSub = v.root.querySelector<HTMLButtonElement>(".pv-open-subgraph")!;
    openSub.focus();
    openSub.click();
    expect(v.position.ns).toMatch(/^summarize:/);
    expect(v.root.contains(focused())).toBe(true);
    press(focused()!, "ArrowRight");
    expect(v.root.getAttribute("data-index")).toBe("1");
    press(focused()!, "Escape");
    expect(v.position).toEqual({ thread: "happy", ns: "", step: 4 });
    expect(v.root.contains(focused())).toBe(true);
    // Backspace too; at the root it does nothing (and is not taken from the page)
    (v.root.querySelector(".pv-open-subgraph") as HTMLButtonElement).click();
    expect(v.position.ns).not.toBe("");
    press(v.root, "Backspace");
    expect(v.position.ns).toBe("");
    const ev = new KeyboardEvent("keydown", { key: "Backspace", bubbles: true, cancelable: true });
    v.root.dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(false);
  });

  it("Escape in a field is the field's", async () => {
    const v = await open({ thread: "happy", step: 4 });
    (v.root.querySelector(".pv-task-row") as HTMLElement).click();
    (v.root.querySelector(".pv-open-subgraph") as HTMLButtonElement).click();
    const field = document.createElement("input");
    v.root.appendChild(field);
    press(field, "Escape");
    expect(v.position.ns).not.toBe("");
  });
});

describe("play", () => {
  it("offers speeds past 10 steps/s, paced by animation frames", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "requestAnimationFrame", "cancelAnimationFrame", "performance"] });
    try {
      const v = await open({ thread: "happy", step: -1, playInterval: 800 });
      const speed = v.root.querySelector<HTMLSelectElement>(".pv-speed")!;
      const options = Array.from(speed.options).map((o) => Number(o.value));
      expect(Math.max(...options)).toBeGreaterThanOrEqual(25);
      speed.value = "60";
      speed.dispatchEvent(new Event("change"));
      (v.root.querySelector(".pv-play") as HTMLElement).click();
      vi.advanceTimersByTime(100); // six frames of 16 ms: five steps to the end
      expect(v.position.step).toBe(4);
      expect(v.root.classList.contains("pv-playing")).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
