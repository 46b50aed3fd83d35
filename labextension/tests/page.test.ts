// The standalone page's host (openPage): the document the page inlines, packed (gzip in base64,
// as pregel_viz/views/html.py writes a large one) or plain, unpacked and shown; a packed one
// that unpacks past the limit is refused with the reason shown as text. The page itself, in
// Chromium from file://, is tested in tests/ui/test_html_packed.py.

import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { openPage, type CompareHandle, type MountHandle } from "../src/hosts/bundle";
import { PACKED_ENCODING } from "../src/packed";
import { loadSample, XSS_KEY } from "./fixture";

const packed = (raw: string | Uint8Array) => ({ encoding: PACKED_ENCODING, data: Buffer.from(gzipSync(raw)).toString("base64") });

function root(): HTMLElement {
  const el = document.createElement("div");
  document.body.appendChild(el);
  return el;
}

afterEach(() => {
  document.body.replaceChildren();
});

describe("openPage", () => {
  it("shows a packed run as the plain one, filling the page", async () => {
    const doc = loadSample();
    doc.meta = { ...doc.meta, note: `${XSS_KEY} <!--` };
    for (const data of [packed(JSON.stringify(doc)), doc]) {
      const el = root();
      const m = (await openPage(el, data)) as MountHandle;
      await m.viewer.whenReady();
      expect(el.classList.contains("pv-page")).toBe(true);
      const viewer = el.querySelector(".pregel-viewer")!;
      expect(viewer.getAttribute("data-ready")).toBe("1");
      expect(viewer.getAttribute("data-error")).toBeNull();
      expect(m.viewer.position.thread).toBe(doc.threads[doc.threads.length - 1].id);
      expect(el.querySelector("script")).toBeNull();
      m.destroy();
    }
  });

  it("shows a side-by-side document filling the page, with the keyboard focus", async () => {
    const doc = loadSample();
    const thread = doc.threads[doc.threads.length - 1].id;
    const comparison = { identical: true, first: null, labels: ["A", "B"], rows: [], differences: [], sides: [{ label: "A", thread, ns: "" }, { label: "B", thread, ns: "" }] };
    const el = root();
    const c = (await openPage(el, packed(JSON.stringify({ a: doc, b: doc, comparison })), { compare: true })) as CompareHandle;
    await c.view.whenReady();
    expect(el.classList.contains("pv-page")).toBe(true);
    expect(c.view.root.classList.contains("pv-compare-fill")).toBe(true);
    expect(document.activeElement).toBe(c.view.root);
    c.destroy();
  });

  it("refuses a packed document that unpacks past the limit, and a damaged one", async () => {
    const bomb = packed(new Uint8Array(2 ** 20 + 1).fill(32));
    const el = root();
    const m = (await openPage(el, bomb, { limit: 2 ** 20 })) as MountHandle;
    expect(el.classList.contains("pv-page")).toBe(true);
    expect(el.querySelector(".pregel-viewer.pv-failed")!.textContent).toBe(
      "pregel-viz: cannot show this run: pregel-viz: the saved document unpacks to more than 1048576 bytes: it is not opened",
    );
    m.destroy();
    expect(el.children.length).toBe(0);
    const cmp = root();
    const c = (await openPage(cmp, { encoding: PACKED_ENCODING, data: "<img src=x onerror=alert(1)>" }, { compare: true })) as CompareHandle;
    const failed = cmp.querySelector(".pv-compare.pv-failed")!;
    expect(failed.textContent).toMatch(/^pregel-viz: cannot compare these runs: pregel-viz: the saved document is damaged/);
    expect(cmp.querySelector("img")).toBeNull();
    expect(c.setRow(1)).toBe(-1);
  });
});
