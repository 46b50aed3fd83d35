// The compare view: one shared step control over two viewers, with a fake layout (and
// the real one through the hosts: renderCompare, mountCompare, widget.render's dispatch).

import { afterEach, describe, expect, it, vi } from "vitest";
import { renderCompare } from "../src/hosts/anywidget_compare";
import type { Payload } from "../src/viewer/types";
import { createCompare, parseComparison, type ComparisonDoc, type CompareRow, type CompareView } from "../src/viewer/compare";
import widget, { mountCompare } from "../src/hosts/bundle";
import { bigPayload, fakeLayout, XSS_KEY, XSS_NODE, XSS_VALUE } from "./fixture";
import { FakeModel } from "./fake-model";

const views: CompareView[] = [];
afterEach(() => {
  while (views.length) views.pop()!.destroy();
  document.body.replaceChildren();
  vi.useRealTimers();
});

/** A: steps -1..4; B: the same, but node_5 instead of node_3 at step 2, and one more step. The
 *  node of step 3 is named XSS_NODE on both sides. */
function payloads(): { a: Payload; b: Payload } {
  const rename = (p: Payload, from: string, to: string): void => {
    for (const n of p.graphs[""].nodes) if (n.name === from) n.name = to;
    for (const s of p.threads[0].namespaces[0].steps) for (const t of s.tasks) if (t.name === from) t.name = to;
  };
  const a = bigPayload(6, 6);
  const b = bigPayload(7, 6);
  b.threads[0].namespaces[0].steps[3].tasks[0].name = "node_5";
  rename(a, "node_4", XSS_NODE);
  rename(b, "node_4", XSS_NODE);
  return { a, b };
}

const cell = (step: number, tasks: string[]) => ({ step, source: step < 0 ? "input" : "loop", checkpoint_id: `cp${step}`, tasks, statuses: tasks.map(() => "ok") });

function comparison(): ComparisonDoc {
  const tasksA = [[], ["node_1"], ["node_2"], ["node_3"], [XSS_NODE], ["node_5"]];
  const tasksB = [[], ["node_1"], ["node_2"], ["node_5"], [XSS_NODE], ["node_5"], ["node_0"]];
  const rows: CompareRow[] = tasksB.map((tb, i) => {
    const step = i - 1;
    const ta = tasksA[i];
    return {
      step,
      a: ta ? cell(step, ta) : null,
      b: cell(step, tb),
      same: true,
      differences: [],
      at: [ta ? { step, index: i } : null, { step, index: i }],
      nodes: [[], []],
    };
  });
  const diff = (i: number, kind: string, details: string, nodes: [string[], string[]]): void => {
    rows[i].same = false;
    rows[i].differences = [{ step: rows[i].step, kind, details, a: null, b: null, subgraph: "" }];
    rows[i].nodes = nodes;
  };
  diff(3, "tasks", `A ran node_3; B ran node_5 ${XSS_VALUE}`, [["node_3"], ["node_5"]]);
  diff(4, "writes", `${XSS_NODE} wrote differently: ${XSS_KEY}`, [[XSS_NODE], [XSS_NODE]]);
  diff(6, "missing", "A stopped after step 4; B has step 5 (node_0).", [[], ["node_0"]]);
  return {
    identical: false,
    first: rows[3].differences[0],
    labels: ["A", `B ${XSS_KEY}`],
    rows,
    differences: rows.flatMap((r) => r.differences),
    sides: [
      { label: "A", thread: "big", ns: "" },
      { label: `B ${XSS_KEY}`, thread: "big", ns: "" },
    ],
    first_row: 3,
  };
}

async function open(opts: { row?: number; onChange?: (row: number) => void } = {}): Promise<CompareView> {
  const host = document.createElement("div");
  document.body.appendChild(host);
  const { a, b } = payloads();
  const layout = async (dot: string): Promise<string> => {
    const own = [a, b].find((p) => p.graphs[""].dot === dot)!;
    return fakeLayout(own)(dot);
  };
  const v = createCompare(host, { a, b, comparison: comparison(), layout, ...opts });
  views.push(v);
  await v.whenReady();
  return v;
}

