import { afterEach, describe, expect, it } from "vitest";
import {
  type AppendMessage,
  applyAppend,
  EMPTY_LIVE,
  LiveControls,
  type LiveAction,
  type LiveState,
  parseAnswer,
  parseLiveState,
  validateEdit,
} from "../src/viewer/live";
import type { Payload, StepDoc } from "../src/viewer/types";
import type { Viewer } from "../src/viewer/viewer";
import { loadSample, XSS_KEY, XSS_NODE, XSS_VALUE } from "./fixture";
import { closeViewers, openViewer } from "./viewers";

afterEach(() => {
  closeViewers();
});

const mounted: { el: HTMLElement; doc: unknown; destroyed: boolean }[] = [];

async function setup(state: Partial<LiveState> = {}, payload: Payload = loadSample()) {
  let controls: LiveControls | null = null;
  const v = await openViewer(payload, {
    thread: "happy",
    onNodeClick: (name, ev) => controls?.nodeClicked(name, ev),
  });
  const sent: LiveAction[] = [];
  controls = new LiveControls(v, {
    send: (a) => sent.push(a),
    mountCompare: (el, doc) => {
      const entry = { el, doc, destroyed: false };
      mounted.push(entry);
      el.appendChild(document.createElement("i"));
      return { destroy: () => (entry.destroyed = true) };
    },
  });
  const live: LiveState = { ...EMPTY_LIVE, nodes: ["plan", "worker", "approve", "summarize"], channels: ["items", "results"], ...state };
  controls.update(live);
  return { v, controls, sent, live };
}

const q = <T extends Element = HTMLElement>(v: Viewer, sel: string) => v.root.querySelector(sel) as T;
const click = (el: Element) => el.dispatchEvent(new MouseEvent("click", { bubbles: true }));

describe("validateEdit", () => {
  const original = { log: ["a"], n: 1, obj: { $type: "x.Point", x: 1 } as never };
  it("sends only the channels whose value changed", () => {
    expect(validateEdit(JSON.stringify({ ...original, n: 2 }), original)).toEqual({ ok: true, updates: { n: 2 } });
    expect(validateEdit(JSON.stringify(original), original)).toEqual({ ok: true, updates: {} });
    expect(validateEdit(JSON.stringify({ ...original, extra: "new" }), original)).toEqual({ ok: true, updates: { extra: "new" } });
  });
  it("refuses bad JSON, non-objects, removed channels and edited $type values, saying why", () => {
    const bad = (text: string) => {
      const r = validateEdit(text, original);
      expect(r.ok).toBe(false);
      return r.ok ? "" : r.error;
    };
    expect(bad('{"log": [')).toMatch(/^not valid JSON/);
    expect(bad("[1, 2]")).toMatch(/JSON object/);
    expect(bad("42")).toMatch(/JSON object/);
    expect(bad(JSON.stringify({ log: ["a"], obj: original.obj }))).toMatch(/cannot be removed \(n\)/);
    expect(bad(JSON.stringify({ ...original, obj: { $type: "x.Point", x: 2 } }))).toMatch(/obj: values marked "\$type"/);
  });
});

describe("parseAnswer / parseLiveState", () => {
  it("answers are JSON when they parse, else the text", () => {
    expect(parseAnswer("42")).toBe(42);
    expect(parseAnswer('{"ok": true}')).toEqual({ ok: true });
    expect(parseAnswer('"quoted"')).toBe("quoted");
    expect(parseAnswer("blue sky")).toBe("blue sky");
    expect(parseAnswer("  ")).toBe("");
  });
  it("reads what Python sent defensively", () => {
    expect(parseLiveState(undefined)).toBeNull();
    expect(parseLiveState({})).toBeNull();
    const s = parseLiveState({ status: "paused", breakpoints: { before: ["a", 3] }, interrupts: [{ id: 1, value: { q: "?" } }, null] })!;
    expect(s.breakpoints).toEqual({ before: ["a"], after: [], write: [] });
    expect(s.interrupts).toEqual([{ id: "1", value: { q: "?" } }]);
    expect(s.nodes).toEqual([]);
  });
});

