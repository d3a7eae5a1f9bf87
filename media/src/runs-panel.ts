// The loss-curve panel: every run's training loss (smoothed, with the raw
// curve faint behind) and validation loss, growing live, with side plots of
// accuracy, step size, gradient norm and update-to-weight ratio. Names are
// only ever set as text.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "../charts.css";
import { onThemeChange, readTheme, withAlpha, type ChartTheme } from "./chart-theme";
import { curvesCsv, forLogAxis, smooth, xAxisLabels, xOf, type XAxis } from "./curves";
import { element, vscodeApi } from "./dom";
import { exportCsv, exportPng } from "./export";
import { parsePoint, parseSavedRuns, parseSeries, type FromWebview, type RunSeries, type ToRunsPanel } from "./messages";
import { axis, drawGuide, followWidth, formatValue, widthOf } from "./plot";
import type { RunPoint } from "../../server/src/protocol";

interface Options {
  smoothing: number;
  logY: boolean;
  xAxis: XAxis;
}

const vscode = vscodeApi<FromWebview>();
const root = document.getElementById("root") as HTMLElement;
const saved = vscode.getState() as { options?: Partial<Options> } | undefined;
let runs: RunSeries[] = parseSavedRuns(saved);
const options: Options = {
  smoothing: typeof saved?.options?.smoothing === "number" ? Math.min(0.99, Math.max(0, saved.options.smoothing)) : 0.6,
  logY: saved?.options?.logY === true,
  xAxis: saved?.options?.xAxis === "epoch" || saved?.options?.xAxis === "seconds" ? saved.options.xAxis : "step",
};

/** A side plot: one value of each point, per run. */
interface SidePlot {
  title: string;
  values: (point: RunPoint) => (number | undefined)[];
  labels: string[];
  log: boolean;
  /** A reference line, such as the healthy update ratio. */
  guide?: { value: number; label: string };
}

const sidePlots: SidePlot[] = [
  { title: "accuracy", values: (point) => [point.trainAccuracy, point.evalAccuracy], labels: ["train", "val"], log: false },
  { title: "step size", values: (point) => [point.lr], labels: ["lr"], log: true },
  { title: "gradient norm", values: (point) => [point.gradNorm], labels: ["‖∇‖"], log: true },
  { title: "update / weight ratio", values: (point) => [point.updateRatio], labels: ["‖Δw‖/‖w‖"], log: true, guide: { value: 1e-3, label: "1e-3: healthy" } },
];

// ---------------------------------------------------------------- layout

const toolbar = element("div", undefined, "toolbar");
const smoothingInput = element("input");
smoothingInput.type = "range";
smoothingInput.min = "0";
smoothingInput.max = "0.99";
smoothingInput.step = "0.01";
smoothingInput.value = String(options.smoothing);
smoothingInput.id = "smoothing";
const smoothingValue = element("span", options.smoothing.toFixed(2), "value");
const logInput = element("input");
logInput.type = "checkbox";
logInput.id = "log-y";
logInput.checked = options.logY;
const xSelect = element("select");
xSelect.id = "x-axis";
for (const axisName of ["step", "epoch", "seconds"] as XAxis[]) {
  const option = element("option", xAxisLabels[axisName]);
  option.value = axisName;
  xSelect.append(option);
}
xSelect.value = options.xAxis;
const resetButton = element("button", "Reset zoom");
const csvButton = element("button", "Export CSV");
const pngButton = element("button", "Export PNG");
const clearButton = element("button", "Clear finished");
clearButton.title = "Remove the runs that have ended (their folders under runs/ stay)";
toolbar.append(
  labelled("Smoothing", smoothingInput, smoothingValue),
  labelled("Log y", logInput),
  labelled("x axis", xSelect),
  resetButton,
  csvButton,
  pngButton,
  clearButton,
);
const status = element("p", undefined, "status");
status.id = "status";
const markers = element("ul", undefined, "markers");
markers.id = "markers";
const mainContainer = element("div", undefined, "chart main-chart");
mainContainer.id = "loss-chart";
const sideGrid = element("div", undefined, "side-grid");
const sideContainers = sidePlots.map((plot) => {
  const box = element("div", undefined, "chart side-chart");
  box.append(element("h2", plot.title));
  const holder = element("div");
  box.append(holder);
  sideGrid.append(box);
  return holder;
});
const chartsArea = element("div", undefined, "charts");
chartsArea.append(mainContainer, sideGrid);

