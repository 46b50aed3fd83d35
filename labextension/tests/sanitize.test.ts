// The graph's markup comes from the payload's DOT text, so it is hostile: links in every spelling
// of javascript: (tests/fixtures/hostile_links.json, shared with the browser tests), injected
// elements, attributes that load or run. None of it may survive into the page.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { graphvizLayout } from "../src/layout";
import { sanitizeSvg, stripDotLinks } from "../src/viewer/sanitize";
import type { Payload } from "../src/viewer/types";
import { createViewer, type Viewer } from "../src/viewer/viewer";
import { loadSample } from "./fixture";

interface HostileSpec {
  encodings: Record<string, string>;
  kinds: Record<string, string>;
  graph: string;
  real_node: { id: string; attrs: string };
}

const SPEC = JSON.parse(
  readFileSync(resolve(__dirname, "../../tests/fixtures/hostile_links.json"), "utf8"),
) as HostileSpec;
const ENCODINGS = Object.keys(SPEC.encodings);
const link = (enc: string, c: string): string => SPEC.encodings[enc].replace("{case}", c);
const fill = (template: string, v: Record<string, string>): string =>
  template.replace(/\{(\w+)\}/g, (_, k: string) => v[k]);

/** The sample's root DOT with every hostile case added (as tests/hostile_links.py does). */
function hostileDot(dot: string): { dot: string; cases: string[] } {
  const cases: string[] = [];
  const lines = [SPEC.graph];
  let i = 0;
  for (const [kind, template] of Object.entries(SPEC.kinds))
    for (const enc of ENCODINGS) {
      const c = `${kind}/${enc}`;
      cases.push(c);
      lines.push(fill(template, { id: `x${i++}`, case: c, link: link(enc, c) }));
    }
  const head = `\t${SPEC.real_node.id} [`;
  const withReal = dot.replace(head, `${head}${SPEC.real_node.attrs} `);
  return { dot: `${withReal.trimEnd().slice(0, -1)}${lines.map((l) => `\t${l}\n`).join("")}}\n`, cases };
}