const step = (v: CompareView, k: 0 | 1) => v.viewers[k].root.getAttribute("data-step");
const side = (v: CompareView, k: 0 | 1) => v.root.querySelector(`.pv-compare-side-${k ? "b" : "a"}`)!;
const marked = (v: CompareView, k: 0 | 1) =>
  Array.from(v.viewers[k].root.querySelectorAll("g.pv-compare-diff")).map((g) => g.getAttribute("data-name"));
const click = (v: CompareView, cls: string) => (v.root.querySelector(`.pv-compare-toolbar .${cls}`) as HTMLButtonElement).click();
const key = (el: Element, k: string) => el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));

function noMarkup(root: Element): void {
  expect(root.querySelectorAll("img, script, textarea, iframe, foreignObject").length).toBe(0);
  for (const el of Array.from(root.querySelectorAll("*")))
    for (const a of Array.from(el.attributes)) expect(a.name.toLowerCase().startsWith("on")).toBe(false);
}

describe("compare view", () => {
  it("opens at the first divergence, with its differing nodes marked on each side", async () => {
    const v = await open();
    expect(v.row).toBe(3);
    expect(v.root.getAttribute("data-ready")).toBe("1");
    expect(v.root.getAttribute("data-step")).toBe("2");
    expect([step(v, 0), step(v, 1)]).toEqual(["2", "2"]);
    expect(marked(v, 0)).toEqual(["node_3"]);
    expect(marked(v, 1)).toEqual(["node_5"]);
    expect(side(v, 0).classList.contains("pv-compare-differs")).toBe(true);
  });

  it("stepping the shared control moves both sides to their step of each row", async () => {
    const v = await open({ row: 0 });
    const rows = comparison().rows;
    const seen: [string | null, string | null][] = [];
    for (let i = 0; i < rows.length; i++) {
      expect(v.row).toBe(i);
      seen.push([step(v, 0), step(v, 1)]);
      // the view's own viewers still mark only this row's nodes
      expect(marked(v, 0)).toEqual(rows[i].nodes[0]);
      expect(marked(v, 1)).toEqual(rows[i].nodes[1]);
      click(v, "pv-compare-next");
    }
    expect(v.row).toBe(rows.length - 1); // clamped at the end
    expect(seen).toEqual([
      ["-1", "-1"],
      ["0", "0"],
      ["1", "1"],
      ["2", "2"],
      ["3", "3"],
      ["4", "4"],
      ["4", "5"], // A has no step 5: it stays on its last step
    ]);
    key(v.root, "Home");
    expect(v.row).toBe(0);
    key(v.root, "End");
    expect(v.row).toBe(6);
    key(v.root, "ArrowLeft");
    expect([step(v, 0), step(v, 1)]).toEqual(["4", "4"]);
    const slider = v.root.querySelector(".pv-compare-slider") as HTMLInputElement;
    slider.value = "1";
    slider.dispatchEvent(new Event("input"));
    expect([step(v, 0), step(v, 1)]).toEqual(["0", "0"]);
  });

  it("marks the differing rows in the strip; a click jumps there, as do the difference buttons", async () => {
    const changes: number[] = [];
    const v = await open({ row: 0, onChange: (r) => changes.push(r) });
    const strip = Array.from(v.root.querySelectorAll(".pv-compare-row"));
    expect(strip.map((b) => b.textContent)).toEqual(["-1", "0", "1", "2", "3", "4", "5"]);
    expect(strip.filter((b) => b.classList.contains("pv-compare-row-diff")).map((b) => b.getAttribute("data-row"))).toEqual(["3", "4", "6"]);
    expect(strip.filter((b) => b.classList.contains("pv-compare-row-missing")).map((b) => b.getAttribute("data-row"))).toEqual(["6"]);
    (strip[4] as HTMLButtonElement).click();
    expect(v.row).toBe(4);
    expect(strip[4].classList.contains("pv-compare-row-current")).toBe(true);
    expect(marked(v, 0)).toEqual([XSS_NODE]);
    click(v, "pv-compare-next-diff");
    expect(v.row).toBe(6);
    click(v, "pv-compare-first-diff");
    expect(v.row).toBe(3);
    key(v.root, "]");
    expect(v.row).toBe(4);
    key(v.root, "[");
    expect(v.row).toBe(3);
    expect(changes).toEqual([4, 6, 3, 4, 3]);
    v.setRow(0); // from the host: no onChange
    expect(changes.length).toBe(5);
    expect(v.root.querySelector(".pv-compare-diff-none")!.textContent).toBe("the same on both sides");
  });

  it("shows a side without the row's step as missing", async () => {
    const v = await open({ row: 6 });
    expect(step(v, 0)).toBe("4");
    expect(step(v, 1)).toBe("5");
    expect(side(v, 0).classList.contains("pv-compare-missing")).toBe(true);
    expect(side(v, 0).getAttribute("data-missing")).toBe("1");
    expect(side(v, 1).classList.contains("pv-compare-missing")).toBe(false);
    expect(side(v, 0).querySelector(".pv-compare-side-note")!.textContent).toContain("no step 5");
    expect(marked(v, 0)).toEqual([]); // nothing of A's step 4 is marked: it is not this row
    expect(marked(v, 1)).toEqual(["node_0"]);
    v.setRow(5);
    expect(side(v, 0).classList.contains("pv-compare-missing")).toBe(false);
  });

  it("a side moved on its own takes the other along, unless 'move together' is off", async () => {
    const v = await open({ row: 1 });
    key(v.viewers[1].root, "ArrowRight"); // B's own control
    expect(v.row).toBe(2);
    expect([step(v, 0), step(v, 1)]).toEqual(["1", "1"]);
    const box = v.root.querySelector(".pv-compare-link-box") as HTMLInputElement;
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    key(v.viewers[0].root, "ArrowRight");
    key(v.viewers[0].root, "ArrowRight");
    expect([step(v, 0), step(v, 1)]).toEqual(["3", "1"]);
    expect(v.row).toBe(2);
    expect(side(v, 0).classList.contains("pv-compare-detached")).toBe(true);
    expect(marked(v, 0)).toEqual([XSS_NODE]); // A shows the marks of its own step's row
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    expect(v.row).toBe(4); // follows the side that moved
    expect([step(v, 0), step(v, 1)]).toEqual(["3", "3"]);
    click(v, "pv-compare-prev");
    expect([step(v, 0), step(v, 1)]).toEqual(["2", "2"]);
  });

  it("shows the differences as text: hostile labels, details and node names stay text", async () => {
    const v = await open({ row: 4 });
    const list = v.root.querySelector(".pv-compare-diff-list")!;
    expect(list.textContent).toContain(`${XSS_NODE} wrote differently: ${XSS_KEY}`);
    expect(v.root.querySelector(".pv-compare-side-b .pv-compare-side-label")!.textContent).toBe(`B ${XSS_KEY}`);
    v.setRow(3);
    expect(v.root.querySelector(".pv-compare-diff-list")!.textContent).toContain(XSS_VALUE);
    expect(v.root.querySelector(".pv-compare-diff")!.getAttribute("data-kind")).toBe("tasks");
    noMarkup(v.root);
  });

  it("parses a bare Comparison.to_dict() (rows placed by their steps)", () => {
    const c = comparison();
    const bare = JSON.parse(JSON.stringify({ ...c, sides: undefined, first_row: undefined, rows: c.rows.map(({ at, nodes, ...r }) => r) }));
    const parsed = parseComparison(new TextEncoder().encode(JSON.stringify(bare)));
    expect(parsed.rows[6].at).toEqual([null, { step: 5, index: null }]);
    expect(parsed.rows[3].nodes).toEqual([[], []]);
    expect(parsed.labels).toEqual(["A", `B ${XSS_KEY}`]);
  });
});

