// The JupyterLab output renderer's choice between the live widget and the static viewer
// (src/lab/output.ts), with stand-ins for the notebook's widget renderer and the viewer bundle.

import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeWidgetRenderer, model, registry } from "./lab-fakes";

// jsdom has no DragEvent, which @lumino/dragdrop (under @lumino/widgets) subclasses on import
vi.hoisted(() => {
  const g = globalThis as { DragEvent?: unknown };
  if (!g.DragEvent) g.DragEvent = class DragEvent extends MouseEvent {};
});

const mounted: { el: HTMLElement; payload: unknown; options: unknown; destroyed: boolean }[] = [];

vi.mock("../src/lab/viewer", () => ({
  loadViewer: async () => ({
    mount: (el: HTMLElement, payload: unknown, options: unknown) => {
      const root = document.createElement("div");
      root.className = "pregel-viewer";
      el.appendChild(root);
      const entry = { el, payload, options, destroyed: false };
      mounted.push(entry);
      return {
        destroy: () => {
          entry.destroyed = true;
          root.remove();
        },
      };
    },
  }),
}));

const { GRACE_MS, MIME, PregelOutput, SAVE_MS, WIDGET_MIME, outputRendererFactory } = await import("../src/lab/output");
const { DOCUMENT_EVENT } = await import("../src/events");
const { PACK_ABOVE, PACKED_ENCODING, isPacked, packDocument, unpackDocument } = await import("../src/packed");

const PAYLOAD = { version: 1, meta: {}, graphs: {}, threads: [] };


function attach(output: Widget): void {
  Widget.attach(output, document.body);
}

const both = { [MIME]: PAYLOAD, [WIDGET_MIME]: { model_id: "abc", version_major: 2, version_minor: 0 } };

beforeEach(() => {
  mounted.length = 0;
});

afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

