// The graph pane's fold and nodes (graph.ts), laid out by the real WASM Graphviz: a wide
// fan-out drawn as one group node that lights up for its members, focusable nodes named by
// their full names, "open ›" on subgraph nodes. (Zoom, pan and fit are measured in Chromium:
// tests/ui/test_graph_pane.py.)

import { describe, expect, it } from "vitest";
import { graphvizLayout } from "../src/layout";
import { foldedDot, foldGroups, GraphPicture, sanitizeSvg } from "../src/viewer/graph";
import type { GraphView, StepDoc } from "../src/viewer/types";

const WORKERS = Array.from({ length: 10 }, (_, i) => `worker_${String(i).padStart(2, "0")}`);

/** What pregel_viz/views/dot.py writes for plan → 10 workers → merge (a subgraph node). */
function fanView(): GraphView {
  const names = ["plan", ...WORKERS, "merge"];
  const nodes = names.map((name, i) => ({ id: `n${i}`, name, subgraph: name === "merge" ? "merge" : null, is_subgraph: name === "merge" }));
  const id = (name: string) => nodes.find((n) => n.name === name)!.id;
  const edges = [
    ...WORKERS.map((w) => ({ source: "plan", target: w })),
    ...WORKERS.map((w) => ({ source: w, target: "merge" })),
  ].map((e, i) => ({ ...e, id: `e${i}`, kind: "static", label: null }));
  const stmts: Record<string, string> = {};
  for (const n of nodes) stmts[n.id] = `\t${n.id} [label=${n.name} class="pv-node${n.is_subgraph ? " pv-subgraph" : ""}" id=${n.id}${n.is_subgraph ? " peripheries=2" : ""}]\n`;
  for (const e of edges) stmts[e.id] = `\t${id(e.source)} -> ${id(e.target)} [class="pv-edge pv-static" id=${e.id}]\n`;
  const head = "digraph pregel {\n\tnode [shape=box style=\"rounded,filled\" height=0.35 fontsize=12]\n";
  const dot = head + Object.values(stmts).join("") + "}\n";
  const group = {
    id: "g0",
    members: WORKERS,
    label: "worker_00…worker_09 ×10",
    stmts: [
      '\tg0 [label="worker_00…worker_09 ×10" class="pv-node pv-group" id=g0]\n',
      `\t${id("plan")} -> g0 [class="pv-edge pv-static" id=ge0_0]\n`,
      `\tg0 -> ${id("merge")} [class="pv-edge pv-static" id=ge0_1]\n`,
    ],
    edges: [
      { id: "ge0_0", peer: "plan", into: true, label: null },
      { id: "ge0_1", peer: "merge", into: false, label: null },
    ],
  };
  return { dot, nodes, edges, channels: {}, error: null, fold: { head, stmts, groups: [group] } } as GraphView;
}

function step(names: string[]): StepDoc {
  return { step: 2, tasks: names.map((name, i) => ({ id: `t${i}`, name, status: "ok" })), next: {}, edges: names.map((n) => ["plan", n]) } as unknown as StepDoc;
}

async function picture(view: GraphView, folded: Set<string>): Promise<GraphPicture> {
  const { dot, groups } = foldedDot(view, folded);
  return new GraphPicture(sanitizeSvg(await graphvizLayout(dot), document), view, groups);
}

describe("graph pane: fold and nodes", () => {
  it("draws the folded group instead of its members, and the whole graph when unfolded", () => {
    const view = fanView();
    expect(foldGroups(view).map((g) => g.id)).toEqual(["g0"]);
    const folded = foldedDot(view, new Set(["g0"])).dot;
    for (const w of WORKERS) expect(folded).not.toContain(`label=${w} `);
    expect(folded).toContain("id=g0]");
    expect(foldedDot(view, new Set()).dot).toBe(view.dot);
    // a fold whose statements are incomplete falls back to the whole graph
    const broken = { ...view, fold: { ...(view as unknown as { fold: object }).fold, stmts: {} } } as GraphView;
    expect(foldedDot(broken, new Set(["g0"])).dot).toBe(view.dot);
  });

  it("lights a folded group for its members that ran, and says how many", async () => {
    const p = await picture(fanView(), new Set(["g0"]));
    const g = p.svg.querySelector("g[data-group=g0]")!;
    expect(p.nodes.has("worker_03")).toBe(false);
    expect(p.targetOf("worker_03")).toBe(g);
    p.apply(step(["worker_03", "worker_07"]));
    expect(g.classList.contains("pv-active")).toBe(true);
    expect(g.getAttribute("data-ran")).toBe("2");
    expect(g.querySelector(".pv-badge-text")?.textContent).toBe("2/10 ran");
    expect(p.svg.querySelector("#ge0_0")?.classList.contains("pv-taken")).toBe(true);
    p.setSelected("worker_07");
    expect(g.classList.contains("pv-selected")).toBe(true);
    p.apply(step(["plan"]));
    expect(g.classList.contains("pv-active")).toBe(false);
    expect(g.querySelector(".pv-badge")?.getAttribute("visibility")).toBe("hidden");
  });

  it("makes every node a named button and gives subgraph nodes an open button", async () => {
    const p = await picture(fanView(), new Set(["g0"]));
    for (const g of [...p.nodes.values(), p.groups.get("g0")!.g]) {
      expect(g.getAttribute("tabindex")).toBe("0");
      expect(g.getAttribute("role")).toBe("button");
      expect(g.getAttribute("aria-label")).toBeTruthy();
    }
    expect(p.nodes.get("plan")!.getAttribute("aria-label")).toBe("plan");
    const open = p.nodes.get("merge")!.querySelector(".pv-open")!;
    expect(open.getAttribute("tabindex")).toBe("0");
    expect(open.getAttribute("aria-label")).toBe("open subgraph merge");
    expect(open.querySelector("text")?.textContent).toBe("open ›");
    expect(p.openAt(open.querySelector("text"))).toBe("merge");
    expect(p.nodes.get("plan")!.querySelector(".pv-open")).toBeNull();
    // the button sits beside the node (right or left of it), clear of every other node
    const t = /translate\(([-\d.]+)[\s,]+([-\d.]+)\)/.exec(p.svg.querySelector("g.graph")?.getAttribute("transform") ?? "")!;
    const r = open.querySelector("rect")!;
    const btn = { x: Number(r.getAttribute("x")) + Number(t[1]), y: Number(r.getAttribute("y")) + Number(t[2]), w: Number(r.getAttribute("width")), h: Number(r.getAttribute("height")) };
    const box = p.boxOf(p.nodes.get("merge")!)!;
    expect(btn.x >= box.x + box.width || btn.x + btn.w <= box.x).toBe(true);
    for (const [name, g] of p.nodes) {
      if (name === "merge") continue;
      const o = p.boxOf(g)!;
      expect(btn.x > o.x + o.width || btn.x + btn.w < o.x || btn.y > o.y + o.height || btn.y + btn.h < o.y).toBe(true);
    }
  });
});
