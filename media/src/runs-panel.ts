// The loss-curve panel: every run's training loss (smoothed, with the raw
// curve faint behind) and validation loss, growing live, with side plots of
// accuracy, step size, gradient norm and update-to-weight ratio. One table of
// runs serves as the legend of every plot: a colour, a tick to show or hide
// the run, its state, and its values at the cursor. Names are only ever set
// as text.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "../charts.css";
import { onThemeChange, readTheme, withAlpha, type ChartTheme } from "./chart-theme";
import { curvesCsv, forLogAxis, smooth, xAxisLabels, xOf, type XAxis } from "./curves";
import { element, vscodeApi } from "./dom";
import { exportCsv, exportPng } from "./export";
import { parsePoint, parseSavedRuns, parseSeries, type FromWebview, type RunSeries, type RunStatus, type ToRunsPanel } from "./messages";
import { axis, drawGuides, followWidth, formatTick, formatValue, widthOf, type Guide } from "./plot";
import { drawable, fullName, indexAt, lastValue, plotSeries, runNames, type Measure, type PlotSeries, type RunNames } from "./run-series";
import type { RunPoint } from "../../server/src/protocol";

interface Options {
  smoothing: number;
  logY: boolean;
  xAxis: XAxis;
}

const vscode = vscodeApi<FromWebview>();
const root = document.getElementById("root") as HTMLElement;
const saved = vscode.getState() as { options?: Partial<Options>; hidden?: unknown } | undefined;
let runs: RunSeries[] = parseSavedRuns(saved);
const options: Options = {
  smoothing: typeof saved?.options?.smoothing === "number" ? Math.min(0.99, Math.max(0, saved.options.smoothing)) : 0.6,
  logY: saved?.options?.logY === true,
  xAxis: saved?.options?.xAxis === "epoch" || saved?.options?.xAxis === "seconds" ? saved.options.xAxis : "step",
};
/** The runs whose tick is off, by id. */
const hidden = new Set<string>(Array.isArray(saved?.hidden) ? saved.hidden.filter((id): id is string => typeof id === "string") : []);

/** The loss plot's measures: the training loss (drawn smoothed, with the raw curve faint behind) and the validation loss. */
const lossMeasures: Measure[] = [
  { key: "train", value: (point) => point.loss, dashed: false },
  { key: "val", value: (point) => point.evalLoss, dashed: true },
];

/** A side plot: some measures of each point, per run. */
interface SidePlot {
  title: string;
  measures: Measure[];
  log: boolean;
  /** A reference line, such as the healthy update ratio. */
  guide?: { value: number; label: string };
}

const sidePlots: SidePlot[] = [
  {
    title: "accuracy",
    measures: [
      { key: "train", value: (point) => point.trainAccuracy, dashed: false },
      { key: "val", value: (point) => point.evalAccuracy, dashed: true },
    ],
    log: false,
  },
  { title: "step size", measures: [{ key: "lr", value: (point) => point.lr, dashed: false }], log: true },
  { title: "gradient norm", measures: [{ key: "‖∇‖", value: (point) => point.gradNorm, dashed: false }], log: true },
  { title: "update / weight ratio", measures: [{ key: "‖Δw‖/‖w‖", value: (point) => point.updateRatio, dashed: false }], log: true, guide: { value: 1e-3, label: "1e-3: healthy" } },
];

/** What the key beside a plot calls a line style. */
const keyText: Record<string, string> = { train: "train", val: "validation" };

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

// The runs: a summary line, the table that is every plot's legend, and what its values are read at.
const runsSection = element("section", undefined, "runs");
runsSection.id = "status";
runsSection.setAttribute("aria-label", "Runs");
const summary = element("p", undefined, "summary");
summary.id = "summary";
const tableBox = element("div", undefined, "runs-table-box");
const runsTable = element("table", undefined, "runs-table");
runsTable.id = "runs-table";
tableBox.append(runsTable);
const readout = element("p", undefined, "readout");
readout.id = "readout";
runsSection.append(summary, tableBox, readout);