// ---- the hosts (real WASM Graphviz) ----

const utf8 = (value: unknown): DataView => {
  const b = new TextEncoder().encode(JSON.stringify(value));
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
};

describe("compare hosts", () => {
  it("widget.render dispatches on _view: the row follows Python and the user", () => {
    const { a, b } = payloads();
    const model = new FakeModel({ _view: "compare", _payload_a: utf8(a), _payload_b: utf8(b), _comparison: utf8(comparison()), row: 1 });
    const el = document.createElement("div");
    document.body.appendChild(el);
    const cleanup = widget.render({ model, el });
    const root = el.querySelector(".pv-compare")!;
    const viewers = el.querySelectorAll(".pregel-viewer");
    expect(viewers.length).toBe(2);
    expect(root.getAttribute("data-row")).toBe("1");
    expect(document.head.querySelectorAll("style[data-pregel-viz-compare-style]").length).toBe(1);
    model.remote({ row: 6 });
    expect(viewers[1].getAttribute("data-step")).toBe("5");
    expect(model.saves).toBe(0);
    (root.querySelector(".pv-compare-first") as HTMLButtonElement).click();
    expect(model.get("row")).toBe(0);
    expect(model.saves).toBe(1);
    vi.useFakeTimers();
    vi.setSystemTime(Date.now() + 1000);
    model.remote({ row: 99 }); // clamped, and Python is told
    vi.advanceTimersByTime(100);
    expect(model.get("row")).toBe(6);
    cleanup();
    expect(el.querySelector(".pv-compare")).toBeNull();
    expect(model.listeners()).toBe(0);
  });

  it("a broken comparison shows an error instead of throwing", () => {
    const { a, b } = payloads();
    const model = new FakeModel({ _payload_a: utf8(a), _payload_b: utf8(b), _comparison: "{not json", row: 0 });
    const el = document.createElement("div");
    const cleanup = renderCompare({ model, el });
    expect(el.textContent).toContain("pregel-viz: cannot compare these runs");
    cleanup();
    expect(el.textContent).toBe("");
  });

  it("mountCompare renders a document given as JSON text", async () => {
    const { a, b } = payloads();
    const el = document.createElement("div");
    document.body.appendChild(el);
    const m = mountCompare(el, JSON.stringify({ a, b, comparison: comparison() }), { row: 2 });
    await m.view.whenReady();
    expect(el.querySelector(".pv-compare")!.getAttribute("data-ready")).toBe("1");
    expect(m.setRow(3)).toBe(3);
    expect(Array.from(el.querySelectorAll(".pregel-viewer")).map((r) => r.getAttribute("data-step"))).toEqual(["2", "2"]);
    m.destroy();
    expect(el.children.length).toBe(0);
  });

  it("fills its host only when asked (a page); a notebook output keeps the viewers' default height", async () => {
    const { a, b } = payloads();
    const doc = { a, b, comparison: comparison() };
    const el = document.createElement("div");
    document.body.appendChild(el);
    const notebook = mountCompare(el, doc);
    expect(notebook.view.root.classList.contains("pv-compare-fill")).toBe(false);
    expect(notebook.view.viewers.some((v) => v.root.classList.contains("pv-fill"))).toBe(false);
    notebook.destroy();
    const page = mountCompare(el, doc, { fill: true });
    expect(page.view.root.classList.contains("pv-compare-fill")).toBe(true);
    page.destroy();
  });
});

