// GET /pregel-viz/payload?path=... : the Jupyter server extension (pregel_viz/server.py) reads
// the log and answers the viewer's payload, or a JSON error. No kernel is involved. With
// `head: true` (&head=1) a long log's first entries come first: the answer's `part` is "head",
// and a request without it gives the whole payload, which the server is building meanwhile.

import { URLExt } from "@jupyterlab/coreutils";
import { ServerConnection } from "@jupyterlab/services";
import type { Payload } from "./viewer";

export const ROUTE = "pregel-viz/payload";
export const PART_HEADER = "X-Pregel-Viz-Part";

export type PayloadResult =
  | { ok: true; payload: Payload; part: "head" | "full" }
  | { ok: false; status: number; error: string; message: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export async function fetchPayload(
  path: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  options: { head?: boolean } = {},
): Promise<PayloadResult> {
  const query = options.head ? { path, head: "1" } : { path };
  const url = URLExt.join(settings.baseUrl, ROUTE) + URLExt.objectToQueryString(query);
  let response: Response;
  let text: string;
  try {
    response = await ServerConnection.makeRequest(url, { method: "GET" }, settings);
    text = await response.text();
  } catch (e) {
    return { ok: false, status: 0, error: "NetworkError", message: `The Jupyter server could not be reached: ${e instanceof Error ? e.message : String(e)}` };
  }
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (response.ok && isObject(body) && Array.isArray(body.threads)) {
    const part = response.headers?.get?.(PART_HEADER) === "head" ? "head" : "full";
    return { ok: true, payload: body as unknown as Payload, part };
  }
  if (isObject(body) && typeof body.message === "string") {
    return { ok: false, status: response.status, error: typeof body.error === "string" ? body.error : "HTTPError", message: body.message };
  }
  if (response.status === 404) {
    return {
      ok: false,
      status: 404,
      error: "NoServerExtension",
      message:
        "The Jupyter server does not serve /pregel-viz/payload: its pregel-viz server extension is not enabled. " +
        "Install pregel-viz in the server's Python environment and restart the server " +
        "(`jupyter server extension list` should show pregel_viz.server enabled).",
    };
  }
  return { ok: false, status: response.status, error: "HTTPError", message: `The server answered ${response.status} ${response.statusText}`.trim() };
}
