// Stand-ins shared by the JupyterLab output renderer tests (lab-output, lab-compare): an output
// model and the notebook's widget renderer and registry. (Importers polyfill DragEvent first.)

import type { IRenderMimeRegistry } from "@jupyterlab/rendermime";
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Panel, Widget } from "@lumino/widgets";

export const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";

export function model(data: Record<string, unknown>, trusted = true, metadata: Record<string, unknown> = {}): IRenderMime.IMimeModel {
  return { data, trusted, metadata, setData: () => undefined } as unknown as IRenderMime.IMimeModel;
}

/** A widget renderer like @jupyter-widgets': text while loading, an element child once shown. */
export class FakeWidgetRenderer extends Panel implements IRenderMime.IRenderer {
  constructor(private readonly behaviour: "live" | "missing" | "late") {
    super();
  }
  async renderModel(): Promise<void> {
    this.node.textContent = "Loading widget...";
    if (this.behaviour === "live") this.show_();
  }
  show_(): void {
    this.node.textContent = "";
    const view = new Widget();
    view.addClass("live-view");
    this.addWidget(view);
  }
}

export function registry(renderer: FakeWidgetRenderer | null): IRenderMimeRegistry {
  return {
    getFactory: (mime: string) => (mime === WIDGET_VIEW && renderer ? {} : undefined),
    createRenderer: () => renderer,
  } as unknown as IRenderMimeRegistry;
}