function labelled(text: string, ...controls: HTMLElement[]): HTMLElement {
  const label = element("label");
  label.append(element("span", text), ...controls);
  return label;
}

// ---------------------------------------------------------------- charts

let theme: ChartTheme = readTheme();
let mainChart: uPlot | undefined;
let sideCharts: uPlot[] = [];
let zoomed = false;
let syncing = false;

function colorOf(index: number): string {
  return theme.palette[index % theme.palette.length];
}

/** A run's name in legends: with its file when another run has the same name, and a number when that is not enough. */
function labelOf(index: number): string {
  const series = runs[index];
  const sameName = runs.filter((other) => other.run === series.run);
  if (sameName.length === 1) return series.run;
  const sameFile = sameName.filter((other) => other.file === series.file);
  const withFile = `${series.run} (${series.file})`;
  return sameFile.length === 1 ? withFile : `${withFile} #${sameFile.indexOf(series) + 1}`;
}

/** [x, raw₀, smoothed₀, val₀, raw₁, …] over the union of the runs' x values. */
function lossData(): uPlot.AlignedData {
  const tables = runs.map((series) => {
    const xs = series.points.map((point) => xOf(point, options.xAxis));
    const raw = series.points.map((point) => point.loss);
    const smoothed = smooth(raw, options.smoothing);
    const evaluated = series.points.map((point) => point.evalLoss ?? null);
    const columns = options.logY ? [forLogAxis(raw), forLogAxis(smoothed), forLogAxis(evaluated)] : [raw.map(finiteOrNull), smoothed, evaluated];
    return [xs, ...columns] as uPlot.AlignedData;
  });
  return joined(tables, 3);
}

function sideData(plot: SidePlot): uPlot.AlignedData {
  const tables = runs.map((series) => {
    const xs = series.points.map((point) => xOf(point, options.xAxis));
    const columns = plot.labels.map((_, k) => {
      const values = series.points.map((point) => plot.values(point)[k] ?? null);
      return plot.log ? forLogAxis(values) : values.map(finiteOrNull);
    });
    return [xs, ...columns] as uPlot.AlignedData;
  });
  return joined(tables, plot.labels.length);
}

function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

function joined(tables: uPlot.AlignedData[], columns: number): uPlot.AlignedData {
  if (tables.length === 0) return [[], ...Array.from({ length: columns }, () => [])];
  return tables.length === 1 ? tables[0] : uPlot.join(tables);
}

function lossSeries(): uPlot.Series[] {
  const series: uPlot.Series[] = [{ label: xAxisLabels[options.xAxis] }];
  runs.forEach((_run, index) => {
    const color = colorOf(index);
    const name = labelOf(index);
    series.push(
      { label: `${name} raw`, stroke: withAlpha(color, 0.25), width: 1, spanGaps: true, points: { show: false } },
      { label: `${name} train`, stroke: color, width: 2, spanGaps: true, points: { show: false }, value: (_chart, value) => formatValue(value) },
      { label: `${name} val`, stroke: color, width: 2, dash: [6, 4], spanGaps: true, points: { show: true, size: 5, fill: color }, value: (_chart, value) => formatValue(value) },
    );
  });
  return series;
}

function sideSeries(plot: SidePlot): uPlot.Series[] {
  const series: uPlot.Series[] = [{ label: xAxisLabels[options.xAxis] }];
  runs.forEach((_run, index) => {
    const color = colorOf(index);
    plot.labels.forEach((label, k) => {
      series.push({ label: `${labelOf(index)} ${label}`, stroke: color, width: 1.5, dash: k === 1 ? [6, 4] : undefined, spanGaps: true, points: { show: false }, value: (_chart, value) => formatValue(value) });
    });
  });
  return series;
}

function baseOptions(width: number, height: number, log: boolean, yLabel: string, hooks: uPlot.Hooks.Arrays): uPlot.Options {
  return {
    width,
    height,
    cursor: { sync: { key: "optim-runs" }, drag: { x: true, y: false, setScale: true } },
    scales: { x: { time: false }, y: log ? { distr: 3 } : { auto: true } },
    axes: [axis(theme, xAxisLabels[options.xAxis]), axis(theme, yLabel, true)],
    legend: { live: true },
    series: [],
    hooks: {
      ...hooks,
      setScale: [(chart, key) => followZoom(chart, key)],
      setSelect: [
        (chart) => {
          if (chart.select.width > 0) zoomed = true;
        },
      ],
    },
  };
}

