// DOM events between the viewer's hosts (no imports: the JupyterLab extension uses this without
// loading the viewer bundle).

/** What a live widget's root sends (bubbling) when its document changed: its detail is
 *  `{ payload, position }`. The pregel-viz output renderer in JupyterLab keeps the notebook's
 *  saved copy of the output up to date from it. */
export const DOCUMENT_EVENT = "pregel-viz-document";

export interface DocumentEventDetail {
  payload: unknown;
  position: { step: number; thread: string; ns: string };
}
