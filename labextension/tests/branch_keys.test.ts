// A forked thread is stepped along its current branch: ←/→, Home/End, the step buttons, the
// slider and play follow the path the timeline draws (root to the branch's last entry) and
// never jump into another branch; the timeline's ‹ n/m › switch changes branch.

import { afterEach, describe, expect, it, vi } from "vitest";
import { BranchPath, PayloadModel } from "../src/viewer/model";
import type { Payload } from "../src/viewer/types";
import type { Viewer } from "../src/viewer/viewer";
import { bigPayload } from "./fixture";
import { closeViewers, openViewer as open, pressKey as key } from "./viewers";

afterEach(() => {
  closeViewers();
  vi.useRealTimers();
});

/** Entries 0..7 on branch 0 (steps -1..6), then a fork of entry 3 recorded after them:
 *  entries 8..11 on branch 1 (steps 3..6 again). */
function forkedPayload(): Payload {
  const p = bigPayload(12, 10);
  const steps = p.threads[0].namespaces[0].steps;
  steps.forEach((s, i) => {
    s.branch = i < 8 ? 0 : 1;
    s.fork_of = i === 8 ? 3 : null;
    if (i >= 8) s.step = i - 5; // a fork repeats its parent's step numbers
  });
  return p;
}

const FIRST_BRANCH = [0, 1, 2, 3, 4, 5, 6, 7];
const FORK = [0, 1, 2, 3, 8, 9, 10, 11];

const index = (v: Viewer) => Number(v.root.getAttribute("data-index"));
const columns = (v: Viewer) => Array.from(v.root.querySelectorAll(".pv-tl-col")).map((c) => Number(c.getAttribute("data-index")));
const button = (v: Viewer, cls: string) => v.root.querySelector<HTMLButtonElement>(`.pv-toolbar .${cls}`)!;
const slider = (v: Viewer) => v.root.querySelector<HTMLInputElement>(".pv-slider")!;

/** Press `k` and return the entry shown. */
function press(v: Viewer, k: string): number {
  key(v, k);
  return index(v);
}

describe("the model's branch paths", () => {
  const space = new PayloadModel(forkedPayload()).thread("")!.namespace("")!;

  it("runs from the first entry through the fork point to each branch's last entry", () => {
    expect(space.forked).toBe(true);
    expect(space.branchPath(5).entries).toEqual(FIRST_BRANCH);
    expect(space.branchPath(9).entries).toEqual(FORK);
    // an entry both branches share: its own branch (the first)
    expect(space.branchPath(2).entries).toEqual(FIRST_BRANCH);
  });

  it("keeps the branch shown while the entry is on it", () => {
    const fork = space.branchPath(10);
    expect(space.branchPath(2, fork)).toBe(fork);
    expect(space.branchPath(5, fork).entries).toEqual(FIRST_BRANCH);
  });

  it("steps along the path and stops at its ends", () => {
    const fork = space.branchPath(8);
    expect(fork.next(3)).toBe(8);
    expect(fork.prev(8)).toBe(3);
    expect(fork.next(11)).toBe(11);
    expect(fork.prev(0)).toBe(0);
    expect([fork.first(), fork.last(), fork.length, fork.at(4), fork.indexOf(9)]).toEqual([0, 11, 8, 8, 5]);
    const first = space.branchPath(7);
    expect(first.next(7)).toBe(7); // the first branch's last entry: → does not enter the fork
  });

  it("a thread never forked is every entry in order", () => {
    const plain = new PayloadModel(bigPayload(5, 5)).thread("")!.namespace("")!;
    const path = plain.branchPath(2);
    expect(path).toBeInstanceOf(BranchPath);
    expect(path.entries).toBeNull();
    expect([path.length, path.next(2), path.prev(2), path.last(), path.indexOf(7)]).toEqual([5, 3, 1, 4, -1]);
  });
});

describe("stepping a forked thread", () => {
  it("→ at the first branch's last entry stays there, it does not jump into the fork", async () => {
    const v = await open(forkedPayload(), { step: 2 });
    expect(index(v)).toBe(3); // the fork point
    expect(press(v, "End")).toBe(7);
    expect(press(v, "ArrowRight")).toBe(7);
    expect(button(v, "pv-next-btn").disabled).toBe(true);
    expect(button(v, "pv-last").disabled).toBe(true);
    expect(columns(v)).toEqual(FIRST_BRANCH);
    // ← walks back along the first branch, past the fork point
    const back = [press(v, "ArrowLeft"), press(v, "ArrowLeft"), press(v, "ArrowLeft"), press(v, "ArrowLeft"), press(v, "ArrowLeft")];
    expect(back).toEqual([6, 5, 4, 3, 2]);
    expect(press(v, "Home")).toBe(0);
    expect(press(v, "End")).toBe(7);
  });

  it("on the fork, ← and → pass the fork point along the fork's own path, Home and End are its ends", async () => {
    const v = await open(forkedPayload(), { step: 2 });
    key(v, "ArrowRight"); // entry 4: the first branch, right after the fork point
    // the switch (on the first column after the fork point) changes branch
    const sw = v.root.querySelector(".pv-tl-switch")!;
    expect(sw.getAttribute("data-branches")).toBe("1/2");
    sw.querySelectorAll<HTMLButtonElement>("button")[1].click();
    expect(index(v)).toBe(8);
    expect(columns(v)).toEqual(FORK);
    expect(press(v, "ArrowLeft")).toBe(3);
    expect(press(v, "ArrowLeft")).toBe(2);
    // back on the entries the branches share, → goes on along the fork, not the first branch
    expect(press(v, "ArrowRight")).toBe(3);
    expect(press(v, "ArrowRight")).toBe(8);
    expect(press(v, "End")).toBe(11);
    expect(press(v, "ArrowRight")).toBe(11);
    expect(press(v, "Home")).toBe(0);
    expect(columns(v)).toEqual(FORK); // the timeline shows the branch the keys follow
    expect(press(v, "End")).toBe(11);
    // the slider is a place on the path: its end is the fork's last entry
    const s = slider(v);
    expect([s.max, s.value]).toEqual(["7", "7"]);
    s.value = "4";
    s.dispatchEvent(new Event("input"));
    expect(index(v)).toBe(8);
    s.value = "3";
    s.dispatchEvent(new Event("input"));
    expect(index(v)).toBe(3);
    // and the step buttons too
    button(v, "pv-next-btn").click();
    expect(index(v)).toBe(8);
    button(v, "pv-first").click();
    expect(index(v)).toBe(0);
    button(v, "pv-last").click();
    expect(index(v)).toBe(11);
  });

  it("play follows the branch shown", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const seen: number[] = [];
    const v = await open(forkedPayload(), { step: 2, playInterval: 200 });
    key(v, "ArrowRight");
    v.root.querySelector<HTMLButtonElement>(".pv-tl-switch button:last-child")!.click(); // onto the fork
    key(v, "Home");
    const onChange = () => seen.push(index(v));
    const mo = new MutationObserver(onChange);
    mo.observe(v.root, { attributes: true, attributeFilter: ["data-index"] });
    button(v, "pv-play").click();
    for (let i = 0; i < 12; i++) {
      vi.advanceTimersByTime(200);
      await Promise.resolve();
    }
    mo.disconnect();
    expect(seen).toEqual(FORK.slice(1));
    expect(v.root.classList.contains("pv-playing")).toBe(false);
  });
});