const markers = element("ul", undefined, "markers");
markers.id = "markers";
/** Where the charts are not: no runs yet, runs still starting, or every run hidden. */
const stateMessage = element("p", undefined, "state-message");
stateMessage.id = "chart-state";
stateMessage.setAttribute("role", "status");
const mainBox = element("div", undefined, "main-box");
const mainKey = element("p", undefined, "key");
mainKey.id = "loss-key";
const mainContainer = element("div", undefined, "chart main-chart");
mainContainer.id = "loss-chart";
mainContainer.dataset.plot = "loss";
mainBox.append(mainKey, mainContainer);
const sideGrid = element("div", undefined, "side-grid");
const sideBoxes = sidePlots.map((plot) => {
  const box = element("div", undefined, "chart side-chart");
  const heading = element("h2");
  const holder = element("div");
  holder.dataset.plot = plot.title;
  box.append(heading, holder);
  sideGrid.append(box);
  return { box, heading, holder };
});
const notMeasured = element("p", undefined, "not-measured");
notMeasured.id = "not-measured";
const chartsArea = element("div", undefined, "charts");
chartsArea.append(stateMessage, mainBox, sideGrid, notMeasured);

function labelled(text: string, ...controls: HTMLElement[]): HTMLElement {
  const label = element("label");
  label.append(element("span", text), ...controls);
  return label;
}

// ---------------------------------------------------------------- what is drawn

let theme: ChartTheme = readTheme();
let names: RunNames = runNames(runs);

function colorOf(index: number): string {
  return theme.palette[index % theme.palette.length];
}

/** The measures each chart draws, per run: derived from the runs on every update, rebuilt when it changes. */
interface Layout {
  /** The runs drawn: ticked and with at least one point. */
  shown: number[];
  main: PlotSeries[];
  sides: PlotSeries[][];
  /** The layout as text, to tell when the charts must be built again. */
  signature: string;
}

function layoutOf(): Layout {
  const shown = runs.flatMap((series, index) => (!hidden.has(series.id) && series.points.length > 0 ? [index] : []));
  const main = plotSeries(runs, shown, lossMeasures, options.logY);
  const sides = sidePlots.map((plot) => plotSeries(runs, shown, plot.measures, plot.log));
  const tag = (list: PlotSeries[]) => list.map((entry) => `${runs[entry.run].id}/${entry.measure}`);
  const signature = JSON.stringify([options.xAxis, options.logY, tag(main), sides.map(tag)]);
  return { shown, main, sides, signature };
}

/** Each run's smoothed training loss, computed again only when its points or the smoothing change. */
const smoothedCache = new Map<string, { length: number; weight: number; values: (number | null)[] }>();

function smoothedLoss(series: RunSeries): (number | null)[] {
  const known = smoothedCache.get(series.id);
  if (known && known.length === series.points.length && known.weight === options.smoothing) return known.values;
  const values = smooth(
    series.points.map((point) => point.loss),
    options.smoothing,
  );
  smoothedCache.set(series.id, { length: series.points.length, weight: options.smoothing, values });
  return values;
}

function finiteOrNull(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && Number.isFinite(value) ? value : null;
}

function column(values: (number | null | undefined)[], log: boolean): (number | null)[] {
  return log ? forLogAxis(values) : values.map(finiteOrNull);
}

/** [x, the first run's columns, the next run's, …] over the union of the runs' x values. */
function joined(tables: uPlot.AlignedData[]): uPlot.AlignedData {
  if (tables.length === 0) return [[]];
  return tables.length === 1 ? tables[0] : uPlot.join(tables);
}

/** Per drawn run: its x values and a column per series (for the training loss, raw then smoothed). */
function chartData(layout: Layout, series: PlotSeries[], columnsOf: (run: RunSeries, entry: PlotSeries) => (number | null)[][]): uPlot.AlignedData {
  const tables: uPlot.AlignedData[] = [];
  for (const index of layout.shown) {
    const mine = series.filter((entry) => entry.run === index);
    if (mine.length === 0) continue;
    const run = runs[index];
    tables.push([run.points.map((point) => xOf(point, options.xAxis)), ...mine.flatMap((entry) => columnsOf(run, entry))] as uPlot.AlignedData);
  }
  return joined(tables);
}

function lossData(layout: Layout): uPlot.AlignedData {
  return chartData(layout, layout.main, (run, entry) => {
    if (lossMeasures[entry.measure].key === "val") return [column(run.points.map((point) => point.evalLoss), options.logY)];
    const raw = run.points.map((point) => point.loss);
    return [column(raw, options.logY), column(smoothedLoss(run), options.logY)];
  });
}

