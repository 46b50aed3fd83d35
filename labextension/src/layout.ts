// The real layout engine: WASM Graphviz (@hpcc-js/wasm-graphviz, WASM inlined in the bundle,
// no network). Loaded once per page, on first use, and shared by every viewer on the page.

import { Graphviz } from "@hpcc-js/wasm-graphviz";

let engine: Promise<Graphviz> | null = null;

/** DOT text → SVG text. */
export function graphvizLayout(dot: string): Promise<string> {
  if (!engine) {
    engine = Graphviz.load();
    engine.catch(() => {
      engine = null; // let a later viewer try again
    });
  }
  return engine.then((gv) => gv.dot(dot, "svg"));
}
