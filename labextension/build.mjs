// npm run build:viewer (the first half of `npm run build`): one ESM file for every host.
//   src/hosts/bundle.ts → ../pregel_viz/static/viewer.js  (minified, es2020, WASM Graphviz inlined)
//   src/viewer/style.css + calls.css + conversation.css + compare.css → ../pregel_viz/static/viewer.css
//   (also inlined in viewer.js)
//   the same viewer.js → lib/pregel-viewer.js, which the JupyterLab extension (src/lab/, built by
//   `npm run build:lab`) loads as a lazy chunk: one build of the viewer core for all hosts.
// The output must load from a blob: URL: no import.meta, no dynamic chunks (checked below).

import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, "../pregel_viz/static");
mkdirSync(out, { recursive: true });

const started = Date.now();
await build({
  entryPoints: [resolve(here, "src/hosts/bundle.ts")],
  outfile: resolve(out, "viewer.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  minify: true,
  splitting: false,
  legalComments: "eof",
  loader: { ".css": "text" },
  logLevel: "warning",
});
writeFileSync(
  resolve(out, "viewer.css"),
  ["src/viewer/style.css", "src/viewer/calls.css", "src/viewer/conversation.css", "src/viewer/compare.css"].map((f) => readFileSync(resolve(here, f), "utf8")).join("\n"),
);

const js = readFileSync(resolve(out, "viewer.js"), "utf8");
const problems = [];
if (js.includes("import.meta")) problems.push("import.meta");
if (/\bimport\s*\(/.test(js)) problems.push("dynamic import()");
if (/https?:\/\/(?!www\.w3\.org|github\.com|graphviz\.org)[a-z0-9.-]+\/[^"'\s]*\.(?:js|wasm)/i.test(js)) problems.push("a remote script/wasm URL");
if (problems.length) {
  console.error(`viewer.js must load from a blob: URL, but contains: ${problems.join(", ")}`);
  process.exit(1);
}
// the JupyterLab extension's copy (tsc resolves its types through src/pregel-viewer.d.ts)
const lib = resolve(here, "lib");
mkdirSync(lib, { recursive: true });
copyFileSync(resolve(out, "viewer.js"), resolve(lib, "pregel-viewer.js"));

const kb = (f) => `${(statSync(resolve(out, f)).size / 1024).toFixed(0)} KB`;
console.log(`viewer.js ${kb("viewer.js")}, viewer.css ${kb("viewer.css")} → ${out} (${Date.now() - started} ms)`);
