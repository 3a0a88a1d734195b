/**
 * Line charts as inline SVG, generated here so the report needs no script, no library
 * and no network: lines (optionally filled down to zero), shaded bands, point markers
 * with a hover title, and segments, on a time or trade-index axis. Long series are
 * thinned to the first, lowest, highest and last point of each pixel column, so every
 * peak and trough stays visible. Text goes through `html`, so it is escaped.
 */

import { isoFromUs } from "../../pipeline/events.ts";
import { html, type Raw } from "./_html.ts";

export interface Line {
  readonly xs: ArrayLike<number>;
  readonly ys: ArrayLike<number>;
  readonly color: string;
  readonly label: string;
  /** Fill between the line and zero (drawdown). */
  readonly area?: boolean;
}

/** A shaded range between `lo` and `hi` at each x. */
export interface Band {
  readonly xs: ArrayLike<number>;
  readonly lo: ArrayLike<number>;
  readonly hi: ArrayLike<number>;
  readonly color: string;
  readonly label: string;
}

export interface Marker {
  readonly x: number;
  readonly y: number;
  readonly shape: "up" | "down" | "dot";
  readonly color: string;
  /** Shown on hover. */
  readonly title: string;
}

export interface Segment {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly color: string;
}

export interface ChartSpec {
  readonly title: string;
  /** `time`: x values are epoch µs (UTC); `index`: plain numbers such as a trade count. */
  readonly xAxis: "time" | "index";
  readonly yFormat: (value: number) => string;
  readonly lines?: readonly Line[];
  readonly bands?: readonly Band[];
  readonly markers?: readonly Marker[];
  readonly segments?: readonly Segment[];
  /** What to say when there is nothing to draw. */
  readonly empty?: string;
}

const WIDTH = 960;
const HEIGHT = 280;
const LEFT = 78;
const RIGHT = 16;
const TOP = 30;
const BOTTOM = 26;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;

/** One chart as an `<svg>` element sized by its viewBox. */
export function chart(spec: ChartSpec): Raw {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const l of spec.lines ?? []) {
    collect(l.xs, xs);
    collect(l.ys, ys);
  }
  for (const b of spec.bands ?? []) {
    collect(b.xs, xs);
    collect(b.lo, ys);
    collect(b.hi, ys);
  }
  for (const m of spec.markers ?? []) {
    xs.push(m.x);
    ys.push(m.y);
  }
  if (spec.lines?.some((l) => l.area)) ys.push(0);
  const body = xs.length === 0
    ? html`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" class="muted">${
      spec.empty ?? "No data"
    }</text>`
    : plot(spec, domain(xs, spec.xAxis === "time" ? 86_400_000_000 : 1), domain(ys, 1));
  return html`
    <svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img"
      aria-label="${spec.title}"><title>${spec.title}</title>${legend(spec)}${body}</svg>
  `;
}

function collect(values: ArrayLike<number>, into: number[]): void {
  for (let i = 0; i < values.length; i++) into.push(values[i]);
}

/** [min, max] of the values, widened by `pad` when they are all equal. */
function domain(values: readonly number[], pad: number): readonly [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === hi) return [lo - pad, hi + pad];
  return [lo, hi];
}

