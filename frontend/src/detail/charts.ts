// Small inline SVG charts (no chart library): a line of values over time with an optional
// threshold line. Built with createElementNS; text goes through textContent only.

const NS = "http://www.w3.org/2000/svg";

export interface Point {
  t: number; // ms since epoch
  v: number;
  cls?: string; // class of this point's dot (e.g. a measurement's phase)
  note?: string; // added to the dot's tooltip
}

export interface Series {
  points: Point[];
  cls: string; // CSS class of the line (colour)
  label: string;
  step?: boolean; // draw as steps (held until the next point)
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A number from a measurement value: "0.97", "[0.97]", "[1, 2]" (first) -> number or null. */
export function numeric(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const m = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(value);
  if (!m) return null;
  const n = Number(m[0]);
  return Number.isFinite(n) ? n : null;
}

/** The threshold of a simple condition ("result[0] >= 0.95", "result < 5"), or null. */
export function threshold(condition: string): { op: string; value: number } | null {
  const m = /^\s*(?:result(?:\[\d+\])?|asFloat\(result(?:\[\d+\])?\)|len\(result\))\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(
    condition || "",
  );
  return m ? { op: m[1], value: Number(m[2]) } : null;
}

export interface ChartOptions {
  width?: number;
  height?: number;
  title: string;
  lines?: { value: number; cls: string; label: string }[];
  yMin?: number;
  yMax?: number;
  timeAxis?: boolean; // label both ends of the time axis (UTC hh:mm:ss)
  xMax?: number; // extend the time axis (to now: values hold until they change)
}

function clock(t: number): string {
  return new Date(t).toISOString().slice(11, 19);
}

/** An SVG line chart of `series` with horizontal `lines`; role="img" with a text title. */
export function lineChart(series: Series[], opts: ChartOptions): SVGSVGElement {
  const width = opts.width ?? 320;
  const height = opts.height ?? 110;
  const pad = { l: 34, r: 8, t: 8, b: opts.timeAxis ? 20 : 12 };
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    class: "rw-chart",
    role: "img",
    "aria-label": opts.title,
  });
  const title = svg("title", {});
  title.textContent = opts.title;
  root.appendChild(title);
  const all = series.flatMap((s) => s.points);
  const ts = all.map((p) => p.t);
  const vs = all.map((p) => p.v).concat((opts.lines ?? []).map((l) => l.value));
  if (!all.length) {
    const t = svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "rw-chart-empty" });
    t.textContent = "no data yet";
    root.appendChild(t);
    return root;
  }
  let t0 = Math.min(...ts);
  let t1 = Math.max(...ts, opts.xMax ?? -Infinity);
  if (t1 === t0) {
    t0 -= 1000;
    t1 += 1000;
  }
  let y0 = opts.yMin ?? Math.min(...vs);
  let y1 = opts.yMax ?? Math.max(...vs);
  if (y1 === y0) {
    y0 -= 1;
    y1 += 1;
  }
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0)) * (width - pad.l - pad.r);
  const y = (v: number) => height - pad.b - ((v - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  root.appendChild(svg("line", { x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b, class: "rw-axis" }));
  root.appendChild(svg("line", { x1: pad.l, y1: pad.t, x2: pad.l, y2: height - pad.b, class: "rw-axis" }));
  for (const v of [y0, y1]) {
    const label = svg("text", { x: pad.l - 4, y: y(v) + 4, "text-anchor": "end", class: "rw-tick" });
    label.textContent = Number.isInteger(v) ? String(v) : v.toPrecision(3);
    root.appendChild(label);
  }
  if (opts.timeAxis) {
    for (const [t, anchor] of [[t0, "start"], [t1, "end"]] as const) {
      const label = svg("text", { x: x(t), y: height - 6, "text-anchor": anchor, class: "rw-tick" });
      label.textContent = clock(t);
      root.appendChild(label);
    }
  }
  for (const line of opts.lines ?? []) {
    root.appendChild(svg("line", { x1: pad.l, x2: width - pad.r, y1: y(line.value), y2: y(line.value), class: line.cls }));
    const label = svg("text", { x: width - pad.r, y: y(line.value) - 3, "text-anchor": "end", class: `rw-tick ${line.cls}-label` });
    label.textContent = line.label;
    root.appendChild(label);
  }
  for (const s of series) {
    if (!s.points.length) continue;
    const pts = [...s.points].sort((a, b) => a.t - b.t);
    const coords: string[] = [];
    pts.forEach((p, i) => {
      if (s.step && i > 0) coords.push(`${x(p.t)},${y(pts[i - 1].v)}`);
      coords.push(`${x(p.t)},${y(p.v)}`);
    });
    if (s.step) coords.push(`${x(t1)},${y(pts[pts.length - 1].v)}`); // held until the end
    root.appendChild(svg("polyline", { points: coords.join(" "), class: `rw-line ${s.cls}`, fill: "none" }));
    for (const p of pts) {
      const dot = svg("circle", { cx: x(p.t), cy: y(p.v), r: p.cls ? 3 : 2.2, class: `rw-dot ${s.cls} ${p.cls ?? ""}` });
      const tip = svg("title", {});
      tip.textContent = `${s.label}: ${p.v} at ${new Date(p.t).toISOString()}${p.note ? ` (${p.note})` : ""}`;
      dot.appendChild(tip);
      root.appendChild(dot);
    }
  }
  return root;
}