describe("LiveControls", () => {
  it("enables the controls the status allows", async () => {
    const { v, controls, live } = await setup();
    const enabled = () =>
      ["step", "continue", "pause", "stop", "edit"].filter((b) => !q<HTMLButtonElement>(v, `.pv-live-${b}`).disabled);
    expect(enabled()).toEqual(["step", "continue", "stop", "edit"]);
    controls.update({ ...live, status: "running" });
    expect(enabled()).toEqual(["pause", "stop"]);
    controls.update({ ...live, status: "interrupted" });
    expect(enabled()).toEqual(["stop", "edit"]);
    controls.update({ ...live, status: "completed" });
    expect(enabled()).toEqual(["edit"]); // nothing left to stop
    controls.update({ ...live, status: "error" }); // retry the failed step, or fork
    expect(enabled()).toEqual(["step", "continue", "stop", "edit"]);
    controls.update({ ...live, status: "stopped" });
    expect(enabled()).toEqual([]);
    expect(v.root.getAttribute("data-live-status")).toBe("stopped");
  });

  it("buttons send their action", async () => {
    const { v, sent, controls, live } = await setup();
    click(q(v, ".pv-live-step"));
    // until Python answers, no second Step or Continue can be sent
    expect(q<HTMLButtonElement>(v, ".pv-live-step").disabled).toBe(true);
    expect(q<HTMLButtonElement>(v, ".pv-live-continue").disabled).toBe(true);
    controls.update({ ...live });
    click(q(v, ".pv-live-continue"));
    click(q(v, ".pv-live-stop"));
    expect(sent).toEqual([{ live: "step" }, { live: "continue" }, { live: "stop" }]);
  });

  it("a fork can be shown beside the branch it left, inside the widget", async () => {
    mounted.length = 0;
    const { v, sent, controls, live } = await setup();
    const button = q<HTMLButtonElement>(v, ".pv-live-compare");
    expect(q(v, ".pv-live-fork").hidden).toBe(true);
    controls.update({ ...live, fork: "Fork vs the branch it left: x" });
    expect(q(v, ".pv-live-fork").hidden).toBe(false);
    click(button);
    expect(sent).toEqual([{ live: "compare" }]);
    const doc = { a: 1, b: 2, comparison: {} };
    controls.showCompare(doc);
    expect(q(v, ".pv-live-compare-box").hidden).toBe(false);
    expect(mounted.map((m) => m.doc)).toEqual([doc]);
    expect(q(v, ".pv-live-compare-box").contains(mounted[0].el)).toBe(true);
    controls.showCompare(doc); // a second answer replaces the first view
    expect(mounted[0].destroyed).toBe(true);
    click(q(v, ".pv-live-compare-close"));
    expect(mounted[1].destroyed).toBe(true);
    expect(q(v, ".pv-live-compare-box").hidden).toBe(true);
    expect(q(v, ".pv-live-compare-view")).toBeNull();
  });

  it("F10 steps and F8 continues (or pauses a running graph), when enabled", async () => {
    const { v, sent, controls, live } = await setup();
    const key = (target: Element, k: string) => target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
    key(v.root, "F10");
    expect(sent).toEqual([{ live: "step" }]);
    controls.update({ ...live, status: "running" });
    key(v.root, "F8");
    expect(sent[1]).toEqual({ live: "pause" });
    controls.update({ ...live });
    key(v.root, "F8");
    expect(sent[2]).toEqual({ live: "continue" });
    controls.update({ ...live, status: "completed" });
    key(v.root, "F10"); // disabled: nothing sent
    expect(sent.length).toBe(3);
  });

  it("clicking a node offers its breakpoints; chips remove them; nodes are marked", async () => {
    const { v, controls, sent, live } = await setup();
    const worker = v.root.querySelector('g[data-name="worker"]')!;
    worker.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: 10, clientY: 10 }));
    const menu = q(v, '.pv-node-menu[data-node="worker"]');
    expect(menu).not.toBeNull();
    expect(q(v, ".pv-menu-before").getAttribute("aria-checked")).toBe("false");
    click(q(v, ".pv-menu-after"));
    expect(sent).toEqual([{ live: "breakpoint", name: "worker", where: "after", on: true }]);
    expect(q(v, ".pv-node-menu")).toBeNull(); // closed
    const withBps = { ...live, breakpoints: { before: ["plan"], after: ["worker"], write: ["results"] } };
    controls.update(withBps);
    expect(worker.classList.contains("pv-bp-after")).toBe(true);
    expect(worker.classList.contains("pv-breakpoint")).toBe(true);
    expect(v.root.querySelector('g[data-name="plan"]')!.classList.contains("pv-bp-before")).toBe(true);
    const chips = Array.from(v.root.querySelectorAll(".pv-bp-chip")).map((c) => c.firstChild!.textContent);
    expect(chips).toEqual(["before plan", "after worker", "on write results"]);
    expect(q(v, ".pv-live-fork").hidden).toBe(true);
    controls.update({ ...withBps, fork: `Fork vs the branch it left: ${XSS_NODE}` });
    expect(q(v, ".pv-live-fork").hidden).toBe(false);
    expect(q(v, ".pv-live-fork-text").textContent).toBe(`Fork vs the branch it left: ${XSS_NODE}`);
    expect(q(v, ".pv-live").querySelectorAll("img").length).toBe(0);
    expect(q(v, ".pv-live-caveats").hidden).toBe(true);
    controls.update({ ...withBps, caveats: [`${XSS_KEY} is an UntrackedValue channel`] });
    expect(q(v, ".pv-live-caveats").hidden).toBe(false);
    expect(q(v, ".pv-live-caveats li").textContent).toBe(`${XSS_KEY} is an UntrackedValue channel`);
    expect(q(v, ".pv-live").querySelectorAll("script").length).toBe(0);
    // the menu shows what is set, and clicking again clears it
    worker.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(q(v, ".pv-menu-after").getAttribute("aria-checked")).toBe("true");
    click(q(v, ".pv-menu-after"));
    click(q(v, '.pv-bp-chip[data-where="write"] button'));
    expect(sent.slice(1)).toEqual([
      { live: "breakpoint", name: "worker", where: "after", on: false },
      { live: "breakpoint", name: "results", where: "write", on: false },
    ]);
    // a channel not yet watched can be picked; watched ones are not offered twice
    const sel = q<HTMLSelectElement>(v, "select.pv-live-write");
    expect(Array.from(sel.options).map((o) => o.value)).toEqual(["", "items"]);
    sel.value = "items";
    sel.dispatchEvent(new Event("change"));
    expect(sent[sent.length - 1]).toEqual({ live: "breakpoint", name: "items", where: "write", on: true });
    // Escape closes the menu; a stopped session offers none
    worker.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    v.root.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(q(v, ".pv-node-menu")).toBeNull();
    controls.update({ ...live, status: "stopped" });
    worker.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(q(v, ".pv-node-menu")).toBeNull();
  });

  it("shows interrupt values as text and sends the answer", async () => {
    const hostile = { [XSS_KEY]: XSS_NODE, note: XSS_VALUE };
    const { v, sent, live, controls } = await setup({ status: "interrupted", interrupts: [{ id: "i1", value: hostile }] });
    const box = q(v, ".pv-interrupt");
    expect(box.hidden).toBe(false);
    expect(JSON.parse(q(v, ".pv-interrupt-value").textContent!)).toEqual(hostile);
    expect(box.querySelectorAll("img, script").length).toBe(0);
    const field = q<HTMLTextAreaElement>(v, "textarea.pv-answer-text");
    field.value = '{"approved": true}';
    field.dispatchEvent(new Event("input"));
    controls.update({ ...live, status: "interrupted", interrupts: [{ id: "i1", value: hostile }] }); // a redraw keeps the draft
    expect(q<HTMLTextAreaElement>(v, "textarea.pv-answer-text").value).toBe('{"approved": true}');
    click(q(v, ".pv-answer-submit"));
    expect(sent).toEqual([{ live: "answer", id: "i1", value: { approved: true } }]);
    expect(controls.takeFollow()).toBe(true);
    expect(controls.takeFollow()).toBe(false);
    controls.update({ ...live, status: "running" });
    expect(q(v, ".pv-interrupt").hidden).toBe(true);
  });

  it("edits the state of the step shown and forks from its checkpoint", async () => {
    const { v, sent, controls } = await setup();
    v.setStep(2);
    const step = v.current().step as StepDoc;
    expect(step.checkpoint).toBeTruthy();
    click(q(v, ".pv-live-edit"));
    const editor = q(v, ".pv-editor");
    expect(editor.hidden).toBe(false);
    // the step in words; the checkpoint id one hover away
    expect(q(v, ".pv-editor-title").textContent).toBe(`Fork from step ${step.step}: edit the state, then fork.`);
    expect(q(v, ".pv-editor-title").title).toBe(`checkpoint ${step.checkpoint}`);
    const text = q<HTMLTextAreaElement>(v, "textarea.pv-editor-text");
    const state = JSON.parse(text.value);
    expect(state).toEqual(v.current().state);
    const fork = q<HTMLButtonElement>(v, ".pv-editor-fork");
    expect(fork.disabled).toBe(true); // nothing changed yet
    text.value = "{ not json";
    text.dispatchEvent(new Event("input"));
    expect(q(v, ".pv-validation").textContent).toMatch(/not valid JSON/);
    expect(text.getAttribute("aria-invalid")).toBe("true");
    expect(fork.disabled).toBe(true);
    text.value = JSON.stringify({ ...state, topic: "edited" });
    text.dispatchEvent(new Event("input"));
    expect(q(v, ".pv-validation").textContent).toBe("valid: changes topic");
    expect(fork.disabled).toBe(false);
    // moving the view while editing keeps the draft (it is dirty)
    v.setStep(3);
    expect(text.value).toContain('"edited"');
    click(fork);
    expect(sent).toEqual([{ live: "fork", checkpoint: step.checkpoint, updates: { topic: "edited" }, as_node: null }]);
    expect(editor.hidden).toBe(true);
    // re-run from a step without an edit
    v.setStep(1);
    click(q(v, ".pv-live-edit"));
    q<HTMLSelectElement>(v, "select.pv-editor-as-node").value = "plan";
    controls.update({ ...EMPTY_LIVE, nodes: ["plan", "worker"], status: "completed" }); // a redraw keeps it
    expect(q<HTMLSelectElement>(v, "select.pv-editor-as-node").value).toBe("plan");
    click(q(v, ".pv-editor-rerun"));
    expect(sent[1]).toEqual({ live: "fork", checkpoint: v.current().step!.checkpoint, updates: null, as_node: "plan" });
  });

  it("the editor follows the view while untouched, and refuses a namespace other than the root", async () => {
    const { v, controls } = await setup();
    v.setStep(1);
    click(q(v, ".pv-live-edit"));
    const title = () => q(v, ".pv-editor-title").textContent;
    expect(title()).toContain("step 1");
    v.setStep(2);
    controls.refresh();
    expect(title()).toContain("step 2");
    const sub = loadSample().threads.find((t) => t.id === "happy")!.namespaces.find((n) => n.ns)!.ns;
    v.setNs(sub);
    expect(v.position.ns).toBe(sub);
    controls.refresh();
    expect(title()).toMatch(/root graph/);
    expect(q<HTMLButtonElement>(v, ".pv-editor-fork").disabled).toBe(true);
    expect(q<HTMLButtonElement>(v, ".pv-editor-rerun").disabled).toBe(true);
    // back at the root, the editor shows that step again
    v.setNs("");
    controls.refresh();
    expect(title()).toMatch(/^Fork from (the input|step \d+): edit the state/);
    expect(q<HTMLButtonElement>(v, ".pv-editor-rerun").disabled).toBe(false);
  });

  it("offers no breakpoint menu inside a subgraph (breakpoints are on the root graph)", async () => {
    const { v } = await setup({ nodes: ["plan", "worker", "approve", "summarize", "summarize_step"] });
    const sub = loadSample().threads.find((t) => t.id === "happy")!.namespaces.find((n) => n.ns)!;
    v.setNs(sub.ns);
    await v.whenReady();
    const g = v.root.querySelector("g[data-name]:not([data-name^='__'])");
    expect(g).not.toBeNull();
    g!.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(q(v, ".pv-node-menu")).toBeNull();
    v.setNs("");
    await v.whenReady();
    v.root.querySelector('g[data-name="plan"]')!.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(q(v, ".pv-node-menu")).not.toBeNull();
  });

  it("follows a growing run when asked, keeps the view otherwise", async () => {
    const { v } = await setup();
    const doc = loadSample();
    const happy = doc.threads.find((t) => t.id === "happy")!;
    const root = happy.namespaces.find((n) => n.ns === "")!;
    const short = structuredClone(doc);
    const shortRoot = short.threads.find((t) => t.id === "happy")!.namespaces.find((n) => n.ns === "")!;
    shortRoot.steps = root.steps.slice(0, 3);
    v.setPayload(short);
    v.setPosition({ thread: "happy", ns: "" });
    v.setStep(shortRoot.steps[2].step);
    expect(v.current().isLast).toBe(true);
    v.setPayload(doc, { follow: true }); // at the end: follows to the new end
    expect(v.current().isLast).toBe(true);
    v.setStep(root.steps[1].step);
    v.setPayload(structuredClone(doc), { follow: true }); // not at the end: stays
    expect(v.current().index).toBe(1);
    v.setPayload(structuredClone(doc), { follow: "always" });
    expect(v.current().isLast).toBe(true);
  });
});

