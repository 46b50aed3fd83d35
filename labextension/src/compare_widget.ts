// The side-by-side viewer's hosts, in the same bundle as the single-run viewer (src/widget.ts
// dispatches to renderCompare when the widget's `_view` trait is "compare"):
// - renderCompare({ model, el }): anywidget render for pregel_viz.CompareDebugger, traits
//   `_payload_a`, `_payload_b`, `_comparison` (Bytes: UTF-8 JSON) and `row` (Int, both ways);
// - mountCompare(el, { a, b, comparison }, options): the same for the HTML export.

import { showError } from "./failure";
import { throttled } from "./throttle";
import { graphvizLayout } from "./layout";
import { injectCompareStyle, injectStyle } from "./style";
import { parseJsonDoc, parsePayload } from "./viewer/model";
import { createSideBySide, parseComparison, type SideBySide, type SideBySideDoc } from "./viewer/sidebyside";

export type { ComparisonDoc, CompareRow, SideBySide, SideBySideDoc } from "./viewer/sidebyside";

export interface CompareMountOptions {
  row?: number;
  labels?: [string, string];
  onChange?: (row: number) => void;
}

export interface CompareHandle {
  setRow(i: number): number;
  destroy(): void;
  /** the side-by-side view (row, viewers, whenReady...); undefined when it failed to open */
  view: SideBySide;
}

const showCompareError = (el: HTMLElement, e: unknown): (() => void) => showError(el, e, "pv-sbs", "compare these runs");

function open(el: HTMLElement, doc: SideBySideDoc, options: CompareMountOptions): SideBySide {
  const view = createSideBySide(el, { ...doc, layout: graphvizLayout, ...options });
  injectStyle(view.viewers[0].root);
  injectCompareStyle(view.root);
  return view;
}

/** Render a side-by-side document (object, JSON text or UTF-8 bytes) into `el`. */
export function mountCompare(
  el: HTMLElement,
  data: { a: unknown; b: unknown; comparison: unknown } | string | ArrayBuffer | DataView,
  options: CompareMountOptions = {},
): CompareHandle {
  let view: SideBySide;
  try {
    const d = parseJsonDoc(data) as { a?: unknown; b?: unknown; comparison?: unknown } | null;
    if (!d || typeof d !== "object") throw new Error("the document is not a JSON object");
    view = open(el, { a: parsePayload(d.a), b: parsePayload(d.b), comparison: parseComparison(d.comparison) }, options);
  } catch (e) {
    const remove = showCompareError(el, e);
    return { setRow: () => -1, destroy: remove, view: undefined as unknown as SideBySide };
  }
  return { setRow: (i) => view.setRow(i), destroy: () => view.destroy(), view };
}

// ---- anywidget ----

/** The traits Python defines (pregel_viz/side_by_side.py, CompareDebugger). */
export interface CompareTraits {
  _payload_a: DataView | ArrayBuffer | string;
  _payload_b: DataView | ArrayBuffer | string;
  _comparison: DataView | ArrayBuffer | string;
  row: number;
}

/** What renderCompare uses of anywidget's model. */
export interface CompareModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: () => void): void;
  off(event?: string | null, cb?: (() => void) | null): void;
}

const DOC_TRAITS = ["_payload_a", "_payload_b", "_comparison"];

export function renderCompare({ model, el }: { model: CompareModel; el: HTMLElement }): () => void {
  let view: SideBySide | null = null;
  let removeError: (() => void) | null = null;
  let echo = false;
  const num = (v: unknown): number | undefined => (typeof v === "number" && isFinite(v) ? v : undefined);

  // browser → Python, at most every THROTTLE_MS (leading and trailing edge)
  const flush = (): void => {
    if (!view) return;
    echo = true;
    try {
      if (model.get("row") !== view.row) {
        model.set("row", view.row);
        model.save_changes();
      }
    } finally {
      echo = false;
    }
  };
  const sync = throttled(flush);
  const push = (): void => sync.push();

  const build = (): void => {
    view?.destroy();
    view = null;
    removeError?.();
    removeError = null;
    try {
      view = open(
        el,
        {
          a: parsePayload(model.get("_payload_a")),
          b: parsePayload(model.get("_payload_b")),
          comparison: parseComparison(model.get("_comparison")),
        },
        { row: num(model.get("row")), onChange: push },
      );
    } catch (e) {
      removeError = showCompareError(el, e);
      return;
    }
    // the row asked for may not exist (clamped): tell Python what is shown
    if (view.row !== num(model.get("row")) && view.row >= 0) push();
  };

  // Python → browser
  const onRow = (): void => {
    if (echo || !view) return;
    const asked = num(model.get("row"));
    if (asked === undefined) return;
    if (view.setRow(asked) !== asked) push();
  };
  model.on("change:row", onRow);
  for (const t of DOC_TRAITS) model.on(`change:${t}`, build);
  build();

  return () => {
    model.off("change:row", onRow);
    for (const t of DOC_TRAITS) model.off(`change:${t}`, build);
    sync.cancel();
    view?.destroy();
    view = null;
    removeError?.();
  };
}