/** Zooming one chart zooms the others to the same x range. */
function followZoom(source: uPlot, key: string): void {
  if (key !== "x" || syncing) return;
  const { min, max } = source.scales.x;
  if (min === undefined || max === undefined) return;
  syncing = true;
  for (const chart of allCharts()) if (chart !== source) chart.setScale("x", { min, max });
  syncing = false;
}

function allCharts(): uPlot[] {
  return mainChart ? [mainChart, ...sideCharts] : sideCharts;
}

function drawDivergence(chart: uPlot): void {
  for (const run of runs) {
    if (!run.divergence) continue;
    const at = run.points.find((point) => point.step === run.divergence?.step) ?? run.points[run.points.length - 1];
    if (at) drawGuide(chart, "x", xOf(at, options.xAxis), theme.error, `✕ ${run.run} diverged`);
  }
}

function build(): void {
  for (const chart of allCharts()) chart.destroy();
  mainChart = undefined;
  sideCharts = [];
  mainContainer.replaceChildren();
  if (runs.length === 0) {
    mainContainer.append(element("p", "Start a run (Optim: Run Experiment, or the ▶ Run lens above a run) to see its curves grow here.", "empty"));
    sideGrid.hidden = true;
    return;
  }
  sideGrid.hidden = false;
  const mainOptions = baseOptions(widthOf(mainContainer), 320, options.logY, "loss", { draw: [drawDivergence] });
  if (!options.logY) mainOptions.scales = { ...mainOptions.scales, y: { range: lossRange } };
  mainOptions.series = lossSeries();
  mainChart = new uPlot(mainOptions, lossData(), mainContainer);
  hideRawLegendRows(mainChart);
  sideCharts = sidePlots.map((plot, i) => {
    sideContainers[i].replaceChildren();
    const guide = plot.guide;
    const hooks: uPlot.Hooks.Arrays = guide ? { draw: [(chart) => drawGuide(chart, "y", guide.value, theme.good, guide.label)] } : {};
    const sideOptions = baseOptions(widthOf(sideContainers[i]), 180, plot.log, "", hooks);
    sideOptions.series = sideSeries(plot);
    if (!plot.log && plot.title === "accuracy") sideOptions.scales = { ...sideOptions.scales, y: { range: [0, 1] } };
    if (guide) sideOptions.scales = { ...sideOptions.scales, y: { distr: 3, range: (_chart, min, max) => [Math.min(min ?? guide.value, guide.value / 3), Math.max(max ?? guide.value, guide.value * 3)] } };
    return new uPlot(sideOptions, sideData(plot), sideContainers[i]);
  });
  zoomed = false;
}

/**
 * The loss axis on a linear scale: a diverged run's blow-up would flatten
 * every other curve, so its points count only up to 4× its first loss; the
 * rest runs off the top (log y shows all of it).
 */
function lossRange(_chart: uPlot, dataMin: number | null, dataMax: number | null): uPlot.Range.MinMax {
  let low = Infinity;
  let high = -Infinity;
  for (const series of runs) {
    const cap = series.divergence && series.points.length > 0 ? 4 * Math.abs(series.points[0].loss) : Infinity;
    for (const point of series.points) {
      for (const value of [point.loss, point.evalLoss]) {
        if (value === undefined || !Number.isFinite(value) || value > cap) continue;
        low = Math.min(low, value);
        high = Math.max(high, value);
      }
    }
  }
  if (!Number.isFinite(low)) return [dataMin, dataMax];
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 1;
  return [low >= 0 ? Math.max(0, low - pad) : low - pad, high + pad];
}

/** The raw curves stay out of the legend: their smoothed line stands for them. */
function hideRawLegendRows(chart: uPlot): void {
  const rows = chart.root.querySelectorAll(".u-legend .u-series");
  rows.forEach((row, index) => {
    if (index > 0 && (index - 1) % 3 === 0) row.classList.add("raw-row");
  });
}

function update(): void {
  if (!mainChart || mainChart.series.length !== 1 + runs.length * 3) return build();
  mainChart.setData(lossData(), !zoomed);
  sideCharts.forEach((chart, i) => chart.setData(sideData(sidePlots[i]), !zoomed));
}

