import { describe, expect, it } from "vitest";
import type { Json } from "../src/viewer/types";
import { compactText, renderValue, shortType, taggedText } from "../src/viewer/values";
import { loadSample, XSS_KEY, XSS_NODE, XSS_VALUE } from "./fixture";

function openAll(el: Element): void {
  // open every <details> (children are built lazily on first open)
  for (let i = 0; i < 10; i++) {
    const closed = Array.from(el.querySelectorAll("details:not([open])")) as HTMLDetailsElement[];
    if (el instanceof HTMLDetailsElement && !el.open) closed.unshift(el);
    if (!closed.length) return;
    for (const d of closed) {
      d.open = true;
      (d as HTMLDetailsElement & { pvBuild?: () => void }).pvBuild?.();
    }
  }
}

function noMarkup(el: Element): void {
  expect(el.querySelectorAll("script, img, textarea, iframe, object, embed").length).toBe(0);
  for (const node of Array.from(el.querySelectorAll("*"))) {
    for (const a of Array.from(node.attributes)) expect(a.name.startsWith("on")).toBe(false);
  }
}

describe("values as a JSON tree", () => {
  it("hostile keys and values stay text", () => {
    const v: Json = { [XSS_KEY]: XSS_VALUE, [XSS_NODE]: [XSS_KEY, { deep: XSS_NODE }], long: `${XSS_KEY}`.repeat(40) };
    const el = renderValue(v, { open: true });
    openAll(el);
    noMarkup(el);
    expect(el.textContent).toContain(XSS_KEY);
    expect(el.textContent).toContain(XSS_VALUE);
    expect(el.textContent).toContain(XSS_NODE);
  });

  it("small containers inline, big ones collapsed with lazily built children", () => {
    const small = renderValue(["A", "B", "C"]);
    expect(small.tagName).toBe("SPAN");
    expect(small.textContent).toBe('["A", "B", "C"]');
    const big = renderValue(Array.from({ length: 500 }, (_, i) => ({ i, name: `item ${i}` }))) as HTMLDetailsElement;
    expect(big.tagName).toBe("DETAILS");
    expect(big.open).toBe(false);
    expect(big.querySelectorAll(".pv-v-row").length).toBe(0); // nothing built yet
    expect(big.querySelector("summary")!.textContent).toContain("[500 items]");
    big.open = true;
    big.dispatchEvent(new Event("toggle"));
    expect(big.querySelectorAll(":scope > .pv-v-body > .pv-v-row").length).toBe(500);
  });

  it("long strings collapse behind an expander", () => {
    const el = renderValue("x".repeat(5000)) as HTMLDetailsElement;
    expect(el.tagName).toBe("DETAILS");
    expect(el.querySelector("summary")!.textContent).toContain("(5000 chars)");
    openAll(el);
    expect(el.querySelector("pre")!.textContent!.length).toBe(5000);
  });

  it("tagged maps render compactly: type name + fields / repr / str", () => {
    const send: Json = { $type: "langgraph.types.Send", $fields: { node: "worker", arg: { item: "a" } } };
    const el = renderValue(send);
    expect(el.querySelector(".pv-v-type")!.textContent).toBe("Send");
    expect(el.querySelector(".pv-v-type")!.getAttribute("title")).toBe("langgraph.types.Send");
    openAll(el);
    expect(el.textContent).toContain("worker");
    expect(el.textContent).toContain('"item"');

    const repr = renderValue({ $type: "my.mod.Thing", $repr: "<Thing at 0x1>" });
    expect(repr.textContent).toBe("Thing <Thing at 0x1>");
    noMarkup(repr);
    expect(renderValue({ $type: "uuid.UUID", $str: "1234" }).textContent).toBe("UUID 1234");
    expect(renderValue({ $type: "enum.Color", $name: "RED", $value: 1 }).textContent).toBe("Color.RED = 1");
    expect(renderValue({ $type: "builtins.ValueError", $error: "bad", $repr: "ValueError('bad')" }).textContent).toBe("ValueError: bad");
    expect(renderValue({ $type: "builtins.bytes", $base64: "aGVsbG8=" }).textContent).toBe("bytes 5 bytes");
    const set = renderValue({ $type: "builtins.set", $items: [1, 2] });
    expect(set.textContent).toContain("set");
    expect(set.textContent).toContain("[1, 2]");
  });

  it("truncation and cycle markers are visible", () => {
    const s = renderValue({ $type: "pregel_viz.truncated", $kind: "str", $len: 20000, $head: "abc" });
    expect(s.classList.contains("pv-v-trunc")).toBe(true);
    expect(s.textContent).toContain("✂ string truncated (20000 chars)");
    expect(s.textContent).toContain('"abc"');
    const list = renderValue(["a", { $type: "pregel_viz.truncated", $kind: "list", $len: 5000 }], { open: true });
    openAll(list);
    expect(list.querySelector(".pv-v-trunc")!.textContent).toContain("5000 items in all");
    const dict = renderValue({ a: 1, $truncated: { $type: "pregel_viz.truncated", $kind: "dict", $len: 3000 } }, { open: true });
    openAll(dict);
    expect(dict.querySelector(".pv-v-trunc")!.textContent).toContain("3000 keys in all");
    expect(renderValue({ $type: "pregel_viz.cycle", $repr: "[[...]]" }).textContent).toBe("↻ cycle [[...]]");
    expect(renderValue({ $type: "pregel_viz.truncated", $kind: "depth", $repr: "{...}" }).textContent).toContain("nested too deep");
  });

  it("every value of the sample renders as text", () => {
    const sample = loadSample();
    for (const t of sample.threads)
      for (const ns of t.namespaces)
        for (const s of ns.steps) {
          const el = renderValue(s as unknown as Json, { open: true });
          openAll(el);
          noMarkup(el);
        }
  });

  it("helpers", () => {
    expect(shortType("a.b.C")).toBe("C");
    expect(shortType("C")).toBe("C");
    expect(compactText({ a: [1, 2] })).toBe('{"a": [1, 2]}');
    expect(compactText("x".repeat(100))).toBeNull();
    expect(taggedText({ $type: "langgraph.types.Send", $fields: { node: "w" } })).toBe('Send{"node": "w"}');
  });
});
