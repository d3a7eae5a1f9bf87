// The landscape panel. A ray, L(W + a·W₁), is a line chart; a plane,
// L(W + a·W₁ + b·W₂), is a heatmap, blue for low and red for high as in the
// notes' figures, with contour lines and the optimizer's trajectory over it.
import { contours } from "d3-contour";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "../charts.css";
import { heatColour, onThemeChange, readTheme, type ChartTheme } from "./chart-theme";
import { element, vscodeApi } from "./dom";
import { exportCsv, exportPng } from "./export";
import type { FromWebview, LandscapeResult, ToLandscapePanel } from "./messages";
import { axis, drawGuides, followWidth, formatValue, widthOf } from "./plot";

const vscode = vscodeApi<FromWebview>();
const root = document.getElementById("root") as HTMLElement;
let current = vscode.getState() as ToLandscapePanel | undefined;
let theme: ChartTheme = readTheme();
let lineChart: uPlot | undefined;
let logColours = false;
const lineHeight = 340;

/** Where a loss falls between the plane's min and max, linearly or on a log scale. */
function shade(loss: number, min: number, max: number): number {
  if (!Number.isFinite(loss)) return 1;
  if (max <= min) return 0.5;
  return logColours ? Math.log1p(loss - min) / Math.log1p(max - min) : (loss - min) / (max - min);
}

function render(message: ToLandscapePanel): void {
  lineChart?.destroy();
  lineChart = undefined;
  const { landscape } = message;
  const plane = landscape.directions === 2;
  root.dataset.kind = plane ? "plane" : "ray";
  const title = element("h1", `${message.run} — loss ${plane ? "across a plane" : "along a ray"} (${message.file})`);
  const summary = element(
    "p",
    `${plane ? "L(W + a·W₁ + b·W₂)" : "L(W + a·W₁)"} for a from ${formatValue(landscape.axis[0])} to ${formatValue(landscape.axis[landscape.axis.length - 1])}: ${formatValue(landscape.center)} at W, from ${formatValue(landscape.min)} to ${formatValue(landscape.max)}.${landscape.trajectory ? ` The run's trajectory: ${landscape.trajectory.length} snapshots.` : ""}`,
    "status",
  );
  const toolbar = element("div", undefined, "toolbar");
  const csvButton = element("button", "Export CSV");
  const pngButton = element("button", "Export PNG");
  const container = element("div", undefined, "chart");
  container.id = "landscape-chart";
  const readout = element("p", plane ? "Hover over the map to read the loss." : "", "status");
  readout.id = "readout";
  let canvases: HTMLCanvasElement[] = [];
  if (plane) {
    const logInput = element("input");
    logInput.type = "checkbox";
    logInput.checked = logColours;
    logInput.addEventListener("change", () => {
      logColours = logInput.checked;
      render(message);
    });
    const label = element("label");
    label.append(element("span", "Log colours"), logInput);
    toolbar.append(label);
  }
  toolbar.append(csvButton, pngButton);
  root.replaceChildren(title, summary, toolbar, container, readout);
  if (plane) canvases = [drawPlane(container, landscape, readout)];
  else {
    lineChart = drawRay(container, landscape);
    canvases = [lineChart.ctx.canvas];
  }

  csvButton.addEventListener("click", () => {
    const n = landscape.axis.length;
    const lines = plane ? ["a,b,loss", ...landscape.losses.map((loss, k) => `${landscape.axis[k % n]},${landscape.axis[Math.floor(k / n)]},${loss}`)] : ["a,loss", ...landscape.losses.map((loss, i) => `${landscape.axis[i]},${loss}`)];
    exportCsv(vscode, `${message.run}-landscape`, lines.join("\n") + "\n");
  });
  pngButton.addEventListener("click", () =>
    exportPng(vscode, `${message.run}-landscape`, { container, canvases, background: theme.background, foreground: theme.foreground, font: theme.font, legend: [{ label: `${message.run}: ${plane ? "blue low, red high" : "loss along the ray"}`, color: theme.palette[0] }] }),
  );
}

