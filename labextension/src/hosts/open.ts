// What every host opens: the viewer core (one run, or two side by side) with the bundle's layout
// engine (WASM Graphviz) and its CSS put in the document.

import { showError } from "../failure";
import { graphvizLayout } from "../layout";
import { injectCompareStyle, injectStyle } from "../style";
import type { Payload } from "../viewer/types";
import { createViewer, type Viewer, type ViewerOptions } from "../viewer/viewer";
import { createCompare, type CompareView, type CompareDoc, type CompareOptions } from "../viewer/compare";

/** A viewer of `payload` in `el`. */
export function openViewer(el: HTMLElement, payload: Payload, options: Omit<ViewerOptions, "layout">): Viewer {
  const viewer = createViewer(el, payload, { layout: graphvizLayout, ...options });
  injectStyle(viewer.root);
  return viewer;
}

/** The compare view of `doc` in `el`. */
export function openCompare(el: HTMLElement, doc: CompareDoc, options: Omit<CompareOptions, "layout" | keyof CompareDoc>): CompareView {
  const view = createCompare(el, { ...doc, layout: graphvizLayout, ...options });
  injectStyle(view.viewers[0].root);
  injectCompareStyle(view.root);
  return view;
}

/** Why two runs could not be compared, where the view would be; returns its remover. */
export const showCompareError = (el: HTMLElement, e: unknown): (() => void) => showError(el, e, "pv-compare", "compare these runs");
