// The viewer core, loaded on first use: the ~800 KB bundle (WASM Graphviz inlined) is its own
// chunk, so JupyterLab starts without it.

export type { CompareHandle, CompareMountOptions, MountHandle, MountOptions, Payload } from "../pregel-viewer.js";

/** The bundle: `mount()` (one run) and `mountCompare()` (two runs side by side). */
export type ViewerModule = typeof import("../pregel-viewer.js");

let loading: Promise<ViewerModule> | null = null;

export function loadViewer(): Promise<ViewerModule> {
  if (!loading) {
    loading = import("../pregel-viewer.js");
    loading.catch(() => {
      loading = null; // let a later document try again
    });
  }
  return loading;
}