function sideData(layout: Layout, plotIndex: number): uPlot.AlignedData {
  const plot = sidePlots[plotIndex];
  return chartData(layout, layout.sides[plotIndex], (run, entry) => [column(run.points.map(plot.measures[entry.measure].value), plot.log)]);
}

function lossSeries(layout: Layout): uPlot.Series[] {
  const series: uPlot.Series[] = [{ label: xAxisLabels[options.xAxis] }];
  for (const entry of layout.main) {
    const color = colorOf(entry.run);
    const name = names.names[entry.run];
    if (lossMeasures[entry.measure].key === "train") {
      series.push(
        { label: `${name} raw`, stroke: withAlpha(color, 0.25), width: 1, spanGaps: true, points: { show: false } },
        // uPlot's default points show while a curve is sparse, so a run's first steps are visible, not an empty plot.
        { label: `${name} train`, stroke: color, width: 2, spanGaps: true },
      );
    } else series.push({ label: `${name} val`, stroke: color, width: 2, dash: [6, 4], spanGaps: true, points: { show: true, size: 5, fill: color } });
  }
  return series;
}

function sideSeries(layout: Layout, plotIndex: number): uPlot.Series[] {
  const plot = sidePlots[plotIndex];
  const series: uPlot.Series[] = [{ label: xAxisLabels[options.xAxis] }];
  for (const entry of layout.sides[plotIndex]) {
    const color = colorOf(entry.run);
    const measure = plot.measures[entry.measure];
    series.push({ label: `${names.names[entry.run]} ${measure.key}`, stroke: color, width: 1.5, dash: measure.dashed ? [6, 4] : undefined, spanGaps: true, ...(measure.dashed ? { points: { show: true, size: 4, fill: color } } : {}) });
  }
  return series;
}

/** For tools and tests reading the page: what a chart draws, one entry per line, with how many points it has. */
function describeSeries(container: HTMLElement, series: PlotSeries[], measures: Measure[], log: boolean): void {
  container.dataset.series = JSON.stringify(
    series.map((entry) => ({
      run: names.names[entry.run],
      measure: measures[entry.measure].key,
      points: runs[entry.run].points.filter((point) => drawable(measures[entry.measure].value(point), log)).length,
    })),
  );
}

// ---------------------------------------------------------------- charts

let mainChart: uPlot | undefined;
/** One per side plot; undefined where no drawn run measured it. */
let sideCharts: (uPlot | undefined)[] = [];
let builtSignature = "";
let zoomed = false;
let syncing = false;
/** The x under the cursor on any chart, or undefined for the latest values. */
let cursorX: number | undefined;

/** Tick spacings for the step axis: steps are whole numbers, so no tick at 0.5. */
const wholeSteps = Array.from({ length: 10 }, (_, power) => [1, 2, 5].map((mantissa) => mantissa * 10 ** power)).flat();