function drawRay(container: HTMLElement, landscape: LandscapeResult): uPlot {
  const options: uPlot.Options = {
    width: widthOf(container),
    height: lineHeight,
    scales: { x: { time: false } },
    axes: [axis(theme, "a"), axis(theme, "loss", true)],
    cursor: { drag: { x: true, y: false, setScale: true } },
    series: [
      { label: "a", value: (_chart, value) => formatValue(value) },
      { label: "loss", stroke: theme.palette[0], width: 2, points: { show: landscape.axis.length <= 101, size: 4, fill: theme.palette[0] }, value: (_chart, value) => formatValue(value) },
    ],
    hooks: { draw: [(chart) => drawGuides(chart, [{ orientation: "x", value: 0, color: theme.muted, label: `W: ${formatValue(landscape.center)}` }])] },
  };
  const losses = landscape.losses.map((loss) => (Number.isFinite(loss) ? loss : null));
  return new uPlot(options, [landscape.axis, losses], container);
}

function drawPlane(container: HTMLElement, landscape: LandscapeResult, readout: HTMLElement): HTMLCanvasElement {
  const n = landscape.axis.length;
  const margin = { left: 56, right: 84, top: 12, bottom: 44 };
  const width = widthOf(container);
  const size = Math.max(120, Math.min(width - margin.left - margin.right, 520));
  const canvas = element("canvas");
  const scale = window.devicePixelRatio || 1;
  const cssWidth = margin.left + size + margin.right;
  const cssHeight = margin.top + size + margin.bottom;
  canvas.width = Math.round(cssWidth * scale);
  canvas.height = Math.round(cssHeight * scale);
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  canvas.id = "heatmap";
  container.append(canvas);
  const context = canvas.getContext("2d");
  if (!context) return canvas;
  context.scale(scale, scale);
  const cell = size / n;
  const { min, max } = landscape;
  // Row j is b = axis[j], drawn from the bottom up; column i is a = axis[i].
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const [r, g, b] = heatColour(shade(landscape.losses[j * n + i], min, max));
      context.fillStyle = `rgb(${r}, ${g}, ${b})`;
      context.fillRect(margin.left + i * cell, margin.top + size - (j + 1) * cell, Math.ceil(cell), Math.ceil(cell));
    }
  }
  // Contours at evenly spaced shades.
  const levels = 10;
  const shades = landscape.losses.map((loss) => shade(loss, min, max));
  const rings = contours()
    .size([n, n])
    .thresholds(Array.from({ length: levels - 1 }, (_, k) => (k + 1) / levels))(shades);
  context.strokeStyle = "rgba(20, 20, 20, 0.55)";
  context.lineWidth = 1;
  const toX = (gridX: number) => margin.left + (gridX / n) * size;
  const toY = (gridY: number) => margin.top + size - (gridY / n) * size;
  for (const band of rings) {
    for (const polygon of band.coordinates) {
      for (const ring of polygon) {
        context.beginPath();
        ring.forEach(([x, y], k) => (k === 0 ? context.moveTo(toX(x), toY(y)) : context.lineTo(toX(x), toY(y))));
        context.stroke();
      }
    }
  }
  // Axis values to pixels: axis[i] sits at the middle of cell i.
  const first = landscape.axis[0];
  const last = landscape.axis[n - 1];
  const toGrid = (value: number) => (last === first ? n / 2 : ((value - first) / (last - first)) * (n - 1) + 0.5);
  // W itself, the origin of the plane.
  context.strokeStyle = "#111111";
  context.lineWidth = 2;
  const [ox, oy] = [toX(toGrid(0)), toY(toGrid(0))];
  context.beginPath();
  context.moveTo(ox - 6, oy);
  context.lineTo(ox + 6, oy);
  context.moveTo(ox, oy - 6);
  context.lineTo(ox, oy + 6);
  context.stroke();
  if (landscape.trajectory && landscape.trajectory.length > 0) drawTrajectory(context, landscape.trajectory.map((point) => [toX(toGrid(point.a)), toY(toGrid(point.b))]));
  drawAxes(context, landscape, margin, size, toX, toY, toGrid);
  drawColourBar(context, margin.left + size + 16, margin.top, size, min, max);

  canvas.addEventListener("mousemove", (event) => {
    const box = canvas.getBoundingClientRect();
    const i = Math.floor((event.clientX - box.left - margin.left) / cell);
    const j = Math.floor((margin.top + size - (event.clientY - box.top)) / cell);
    if (i < 0 || j < 0 || i >= n || j >= n) return;
    readout.textContent = `a = ${formatValue(landscape.axis[i])}, b = ${formatValue(landscape.axis[j])}: loss ${formatValue(landscape.losses[j * n + i])}`;
  });
  root.dataset.cells = String(n * n);
  root.dataset.geometry = JSON.stringify({ left: margin.left, top: margin.top, size, n });
  root.dataset.contours = String(rings.reduce((total, band) => total + band.coordinates.length, 0));
  return canvas;
}

