// The renderer of pregel-viz outputs, one class for two types; the data is all the static viewer
// needs, so a saved notebook shows it with no kernel:
//
// - `application/vnd.pregel-viz+json`: the viewer's payload (pregel_viz/views/payload.py), from
//   pregel_viz.Debugger and the rich display of a Run; metadata {step, thread, ns}; `mount()`;
// - `application/vnd.pregel-viz-compare+json`: the compare document (pregel_viz/views/compare_view.py),
//   from pregel_viz.CompareDebugger (compare_view, fork_view); metadata {row}; `mountCompare()`.
//
// Each display puts its type and the widget view (`application/vnd.jupyter.widget-view+json`,
// ranked -10 by @jupyter-widgets/jupyterlab-manager) in one output. JupyterLab renders one type
// per output, chosen by rank; a saved notebook has the widget view but not the widget (no
// kernel, or a new kernel without it), where the widget renderer only says "model not found".
// So this renderer ranks first and decides:
//
// - output not trusted, or no widget view in it, or no widget manager here: the static viewer;
// - otherwise it hands the output to the notebook's own widget renderer and shows the live
//   widget when one appears; while there is none (after a grace period, or once the widget
//   renderer gave up) it shows the static viewer instead, and swaps to the widget if it comes.
//
// Either way exactly one viewer is on screen. A live session's widget announces each new
// document (DOCUMENT_EVENT, src/events.ts); this renderer writes it into the output's data (at
// most every SAVE_MS), so a notebook saved mid-session keeps the run so far, and rendering that
// changed output again keeps the live view as it is.
//
// A large document is saved packed (gzip in base64, src/packed.ts): the static viewer unpacks
// it first, and takes the document itself as well (outputs saved by earlier releases, small
// documents). A live document written into the output is packed the same way.

import type { IRenderMimeRegistry } from "@jupyterlab/rendermime";
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import type { ReadonlyPartialJSONObject } from "@lumino/coreutils";
import { Panel, Widget } from "@lumino/widgets";
import { DOCUMENT_EVENT, type DocumentEventDetail } from "../events";
import { PACK_ABOVE, packText, unpackDocument } from "../packed";
import { errorTitle, messageBox } from "./message";
import { loadViewer, type CompareMountOptions, type MountOptions, type Payload, type ViewerModule } from "./viewer";

export const MIME = "application/vnd.pregel-viz+json";
export const COMPARE_MIME = "application/vnd.pregel-viz-compare+json";
export const WIDGET_MIME = "application/vnd.jupyter.widget-view+json";
/** Ahead of the widget view renderer (-10). */
export const RANK = -20;
/** How long the live widget may take to appear before the static viewer is shown. */
export const GRACE_MS = 1500;
/** At most this often, a live widget's new document is written into its output. */
export const SAVE_MS = 1000;

/** Finds the rendermime registry (with its widget manager) of the notebook holding a widget. */
export type RegistryFinder = (widget: Widget) => IRenderMimeRegistry | null;

/** One output type: its MIME type and how the static viewer shows its data. */
export interface OutputKind {
  readonly mime: string;
  /** a class added to the output's node, besides jp-PregelViz-output */
  readonly className?: string;
  /** Mount the static viewer of `data` into `el`; `metadata` is the output's, under `mime`. */
  mount(viewer: ViewerModule, el: HTMLElement, data: unknown, metadata: Record<string, unknown>): { destroy(): void };
}

function outputMetadata(model: IRenderMime.IMimeModel, mime: string): Record<string, unknown> {
  const meta = model.metadata?.[mime];
  return meta && typeof meta === "object" && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {};
}

function viewHints(m: Record<string, unknown>): MountOptions {
  const out: MountOptions = {};
  if (typeof m.step === "number") out.step = m.step;
  if (typeof m.thread === "string") out.thread = m.thread;
  if (typeof m.ns === "string") out.ns = m.ns;
  return out;
}

function compareHints(m: Record<string, unknown>): CompareMountOptions {
  return typeof m.row === "number" ? { row: m.row } : {};
}

/** One run (pregel_viz.Debugger, a Run): the single-run viewer at {step, thread, ns}. */
export const RUN_OUTPUT: OutputKind = {
  mime: MIME,
  mount: (viewer, el, data, meta) => viewer.mount(el, data as Payload, viewHints(meta)),
};

/** Two runs side by side (pregel_viz.CompareDebugger): the compare view at {row}. */
export const COMPARE_OUTPUT: OutputKind = {
  mime: COMPARE_MIME,
  className: "jp-PregelViz-compareOutput",
  mount: (viewer, el, data, meta) =>
    viewer.mountCompare(el, data as Parameters<ViewerModule["mountCompare"]>[1], compareHints(meta)),
};

export class PregelOutput extends Panel implements IRenderMime.IRenderer {
  private readonly _find: RegistryFinder | null;
  private readonly _kind: OutputKind;
  private _static: Widget | null = null;
  private _handle: { destroy(): void } | null = null;
  private _inner: (Widget & IRenderMime.IRenderer) | null = null;
  private _observer: MutationObserver | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _attached: Promise<void>;
  private _resolveAttached!: () => void;
  private _generation = 0;
  /** the output shown, and the widget model id of its live view (null: none) */
  private _model: IRenderMime.IMimeModel | null = null;
  private _liveId: string | null = null;
  private _saveTimer: ReturnType<typeof setTimeout> | null = null;
  private _pending: DocumentEventDetail | null = null;
  /** counts the packings of live documents: only the newest is written */
  private _keeping = 0;