describe("appends: only the supersteps that landed", () => {
  const sample = loadSample();
  const happy = sample.threads.find((t) => t.id === "happy")!;
  const root = happy.namespaces.find((n) => n.ns === "")!;
  const { steps: _all, ...head } = root;
  void _all;
  const cut = (n: number): Payload => ({
    ...sample,
    threads: sample.threads.map((t) => (t.id !== "happy" ? t : { ...t, namespaces: t.namespaces.map((ns) => (ns.ns === "" ? { ...ns, steps: ns.steps.slice(0, n) } : ns)) })),
  });

  it("replaces the entries from `from` on and keeps the rest (same objects)", () => {
    const before = cut(3);
    const msg: AppendMessage = {
      base: 4,
      seq: 5,
      threads: [{ id: "happy", outcome: happy.outcome, calls: happy.calls, namespaces: [{ ...head, from: 2, steps: root.steps.slice(2) }] }],
    };
    const after = applyAppend(before, msg);
    const got = after.threads.find((t) => t.id === "happy")!.namespaces.find((n) => n.ns === "")!;
    expect(got.steps).toEqual(root.steps);
    expect(got.steps[0]).toBe(before.threads.find((t) => t.id === "happy")!.namespaces.find((n) => n.ns === "")!.steps[0]);
    expect(after.threads.find((t) => t.id === "failing")).toBe(before.threads.find((t) => t.id === "failing"));
    expect(after.graphs).toBe(before.graphs);
    expect(before.threads.find((t) => t.id === "happy")!.namespaces.find((n) => n.ns === "")!.steps.length).toBe(3); // not mutated
  });

  it("adds a thread or namespace it lacks, and replaces graphs and outcome when sent", () => {
    const msg: AppendMessage = {
      base: 0,
      seq: 1,
      graphs: {},
      threads: [{ id: "new", outcome: { status: "paused", interrupts: [], error: null }, calls: [], namespaces: [{ ...head, from: 0, steps: root.steps.slice(0, 1) }] }],
    };
    const after = applyAppend(sample, msg);
    expect(after.graphs).toEqual({});
    const t = after.threads.find((x) => x.id === "new")!;
    expect(t.outcome.status).toBe("paused");
    expect(t.namespaces[0].steps).toHaveLength(1);
  });

  it("a view applies an append that follows its document, else asks for the whole one", async () => {
    const { controls, sent, live } = await setup({ seq: 7, payload_seq: 7 });
    const doc = cut(3);
    const msg = (base: number, seq: number): AppendMessage => ({
      base,
      seq,
      threads: [{ id: "happy", outcome: happy.outcome, calls: happy.calls, namespaces: [{ ...head, from: 2, steps: root.steps.slice(2) }] }],
    });
    const next = controls.applyMessage(doc, msg(7, 8))!;
    expect(next.threads.find((t) => t.id === "happy")!.namespaces[0].steps.length).toBe(root.steps.length);
    expect(sent).toEqual([]);
    expect(controls.applyMessage(next, msg(10, 11))).toBeNull(); // missed 9 and 10
    expect(controls.applyMessage(next, msg(11, 12))).toBeNull();
    expect(sent).toEqual([{ live: "sync" }]); // asked once
    controls.update({ ...live, seq: 12, payload_seq: 12 }); // the whole document came
    expect(controls.applyMessage(next, msg(12, 13))).not.toBeNull();
  });

  it("the status keeps its place and says what it means", async () => {
    const { v, controls, live } = await setup();
    const status = q(v, ".pv-live-status");
    const bar = status.parentElement!;
    // the buttons come before the status and its message, so their places never change
    const order = Array.from(bar.children).map((c) => c.className.split(" ").find((k) => k.startsWith("pv-live-")));
    expect(order).toEqual(["pv-live-step", "pv-live-continue", "pv-live-pause", "pv-live-stop", "pv-live-edit", "pv-live-status", "pv-live-message"]);
    controls.update({ ...live, status: "interrupted", message: "waiting for an answer to interrupt()" });
    expect(status.title).toMatch(/interrupt\(\) waits for an answer/);
    controls.update({ ...live, status: "paused", message: "stepped one superstep" });
    expect(status.textContent).toBe("paused");
    expect(q(v, ".pv-live-message").title).toBe("stepped one superstep");
  });
});
