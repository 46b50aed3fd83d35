// The bundle's entry (esbuild → pregel_viz/static/viewer.js, one ESM file, WASM inlined), the
// same file for every host:
// - default export: the anywidget module, `render({ model, el })` (anywidget.ts, and
//   anywidget_compare.ts for a widget whose `_view` is "compare");
// - `mount(el, payload, options)`, `mountPage` and `mountCompare(el, doc, options)` (standalone.ts): the
//   same viewers for hosts without a widget model: the standalone HTML page (through `openPage`,
//   which unpacks its document first), and the JupyterLab extension in src/lab/, which loads
//   this very bundle (copied to lib/pregel-viewer.js) for `.pregel` documents and saved outputs.

import { render } from "./anywidget";

export type { Traits } from "./anywidget";
export { graphvizLayout } from "../layout";
export { mount, mountCompare, mountPage, openPage } from "./standalone";
export type { CompareHandle, CompareMountOptions, MountHandle, MountOptions, PageOptions } from "./standalone";
export type { Payload, Position } from "../viewer/types";

export default { render };