  constructor(find: RegistryFinder | null, kind: OutputKind = RUN_OUTPUT) {
    super();
    this._find = find;
    this._kind = kind;
    this.addClass("jp-PregelViz-output");
    if (kind.className) this.addClass(kind.className);
    this._attached = new Promise((resolve) => (this._resolveAttached = resolve));
    // a live widget's document changed: keep the notebook's copy of this output up to date,
    // so that a notebook saved mid-session shows the run as it was (at most every SAVE_MS)
    this.node.addEventListener(DOCUMENT_EVENT, (ev) => {
      if (this._kind.mime !== MIME || this._liveId === null) return;
      this._pending = (ev as CustomEvent<DocumentEventDetail>).detail;
      if (this._saveTimer === null) this._saveTimer = setTimeout(() => this._keep(), SAVE_MS);
    });
  }

  private _keep(): void {
    this._saveTimer = null;
    const model = this._model;
    const doc = this._pending;
    this._pending = null;
    if (!model || !doc || this.isDisposed) return;
    const write = (saved: unknown): void => {
      if (this.isDisposed) return;
      model.setData({
        data: { ...model.data, [MIME]: saved as ReadonlyPartialJSONObject },
        metadata: { ...model.metadata, [MIME]: { ...doc.position } },
      });
    };
    const text = JSON.stringify(doc.payload);
    if (text.length <= PACK_ABOVE) return write(doc.payload); // small: as it is, at once
    const keeping = ++this._keeping;
    void packText(text, doc.payload).then(
      (packed) => keeping === this._keeping && write(packed),
      () => keeping === this._keeping && write(doc.payload),
    );
  }

  protected override onAfterAttach(): void {
    this._resolveAttached();
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const view0 = model.data[WIDGET_MIME] as { model_id?: unknown } | undefined;
    if (this._liveId !== null && view0?.model_id === this._liveId && this.node.getAttribute("data-pregel-viz") === "widget") {
      // the same live widget, its output's data brought up to date (by us, or by Python's
      // update_display): keep the view as it is
      this._model = model;
      return;
    }
    const generation = ++this._generation;
    this._reset();
    this._model = model;
    const data: unknown = model.data[this._kind.mime];
    const hints = outputMetadata(model, this._kind.mime);
    const view = model.data[WIDGET_MIME] as { model_id?: unknown } | undefined;
    if (this._find && model.trusted && view && typeof view.model_id === "string" && view.model_id) {
      await this._attached; // the notebook is found from where the output sits
      if (generation !== this._generation) return;
      const registry = this._find(this);
      if (registry?.getFactory(WIDGET_MIME)) {
        return this._renderLive(registry, model, data, hints, generation);
      }
    }
    this.node.setAttribute("data-pregel-viz", "static");
    await this._showStatic(data, hints, generation);
  }

  private async _renderLive(registry: IRenderMimeRegistry, model: IRenderMime.IMimeModel, data: unknown, hints: Record<string, unknown>, generation: number): Promise<void> {
    this._liveId = String((model.data[WIDGET_MIME] as { model_id: string }).model_id);
    const inner = registry.createRenderer(WIDGET_MIME) as Widget & IRenderMime.IRenderer;
    this._inner = inner;
    this.addWidget(inner);
    // a widget view is an element child; "Loading widget..." and the errors are text
    const live = (): boolean => inner.node.firstElementChild !== null;
    const update = (): void => {
      if (generation !== this._generation) return;
      if (!live()) return;
      this._hideStatic();
      inner.show();
      this.node.setAttribute("data-pregel-viz", "widget");
    };
    this._observer = new MutationObserver(update);
    this._observer.observe(inner.node, { childList: true, characterData: true, subtree: false });
    this._timer = setTimeout(() => {
      this._timer = null;
      if (!live()) void this._showStatic(data, hints, generation);
    }, GRACE_MS);
    try {
      await inner.renderModel(model);
    } catch {
      /* the widget renderer failed: the static viewer below */
    }
    if (generation !== this._generation) return;
    if (live()) update();
    else await this._showStatic(data, hints, generation);
  }

  private async _showStatic(data: unknown, hints: Record<string, unknown>, generation: number): Promise<void> {
    if (this._static) return;
    if (this._inner) this._inner.hide();
    const host = new Widget();
    host.addClass("jp-PregelViz-static");
    this._static = host;
    this.addWidget(host);
    if (this.node.getAttribute("data-pregel-viz") !== "static") this.node.setAttribute("data-pregel-viz", "fallback");
    try {
      const [viewer, doc] = await Promise.all([loadViewer(), unpackDocument(data)]);
      if (generation !== this._generation || this._static !== host) return;
      this._handle = this._kind.mount(viewer, host.node, doc, hints);
    } catch (e) {
      if (generation !== this._generation || this._static !== host) return;
      host.node.replaceChildren(messageBox(document, "error", errorTitle("ViewerError"), [e instanceof Error ? e.message : String(e)], "ViewerError"));
    }
  }

  private _hideStatic(): void {
    this._handle?.destroy();
    this._handle = null;
    this._static?.dispose();
    this._static = null;
  }

  private _reset(): void {
    this._keeping++; // a live document being packed is not written after this
    if (this._saveTimer !== null) clearTimeout(this._saveTimer);
    this._saveTimer = null;
    this._pending = null;
    this._liveId = null;
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
    this._observer?.disconnect();
    this._observer = null;
    this._hideStatic();
    this._inner?.dispose();
    this._inner = null;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this._generation++;
    this._reset();
    super.dispose();
  }
}

/** The renderer factory of one output type (default: the single-run payload). */
export function outputRendererFactory(find: RegistryFinder | null, kind: OutputKind = RUN_OUTPUT): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [kind.mime],
    defaultRank: RANK,
    createRenderer: () => new PregelOutput(find, kind),
  };
}