function plot(
  spec: ChartSpec,
  xDomain: readonly [number, number],
  yRaw: readonly [number, number],
) {
  const yTicks = niceTicks(yRaw[0], yRaw[1], 5);
  const y0 = Math.min(yRaw[0], yTicks[0]);
  const y1 = Math.max(yRaw[1], yTicks[yTicks.length - 1]);
  const sx = (x: number) => LEFT + (x - xDomain[0]) / (xDomain[1] - xDomain[0]) * PLOT_W;
  const sy = (y: number) => TOP + (1 - (y - y0) / (y1 - y0)) * PLOT_H;
  const xTicks = spec.xAxis === "time"
    ? evenTicks(xDomain[0], xDomain[1], 6)
    : niceTicks(xDomain[0], xDomain[1], 8).filter((t) => t >= xDomain[0] && t <= xDomain[1]);
  const span = xDomain[1] - xDomain[0];
  const xLabel = (x: number) =>
    spec.xAxis === "index"
      ? String(Math.round(x))
      : span > 3 * 86_400_000_000
      ? isoFromUs(x).slice(0, 10)
      : isoFromUs(x).slice(5, 16).replace("T", " ");
  const grid = yTicks.map((t) =>
    html`
      <line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${fix(sy(t))}" y2="${fix(sy(t))}" />
      <text class="tick" x="${LEFT - 6}" y="${fix(sy(t) + 4)}" text-anchor="end">${spec.yFormat(
        t,
      )}</text>
    `
  );
  const xAxis = xTicks.map((t) =>
    html`<text class="tick" x="${fix(sx(t))}" y="${HEIGHT - 8}" text-anchor="middle">${
      xLabel(t)
    }</text>`
  );
  const bands = (spec.bands ?? []).map((b) => {
    const upper = Array.from(
      { length: b.xs.length },
      (_, i) => `${fix(sx(b.xs[i]))},${fix(sy(b.hi[i]))}`,
    );
    const lower = Array.from(
      { length: b.xs.length },
      (_, i) => `${fix(sx(b.xs[i]))},${fix(sy(b.lo[i]))}`,
    )
      .reverse();
    return html`
      <polygon points="${[...upper, ...lower].join(" ")}" fill="${b.color}" stroke="none" />
    `;
  });
  const lines = (spec.lines ?? []).map((l) => {
    const [xs, ys] = thin(l.xs, l.ys, xDomain, PLOT_W);
    const points = xs.map((x, i) => `${fix(sx(x))},${fix(sy(ys[i]))}`);
    if (!l.area || points.length === 0) {
      return html`
        <polyline points="${points.join(" ")}" fill="none" stroke="${l.color}" stroke-width="1.5" />
      `;
    }
    const base = fix(sy(0));
    const outline = [`${fix(sx(xs[0]))},${base}`, ...points, `${fix(sx(xs.at(-1)!))},${base}`];
    return html`
      <polygon points="${outline.join(" ")}" fill="${l.color}" fill-opacity="0.25" stroke="${l
        .color}"
        stroke-width="1" />
    `;
  });
  const segments = (spec.segments ?? []).map((s) =>
    html`
      <line x1="${fix(sx(s.x1))}" y1="${fix(sy(s.y1))}" x2="${fix(sx(s.x2))}" y2="${fix(
        sy(s.y2),
      )}" stroke="${s.color}"
        stroke-width="1" stroke-dasharray="3 2" />
    `
  );
  const markers = (spec.markers ?? []).map((m) => marker(m, sx(m.x), sy(m.y)));
  return html`
    ${grid}${xAxis}<rect class="frame" x="${LEFT}" y="${TOP}" width="${PLOT_W}"
      height="${PLOT_H}" />${bands}${lines}${segments}${markers}
  `;
}

function marker(m: Marker, x: number, y: number): Raw {
  const points = m.shape === "up"
    ? [[x, y - 6], [x - 5, y + 4], [x + 5, y + 4]]
    : [[x, y + 6], [x - 5, y - 4], [x + 5, y - 4]];
  if (m.shape === "dot") {
    return html`
      <circle cx="${fix(x)}" cy="${fix(y)}" r="3" fill="${m.color}">
        <title>${m.title}</title>
      </circle>
    `;
  }
  return html`
    <polygon points="${points.map((p) => p.map(fix).join(",")).join(" ")}" fill="${m.color}">
      <title>${m.title}</title>
    </polygon>
  `;
}

function legend(spec: ChartSpec): Raw {
  const items = [...(spec.lines ?? []), ...(spec.bands ?? [])];
  let x = LEFT;
  const parts = items.map((item) => {
    const part = html`
      <rect x="${x}" y="10" width="12" height="12" fill="${item.color}" />
      <text class="legend" x="${x + 16}" y="20">${item.label}</text>
    `;
    x += 28 + item.label.length * 7;
    return part;
  });
  return html`${parts}`;
}

/** Keeps the first, lowest, highest and last point of each pixel column, in order. */
function thin(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  xDomain: readonly [number, number],
  columns: number,
): [number[], number[]] {
  const outX: number[] = [];
  const outY: number[] = [];
  const width = (xDomain[1] - xDomain[0]) / columns;
  let i = 0;
  while (i < xs.length) {
    const column = Math.floor((xs[i] - xDomain[0]) / width);
    let end = i;
    let lo = i;
    let hi = i;
    while (end + 1 < xs.length && Math.floor((xs[end + 1] - xDomain[0]) / width) === column) {
      end++;
      if (ys[end] < ys[lo]) lo = end;
      if (ys[end] > ys[hi]) hi = end;
    }
    for (const k of [...new Set([i, lo, hi, end])].sort((a, b) => a - b)) {
      outX.push(xs[k]);
      outY.push(ys[k]);
    }
    i = end + 1;
  }
  return [outX, outY];
}

/** Round steps of 1, 2 or 5 x 10^k covering [lo, hi] with about `count` ticks. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  const rough = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  if (ticks[ticks.length - 1] < hi) {
    ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  }
  return ticks;
}

/** `count` ticks spread evenly from `lo` to `hi`, both included (for time axes). */
function evenTicks(lo: number, hi: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => lo + (hi - lo) * i / (count - 1));
}

function fix(value: number): string {
  return value.toFixed(1);
}
