// Saved outputs' documents, packed (gzip in base64) or not: src/packed.ts, against what Python
// writes (pregel_viz/views/payload.py: pack_document).

import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { MAX_UNPACKED_BYTES, PACK_ABOVE, PACKED_ENCODING, isPacked, packDocument, packText, unpackDocument } from "../src/packed";

const packedBytes = (raw: Uint8Array | string) => ({ encoding: PACKED_ENCODING, data: Buffer.from(gzipSync(raw)).toString("base64") });

describe("packed documents", () => {
  it("reads what Python packs, and a document as it is", async () => {
    const doc = { version: 1, meta: { name: "ünï <b>" }, threads: [{ id: "t" }] };
    expect(await unpackDocument(packedBytes(JSON.stringify(doc)))).toEqual(doc);
    expect(await unpackDocument(doc)).toBe(doc);
    expect(isPacked(doc)).toBe(false);
    expect(isPacked({ encoding: PACKED_ENCODING, data: 3 })).toBe(false);
  });

  it("packs only what is over the bound, and unpacks it to the same document", async () => {
    const small = { threads: [] };
    expect(await packDocument(small)).toBe(small);
    const big = { threads: [], meta: { text: "ab".repeat(PACK_ABOVE) } };
    const packed = await packDocument(big);
    expect(isPacked(packed)).toBe(true);
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(big).length / 10);
    expect(await unpackDocument(packed)).toEqual(big);
    expect(await unpackDocument(await packText(JSON.stringify(small), small, 0))).toEqual(small);
  });

  it("refuses damaged data and a document that unpacks past the limit", async () => {
    await expect(unpackDocument({ encoding: PACKED_ENCODING, data: "not base64!" })).rejects.toThrow(/damaged/);
    await expect(unpackDocument({ encoding: PACKED_ENCODING, data: btoa("no gzip") })).rejects.toThrow(/damaged/);
    const cut = packedBytes("[1,2,3]");
    cut.data = Buffer.from(Buffer.from(cut.data, "base64").subarray(0, 12)).toString("base64");
    await expect(unpackDocument(cut)).rejects.toThrow(/damaged/);
    const bomb = packedBytes(new Uint8Array(4 * 2 ** 20).fill(32)); // 4 MiB of spaces, 4 KB packed
    expect(bomb.data.length).toBeLessThan(20_000);
    await expect(unpackDocument(bomb, 2 ** 20)).rejects.toThrow(/more than 1048576 bytes/);
    expect(MAX_UNPACKED_BYTES).toBe(256 * 2 ** 20);
  });
});