function resetZoom(): void {
  zoomed = false;
  for (const chart of allCharts()) chart.setData(chart.data, true);
}

// ---------------------------------------------------------------- text parts

function describe(): void {
  const points = runs.reduce((total, series) => total + series.points.length, 0);
  root.dataset.points = String(points);
  root.dataset.runs = String(runs.length);
  // For tools and tests reading the page: each run's name, file, status and point count.
  root.dataset.series = JSON.stringify(runs.map((series) => ({ run: series.run, file: series.file, status: series.status, points: series.points.length })));
  status.textContent = runs.length === 0 ? "No runs yet." : `${runs.length} run${runs.length === 1 ? "" : "s"}, ${points.toLocaleString("en-US")} points. ${runs.map((series) => `${series.run} (${series.file}): ${series.status}`).join("; ")}`;
  markers.replaceChildren();
  for (const series of runs) {
    if (!series.divergence) continue;
    markers.append(element("li", `✕ ${series.run} diverged at step ${series.divergence.step}: the loss reached ${formatValue(series.divergence.loss)}`, "diverged"));
  }
}

// ---------------------------------------------------------------- updates

let scheduled = false;
function scheduleUpdate(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    update();
    describe();
    scheduleSave();
  });
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
/** The state survives a reload; saving 100,000 points on every frame would not be cheap, so it waits a little. */
function scheduleSave(): void {
  if (saveTimer !== undefined) return;
  saveTimer = setTimeout(() => {
    saveTimer = undefined;
    vscode.setState({ runs, options });
  }, 500);
}

function receive(message: ToRunsPanel): void {
  if (typeof message !== "object" || message === null) {
    console.warn("loss-curve panel: ignored a malformed message", message);
    return;
  }
  if (message.type === "runs") {
    if (!Array.isArray(message.runs)) return;
    const parsed = message.runs.map(parseSeries);
    runs = parsed.filter((series): series is RunSeries => series !== undefined);
    build();
  } else if (message.type === "run") {
    const series = parseSeries(message.series);
    if (!series) return;
    const known = runs.findIndex((candidate) => candidate.id === series.id);
    if (known >= 0) {
      const points = series.points.length > 0 ? series.points : runs[known].points;
      runs[known] = { ...series, points };
    } else runs.push(series);
  } else if (message.type === "points") {
    const series = runs.find((candidate) => candidate.id === message.id);
    if (!series || !Array.isArray(message.points)) return;
    for (const point of message.points) {
      const checked = parsePoint(point);
      if (checked) series.points.push(checked);
    }
  }
  scheduleUpdate();
}

// ---------------------------------------------------------------- wiring

smoothingInput.addEventListener("input", () => {
  options.smoothing = Number(smoothingInput.value);
  smoothingValue.textContent = options.smoothing.toFixed(2);
  scheduleUpdate();
});
logInput.addEventListener("change", () => {
  options.logY = logInput.checked;
  build();
  scheduleSave();
});
xSelect.addEventListener("change", () => {
  options.xAxis = xSelect.value as XAxis;
  build();
  scheduleSave();
});
resetButton.addEventListener("click", resetZoom);
clearButton.addEventListener("click", () => vscode.postMessage({ type: "clear" }));
mainContainer.addEventListener("dblclick", () => (zoomed = false));
csvButton.addEventListener("click", () => exportCsv(vscode, "loss-curves", curvesCsv(runs, options.smoothing)));
pngButton.addEventListener("click", () =>
  exportPng(vscode, "loss-curves", {
    container: chartsArea,
    canvases: allCharts().map((chart) => chart.ctx.canvas),
    background: theme.background,
    foreground: theme.foreground,
    font: theme.font,
    legend: runs.map((series, index) => ({ label: `${labelOf(index)}: ${series.status}`, color: colorOf(index) })),
  }),
);
onThemeChange(() => {
  theme = readTheme();
  build();
});
followWidth(chartsArea, () => [...(mainChart ? [{ chart: mainChart, height: 320 }] : []), ...sideCharts.map((chart) => ({ chart, height: 180 }))]);
window.addEventListener("message", (event: MessageEvent<ToRunsPanel>) => receive(event.data));

root.replaceChildren(toolbar, status, markers, chartsArea);
build();
describe();
vscode.postMessage({ type: "ready" });
