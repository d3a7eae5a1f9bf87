// The search panel: one small scatter plot per searched setting, the
// evaluation accuracy of each trial against its value (a log x axis where the
// setting's range is on a log scale), the best trial marked; the trials best
// first in a table below; and a button that writes the best trial's values
// into the file. It fills in as the trials finish.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "../charts.css";
import "../search-panel.css";
import { onThemeChange, readTheme, type ChartTheme } from "./chart-theme";
import { element, vscodeApi } from "./dom";
import { exportCsv } from "./export";
import type { FromWebview, ToSearchPanel } from "./messages";
import { axis, followWidth, formatValue, shortTicks, widthOf } from "./plot";
import { numberText } from "../../server/src/language/number-text";

type Shown = Extract<ToSearchPanel, { type: "search" }>;
type Trial = Shown["search"]["trials"][number];

const vscode = vscodeApi<FromWebview>();
const root = document.getElementById("root") as HTMLElement;
let current = vscode.getState() as ToSearchPanel | undefined;
let theme: ChartTheme = readTheme();
let charts: uPlot[] = [];
const height = 220;

const accuracy = (value: number | undefined) => (value === undefined ? "–" : value.toFixed(4));

/** A trial's value as it is written into the file (three significant digits at most), small ones as 2.05e-5. */
/** A value as the button would write it into the file. */
const settingText = numberText;

