// The step-size sweep panel: the loss after the sweep's steps for each step
// size, on a log x axis, with the start's loss, the diverged step sizes and
// the suggested one marked; the same rows as a table below.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "../charts.css";
import { onThemeChange, readTheme, type ChartTheme } from "./chart-theme";
import { element, vscodeApi } from "./dom";
import { exportCsv, exportPng } from "./export";
import type { FromWebview, ToSweepPanel } from "./messages";
import { axis, drawGuides, followWidth, formatValue, shortTicks, widthOf, type Guide } from "./plot";

const vscode = vscodeApi<FromWebview>();
const root = document.getElementById("root") as HTMLElement;
let current = vscode.getState() as ToSweepPanel | undefined;
let theme: ChartTheme = readTheme();
let chart: uPlot | undefined;
let logY = true;
const height = 340;

function suggestedRow(message: ToSweepPanel): number {
  const suggestion = message.sweep.suggestion;
  if (!suggestion) return -1;
  let best = -1;
  message.sweep.rows.forEach((row, i) => {
    if (best < 0 || Math.abs(Math.log(row.lr / suggestion.lr)) < Math.abs(Math.log(message.sweep.rows[best].lr / suggestion.lr))) best = i;
  });
  return best;
}

function render(message: ToSweepPanel): void {
  chart?.destroy();
  chart = undefined;
  const { sweep } = message;
  const title = element("h1", `${message.run} — step-size ${sweep.method === "range_test" ? "range test" : "sweep"} (${message.file})`);
  const summary = element("p", `Loss at the start: ${formatValue(sweep.start)}. ${sweep.rows.length} step sizes, ${sweep.rows.filter((row) => row.diverged).length} diverged.`, "status");
  const suggestion = sweep.suggestion ? element("p", `Suggested step size ${formatValue(sweep.suggestion.lr)}: ${sweep.suggestion.reason}`, "suggestion") : element("p", "No step size lowered the loss: try smaller ones.", "markers");
  suggestion.id = "suggestion";

  const toolbar = element("div", undefined, "toolbar");
  const logInput = element("input");
  logInput.type = "checkbox";
  logInput.checked = logY;
  const logLabel = element("label");
  logLabel.append(element("span", "Log loss"), logInput);
  const csvButton = element("button", "Export CSV");
  const pngButton = element("button", "Export PNG");
  toolbar.append(logLabel, csvButton, pngButton);

  const container = element("div", undefined, "chart");
  container.id = "sweep-chart";
  const table = element("table");
  table.id = "sweep-table";
  const head = element("tr");
  head.append(element("th", "step size", "numeric"), element("th", "loss", "numeric"), element("th", "Δ from start", "numeric"), element("th", ""));
  table.append(head);
  const suggested = suggestedRow(message);
  sweep.rows.forEach((row, i) => {
    const line = element("tr", undefined, i === suggested ? "highlight" : undefined);
    line.append(
      element("td", formatValue(row.lr), "numeric"),
      element("td", formatValue(row.loss), "numeric"),
      element("td", row.diverged ? "" : formatValue(row.loss - sweep.start), "numeric"),
      element("td", row.diverged ? "diverged" : i === suggested ? "suggested" : ""),
    );
    table.append(line);
  });
  root.replaceChildren(title, summary, suggestion, toolbar, container, table);

  // Finite losses on the line; diverged step sizes as marks along the top.
  const finite = sweep.rows.map((row) => (!row.diverged && Number.isFinite(row.loss) && (!logY || row.loss > 0) ? row.loss : null));
  const top = Math.max(sweep.start, ...finite.filter((value): value is number => value !== null));
  const diverged = sweep.rows.map((row) => (row.diverged || !Number.isFinite(row.loss) ? top : null));
  // The legend lists only what is drawn: no "diverged" entry when none did.
  const anyDiverged = diverged.some((value) => value !== null);
  const data: uPlot.AlignedData = [sweep.rows.map((row) => row.lr), finite, ...(anyDiverged ? [diverged] : [])];
  const options: uPlot.Options = {
    width: widthOf(container),
    height,
    scales: { x: { time: false, distr: 3 }, y: logY ? { distr: 3 } : { auto: true } },
    axes: [{ ...axis(theme, "step size"), values: shortTicks }, axis(theme, "loss", true)],
    cursor: { drag: { x: true, y: false, setScale: true } },
    series: [
      { label: "step size", value: (_chart, value) => formatValue(value) },
      { label: "loss", stroke: theme.palette[0], width: 2, points: { show: true, size: 7, fill: theme.palette[0] }, value: (_chart, value) => formatValue(value) },
      ...(anyDiverged ? [{ label: "diverged", stroke: theme.error, width: 0, paths: () => null, points: { show: true, size: 9, fill: theme.error, stroke: theme.error }, value: (_chart: uPlot, value: number | null) => (value === null ? "–" : "yes") }] : []),
    ],
    hooks: {
      draw: [
        (plot) => {
          const guides: Guide[] = [{ orientation: "y", value: sweep.start, color: theme.muted, label: `start ${formatValue(sweep.start)}` }];
          if (sweep.suggestion) guides.push({ orientation: "x", value: sweep.suggestion.lr, color: theme.good, label: `suggested ${formatValue(sweep.suggestion.lr)}` });
          drawGuides(plot, guides);
        },
      ],
    },
  };
  chart = new uPlot(options, data, container);
  root.dataset.rows = String(sweep.rows.length);

  logInput.addEventListener("change", () => {
    logY = logInput.checked;
    render(message);
  });
  csvButton.addEventListener("click", () => {
    const lines = ["lr,loss,diverged,suggested", ...sweep.rows.map((row, i) => [row.lr, row.loss, row.diverged, i === suggested].join(","))];
    exportCsv(vscode, `${message.run}-sweep`, lines.join("\n") + "\n");
  });
  pngButton.addEventListener("click", () => {
    if (!chart) return;
    exportPng(vscode, `${message.run}-sweep`, { container, canvases: [chart.ctx.canvas], background: theme.background, foreground: theme.foreground, font: theme.font, legend: [{ label: `${message.run}: loss after the sweep's steps`, color: theme.palette[0] }] });
  });
}

window.addEventListener("message", (event: MessageEvent<ToSweepPanel>) => {
  if (event.data?.type !== "sweep" || !Array.isArray(event.data.sweep?.rows)) return;
  current = event.data;
  vscode.setState(current);
  render(current);
});
onThemeChange(() => {
  theme = readTheme();
  if (current) render(current);
});
followWidth(root, () => (chart ? [{ chart, height }] : []));
if (current) render(current);
vscode.postMessage({ type: "ready" });