function drawTrajectory(context: CanvasRenderingContext2D, points: number[][]): void {
  context.save();
  context.lineJoin = "round";
  for (const [colour, width] of [
    ["#ffffff", 5],
    ["#111111", 2],
  ] as const) {
    context.strokeStyle = colour;
    context.lineWidth = width;
    context.beginPath();
    points.forEach(([x, y], k) => (k === 0 ? context.moveTo(x, y) : context.lineTo(x, y)));
    context.stroke();
  }
  const [endX, endY] = points[points.length - 1];
  context.fillStyle = "#111111";
  context.strokeStyle = "#ffffff";
  context.lineWidth = 2;
  context.beginPath();
  context.arc(endX, endY, 5, 0, 2 * Math.PI);
  context.fill();
  context.stroke();
  context.restore();
}

function drawAxes(context: CanvasRenderingContext2D, landscape: LandscapeResult, margin: { left: number; top: number; bottom: number }, size: number, toX: (x: number) => number, toY: (y: number) => number, toGrid: (value: number) => number): void {
  const first = landscape.axis[0];
  const last = landscape.axis[landscape.axis.length - 1];
  context.fillStyle = theme.muted;
  context.strokeStyle = theme.grid;
  context.font = theme.font;
  const ticks = 5;
  for (let k = 0; k < ticks; k++) {
    const value = first + ((last - first) * k) / (ticks - 1);
    const label = formatValue(value);
    const x = toX(toGrid(value));
    const y = toY(toGrid(value));
    context.textAlign = "center";
    context.textBaseline = "top";
    context.fillText(label, x, margin.top + size + 6);
    context.textAlign = "right";
    context.textBaseline = "middle";
    context.fillText(label, margin.left - 6, y);
  }
  context.textAlign = "center";
  context.textBaseline = "bottom";
  context.fillText("a (along W₁)", margin.left + size / 2, margin.top + size + margin.bottom);
  context.save();
  context.translate(12, margin.top + size / 2);
  context.rotate(-Math.PI / 2);
  context.textBaseline = "middle";
  context.fillText("b (along W₂)", 0, 0);
  context.restore();
}

function drawColourBar(context: CanvasRenderingContext2D, left: number, top: number, height: number, min: number, max: number): void {
  const width = 14;
  for (let y = 0; y < height; y++) {
    const t = 1 - y / height;
    const [r, g, b] = heatColour(t);
    context.fillStyle = `rgb(${r}, ${g}, ${b})`;
    context.fillRect(left, top + y, width, 1);
  }
  context.fillStyle = theme.muted;
  context.font = theme.font;
  context.textAlign = "left";
  context.textBaseline = "top";
  context.fillText(formatValue(max), left + width + 4, top);
  context.textBaseline = "bottom";
  context.fillText(formatValue(min), left + width + 4, top + height);
}

window.addEventListener("message", (event: MessageEvent<ToLandscapePanel>) => {
  const message = event.data;
  if (message?.type !== "landscape" || !Array.isArray(message.landscape?.losses) || !Array.isArray(message.landscape.axis)) return;
  current = message;
  vscode.setState(current);
  render(current);
});
onThemeChange(() => {
  theme = readTheme();
  if (current) render(current);
});
followWidth(root, () => (lineChart ? [{ chart: lineChart, height: lineHeight }] : []));
if (current) render(current);
vscode.postMessage({ type: "ready" });
