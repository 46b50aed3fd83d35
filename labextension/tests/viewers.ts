// Viewers mounted in the test document (jsdom) for a test, and torn down after it.

import type { Payload } from "../src/viewer/types";
import { createViewer, type Viewer, type ViewerOptions } from "../src/viewer/viewer";
import { fakeLayout } from "./fixture";

const mounted: Viewer[] = [];

/** A viewer of `payload` in a new host element, laid out by fakeLayout unless `opts.layout`
 *  says otherwise; closeViewers destroys it. */
export function mountViewer(payload: Payload, opts: Partial<ViewerOptions> = {}): Viewer {
  const host = document.createElement("div");
  document.body.appendChild(host);
  const v = createViewer(host, payload, { layout: fakeLayout(payload), ...opts });
  mounted.push(v);
  return v;
}

/** mountViewer, once the viewer has drawn its first view. */
export async function openViewer(payload: Payload, opts: Partial<ViewerOptions> = {}): Promise<Viewer> {
  const v = mountViewer(payload, opts);
  await v.whenReady();
  return v;
}

/** Destroy every mounted viewer and empty the document (in afterEach). */
export function closeViewers(): void {
  while (mounted.length) mounted.pop()!.destroy();
  document.body.replaceChildren();
}

/** A key pressed in the viewer. */
export const pressKey = (v: Viewer, k: string) => v.root.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
