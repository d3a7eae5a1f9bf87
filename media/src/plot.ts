// uPlot options shared by the panels' charts: axes, grid and cursor in the
// theme's colours, and sizes that follow the panel.
import uPlot from "uplot";
import type { ChartTheme } from "./chart-theme";

/** An axis in the theme's colours; a value axis (`vertical`) gets short tick labels and room for them. */
export function axis(theme: ChartTheme, label?: string, vertical = false): uPlot.Axis {
  return {
    stroke: theme.muted,
    font: theme.font,
    labelFont: theme.font,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1 },
    ...(label ? { label } : {}),
    ...(vertical ? { size: 60, labelSize: 20, values: shortTicks } : {}),
  };
}

/** Tick labels through formatTick. */
export function shortTicks(_chart: uPlot, splits: number[]): string[] {
  return splits.map(formatTick);
}

/** Short tick labels: 1e-3 rather than 0.001000. */
export function formatTick(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "";
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4 || magnitude < 1e-2) {
    const [mantissa, exponent] = value.toExponential(2).split("e");
    return `${Number(mantissa)}e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(3)));
}

/** A number as the panels print it: four significant digits, exponent when far from 1. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e5 || magnitude < 1e-3)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** The width a chart gets in its container. */
export function widthOf(container: HTMLElement): number {
  return Math.max(240, Math.floor(container.clientWidth || document.body.clientWidth - 32));
}

/** Keeps each chart as wide as its container. */
export function followWidth(container: HTMLElement, charts: () => { chart: uPlot; height: number }[]): void {
  new ResizeObserver(() => {
    for (const { chart, height } of charts()) {
      const width = widthOf(chart.root.parentElement ?? container);
      if (width !== chart.width) chart.setSize({ width, height });
    }
  }).observe(container);
}

/** A reference line: a value on the x axis (a vertical line) or the y axis (a horizontal one), with its label. */
export interface Guide {
  orientation: "x" | "y";
  value: number;
  color: string;
  label: string;
  scaleKey?: string;
}

/** Where a guide's label was drawn, in CSS pixels from the canvas's top left. */
export interface LabelBox {
  label: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/**
 * Draws the guides (from a draw hook) and keeps where their labels went on
 * the chart's root as data-guides, so tests and tools can check that no
 * label runs off the plot.
 */
export function drawGuides(chart: uPlot, guides: Guide[]): void {
  const boxes: LabelBox[] = [];
  for (const guide of guides) {
    const box = drawGuide(chart, guide);
    if (box) boxes.push(box);
  }
  chart.root.dataset.guides = JSON.stringify(boxes);
}

/**
 * A dashed line across the plotting area with its label inside the area: a
 * vertical line's label beside it, on the left when the right has no room; a
 * horizontal line's label at the right end, above the line when there is no
 * room below.
 */
export function drawGuide(chart: uPlot, guide: Guide): LabelBox | undefined {
  const { ctx, bbox } = chart;
  const { orientation, color, label } = guide;
  const position = chart.valToPos(guide.value, guide.scaleKey ?? orientation, true);
  if (!Number.isFinite(position)) return undefined;
  const inside = orientation === "x" ? position >= bbox.left && position <= bbox.left + bbox.width : position >= bbox.top && position <= bbox.top + bbox.height;
  if (!inside) return undefined;
  const scale = window.devicePixelRatio || 1;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 1.5 * scale;
  ctx.setLineDash([6 * scale, 4 * scale]);
  ctx.beginPath();
  if (orientation === "x") {
    ctx.moveTo(position, bbox.top);
    ctx.lineTo(position, bbox.top + bbox.height);
  } else {
    ctx.moveTo(bbox.left, position);
    ctx.lineTo(bbox.left + bbox.width, position);
  }
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.font = `${11 * scale}px sans-serif`;
  // uPlot leaves its own alignment on the context; the label's box below assumes this one.
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  const width = ctx.measureText(label).width;
  const height = 13 * scale;
  const gap = 4 * scale;
  const right = bbox.left + bbox.width;
  const bottom = bbox.top + bbox.height;
  let x: number;
  let y: number;
  if (orientation === "x") {
    x = position + gap + width <= right ? position + gap : position - gap - width;
    y = bbox.top + gap;
  } else {
    x = right - width - gap;
    y = position + 2 * scale + height <= bottom ? position + 2 * scale : position - 2 * scale - height;
  }
  // A label wider than the room on either side still stays on the plot, over its line.
  x = Math.max(bbox.left, Math.min(x, right - width));
  y = Math.max(bbox.top, Math.min(y, bottom - height));
  ctx.fillText(label, x, y);
  ctx.restore();
  return { label, left: x / scale, top: y / scale, right: (x + width) / scale, bottom: (y + height) / scale };
}
