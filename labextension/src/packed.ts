// A saved output's document, packed or not (pregel_viz/views/payload.py: pack_document).
//
// A large document is saved in a notebook as {"encoding": "gzip+base64", "data": "<base64 of the
// gzipped JSON text>"}: a 10,000-superstep run takes 1.4 MB of the notebook instead of 10 MB of
// JSON. Outputs saved before documents were packed hold the document itself; both are read.
// Unpacking is the browser's own gzip (DecompressionStream) and JSON.parse: the data stays data,
// shown as text like any document, and a packed document that would unpack to more than
// MAX_UNPACKED_BYTES is refused before it is all in memory.

export const PACKED_ENCODING = "gzip+base64";
/** JSON texts up to this many bytes (UTF-16 code units, when packing here) stay plain. */
export const PACK_ABOVE = 64 * 1024;
/** The most a packed document may unpack to (as pregel_viz.views.payload.MAX_UNPACKED_BYTES). */
export const MAX_UNPACKED_BYTES = 256 * 2 ** 20;

export interface PackedDocument {
  encoding: typeof PACKED_ENCODING;
  data: string;
}

export function isPacked(data: unknown): data is PackedDocument {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  return d.encoding === PACKED_ENCODING && typeof d.data === "string";
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  let bin: string;
  try {
    bin = atob(text);
  } catch {
    throw new Error("pregel-viz: the saved document is damaged (its data is not base64)");
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(bin);
}

function streamOf(bytes: Uint8Array<ArrayBuffer>): ReadableStream<BufferSource> {
  return new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Every byte of `stream`; an error past `limit` bytes (the stream is cancelled then). */
async function readAll(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      void reader.cancel().catch(() => undefined);
      throw new Error(`pregel-viz: the saved document unpacks to more than ${limit} bytes: it is not opened`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The document `data` carries: unpacked when it is packed, else `data` itself. */
export async function unpackDocument(data: unknown, limit: number = MAX_UNPACKED_BYTES): Promise<unknown> {
  if (!isPacked(data)) return data;
  if (typeof DecompressionStream === "undefined") {
    throw new Error("pregel-viz: this browser cannot unpack the saved document (it has no DecompressionStream)");
  }
  const packed = fromBase64(data.data);
  let raw: Uint8Array;
  try {
    raw = await readAll(streamOf(packed).pipeThrough(new DecompressionStream("gzip")), limit);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (message.startsWith("pregel-viz:")) throw e;
    throw new Error(`pregel-viz: the saved document is damaged (its gzip data does not unpack: ${message})`);
  }
  return JSON.parse(new TextDecoder().decode(raw));
}

/** `doc` as a saved output carries it: packed when its JSON text is over `above` (or when the
 * browser cannot compress, as it is). */
export async function packDocument(doc: unknown, above: number = PACK_ABOVE): Promise<unknown> {
  return packText(JSON.stringify(doc), doc, above);
}

/** The same, for a document whose JSON text is at hand. */
export async function packText(text: string, doc: unknown, above: number = PACK_ABOVE): Promise<unknown> {
  if (text.length <= above || typeof CompressionStream === "undefined") return doc;
  const raw = new TextEncoder().encode(text);
  const packed = await readAll(streamOf(raw).pipeThrough(new CompressionStream("gzip")), Number.MAX_SAFE_INTEGER);
  return { encoding: PACKED_ENCODING, data: toBase64(packed) } satisfies PackedDocument;
}
