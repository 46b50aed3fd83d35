// The hosts without a widget model: `mount` (one run) and `mountCompare` (two runs side by
// side) put a viewer on a document given as data. The standalone HTML page
// (pregel_viz/views/html.py) calls `openPage` on its inlined document, packed when it is large
// (packed.ts), which unpacks it and shows it with `mountPage` (a viewer that fills the window
// and takes the keyboard focus) or mountCompare (filling the window and taking the focus too);
// the JupyterLab extension (src/lab/) calls mount on a `.pregel` document's payload (filling
// the tab) and on saved outputs (the notebook's height, resizable); a live widget shows a
// fork's comparison with mountCompare (each viewer at the notebook's height).

import { showError } from "../failure";
import { MAX_UNPACKED_BYTES, unpackDocument } from "../packed";
import { parseJsonDoc, parsePayload } from "../viewer/model";
import { parseComparison, type CompareView } from "../viewer/compare";
import type { Payload, Position } from "../viewer/types";
import type { Viewer } from "../viewer/viewer";
import { openCompare, openViewer, showCompareError } from "./open";

export interface MountOptions {
  step?: number;
  thread?: string;
  ns?: string;
  onChange?: (p: Position) => void;
  /** fill the height of `el` (a page, a document tab) rather than a resizable default height */
  fill?: boolean;
  /** take the keyboard focus once shown (a page or a document of its own; never a notebook
   *  output, which would steal it from the notebook) */
  focus?: boolean;
}

export interface MountHandle {
  setStep(n: number): void;
  setThread(id: string): void;
  setNs(ns: string): void;
  destroy(): void;
  /** the underlying viewer (position, setPayload, whenReady...) */
  viewer: Viewer;
}

/** Render `payload` (object, JSON text or UTF-8 bytes) into `el`. */
export function mount(el: HTMLElement, payload: Payload | string | ArrayBuffer | DataView, options: MountOptions = {}): MountHandle {
  let viewer: Viewer;
  try {
    viewer = openViewer(el, parsePayload(payload), options);
  } catch (e) {
    return failedRun(el, e);
  }
  if (options.focus) viewer.focus();
  return {
    setStep: (n) => viewer.setStep(n),
    setThread: (id) => viewer.setThread(id),
    setNs: (ns) => viewer.setNs(ns),
    destroy: () => viewer.destroy(),
    viewer,
  };
}

/** The standalone page: the viewer fills the window (`el` is the page's root) and has the
 *  keyboard focus, so ←, →, Home and End work with no click. */
export function mountPage(el: HTMLElement, payload: Payload | string | ArrayBuffer | DataView, options: MountOptions = {}): MountHandle {
  el.classList.add("pv-page");
  return mount(el, payload, { fill: true, focus: true, ...options });
}

export interface CompareMountOptions {
  row?: number;
  labels?: [string, string];
  onChange?: (row: number) => void;
  /** fill the height of `el` (a page): the summary on top, the two viewers sharing the rest,
   *  rather than each viewer at the notebook's default height */
  fill?: boolean;
}

export interface CompareHandle {
  setRow(i: number): number;
  destroy(): void;
  /** the compare view (row, viewers, whenReady...); undefined when it failed to open */
  view: CompareView;
}

/** Render a compare document (object, JSON text or UTF-8 bytes) into `el`. */
export function mountCompare(
  el: HTMLElement,
  data: { a: unknown; b: unknown; comparison: unknown } | string | ArrayBuffer | DataView,
  options: CompareMountOptions = {},
): CompareHandle {
  let view: CompareView;
  try {
    const d = parseJsonDoc(data) as { a?: unknown; b?: unknown; comparison?: unknown } | null;
    if (!d || typeof d !== "object") throw new Error("the document is not a JSON object");
    view = openCompare(el, { a: parsePayload(d.a), b: parsePayload(d.b), comparison: parseComparison(d.comparison) }, options);
  } catch (e) {
    return failedCompare(el, e);
  }
  return { setRow: (i) => view.setRow(i), destroy: () => view.destroy(), view };
}

export interface PageOptions {
  /** a side-by-side document (mountCompare) rather than a run's (mountPage) */
  compare?: boolean;
  /** the most the document may unpack to (bytes of JSON text) */
  limit?: number;
}

/** The standalone page: its document as the page carries it, packed (gzip in base64) when it
 *  is large, unpacked here and shown by `mountPage`, or `mountCompare` for a side-by-side one.
 *  A packed document that is damaged or would unpack to more than `limit` bytes is refused, not
 *  unpacked: the failure is shown, as text, where the viewer would be. */
export async function openPage(el: HTMLElement, data: unknown, options: PageOptions = {}): Promise<MountHandle | CompareHandle> {
  let doc: unknown;
  try {
    doc = await unpackDocument(data, options.limit ?? MAX_UNPACKED_BYTES);
  } catch (e) {
    if (options.compare) return failedCompare(el, e);
    el.classList.add("pv-page");
    return failedRun(el, e);
  }
  if (!options.compare) return mountPage(el, doc as Payload);
  // a page of its own: the comparison fills the window, as a run's page does, and takes the
  // keyboard focus, so ←, →, [ and ] work with no click
  el.classList.add("pv-page");
  const handle = mountCompare(el, doc as Parameters<typeof mountCompare>[1], { fill: true });
  handle.view?.root.focus({ preventScroll: true });
  return handle;
}

function failedRun(el: HTMLElement, e: unknown): MountHandle {
  const remove = showError(el, e);
  const noop = (): void => undefined;
  return { setStep: noop, setThread: noop, setNs: noop, destroy: remove, viewer: undefined as unknown as Viewer };
}

function failedCompare(el: HTMLElement, e: unknown): CompareHandle {
  const remove = showCompareError(el, e);
  return { setRow: () => -1, destroy: remove, view: undefined as unknown as CompareView };
}
