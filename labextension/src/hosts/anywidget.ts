// The anywidget host of the viewer (pregel_viz.Debugger, and a live session's LiveDebugger):
// `render({ model, el })`, traits `_payload` (Bytes: UTF-8 JSON), `step` (Int), `thread`
// (Unicode, "" = last thread), `ns` (Unicode, "" = root), and `live` for a live session. A
// widget whose `_view` trait is "compare" is the compare view (anywidget_compare.ts).

import type { AnyModel } from "@anywidget/types";
import { DOCUMENT_EVENT, type DocumentEventDetail } from "../events";
import { showError } from "../failure";
import { throttled } from "../throttle";
import { LiveControls, parseLiveState, type LiveAction } from "../viewer/live";
import { parsePayload } from "../viewer/model";
import type { Payload, Position } from "../viewer/types";
import type { Viewer } from "../viewer/viewer";
import { renderCompare } from "./anywidget_compare";
import { openViewer } from "./open";
import { mountCompare } from "./standalone";

/** The traits Python defines (pregel_viz/views/widget.py). */
export interface Traits {
  _payload: DataView | ArrayBuffer | string | Payload;
  step: number;
  thread: string;
  ns: string;
}

/** What render() uses of anywidget's model (a stand-in is enough for tests). */
interface WidgetModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: () => void): void;
  off(event?: string | null, cb?: (() => void) | null): void;
  /** a custom message to Python (anywidget's model.send) */
  send?(content: unknown): void;
}

// anywidget's real model fits what render() needs
const _fits: (m: AnyModel<Traits>) => WidgetModel = (m) => m;
void _fits;

export function render({ model, el }: { model: WidgetModel; el: HTMLElement }): () => void {
  if (model.get("_view") === "compare") return renderCompare({ model, el });
  let echo = false;
  let viewer: Viewer | null = null;

  const str = (v: unknown): string => (typeof v === "string" ? v : "");
  const num = (v: unknown): number | undefined => (typeof v === "number" && isFinite(v) ? v : undefined);

  // browser → Python, at most every THROTTLE_MS (leading and trailing edge)
  const flush = (): void => {
    if (!viewer) return;
    const p = viewer.position;
    echo = true;
    try {
      if (model.get("thread") !== p.thread && !(model.get("thread") === "" && p.thread === lastThreadId())) model.set("thread", p.thread);
      if (model.get("ns") !== p.ns) model.set("ns", p.ns);
      if (model.get("step") !== p.step) model.set("step", p.step);
      model.save_changes();
    } finally {
      echo = false;
    }
  };
  const sync = throttled(flush);
  const push = (): void => sync.push();

  let payloadDoc: Payload;
  const lastThreadId = (): string => payloadDoc?.threads?.[payloadDoc.threads.length - 1]?.id ?? "";

  try {
    payloadDoc = parsePayload(model.get("_payload"));
  } catch (e) {
    return showError(el, e);
  }
  // the position asked for may not exist (a step clamped, a namespace the thread lacks):
  // tell Python what is shown
  const syncIfDiffers = (shown: Position): void => {
    const thread = str(model.get("thread"));
    const asked = num(model.get("step"));
    if (
      (thread !== shown.thread && !(thread === "" && shown.thread === lastThreadId())) ||
      str(model.get("ns")) !== shown.ns ||
      (asked !== undefined && shown.step !== asked)
    ) {
      push();
    }
  };

  let live: LiveControls | null = null;
  viewer = openViewer(el, payloadDoc, {
    step: num(model.get("step")),
    thread: str(model.get("thread")),
    ns: str(model.get("ns")),
    onChange: (p) => {
      push();
      live?.refresh();
    },
    onNodeClick: (name, ev) => live?.nodeClicked(name, ev),
  });
  syncIfDiffers(viewer.position);

  // a live session (pregel_viz.debug): controls, and actions sent to Python as messages
  const liveState = parseLiveState(model.get("live"));
  if (liveState) {
    live = new LiveControls(viewer, {
      send: (a: LiveAction) => model.send?.(a),
      mountCompare: (host, doc) => mountCompare(host, doc as Parameters<typeof mountCompare>[1]),
    });
    live.update(liveState);
  }
  // Python's answers that are not state: the compare document of a fork, and the supersteps
  // that landed (an append to the document, applied by the live controls)
  const onCustom = (msg: unknown): void => {
    if (msg && typeof msg === "object" && "compare" in msg) live?.showCompare((msg as { compare: unknown }).compare);
    if (msg && typeof msg === "object" && "append" in msg && live && viewer) {
      const next = live.applyMessage(payloadDoc, (msg as { append: unknown }).append);
      if (!next) return;
      payloadDoc = next;
      viewer.setPayload(payloadDoc, { follow: live.takeFollow() ? "always" : true });
      live.refresh();
      announce();
    }
  };
  const onLive = (): void => {
    const state = parseLiveState(model.get("live"));
    if (state && live) live.update(state);
  };

  // Python → browser
  const onModel = (): void => {
    if (echo || !viewer) return;
    syncIfDiffers(
      viewer.setPosition({
        thread: str(model.get("thread")),
        ns: str(model.get("ns")),
        step: num(model.get("step")),
      }),
    );
  };
  const onPayload = (): void => {
    if (!viewer) return;
    try {
      payloadDoc = parsePayload(model.get("_payload"));
      // a live run grew: follow it when the view was at its end or the user just moved it
      viewer.setPayload(payloadDoc, { follow: live ? (live.takeFollow() ? "always" : true) : false });
      live?.refresh();
      announce();
    } catch {
      /* keep showing the previous document */
    }
  };
  // The document changed under a live session: tell whoever holds this output (the pregel-viz
  // JupyterLab renderer keeps the notebook's saved copy of it up to date).
  const announce = (): void => {
    if (!viewer || !live) return;
    const detail: DocumentEventDetail = { payload: payloadDoc, position: viewer.position };
    viewer.root.dispatchEvent(new CustomEvent(DOCUMENT_EVENT, { bubbles: true, detail }));
  };
  model.on("change:step", onModel);
  model.on("change:thread", onModel);
  model.on("change:ns", onModel);
  model.on("change:_payload", onPayload);
  if (live) model.on("change:live", onLive);
  if (live) model.on("msg:custom", onCustom as () => void);

  return () => {
    if (live) model.off("change:live", onLive);
    if (live) model.off("msg:custom", onCustom as () => void);
    live?.destroy();
    live = null;
    model.off("change:step", onModel);
    model.off("change:thread", onModel);
    model.off("change:ns", onModel);
    model.off("change:_payload", onPayload);
    sync.cancel();
    viewer?.destroy();
    viewer = null;
  };
}
