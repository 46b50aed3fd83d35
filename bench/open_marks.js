// Times (ms since navigation start) at which a JupyterLab `.pregel` document first shows: the
// document, its head ("partial": the first entries, before the whole payload), its first graph
// node, and the whole payload ("ready"). Added as a page init script, read from window.__pvOpen;
// shared by bench/bench_viewer.py and tests/ui/test_lab_extension.py.
(() => {
  const m = (window.__pvOpen = {});
  const DOC = ".jp-PregelViz-document";
  const first = (name, selector) => {
    if (m[name] === undefined && document.querySelector(selector)) m[name] = performance.now();
  };
  const check = () => {
    first("doc", DOC);
    first("partial", `${DOC}[data-state="partial"]`);
    first("node", `${DOC} svg g.pv-node`);
    first("ready", `${DOC}[data-state="ready"]`);
  };
  new MutationObserver(check)
    .observe(document, { subtree: true, childList: true, attributes: true });
})();
