// The JupyterLab output renderer of `application/vnd.pregel-viz-compare+json` (the compare
// view of pregel_viz.CompareDebugger): the same renderer class as the single-run output
// (src/lab/output.ts), with the compare view's mountCompare() as its static viewer.
// Stand-ins for the notebook's widget renderer and the viewer bundle.

import type { IRenderMimeRegistry } from "@jupyterlab/rendermime";
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeWidgetRenderer, model, registry } from "./lab-fakes";

// jsdom has no DragEvent, which @lumino/dragdrop (under @lumino/widgets) subclasses on import
vi.hoisted(() => {
  const g = globalThis as { DragEvent?: unknown };
  if (!g.DragEvent) g.DragEvent = class DragEvent extends MouseEvent {};
});

interface Mounted {
  fn: "mount" | "mountCompare";
  el: HTMLElement;
  data: unknown;
  options: unknown;
  destroyed: boolean;
}
const mounted: Mounted[] = [];

function fakeMount(fn: Mounted["fn"], cls: string) {
  return (el: HTMLElement, data: unknown, options: unknown) => {
    const root = document.createElement("div");
    root.className = cls;
    el.appendChild(root);
    const entry: Mounted = { fn, el, data, options, destroyed: false };
    mounted.push(entry);
    return {
      destroy: () => {
        entry.destroyed = true;
        root.remove();
      },
    };
  };
}

vi.mock("../src/lab/viewer", () => ({
  loadViewer: async () => ({
    mount: fakeMount("mount", "pregel-viewer"),
    mountCompare: fakeMount("mountCompare", "pv-compare"),
  }),
}));

const { COMPARE_MIME, COMPARE_OUTPUT, GRACE_MS, MIME, PregelOutput, RUN_OUTPUT, WIDGET_MIME, outputRendererFactory } = await import(
  "../src/lab/output"
);

const DOC = {
  version: 1,
  a: { version: 1, meta: {}, graphs: {}, threads: [] },
  b: { version: 1, meta: {}, graphs: {}, threads: [] },
  comparison: { identical: false, rows: [], first_row: null },
};
const VIEW = { model_id: "abc", version_major: 2, version_minor: 0 };


function compareOutput(find: ((w: Widget) => IRenderMimeRegistry | null) | null): InstanceType<typeof PregelOutput> {
  const out = new PregelOutput(find, COMPARE_OUTPUT);
  Widget.attach(out, document.body);
  return out;
}

const both = { [COMPARE_MIME]: DOC, [WIDGET_MIME]: VIEW };

beforeEach(() => {
  mounted.length = 0;
});

afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

