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

/** A dashed line across the plotting area at x (vertical) or y (horizontal), with a label. */
export function drawGuide(chart: uPlot, orientation: "x" | "y", value: number, color: string, label: string, scaleKey = orientation): void {
  const { ctx, bbox } = chart;
  const position = chart.valToPos(value, scaleKey, true);
  if (!Number.isFinite(position)) return;
  const scale = window.devicePixelRatio || 1;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 1.5 * scale;
  ctx.setLineDash([6 * scale, 4 * scale]);
  ctx.beginPath();
  if (orientation === "x") {
    if (position < bbox.left || position > bbox.left + bbox.width) return ctx.restore();
    ctx.moveTo(position, bbox.top);
    ctx.lineTo(position, bbox.top + bbox.height);
  } else {
    if (position < bbox.top || position > bbox.top + bbox.height) return ctx.restore();
    ctx.moveTo(bbox.left, position);
    ctx.lineTo(bbox.left + bbox.width, position);
  }
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.font = `${11 * scale}px sans-serif`;
  ctx.textBaseline = "top";
  if (orientation === "x") ctx.fillText(label, position + 4 * scale, bbox.top + 4 * scale);
  else ctx.fillText(label, bbox.left + bbox.width - ctx.measureText(label).width - 4 * scale, position + 2 * scale);
  ctx.restore();
}
