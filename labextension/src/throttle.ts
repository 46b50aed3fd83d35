// Browser → Python syncing of a widget's position: at most every THROTTLE_MS, on the leading
// and the trailing edge (so the last move always reaches Python).

export const THROTTLE_MS = 50;

export interface Throttled {
  /** Ask for `send` to run: now, or when THROTTLE_MS have passed since it last ran. */
  push(): void;
  /** Drop a pending run (the widget is going away). */
  cancel(): void;
}

export function throttled(send: () => void, ms = THROTTLE_MS): Throttled {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  const run = (): void => {
    timer = null;
    last = Date.now();
    send();
  };
  return {
    push() {
      if (timer !== null) return;
      const wait = Math.max(0, last + ms - Date.now());
      if (wait === 0) run();
      else timer = setTimeout(run, wait);
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
