// The anywidget host of the compare view (pregel_viz.CompareDebugger), in the same
// bundle as the single-run one (anywidget.ts hands the render to renderCompare when the
// widget's `_view` trait is "compare"). Traits: `_payload_a`, `_payload_b`, `_comparison`
// (Bytes: UTF-8 JSON) and `row` (Int, both ways).

import { throttled } from "../throttle";
import { parsePayload } from "../viewer/model";
import { parseComparison, type CompareView } from "../viewer/compare";
import { openCompare, showCompareError } from "./open";

/** The traits Python defines (pregel_viz/views/compare_view.py, CompareDebugger). */
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
  let view: CompareView | null = null;
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
      view = openCompare(
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
