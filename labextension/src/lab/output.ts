// The renderer of `application/vnd.pregel-viz+json` outputs: the data IS the viewer's payload
// (pregel_viz/payload.py), so a saved notebook shows the run with no kernel.
//
// pregel_viz.Debugger and the rich display of a Run put both this type and the widget view
// (`application/vnd.jupyter.widget-view+json`, ranked -10 by @jupyter-widgets/jupyterlab-manager)
// in one output. JupyterLab renders one type per output, chosen by rank; a saved notebook has
// the widget view but not the widget (no kernel, or a new kernel without it), where the
// widget renderer only says "model not found". So this renderer ranks first and decides:
//
// - output not trusted, or no widget view in it, or no widget manager here: the static viewer;
// - otherwise it hands the output to the notebook's own widget renderer and shows the live
//   widget when one appears; while there is none (after a grace period, or once the widget
//   renderer gave up) it shows the static viewer instead, and swaps to the widget if it comes.
//
// Either way exactly one viewer is on screen.

import type { IRenderMimeRegistry } from "@jupyterlab/rendermime";
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Panel, Widget } from "@lumino/widgets";
import { errorTitle, messageBox } from "./message";
import { loadViewer, type MountHandle, type MountOptions, type Payload } from "./viewer";

export const MIME = "application/vnd.pregel-viz+json";
export const WIDGET_MIME = "application/vnd.jupyter.widget-view+json";
/** Ahead of the widget view renderer (-10). */
export const RANK = -20;
/** How long the live widget may take to appear before the static viewer is shown. */
export const GRACE_MS = 1500;

/** Finds the rendermime registry (with its widget manager) of the notebook holding a widget. */
export type RegistryFinder = (widget: Widget) => IRenderMimeRegistry | null;

function viewHints(model: IRenderMime.IMimeModel): MountOptions {
  const meta = model.metadata?.[MIME];
  const out: MountOptions = {};
  if (meta && typeof meta === "object" && !Array.isArray(meta)) {
    const m = meta as Record<string, unknown>;
    if (typeof m.step === "number") out.step = m.step;
    if (typeof m.thread === "string") out.thread = m.thread;
    if (typeof m.ns === "string") out.ns = m.ns;
  }
  return out;
}

export class PregelOutput extends Panel implements IRenderMime.IRenderer {
  private readonly _find: RegistryFinder | null;
  private _static: Widget | null = null;
  private _handle: MountHandle | null = null;
  private _inner: (Widget & IRenderMime.IRenderer) | null = null;
  private _observer: MutationObserver | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _attached: Promise<void>;
  private _resolveAttached!: () => void;
  private _generation = 0;

  constructor(find: RegistryFinder | null) {
    super();
    this._find = find;
    this.addClass("jp-PregelViz-output");
    this._attached = new Promise((resolve) => (this._resolveAttached = resolve));
  }

  protected override onAfterAttach(): void {
    this._resolveAttached();
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const generation = ++this._generation;
    this._reset();
    const data = model.data[MIME] as unknown as Payload;
    const hints = viewHints(model);
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

  private async _renderLive(registry: IRenderMimeRegistry, model: IRenderMime.IMimeModel, data: Payload, hints: MountOptions, generation: number): Promise<void> {
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

  private async _showStatic(data: Payload, hints: MountOptions, generation: number): Promise<void> {
    if (this._static) return;
    if (this._inner) this._inner.hide();
    const host = new Widget();
    host.addClass("jp-PregelViz-static");
    this._static = host;
    this.addWidget(host);
    if (this.node.getAttribute("data-pregel-viz") !== "static") this.node.setAttribute("data-pregel-viz", "fallback");
    try {
      const viewer = await loadViewer();
      if (generation !== this._generation || this._static !== host) return;
      this._handle = viewer.mount(host.node, data, hints);
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

export function outputRendererFactory(find: RegistryFinder | null): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [MIME],
    defaultRank: RANK,
    createRenderer: () => new PregelOutput(find),
  };
}
