// Small inline SVG icons (fonts in headless or minimal hosts lack many symbol glyphs).
// Drawn with currentColor in a 16x16 box; decorative (aria-hidden), the text says the state.

const NS = "http://www.w3.org/2000/svg";

const SHAPES: Record<string, string[]> = {
  check: ["M3 8.5l3.2 3.2L13 4.8"],
  play: ["M5 3.5v9l7-4.5z"],
  pause: ["M5.5 3.5v9", "M10.5 3.5v9"],
  hand: ["M8 2.5v7", "M8 12.2v.3", "M8 1a7 7 0 1 1 0 14A7 7 0 0 1 8 1z"], // attention: approve
  circle: ["M8 3a5 5 0 1 1 0 10A5 5 0 0 1 8 3z"],
  cross: ["M4 4l8 8", "M12 4l-8 8"],
  slash: ["M8 2a6 6 0 1 1 0 12A6 6 0 0 1 8 2z", "M3.8 12.2l8.4-8.4"],
  sync: ["M13 8a5 5 0 0 1-8.6 3.5", "M3 8a5 5 0 0 1 8.6-3.5", "M11.6 1.8v2.7H8.9", "M4.4 14.2v-2.7h2.7"],
  question: ["M6 6a2 2 0 1 1 2.8 1.8c-.5.3-.8.7-.8 1.2v.5", "M8 12v.3"],
};

export const STEP_ICONS: Record<string, string> = {
  done: "check", current: "play", paused: "pause", "awaiting-approval": "hand", pending: "circle",
};
export const STATUS_ICONS: Record<string, string> = {
  Healthy: "check", Progressing: "sync", Paused: "pause", Failed: "cross", Disabled: "slash",
  Unknown: "question",
};

export function icon(name: string, cls = ""): SVGSVGElement {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", `rw-svg-icon ${cls}`.trim());
  svg.setAttribute("data-icon", name);
  for (const d of SHAPES[name] ?? SHAPES.circle) {
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
  }
  return svg;
}