describe("the compare output renderer", () => {
  it("is a second factory of the same renderer: safe, its own type, ahead of the widget view", () => {
    const factory = outputRendererFactory(null, COMPARE_OUTPUT);
    expect(factory.safe).toBe(true);
    expect(factory.mimeTypes).toEqual([COMPARE_MIME]);
    expect(factory.defaultRank).toBeLessThan(-10);
    expect(factory.createRenderer({} as IRenderMime.IRendererOptions)).toBeInstanceOf(PregelOutput);
    // the single-run factory is unchanged (and the default)
    expect(outputRendererFactory(null).mimeTypes).toEqual([MIME]);
    expect(RUN_OUTPUT.mime).toBe(MIME);
    expect(COMPARE_MIME).not.toBe(MIME);
  });

  it("shows the compare view, at the row in the metadata, when there is no widget view", async () => {
    const out = compareOutput(() => registry(new FakeWidgetRenderer("live")));
    await out.renderModel(model({ [COMPARE_MIME]: DOC }, true, { [COMPARE_MIME]: { row: 2 } }));
    expect(out.node.getAttribute("data-pregel-viz")).toBe("static");
    expect(out.hasClass("jp-PregelViz-output")).toBe(true);
    expect(out.hasClass("jp-PregelViz-compareOutput")).toBe(true);
    expect(mounted).toHaveLength(1);
    expect(mounted[0]).toMatchObject({ fn: "mountCompare", data: DOC, options: { row: 2 } });
    expect(out.node.querySelectorAll(".pv-compare")).toHaveLength(1);
  });

  it("ignores metadata that is not a row", async () => {
    const out = compareOutput(null);
    await out.renderModel(model({ [COMPARE_MIME]: DOC }, true, { [COMPARE_MIME]: { row: "2", step: 3 } }));
    expect(mounted).toHaveLength(1);
    expect(mounted[0].options).toEqual({});
  });

  it("never hands an untrusted output to the widget renderer", async () => {
    const find = vi.fn(() => registry(new FakeWidgetRenderer("live")));
    const out = compareOutput(find);
    await out.renderModel(model(both, false));
    expect(find).not.toHaveBeenCalled();
    expect(out.node.getAttribute("data-pregel-viz")).toBe("static");
    expect(mounted.map((m) => m.fn)).toEqual(["mountCompare"]);
  });

  it("shows the live widget, and only it, when the kernel has it", async () => {
    const out = compareOutput(() => registry(new FakeWidgetRenderer("live")));
    await out.renderModel(model(both));
    expect(out.node.getAttribute("data-pregel-viz")).toBe("widget");
    expect(out.node.querySelectorAll(".live-view")).toHaveLength(1);
    expect(mounted).toHaveLength(0);
  });

  it("falls back to the compare view when the widget renderer has no widget", async () => {
    const out = compareOutput(() => registry(new FakeWidgetRenderer("missing")));
    await out.renderModel(model(both, true, { [COMPARE_MIME]: { row: 1 } }));
    await vi.waitFor(() => expect(mounted).toHaveLength(1));
    expect(mounted[0]).toMatchObject({ fn: "mountCompare", options: { row: 1 } });
    expect(out.node.getAttribute("data-pregel-viz")).toBe("fallback");
    expect(out.node.querySelectorAll(".pv-compare")).toHaveLength(1);
  });

  it("swaps the compare view for the widget when the widget comes later", async () => {
    const inner = new FakeWidgetRenderer("late");
    const out = compareOutput(() => registry(inner));
    await out.renderModel(model(both));
    await vi.waitFor(() => expect(mounted).toHaveLength(1));
    inner.show_();
    await vi.waitFor(() => expect(out.node.getAttribute("data-pregel-viz")).toBe("widget"));
    expect(mounted[0].destroyed).toBe(true);
    expect(out.node.querySelectorAll(".pv-compare")).toHaveLength(0);
    expect(out.node.querySelectorAll(".live-view")).toHaveLength(1);
  });

  it("shows the compare view after the grace period while the widget renderer still waits", async () => {
    let resolve!: () => void;
    const inner = new FakeWidgetRenderer("late");
    inner.renderModel = () => new Promise<void>((r) => (resolve = r));
    const out = compareOutput(() => registry(inner));
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

  it("rendering again replaces the viewer, and disposing destroys it", async () => {
    const out = compareOutput(null);
    await out.renderModel(model({ [COMPARE_MIME]: DOC }, true, { [COMPARE_MIME]: { row: 0 } }));
    await out.renderModel(model({ [COMPARE_MIME]: DOC }, true, { [COMPARE_MIME]: { row: 1 } }));
    expect(mounted.map((m) => [m.destroyed, m.options])).toEqual([
      [true, { row: 0 }],
      [false, { row: 1 }],
    ]);
    expect(out.node.querySelectorAll(".pv-compare")).toHaveLength(1);
    out.dispose();
    expect(mounted[1].destroyed).toBe(true);
  });

  it("a single-run output with the same data never mounts the compare view", async () => {
    const out = new PregelOutput(null);
    Widget.attach(out, document.body);
    await out.renderModel(model({ [MIME]: DOC.a }, true, { [MIME]: { step: 1 } }));
    expect(mounted.map((m) => [m.fn, m.options])).toEqual([["mount", { step: 1 }]]);
    expect(out.hasClass("jp-PregelViz-compareOutput")).toBe(false);
  });
});
