// Types of lib/pregel-viewer.js: the esbuild bundle of src/hosts/bundle.ts (the same file as
// pregel_viz/static/viewer.js, copied by build.mjs). The JupyterLab extension loads it lazily
// (a separate chunk), so that the viewer core and its WASM Graphviz stay one build.
export * from "./hosts/bundle";
export { default } from "./hosts/bundle";
