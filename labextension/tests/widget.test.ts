// The anywidget entry and mount(), with a stand-in for the widget model (Backbone-like: set
// fires change:<name> synchronously, for Python-side and local changes alike).

import { afterEach, describe, expect, it, vi } from "vitest";
import widget, { mount } from "../src/hosts/bundle";
import { FakeModel } from "./fake-model";
import { loadSample } from "./fixture";

function bytes(): DataView {
  const b = new TextEncoder().encode(JSON.stringify(loadSample()));
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

afterEach(() => {
  document.body.replaceChildren();
  vi.useRealTimers();
});

describe("anywidget render", () => {
  it("renders from the traits, follows Python, reports user moves (throttled) and cleans up", async () => {
    const model = new FakeModel({ _payload: bytes(), step: 2, thread: "happy", ns: "" });
    const el = document.createElement("div");
    document.body.appendChild(el);
    const cleanup = widget.render({ model, el });
    const root = el.querySelector(".pregel-viewer")!;
    expect(root.getAttribute("data-step")).toBe("2");
    expect(root.getAttribute("data-active")).toBe('["worker"]');
    expect(model.sets).toEqual([]); // nothing to correct
    expect(document.head.querySelectorAll("style[data-pregel-viz-style]").length).toBe(1);

    // Python → browser
    model.remote({ step: 3 });
    expect(root.getAttribute("data-step")).toBe("3");
    model.remote({ thread: "failing", step: 1 });
    expect(root.getAttribute("data-thread")).toBe("failing");
    expect(root.getAttribute("data-step")).toBe("1");
    expect(model.sets).toEqual([]);

    // browser → Python: first move goes at once, the next ones at most every 50 ms
    vi.useFakeTimers();
    vi.setSystemTime(Date.now() + 1000);
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "Home", bubbles: true }));
    expect(model.get("step")).toBe(-1);
    expect(model.saves).toBe(1);
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    expect(model.saves).toBe(1);
    vi.advanceTimersByTime(60);
    expect(model.saves).toBe(2);
    // the view is where the user put it (the echo did not move it back)
    const third = loadSample().threads.find((t) => t.id === "failing")!.namespaces.find((n) => n.ns === "")!.steps[2].step;
    expect(root.getAttribute("data-step")).toBe(String(third));
    expect(model.get("step")).toBe(third);
    expect(model.get("thread")).toBe("failing");

    // a step number that does not exist is clamped, and Python is told
    vi.advanceTimersByTime(100);
    model.remote({ thread: "happy", step: 99 });
    vi.advanceTimersByTime(100);
    expect(root.getAttribute("data-step")).toBe("4");
    expect(model.get("step")).toBe(4);

    cleanup();
    expect(el.querySelector(".pregel-viewer")).toBeNull();
    expect(model.listeners()).toBe(0);
  });

  it("a new _payload keeps the view where it is", () => {
    const model = new FakeModel({ _payload: bytes(), step: 3, thread: "happy", ns: "" });
    const el = document.createElement("div");
    document.body.appendChild(el);
    const cleanup = widget.render({ model, el });
    model.remote({ _payload: JSON.stringify(loadSample()) });
    expect(el.querySelector(".pregel-viewer")!.getAttribute("data-step")).toBe("3");
    cleanup();
  });

  it("a broken payload shows an error instead of throwing", () => {
    const model = new FakeModel({ _payload: "{not json", step: 0, thread: "", ns: "" });
    const el = document.createElement("div");
    const cleanup = widget.render({ model, el });
    expect(el.textContent).toContain("pregel-viz: cannot show this run");
    cleanup();
    expect(el.textContent).toBe("");
  });
});

describe("mount", () => {
  it("renders a payload object or JSON text and is driven by setStep / setThread / setNs", async () => {
    const el = document.createElement("div");
    document.body.appendChild(el);
    const changes: unknown[] = [];
    const m = mount(el, JSON.stringify(loadSample()), { thread: "happy", step: 1, onChange: (p) => changes.push(p) });
    await m.viewer.whenReady();
    const root = el.querySelector(".pregel-viewer")!;
    expect(root.getAttribute("data-ready")).toBe("1");
    expect(root.getAttribute("data-step")).toBe("1");
    m.setStep(2);
    expect(root.getAttribute("data-active")).toBe('["worker"]');
    const sub = loadSample().threads[0].namespaces[1].ns;
    m.setNs(sub);
    expect(root.getAttribute("data-ns")).toBe(sub);
    m.setThread("failing");
    expect(root.getAttribute("data-thread")).toBe("failing");
    expect(root.getAttribute("data-ns")).toBe("");
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "Home", bubbles: true }));
    expect(changes).toEqual([{ step: -1, thread: "failing", ns: "" }]);
    m.destroy();
    expect(el.querySelector(".pregel-viewer")).toBeNull();
  });
});

describe("anywidget render of a live session", () => {
  const live = { status: "paused", message: "", notice: "", breakpoints: { before: [], after: [], write: [] }, interrupts: [], next: [], nodes: ["plan"], channels: [], thread: "happy", fork: "", caveats: [] };

  it("adds the controls, sends actions as messages, follows the run and cleans up", async () => {
    const sent: unknown[] = [];
    const model = Object.assign(new FakeModel({ _payload: bytes(), step: -1, thread: "happy", ns: "", live }), {
      send: (m: unknown) => sent.push(m),
    });
    const el = document.createElement("div");
    document.body.appendChild(el);
    const dispose = widget.render({ model, el });
    const root = el.querySelector(".pregel-viewer") as HTMLElement;
    expect(root.getAttribute("data-live-status")).toBe("paused");
    (root.querySelector(".pv-live-step") as HTMLButtonElement).click();
    expect(sent).toEqual([{ live: "step" }]);
    // Python says the graph runs, then a longer payload lands: the view follows to its end
    model.remote({ live: { ...live, status: "running" } });
    expect(root.getAttribute("data-live-status")).toBe("running");
    expect((root.querySelector(".pv-live-step") as HTMLButtonElement).disabled).toBe(true);
    const doc = loadSample();
    const steps = doc.threads.find((t) => t.id === "happy")!.namespaces.find((n) => n.ns === "")!.steps;
    model.remote({ _payload: bytes() });
    expect(root.getAttribute("data-step")).toBe(String(steps[steps.length - 1].step));
    const before = model.listeners();
    expect(before).toBeGreaterThan(0);
    dispose();
    expect(model.listeners()).toBe(0);
    expect(el.querySelector(".pv-live")).toBeNull();
  });

  it("a plain Debugger (no live trait) has no controls", () => {
    const model = new FakeModel({ _payload: bytes(), step: 2, thread: "happy", ns: "" });
    const el = document.createElement("div");
    document.body.appendChild(el);
    const dispose = widget.render({ model, el });
    expect(el.querySelector(".pv-live")).toBeNull();
    dispose();
  });
});