describe("the pregel-viz output renderer", () => {
  it("is safe and ranks ahead of the widget view renderer", () => {
    const factory = outputRendererFactory(null);
    expect(factory.safe).toBe(true);
    expect(factory.mimeTypes).toEqual([MIME]);
    expect(factory.defaultRank).toBeLessThan(-10);
  });

  it("shows the static viewer, at the position in the metadata, when there is no widget view", async () => {
    const out = new PregelOutput(() => registry(new FakeWidgetRenderer("live")));
    attach(out);
    await out.renderModel(model({ [MIME]: PAYLOAD }, true, { [MIME]: { step: 3, thread: "t", ns: "" } }));
    expect(out.node.getAttribute("data-pregel-viz")).toBe("static");
    expect(mounted).toHaveLength(1);
    expect(mounted[0].options).toEqual({ step: 3, thread: "t", ns: "" });
  });

  it("never hands an untrusted output to the widget renderer", async () => {
    const find = vi.fn(() => registry(new FakeWidgetRenderer("live")));
    const out = new PregelOutput(find);
    attach(out);
    await out.renderModel(model(both, false));
    expect(find).not.toHaveBeenCalled();
    expect(out.node.getAttribute("data-pregel-viz")).toBe("static");
    expect(mounted).toHaveLength(1);
  });

  it("shows the live widget, and only it, when the kernel has it", async () => {
    const out = new PregelOutput(() => registry(new FakeWidgetRenderer("live")));
    attach(out);
    await out.renderModel(model(both));
    expect(out.node.getAttribute("data-pregel-viz")).toBe("widget");
    expect(out.node.querySelectorAll(".live-view")).toHaveLength(1);
    expect(mounted).toHaveLength(0);
  });

  it("falls back to the static viewer when the widget renderer has no widget", async () => {
    const out = new PregelOutput(() => registry(new FakeWidgetRenderer("missing")));
    attach(out);
    await out.renderModel(model(both));
    await vi.waitFor(() => expect(mounted).toHaveLength(1));
    expect(out.node.getAttribute("data-pregel-viz")).toBe("fallback");
    expect(out.node.querySelectorAll(".pregel-viewer")).toHaveLength(1);
  });

  it("swaps the static viewer for the widget when the widget comes later", async () => {
    const inner = new FakeWidgetRenderer("late");
    const out = new PregelOutput(() => registry(inner));
    attach(out);
    await out.renderModel(model(both));
    await vi.waitFor(() => expect(mounted).toHaveLength(1));
    inner.show_(); // the widget manager restored the model (saved widget state, a kernel)
    await vi.waitFor(() => expect(out.node.getAttribute("data-pregel-viz")).toBe("widget"));
    expect(mounted[0].destroyed).toBe(true);
    expect(out.node.querySelectorAll(".pregel-viewer")).toHaveLength(0);
    expect(out.node.querySelectorAll(".live-view")).toHaveLength(1);
  });

  it("shows the static viewer after the grace period while the widget renderer still waits", async () => {
    let resolve!: () => void;
    const inner = new FakeWidgetRenderer("late");
    inner.renderModel = () => new Promise<void>((r) => (resolve = r));
    const out = new PregelOutput(() => registry(inner));
    attach(out);
    vi.useFakeTimers();
    const done = out.renderModel(model(both));
    await vi.advanceTimersByTimeAsync(GRACE_MS - 100);
    expect(mounted).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(mounted).toHaveLength(1);
    vi.useRealTimers();
    resolve();
    await done;
    expect(mounted).toHaveLength(1);
  });

  it("shows the static viewer where no notebook widget manager is found", async () => {
    const out = new PregelOutput(() => null);
    attach(out);
    await out.renderModel(model(both));
    expect(out.node.getAttribute("data-pregel-viz")).toBe("static");
    expect(mounted).toHaveLength(1);
  });

  it("keeps the notebook's copy of a live widget's output up to date, without re-rendering it", async () => {
    const inner = new FakeWidgetRenderer("live");
    const out = new PregelOutput(() => registry(inner));
    attach(out);
    const calls: { data: Record<string, unknown>; metadata: Record<string, unknown> }[] = [];
    const m = { data: both, trusted: true, metadata: {}, setData: (o: never) => calls.push(o) } as unknown as IRenderMime.IMimeModel;
    await out.renderModel(m);
    expect(out.node.getAttribute("data-pregel-viz")).toBe("widget");
    vi.useFakeTimers();
    const grown = { ...PAYLOAD, meta: { steps: 2 } };
    const send = (payload: unknown, step: number) =>
      out.node.querySelector(".live-view")!.dispatchEvent(
        new CustomEvent(DOCUMENT_EVENT, { bubbles: true, detail: { payload, position: { step, thread: "t", ns: "" } } }),
      );
    send({ ...PAYLOAD, meta: { steps: 1 } }, 1);
    send(grown, 2); // within SAVE_MS: only the newest is written
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(SAVE_MS + 10);
    expect(calls).toHaveLength(1);
    expect(calls[0].data[MIME]).toEqual(grown);
    expect(calls[0].data[WIDGET_MIME]).toEqual(both[WIDGET_MIME]);
    expect(calls[0].metadata[MIME]).toEqual({ step: 2, thread: "t", ns: "" });
    vi.useRealTimers();
    // JupyterLab renders the changed output again: the same live widget stays, untouched
    const view = out.node.querySelector(".live-view");
    await out.renderModel({ ...m, data: calls[0].data } as unknown as IRenderMime.IMimeModel);
    expect(out.node.querySelector(".live-view")).toBe(view);
    expect(inner.isDisposed).toBe(false);
  });

  it("a static output ignores document events", async () => {
    const out = new PregelOutput(() => null);
    attach(out);
    const setData = vi.fn();
    await out.renderModel({ data: both, trusted: true, metadata: {}, setData } as unknown as IRenderMime.IMimeModel);
    vi.useFakeTimers();
    out.node.dispatchEvent(new CustomEvent(DOCUMENT_EVENT, { detail: { payload: PAYLOAD, position: { step: 0, thread: "", ns: "" } } }));
    await vi.advanceTimersByTimeAsync(SAVE_MS + 10);
    expect(setData).not.toHaveBeenCalled();
  });

  it("unpacks a packed document (a large saved output) before the static viewer shows it", async () => {
    const big = { ...PAYLOAD, meta: { note: "x".repeat(PACK_ABOVE + 10) } };
    const packed = await packDocument(big);
    expect(isPacked(packed)).toBe(true);
    expect((packed as { encoding: string }).encoding).toBe(PACKED_ENCODING);
    const out = new PregelOutput(() => null);
    attach(out);
    await out.renderModel(model({ [MIME]: packed }, false, { [MIME]: { step: 1, thread: "t", ns: "" } }));
    expect(out.node.getAttribute("data-pregel-viz")).toBe("static");
    expect(mounted).toHaveLength(1);
    expect(mounted[0].payload).toEqual(big);
    expect(mounted[0].options).toEqual({ step: 1, thread: "t", ns: "" });
  });

  it("still shows an output saved as the document itself (earlier releases)", async () => {
    const out = new PregelOutput(() => null);
    attach(out);
    await out.renderModel(model({ [MIME]: PAYLOAD }, false));
    expect(mounted).toHaveLength(1);
    expect(mounted[0].payload).toBe(PAYLOAD);
  });

  it("says what is wrong with a damaged packed document, as text, and mounts nothing", async () => {
    const out = new PregelOutput(() => null);
    attach(out);
    await out.renderModel(model({ [MIME]: { encoding: PACKED_ENCODING, data: btoa("<img src=x onerror=alert(1)>") } }, false));
    expect(mounted).toHaveLength(0);
    const box = out.node.querySelector(".jp-PregelViz-error");
    expect(box?.textContent).toContain("the saved document is damaged");
    expect(out.node.querySelector("img")).toBeNull();
  });

  it("packs a large live document written into the output, and writes a small one as it is", async () => {
    const inner = new FakeWidgetRenderer("live");
    const out = new PregelOutput(() => registry(inner));
    attach(out);
    const calls: { data: Record<string, unknown> }[] = [];
    const m = { data: both, trusted: true, metadata: {}, setData: (o: never) => calls.push(o) } as unknown as IRenderMime.IMimeModel;
    await out.renderModel(m);
    const send = (payload: unknown) =>
      out.node.querySelector(".live-view")!.dispatchEvent(
        new CustomEvent(DOCUMENT_EVENT, { bubbles: true, detail: { payload, position: { step: 1, thread: "t", ns: "" } } }),
      );
    const big = { ...PAYLOAD, meta: { note: "y".repeat(PACK_ABOVE + 10) } };
    send(big);
    await vi.waitFor(() => expect(calls).toHaveLength(1), { timeout: SAVE_MS * 3 });
    expect(isPacked(calls[0].data[MIME])).toBe(true);
    expect(await unpackDocument(calls[0].data[MIME])).toEqual(big);
    send(PAYLOAD);
    await vi.waitFor(() => expect(calls).toHaveLength(2), { timeout: SAVE_MS * 3 });
    expect(calls[1].data[MIME]).toEqual(PAYLOAD);
  });
});