describe("ranked differences", () => {
  it("opens at the ranked first divergence, draws value-only rows lighter and sets A's state against B's", async () => {
    const host = document.createElement("div");
    document.body.appendChild(host);
    const { a, b } = payloads();
    const layout = async (dot: string): Promise<string> => fakeLayout([a, b].find((p) => p.graphs[""].dot === dot)!)(dot);
    const cmp = comparison();
    // row 1 (step 0) differs in values only, before the tasks of row 3: the first divergence
    // stays at row 3, the comparison's first_row
    cmp.rows[1].same = false;
    cmp.rows[1].kind = "values";
    cmp.rows[1].differences = [
      { step: 0, kind: "values", rank: "values", details: "after the step, x is 1 in A but 2 in B.", a: { x: 1, [XSS_KEY]: XSS_VALUE }, b: { x: 2 }, subgraph: "" },
    ];
    cmp.rows[1].nodes = [["node_0"], ["node_0"]]; // what differing_nodes gives: the nodes whose values differ
    cmp.rows[3].kind = "tasks";
    cmp.rows[4].kind = "writes";
    cmp.rows[6].kind = "tasks";
    const v = createCompare(host, { a, b, comparison: cmp, layout });
    views.push(v);
    await v.whenReady();
    expect(v.row).toBe(3);
    expect(v.root.getAttribute("data-rank")).toBe("tasks");
    const ranks = Array.from(v.root.querySelectorAll(".pv-compare-row")).map((e) => e.getAttribute("data-rank"));
    expect(ranks).toEqual(["", "values", "", "tasks", "writes", "", "tasks"]);
    expect(v.root.querySelector(".pv-compare-row-first")!.getAttribute("data-row")).toBe("3");
    expect(v.root.querySelector(".pv-compare-verdict")!.textContent).toContain("the runs first differ at step 2: other tasks or routes");
    const tally = Array.from(v.root.querySelectorAll(".pv-compare-tally-item")).map((e) => e.textContent);
    expect(tally).toEqual(["2 steps: other tasks or routes", "1 step: other writes", "1 step: values only"]);
    // the value-only row: its differences lighter, and the state table compares A with B
    expect(marked(v, 0).length).toBeGreaterThan(0); // a row of other tasks marks its nodes
    v.setRow(1);
    expect(v.root.querySelector(".pv-compare-diff")!.classList.contains("pv-compare-rank-values")).toBe(true);
    // its nodes did the same things on both sides: none is outlined as if it had not
    expect([marked(v, 0), marked(v, 1)]).toEqual([[], []]);
    expect(v.viewers[0].root.getAttribute("data-compare-nodes")).toBe("[]");
    // nor when a side is moved alone onto that row
    (v.root.querySelector(".pv-compare-link-box") as HTMLInputElement).click();
    v.setRow(3);
    v.viewers[0].setPosition({ step: 0 });
    key(v.viewers[0].root, "ArrowLeft");
    key(v.viewers[0].root, "ArrowRight");
    expect(step(v, 0)).toBe("0");
    expect(side(v, 0).classList.contains("pv-compare-detached")).toBe(true);
    expect(marked(v, 0)).toEqual([]);
    (v.root.querySelector(".pv-compare-link-box") as HTMLInputElement).click();
    v.setRow(1);
    const table = v.root.querySelector("table.pv-compare-state")!;
    const cells = Array.from(table.querySelectorAll("tbody tr")).map((tr) => Array.from(tr.children).map((c) => c.textContent));
    expect(cells).toEqual([
      ["x", "1", "2"],
      [XSS_KEY, JSON.stringify(XSS_VALUE), "—"],
    ]);
    noMarkup(v.root);
    // a row with no value difference says the state is the same
    v.setRow(0);
    expect(v.root.querySelector(".pv-compare-state")!.textContent).toContain("the same in A and");
  });

  it("a fork's own update row is labelled as where the fork left, not a difference", async () => {
    const host = document.createElement("div");
    document.body.appendChild(host);
    const { a, b } = payloads();
    const layout = async (dot: string): Promise<string> => fakeLayout([a, b].find((p) => p.graphs[""].dot === dot)!)(dot);
    const cmp = comparison();
    cmp.rows[5] = { ...cmp.rows[5], a: null, b: { ...cmp.rows[5].b!, source: "update" }, at: [null, cmp.rows[5].at[1]], fork_point: true, same: true, differences: [] };
    const v = createCompare(host, { a, b, comparison: cmp, layout });
    views.push(v);
    await v.whenReady();
    v.setRow(5);
    const btn = v.root.querySelector('.pv-compare-row[data-row="5"]')!;
    expect(btn.classList.contains("pv-compare-row-fork")).toBe(true);
    expect(btn.classList.contains("pv-compare-row-diff")).toBe(false);
    expect(v.root.querySelector(".pv-compare-diffs")!.textContent).toContain("where the fork left its parent");
    expect(side(v, 0).querySelector(".pv-compare-side-note")!.textContent).toContain("left here (its own update, not a difference)");
  });
});