/** Every element and attribute of `root` that links, loads or runs, as "tag attr=value". */
function leftovers(root: Element): string[] {
  const out: string[] = [];
  for (const el of [root, ...Array.from(root.querySelectorAll("*"))]) {
    const tag = el.localName;
    if (!["svg", "g", "title", "polygon", "ellipse", "path", "polyline", "text", "tspan", "rect", "circle", "line", "defs", "linearGradient", "radialGradient", "stop"].includes(tag))
      out.push(`<${tag}>`);
    for (const a of Array.from(el.attributes)) {
      const n = a.localName.toLowerCase();
      if (/^on/.test(n) || ["href", "src", "url", "target", "action", "formaction", "attributename", "values", "to", "from", "begin"].includes(n) || /url\s*\((?!#)/i.test(a.value) || /javascript|script:/i.test(a.value))
        out.push(`${tag} ${a.name}=${a.value}`);
    }
  }
  return out;
}

const SVG_HEAD = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt" height="10pt" viewBox="0 0 10 10">`;

/** One Graphviz-like node whose label sits in `inner`. */
const nodeSvg = (inner: string): string =>
  `${SVG_HEAD}<g id="graph0" class="graph"><g id="n0" class="node pv-node"><title>n0</title>${inner}</g></g></svg>`;

function sanitized(svgText: string): SVGSVGElement {
  const svg = sanitizeSvg(svgText);
  document.body.appendChild(svg);
  return svg;
}

afterEach(() => document.body.replaceChildren());

describe("sanitizeSvg keeps no link, whatever its spelling", () => {
  for (const enc of ENCODINGS) {
    for (const attr of ["xlink:href", "href"]) {
      it(`unwraps <a ${attr}="${link(enc, "x")}">`, () => {
        const svg = sanitized(
          nodeSvg(`<g id="a_n0"><a ${attr}="${link(enc, "x")}" xlink:title="tip" target="_top"><ellipse cx="5" cy="5" rx="4" ry="4"/><text x="5" y="5">label</text></a></g>`),
        );
        expect(leftovers(svg)).toEqual([]);
        expect(svg.querySelectorAll("a").length).toBe(0);
        // the link's children stay, in place
        const g = svg.querySelector("#n0")!;
        expect(g.querySelector("ellipse")).not.toBeNull();
        expect(g.querySelector("text")!.textContent).toBe("label");
        expect(g.getAttribute("class")).toBe("node pv-node");
      });
    }
  }

  it("unwraps nested links and links around the whole graph", () => {
    const svg = sanitized(
      `${SVG_HEAD}<g id="graph0"><g id="a_graph0"><a xlink:href="java&#9;script:alert(1)"><polygon points="0,0 1,1"/></a></g>` +
        `<g id="n0"><a xlink:href="javascript:alert(2)"><a href="java&#10;script:alert(3)"><text>t</text></a></a></g></g></svg>`,
    );
    expect(leftovers(svg)).toEqual([]);
    expect(svg.querySelector("polygon")).not.toBeNull();
    expect(svg.querySelector("#n0 text")!.textContent).toBe("t");
  });

  it("drops what runs or loads: script, foreignObject, set/animate on href, use, image, style", () => {
    const svg = sanitized(
      `${SVG_HEAD}<script>alert(1)</script><script xlink:href="data:text/javascript,alert(1)"/>` +
        `<style>@import url(http://x/)</style>` +
        `<g id="n0" onclick="alert(2)" onmouseover="alert(3)" class="node">` +
        `<a xlink:href="#"><set attributeName="href" to="java&#9;script:alert(4)"/><set attributeName="xlink:href" to="javascript:alert(5)" begin="0s"/>` +
        `<animate attributeName="href" values="javascript:alert(6)"/><animateTransform attributeName="transform" type="scale" from="1" to="2"/><text>t</text></a>` +
        `<foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(7)"/><a href="javascript:alert(8)">x</a></div></foreignObject>` +
        `<use href="data:image/svg+xml,&lt;svg onload='alert(9)'/&gt;#x"/><use xlink:href="#n0"/><image xlink:href="x.png" href="x.png"/>` +
        `<iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:alert(10)"/><handler>alert(11)</handler>` +
        `<polygon points="0,0 1,1" style="fill:url(http://x/)" fill="url(javascript:alert(12))" stroke="url(http://x/#a)"/>` +
        `<path d="M0,0" style="behavior: url(x.htc); stroke: red" filter="url(#f)" mask="url(#m)" clip-path="url(#c)"/>` +
        `<text xml:space="preserve" formaction="javascript:alert(13)" action="x" src="y">u</text>` +
        `</g></svg>`,
    );
    expect(leftovers(svg)).toEqual([]);
    for (const tag of ["script", "style", "set", "animate", "animateTransform", "foreignObject", "use", "image", "iframe", "handler", "img", "div"])
      expect(svg.getElementsByTagName(tag).length, tag).toBe(0);
    const texts = Array.from(svg.querySelectorAll("text")).map((t) => t.textContent);
    expect(texts).toEqual(["t", "u"]);
    expect(svg.querySelector("text")!.parentElement!.id).toBe("n0"); // the <a> was unwrapped
    expect(svg.querySelector("path")!.getAttribute("style")).toBe("stroke: red");
    expect(svg.querySelector("path")!.hasAttribute("filter")).toBe(false);
  });

  it("drops elements of other namespaces, comments, processing instructions, and odd ids", () => {
    const svg = sanitized(
      `<?xml-stylesheet href="javascript:alert(1)"?>${SVG_HEAD}<?xml-stylesheet href="x.css"?><!-- n0 -->` +
        `<g id="pregelViz" class="graph"><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(2)</x:script>` +
        `<g id="n0" class="node"><title>&lt;img src=x onerror=alert(3)&gt;</title><text><![CDATA[<b>cdata</b>]]></text></g></g></svg>`,
    );
    expect(leftovers(svg)).toEqual([]);
    const host = document.createElement("div");
    host.appendChild(svg);
    expect(host.innerHTML).not.toMatch(/<!--|<\?|script|CDATA/);
    expect(svg.querySelector("g")!.hasAttribute("id")).toBe(false); // could clobber window.pregelViz
    expect(svg.querySelector("#n0 title")!.textContent).toBe("<img src=x onerror=alert(3)>");
    expect(svg.querySelector("#n0 text")!.textContent).toBe("<b>cdata</b>");
  });

  it("keeps what Graphviz draws: ids, classes, geometry, gradients, text attributes", () => {
    const svg = sanitized(
      `${SVG_HEAD}<g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(4 40)">` +
        `<g id="n0" class="node pv-node"><title>n0</title><defs><linearGradient id="n0_l_0" gradientUnits="userSpaceOnUse" x1="0" y1="0" x2="1" y2="1">` +
        `<stop offset="0" style="stop-color:red;stop-opacity:1.;"/></linearGradient></defs>` +
        `<polygon fill="url(#n0_l_0)" stroke="black" stroke-width="2" stroke-dasharray="5,2" points="0,0 1,1"/>` +
        `<text xml:space="preserve" text-anchor="middle" x="1" y="2" font-family="Helvetica,sans-Serif" font-size="12.00" font-weight="bold" font-style="italic" text-decoration="underline" fill="#333333">plan</text></g>` +
        `<g id="e0" class="edge pv-edge pv-static"><title>n0&#45;&gt;n1</title><path fill="none" stroke="black" d="M1,2C3,4 5,6 7,8"/></g></g></svg>`,
    );
    expect(leftovers(svg)).toEqual([]);
    expect(svg.getAttribute("viewBox")).toBe("0 0 10 10");
    expect(svg.querySelector("#graph0")!.getAttribute("transform")).toBe("scale(1 1) rotate(0) translate(4 40)");
    expect(svg.querySelector("#n0 polygon")!.getAttribute("fill")).toBe("url(#n0_l_0)");
    expect(svg.querySelector("#n0 polygon")!.getAttribute("stroke-dasharray")).toBe("5,2");
    expect(svg.querySelector("stop")!.getAttribute("style")).toBe("stop-color: red; stop-opacity: 1.");
    const text = svg.querySelector("#n0 text")!;
    for (const a of ["text-anchor", "x", "y", "font-family", "font-size", "font-weight", "font-style", "text-decoration", "fill"])
      expect(text.hasAttribute(a), a).toBe(true);
    expect(text.getAttributeNS("http://www.w3.org/XML/1998/namespace", "space")).toBe("preserve");
    expect(svg.querySelector("#e0")!.getAttribute("class")).toBe("edge pv-edge pv-static");
    expect(svg.querySelector("#e0 title")!.textContent).toBe("n0->n1");
  });
});

describe("hostile DOT laid out by the real WASM Graphviz", () => {
  it("the sanitizer alone leaves no link in Graphviz's SVG of every case", async () => {
    const p = loadSample();
    const { dot, cases } = hostileDot(p.graphs[""].dot);
    const raw = await graphvizLayout(dot);
    expect(raw).toContain("<a xlink:href"); // the DOT did make links
    const svg = sanitized(raw);
    expect(leftovers(svg)).toEqual([]);
    const texts = Array.from(svg.querySelectorAll("text")).map((t) => t.textContent);
    for (const c of cases) expect(texts, c).toContain(c);
    for (const n of p.graphs[""].nodes) expect(svg.querySelector(`g[id="${n.id}"]`), n.id).not.toBeNull();
    for (const e of p.graphs[""].edges) expect(svg.querySelector(`g[id="${e.id}"]`), e.id).not.toBeNull();
  });

  it("with the link attributes taken out of the DOT first, Graphviz writes no link at all", async () => {
    const p = loadSample();
    const { dot, cases } = hostileDot(p.graphs[""].dot);
    const raw = await graphvizLayout(stripDotLinks(dot));
    expect(raw).not.toMatch(/<a\b|href=|<image\b/);
    const texts = Array.from(sanitized(raw).querySelectorAll("text")).map((t) => t.textContent ?? "");
    for (const c of cases) expect(texts.some((t) => t.includes(c)), c).toBe(true);
  });

  it("a viewer of a hostile payload has no link, and its nodes still work", async () => {
    const p = loadSample();
    const hostile: Payload = { ...p, graphs: { ...p.graphs, "": { ...p.graphs[""], dot: hostileDot(p.graphs[""].dot).dot } } };
    const host = document.createElement("div");
    document.body.appendChild(host);
    const v: Viewer = createViewer(host, hostile, { layout: graphvizLayout, thread: "happy", step: 2 });
    try {
      await v.whenReady();
      const svg = v.root.querySelector("svg.pv-svg")!;
      expect(leftovers(svg)).toEqual([]);
      const plan = svg.querySelector('g[data-name="plan"]')!;
      expect(plan.id).toBe("n1");
      expect(plan.querySelector("title")!.textContent).toBe("plan");
      expect(plan.classList.contains("pv-node")).toBe(true);
      expect(svg.querySelector('g[data-name="worker"]')!.classList.contains("pv-active")).toBe(true);
    } finally {
      v.destroy();
    }
  });
});

describe("stripDotLinks", () => {
  it("leaves our own DOT as it is", () => {
    const dot = loadSample().graphs[""].dot;
    expect(stripDotLinks(dot)).toBe(dot);
  });

  it("renames link attributes however they are written, and nothing inside strings", () => {
    const out = stripDotLinks(
      `digraph { URL="javascript:1"; a [label="URL=x" "URL"="javascript:2" "UR" + "L"="javascript:3" href = "javascript:4", ` +
        `/* URL= */ labelURL=<javascript:5>; edgetarget=_top image="x.png" tooltip="t"] // URL="x"\n` +
        `# URL="y"\n a -> b [headURL="javascript:6" <URL>="javascript:7" <href>=<javascript:8>] }`,
    );
    for (const gone of [`URL="javascript:1"`, `"URL"=`, `"UR" + "L"=`, `href =`, `labelURL=`, `edgetarget=`, `image=`, `tooltip=`, `headURL=`, `<URL>`, `"URL"`, `<href>`])
      expect(out, gone).not.toContain(gone);
    // the same words in a string, a comment or a preprocessor line stay as they are
    for (const kept of [`label="URL=x"`, `/* URL= */`, `// URL="x"`, `# URL="y"`]) expect(out, kept).toContain(kept);
    expect(out).not.toContain("<javascript");
  });

  it("turns HTML-like labels into plain text", () => {
    expect(stripDotLinks(`a [label=<<B>x</B> "q" \\ <TD HREF="javascript:1">y</TD>>]`)).toBe(
      `a [label="<B>x</B> \\"q\\" \\\\ <TD HREF=\\"javascript:1\\">y</TD>"]`,
    );
  });
});