function valuesText(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name} ${settingText(value)}`)
    .join(", ");
}

/** The x range a plot shows: the searched range (or the values), a little wider so no point sits on the edge. */
function xRange(searched: Shown["search"]["axes"][number], values: number[]): [number, number] {
  const log = searched.scale === "log";
  const low = Math.min(searched.from ?? Infinity, ...values);
  const high = Math.max(searched.to ?? -Infinity, ...values);
  if (!Number.isFinite(low) || !Number.isFinite(high)) return [0, 1];
  if (log) {
    const pad = Math.max(0.05, 0.04 * Math.log10(high / low));
    return [low / 10 ** pad, high * 10 ** pad];
  }
  const pad = high > low ? 0.05 * (high - low) : Math.max(1, Math.abs(low) * 0.1);
  return [low - pad, high + pad];
}

/** One setting's plot: each trial with an evaluation, by its value; the best trial again in its own series. */
/** What the plots show: the evaluation accuracy, or the evaluation loss for a loss without a score (no trial has an accuracy). */
type Measure = "evalAccuracy" | "evalLoss";
const measureLabel: Record<Measure, string> = { evalAccuracy: "eval accuracy", evalLoss: "eval loss" };

function scatter(container: HTMLElement, searched: Shown["search"]["axes"][number], trials: Trial[], best: Trial | undefined, measure: Measure): uPlot {
  const { name, scale } = searched;
  const shown = trials.filter((trial) => trial[measure] !== undefined && Number.isFinite(trial[measure]) && Number.isFinite(trial.values[name]) && (scale !== "log" || trial.values[name] > 0));
  // uPlot wants x in order; trials with the same value share it.
  const sorted = [...shown].sort((a, b) => a.values[name] - b.values[name]);
  const xs = sorted.map((trial) => trial.values[name]);
  const accuracies = sorted.map((trial) => trial[measure] ?? null);
  const bestMark = sorted.map((trial) => (trial === best ? (trial[measure] ?? null) : null));
  const [xMin, xMax] = xRange(searched, xs);
  const shownAccuracies = accuracies.filter((value): value is number => value !== null);
  const yLow = Math.min(...shownAccuracies);
  const yHigh = Math.max(...shownAccuracies);
  const yPad = shownAccuracies.length > 0 ? Math.max(0.005, 0.08 * (yHigh - yLow)) : 0;
  const options: uPlot.Options = {
    width: widthOf(container),
    height,
    scales: { x: { time: false, ...(scale === "log" ? { distr: 3 } : {}), range: () => [xMin, xMax] }, y: shownAccuracies.length > 0 ? { range: () => [yLow - yPad, yHigh + yPad] } : { auto: true } },
    axes: [{ ...axis(theme, scale === "log" ? `${name} (log)` : name), values: shortTicks }, axis(theme, measureLabel[measure], true)],
    cursor: { drag: { x: false, y: false } },
    legend: { show: false },
    series: [
      { label: name, value: (_chart, value) => formatValue(value) },
      { label: "trial", stroke: theme.palette[0], width: 0, paths: () => null, points: { show: true, size: 7, fill: theme.palette[0], stroke: theme.palette[0] } },
      { label: "best", stroke: theme.good, width: 0, paths: () => null, points: { show: true, size: 12, fill: theme.good, stroke: theme.foreground } },
    ],
  };
  return new uPlot(options, [xs, accuracies, bestMark], container);
}

function render(message: Shown): void {
  for (const chart of charts) chart.destroy();
  charts = [];
  const { search } = message;
  const trials = search.trials;
  const measure: Measure = trials.some((trial) => trial.evalAccuracy !== undefined) ? "evalAccuracy" : "evalLoss";
  const finished = trials.filter((trial) => trial.status !== "failed" && trial[measure] !== undefined);
  const best = finished[0];
  const title = element("h1", `${search.search} — ${search.method} search (${message.file})`);
  const progress =
    message.status === "running"
      ? `Running: ${trials.length} of ${search.planned || "?"} trials done.`
      : `${message.status === "finished" ? "Finished" : message.status === "cancelled" ? "Cancelled" : "Failed"}: ${trials.length} of ${search.planned} trials${search.seconds ? ` in ${search.seconds.toFixed(0)} s, ${search.parallel} at a time` : ""}.`;
  const status = element("p", `${progress}${search.description ? ` Each trial: ${search.description}.` : ""}`, "status");
  status.id = "search-status";
  const figures = (trial: Trial) => (measure === "evalAccuracy" ? `eval accuracy ${accuracy(trial.evalAccuracy)}${trial.testAccuracy === undefined ? "" : `, test accuracy ${accuracy(trial.testAccuracy)}`}` : `eval loss ${formatValue(trial.evalLoss)}${trial.testLoss === undefined ? "" : `, test loss ${formatValue(trial.testLoss)}`}`);
  const verdict = element("p", best ? `Best: ${valuesText(best.values)} — ${figures(best)}.` : "No trial has an evaluation yet.", best ? "suggestion" : "empty");
  verdict.id = "search-best";

  const toolbar = element("div", undefined, "toolbar");
  const useButton = element("button", "Use the best values in the file");
  useButton.id = "use-best";
  useButton.disabled = !best;
  const csvButton = element("button", "Export CSV");
  toolbar.append(useButton, csvButton);

  const grid = element("div", undefined, "side-grid");
  grid.id = "search-plots";
  const containers = search.axes.map((searched) => {
    const box = element("div", undefined, "side-chart");
    box.append(element("h2", `${measureLabel[measure]} by ${searched.name}${searched.scale === "log" ? " (log scale)" : ""}`));
    const container = element("div", undefined, "chart");
    box.append(container);
    grid.append(box);
    return { searched, container };
  });

  const names = search.axes.map((searched) => searched.name);
  const table = element("table");
  table.id = "search-table";
  const head = element("tr");
  head.append(element("th", "rank", "numeric"), ...names.map((name) => element("th", name, "numeric")), element("th", "eval acc", "numeric"), element("th", "eval loss", "numeric"), element("th", "test acc", "numeric"), element("th", "test loss", "numeric"), element("th", "status"));
  table.append(head);
  trials.forEach((trial, rank) => {
    const row = element("tr", undefined, trial === best ? "highlight" : undefined);
    row.append(
      element("td", String(rank + 1), "numeric"),
      ...names.map((name) => element("td", settingText(trial.values[name]), "numeric")),
      element("td", accuracy(trial.evalAccuracy), "numeric"),
      element("td", trial.evalLoss === undefined ? "–" : formatValue(trial.evalLoss), "numeric"),
      element("td", accuracy(trial.testAccuracy), "numeric"),
      element("td", trial.testLoss === undefined ? "–" : formatValue(trial.testLoss), "numeric"),
      element("td", trial.status === "failed" ? `failed: ${trial.message ?? ""}` : trial.status),
    );
    table.append(row);
  });
  const scroll = element("div", undefined, "table-scroll");
  scroll.append(table);
  root.replaceChildren(title, status, verdict, toolbar, grid, scroll);
  charts = containers.map(({ searched, container }) => scatter(container, searched, trials, best, measure));
  root.dataset.trials = String(trials.length);
  root.dataset.plots = String(charts.length);

  useButton.addEventListener("click", () => {
    if (best) vscode.postMessage({ type: "useValues", values: best.values });
  });
  csvButton.addEventListener("click", () => {
    const lines = [["rank", ...names, "eval_accuracy", "eval_loss", "test_accuracy", "test_loss", "status"].join(","), ...trials.map((trial, rank) => [rank + 1, ...names.map((name) => trial.values[name]), trial.evalAccuracy ?? "", trial.evalLoss ?? "", trial.testAccuracy ?? "", trial.testLoss ?? "", trial.status].join(","))];
    exportCsv(vscode, `${search.search}-search`, lines.join("\n") + "\n");
  });
}

function show(message: ToSearchPanel): void {
  if (message.type === "empty") {
    for (const chart of charts) chart.destroy();
    charts = [];
    root.replaceChildren(element("p", message.reason, "empty"));
    return;
  }
  render(message);
}

window.addEventListener("message", (event: MessageEvent<ToSearchPanel>) => {
  const data = event.data;
  if (data?.type === "empty" ? typeof data.reason !== "string" : data?.type !== "search" || !Array.isArray(data.search?.trials) || !Array.isArray(data.search?.axes)) return;
  current = data;
  vscode.setState(current);
  show(current);
});
onThemeChange(() => {
  theme = readTheme();
  if (current) show(current);
});
followWidth(root, () => charts.map((chart) => ({ chart, height })));
if (current) show(current);
vscode.postMessage({ type: "ready" });
