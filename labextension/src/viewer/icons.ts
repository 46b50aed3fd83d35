// Toolbar and status icons, drawn as inline SVG (no icon font, no external asset).

import { s } from "./dom";

export const ICONS: Record<string, string[]> = {
  first: ["M3 3h2v10H3z", "M13 3 6 8l7 5z"],
  prev: ["M11 3 4 8l7 5z"],
  next: ["M5 3l7 5-7 5z"],
  last: ["M3 3l7 5-7 5z", "M11 3h2v10h-2z"],
  play: ["M4 2.5l9.5 5.5L4 13.5z"],
  pause: ["M4 3h3v10H4z", "M9 3h3v10H9z"],
};

export function makeIcon(name: string): SVGElement {
  return s(
    "svg",
    { viewBox: "0 0 16 16", width: 14, height: 14, "aria-hidden": "true", class: "pv-icon" },
    (ICONS[name] ?? []).map((d) => s("path", { d })),
  );
}