function baseOptions(width: number, height: number, log: boolean, yLabel: string, hooks: uPlot.Hooks.Arrays): uPlot.Options {
  return {
    width,
    height,
    cursor: { sync: { key: "optim-runs" }, drag: { x: true, y: false, setScale: true } },
    scales: { x: { time: false }, y: log ? { distr: 3 } : { auto: true } },
    axes: [{ ...axis(theme, xAxisLabels[options.xAxis]), ...(options.xAxis === "step" ? { incrs: wholeSteps } : {}) }, axis(theme, yLabel, true)],
    // The runs table is every chart's legend.
    legend: { show: false },
    series: [],
    hooks: {
      ...hooks,
      setScale: [(chart, key) => followZoom(chart, key)],
      setSelect: [
        (chart) => {
          if (chart.select.width > 0) zoomed = true;
        },
      ],
      setCursor: [(chart) => followCursor(chart)],
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

function followCursor(chart: uPlot): void {
  const index = chart.cursor.idx;
  const x = index === null || index === undefined ? undefined : chart.data[0][index];
  if (x === cursorX) return;
  cursorX = x;
  updateTableValues();
}

function allCharts(): uPlot[] {
  return [mainChart, ...sideCharts].filter((chart): chart is uPlot => chart !== undefined);
}

function destroyCharts(): void {
  for (const chart of allCharts()) chart.destroy();
  mainChart = undefined;
  sideCharts = [];
  builtSignature = "";
  mainContainer.replaceChildren();
  for (const { holder } of sideBoxes) holder.replaceChildren();
}

function divergenceGuides(layout: Layout): Guide[] {
  const guides: Guide[] = [];
  for (const index of layout.shown) {
    const run = runs[index];
    if (!run.divergence) continue;
    const at = run.points.find((point) => point.step === run.divergence?.step) ?? run.points[run.points.length - 1];
    if (at) guides.push({ orientation: "x", value: xOf(at, options.xAxis), color: theme.error, label: `✕ ${names.names[index]} diverged` });
  }
  return guides;
}

/** Builds every chart for the layout, keeping a zoomed x range. */
function build(layout: Layout): void {
  const range = zoomed && mainChart ? { min: mainChart.scales.x.min, max: mainChart.scales.x.max } : undefined;
  destroyCharts();
  const mainOptions = baseOptions(widthOf(mainContainer), 320, options.logY, "loss", { draw: [(chart) => drawGuides(chart, divergenceGuides(layoutNow))] });
  if (!options.logY) mainOptions.scales = { ...mainOptions.scales, y: { range: lossRange } };
  mainOptions.series = lossSeries(layout);
  mainChart = new uPlot(mainOptions, lossData(layout), mainContainer);
  describeSeries(mainContainer, layout.main, lossMeasures, options.logY);
  sideCharts = sidePlots.map((plot, i) => {
    const { box, holder } = sideBoxes[i];
    box.hidden = layout.sides[i].length === 0;
    if (box.hidden) return undefined;
    const guide = plot.guide;
    const hooks: uPlot.Hooks.Arrays = guide ? { draw: [(chart) => drawGuides(chart, [{ orientation: "y", value: guide.value, color: theme.good, label: guide.label }])] } : {};
    const sideOptions = baseOptions(widthOf(holder), 180, plot.log, "", hooks);
    sideOptions.series = sideSeries(layout, i);
    if (!plot.log && plot.title === "accuracy") sideOptions.scales = { ...sideOptions.scales, y: { range: [0, 1] } };
    if (guide) sideOptions.scales = { ...sideOptions.scales, y: { distr: 3, range: (_chart, min, max) => [Math.min(min ?? guide.value, guide.value / 3), Math.max(max ?? guide.value, guide.value * 3)] } };
    const chart = new uPlot(sideOptions, sideData(layout, i), holder);
    describeSeries(holder, layout.sides[i], plot.measures, plot.log);
    return chart;
  });
  builtSignature = layout.signature;
  zoomed = false;
  if (range && range.min !== undefined && range.max !== undefined) {
    for (const chart of allCharts()) chart.setScale("x", { min: range.min, max: range.max });
    zoomed = true;
  }
  writeKeys(layout);
}

/** The line styles each plot draws (solid for training, dashed for validation): the loss plot always names its own, a side plot only when it has both kinds to tell apart. */
function writeKeys(layout: Layout): void {
  const drawn = (series: PlotSeries[]) => new Set(series.map((entry) => entry.measure));
  const mainMeasures = drawn(layout.main);
  mainKey.replaceChildren(
    ...lossMeasures.flatMap((measure, index) => (mainMeasures.has(index) ? [keyEntry(measure, index === 0 ? "training loss, smoothed (raw faint behind)" : "validation loss")] : [])),
  );
  sidePlots.forEach((plot, i) => {
    const { heading } = sideBoxes[i];
    heading.replaceChildren(element("span", plot.title, "title"));
    if (plot.measures.length < 2) return;
    const measures = drawn(layout.sides[i]);
    plot.measures.forEach((measure, index) => {
      if (measures.has(index)) heading.append(keyEntry(measure, keyText[measure.key] ?? measure.key));
    });
  });
  const missing = sidePlots.filter((_plot, i) => layout.sides[i].length === 0).map((plot) => plot.title);
  notMeasured.textContent = missing.length === 0 ? "" : `Not measured by the runs shown: ${missing.join(", ")}${missing.includes("accuracy") ? " (a run measures accuracy on its eval split)" : ""}.`;
}

function keyEntry(measure: Measure, text: string): HTMLElement {
  const entry = element("span", undefined, "key-entry");
  entry.append(element("span", undefined, measure.dashed ? "key-line dashed" : "key-line"), element("span", text));
  return entry;
}

/** The layout the last update drew, for the draw hooks. */
let layoutNow: Layout = { shown: [], main: [], sides: [], signature: "" };

/**
 * The loss axis on a linear scale: a diverged run's blow-up would flatten
 * every other curve, so its points count only up to 4× its first loss; the
 * rest runs off the top (log y shows all of it).
 */
function lossRange(_chart: uPlot, dataMin: number | null, dataMax: number | null): uPlot.Range.MinMax {
  let low = Infinity;
  let high = -Infinity;
  for (const index of layoutNow.shown) {
    const series = runs[index];
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

/** What the chart area shows: charts, or a line saying why there are none yet (no runs, runs still starting, every run hidden). */
function chartState(layout: Layout): { state: "charts" | "empty" | "loading" | "hidden" | "nothing"; text?: string } {
  if (runs.length === 0) return { state: "empty", text: "Start a run (Optim: Run Experiment, or the ▶ Run lens above a run) to see its curves grow here." };
  if (layout.shown.length > 0) return { state: "charts" };
  const ticked = runs.flatMap((series, index) => (hidden.has(series.id) ? [] : [index]));
  if (ticked.length === 0) return { state: "hidden", text: "Every run is hidden: tick one in the table above to draw it." };
  const starting = ticked.filter((index) => runs[index].status === "running").map((index) => names.names[index]);
  if (starting.length > 0) return { state: "loading", text: `Starting ${listed(starting)}: reading the data and compiling the model. The curves appear here after the first step.` };
  return { state: "nothing", text: "The runs shown ended before their first step, so there is nothing to draw." };
}

function listed(items: string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function update(force = false): void {
  names = runNames(runs);
  const layout = layoutOf();
  layoutNow = layout;
  const { state, text } = chartState(layout);
  root.dataset.state = state;
  stateMessage.hidden = text === undefined;
  stateMessage.textContent = text ?? "";
  stateMessage.classList.toggle("loading", state === "loading");
  mainBox.hidden = sideGrid.hidden = notMeasured.hidden = text !== undefined;
  if (text !== undefined) {
    destroyCharts();
    return;
  }
  if (force || !mainChart || layout.signature !== builtSignature) return build(layout);
  mainChart.setData(lossData(layout), !zoomed);
  describeSeries(mainContainer, layout.main, lossMeasures, options.logY);
  sideCharts.forEach((chart, i) => {
    if (!chart) return;
    chart.setData(sideData(layout, i), !zoomed);
    describeSeries(sideBoxes[i].holder, layout.sides[i], sidePlots[i].measures, sidePlots[i].log);
  });
}

function resetZoom(): void {
  zoomed = false;
  for (const chart of allCharts()) chart.setData(chart.data, true);
}

// ---------------------------------------------------------------- the runs table

/** A value column of the runs table, shown when some run has the value. */
interface ValueColumn {
  header: string;
  title: string;
  value: (series: RunSeries, index: number) => number | undefined;
  /** Whether a run has the value at all. */
  has: (series: RunSeries) => boolean;
}

const valueColumns: ValueColumn[] = [
  {
    header: "loss",
    title: "Training loss, smoothed as drawn",
    value: (series, index) => finiteOrNull(smoothedLoss(series)[index]) ?? series.points[index]?.loss,
    has: (series) => series.points.length > 0,
  },
  { header: "val loss", title: "Validation loss, as last measured", value: (series, index) => lastValue(series.points, index, (point) => point.evalLoss), has: (series) => series.points.some((point) => point.evalLoss !== undefined) },
  { header: "val acc", title: "Validation accuracy, as last measured", value: (series, index) => lastValue(series.points, index, (point) => point.evalAccuracy), has: (series) => series.points.some((point) => point.evalAccuracy !== undefined) },
];

interface RunRow {
  toggle: HTMLInputElement;
  row: HTMLTableRowElement;
  status: HTMLElement;
  step: HTMLElement;
  values: HTMLElement[];
}

const rows = new Map<string, RunRow>();
let tableSignature = "";
let shownColumns: ValueColumn[] = [];

const statusText: Record<RunStatus, string> = { running: "● running", finished: "✓ finished", cancelled: "■ cancelled", diverged: "✕ diverged", failed: "✕ failed" };

function runStatusText(series: RunSeries): string {
  if (series.status === "running" && series.points.length === 0) return "○ starting…";
  return statusText[series.status];
}

/** Builds the table again when its runs, their names or its columns change; otherwise only its values move. */
function syncTable(): void {
  shownColumns = valueColumns.filter((candidate) => candidate === valueColumns[0] || runs.some(candidate.has));
  const signature = JSON.stringify([runs.map((series, index) => [series.id, names.names[index], series.file]), names.severalFiles, shownColumns.map((candidate) => candidate.header), theme.palette]);
  if (signature !== tableSignature) {
    tableSignature = signature;
    buildTable();
  }
  updateTableValues();
}

function buildTable(): void {
  const focused = document.activeElement instanceof HTMLInputElement ? document.activeElement.dataset.run : undefined;
  rows.clear();
  tableBox.hidden = runs.length === 0;
  const head = element("thead");
  const headRow = element("tr");
  headRow.append(element("th", "run"), element("th", "status"), element("th", "step", "numeric"));
  for (const candidate of shownColumns) {
    const cell = element("th", candidate.header, "numeric");
    cell.title = candidate.title;
    headRow.append(cell);
  }
  head.append(headRow);
  runsTable.replaceChildren(head);
  // Runs of several files are grouped under their file's name; with one file, the file goes unsaid.
  const files = names.severalFiles ? [...new Set(runs.map((series) => series.file))] : [undefined];
  for (const file of files) {
    const body = element("tbody");
    if (file !== undefined) {
      const fileRow = element("tr", undefined, "file-row");
      const fileCell = element("th", file);
      fileCell.colSpan = 3 + shownColumns.length;
      fileCell.scope = "rowgroup";
      fileRow.append(fileCell);
      body.append(fileRow);
    }
    runs.forEach((series, index) => {
      if (file !== undefined && series.file !== file) return;
      body.append(runRow(series, index));
    });
    runsTable.append(body);
  }
  if (focused) rows.get(focused)?.toggle.focus();
}

function runRow(series: RunSeries, index: number): HTMLTableRowElement {
  const row = element("tr", undefined, "run");
  row.dataset.run = series.id;
  const nameCell = element("td", undefined, "run-name");
  const label = element("label");
  const toggle = element("input");
  toggle.type = "checkbox";
  toggle.dataset.run = series.id;
  toggle.checked = !hidden.has(series.id);
  toggle.setAttribute("aria-label", `Show ${fullName(names, runs, index)}`);
  toggle.addEventListener("change", () => {
    if (toggle.checked) hidden.delete(series.id);
    else hidden.add(series.id);
    scheduleUpdate();
  });
  const swatch = element("span", undefined, "swatch");
  swatch.style.backgroundColor = colorOf(index);
  label.append(toggle, swatch, element("span", names.names[index], "name"));
  nameCell.append(label);
  const status = element("td", undefined, "run-status");
  const step = element("td", undefined, "numeric");
  const values = shownColumns.map(() => element("td", undefined, "numeric"));
  row.append(nameCell, status, step, ...values);
  rows.set(series.id, { toggle, row, status, step, values });
  return row;
}

/** The values at the cursor's x, or the latest when the cursor is off the charts. */
function updateTableValues(): void {
  for (const series of runs) {
    const parts = rows.get(series.id);
    if (!parts) continue;
    parts.toggle.checked = !hidden.has(series.id);
    parts.row.classList.toggle("hidden-run", hidden.has(series.id));
    parts.status.textContent = runStatusText(series);
    parts.status.className = `run-status ${series.status === "running" && series.points.length === 0 ? "starting" : series.status}`;
    const at = cursorX === undefined ? series.points.length - 1 : indexAt(series.points, cursorX, (point) => xOf(point, options.xAxis));
    const point: RunPoint | undefined = series.points[at];
    parts.step.textContent = point ? String(point.step) : "–";
    shownColumns.forEach((candidate, k) => {
      // Three digits keep the table narrow enough for a side panel; the cell's tooltip has four.
      const value = point ? candidate.value(series, at) : undefined;
      parts.values[k].textContent = value === undefined ? "–" : Number.isFinite(value) ? formatTick(value) : formatValue(value);
      parts.values[k].title = formatValue(value);
    });
  }
  // Without charts there is no cursor to read at.
  readout.hidden = root.dataset.state !== "charts";
  readout.textContent = cursorX === undefined ? "Latest values; hover a chart to read them at a step." : `Values at ${xAxisLabels[options.xAxis].replace(" (s)", "")} ${formatValue(cursorX)}${options.xAxis === "seconds" ? " s" : ""}.`;
}

// ---------------------------------------------------------------- text parts

function describe(): void {
  const points = runs.reduce((total, series) => total + series.points.length, 0);
  root.dataset.points = String(points);
  root.dataset.runs = String(runs.length);
  // For tools and tests reading the page: each run's name, file, status and point count.
  root.dataset.series = JSON.stringify(runs.map((series) => ({ run: series.run, file: series.file, status: series.status, points: series.points.length })));
  summary.textContent = summaryText();
  markers.replaceChildren();
  runs.forEach((series, index) => {
    if (!series.divergence) return;
    markers.append(element("li", `✕ ${fullName(names, runs, index)} diverged at step ${series.divergence.step}: the loss reached ${formatValue(series.divergence.loss)}`, "diverged"));
  });
}

/** How many runs, from how many files, and how many are in each state: whether the panel is still moving, at a glance. */
function summaryText(): string {
  if (runs.length === 0) return "No runs yet.";
  const files = new Set(runs.map((series) => series.file)).size;
  const counts = new Map<string, number>();
  for (const series of runs) {
    const state = series.status === "running" && series.points.length === 0 ? "starting" : series.status;
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const order = ["starting", "running", "finished", "diverged", "cancelled", "failed"];
  const parts = order.filter((state) => counts.has(state)).map((state) => `${counts.get(state)} ${state}`);
  const ended = !counts.has("starting") && !counts.has("running");
  const head = `${runs.length} run${runs.length === 1 ? "" : "s"}${files > 1 ? ` from ${files} files` : ""}`;
  return ended ? `${head}, all ended: ${parts.join(", ")}.` : `${head}: ${parts.join(", ")}.`;
}

// ---------------------------------------------------------------- updates

let scheduled = false;
let forceBuild = false;
function scheduleUpdate(rebuild = false): void {
  forceBuild ||= rebuild;
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    const force = forceBuild;
    forceBuild = false;
    refresh(force);
    scheduleSave();
  });
}

function refresh(force = false): void {
  // Cleared runs leave the cache.
  for (const id of smoothedCache.keys()) if (!runs.some((series) => series.id === id)) smoothedCache.delete(id);
  update(force);
  syncTable();
  describe();
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
/** The state survives a reload; saving 100,000 points on every frame would not be cheap, so it waits a little. */
function scheduleSave(): void {
  if (saveTimer !== undefined) return;
  saveTimer = setTimeout(() => {
    saveTimer = undefined;
    vscode.setState({ runs, options, hidden: [...hidden].filter((id) => runs.some((series) => series.id === id)) });
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
    return scheduleUpdate(true);
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
  scheduleUpdate(true);
});
xSelect.addEventListener("change", () => {
  options.xAxis = xSelect.value as XAxis;
  zoomed = false;
  cursorX = undefined;
  scheduleUpdate(true);
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
    legend: layoutNow.shown.map((index) => ({ label: `${fullName(names, runs, index)}: ${runs[index].status}`, color: colorOf(index) })),
  }),
);
onThemeChange(() => {
  theme = readTheme();
  scheduleUpdate(true);
});
followWidth(chartsArea, () => [
  ...(mainChart ? [{ chart: mainChart, height: 320 }] : []),
  ...sideCharts.filter((chart): chart is uPlot => chart !== undefined).map((chart) => ({ chart, height: 180 })),
]);
window.addEventListener("message", (event: MessageEvent<ToRunsPanel>) => receive(event.data));

root.replaceChildren(toolbar, runsSection, markers, chartsArea);
refresh(true);
vscode.postMessage({ type: "ready" });
