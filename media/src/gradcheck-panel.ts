// The gradient-check report: per grad declaration, its verdict, a histogram
// of relative errors by decade (coloured by the notes' rules of thumb) and a
// table of the worst entries. A grad's name leads to its declaration.
import "../charts.css";
import { element, vscodeApi } from "./dom";
import { exportCsv } from "./export";
import type { FromWebview, ToGradcheckPanel } from "./messages";
import { formatValue } from "./plot";
import type { GradCheckSummary } from "../../server/src/protocol";

const vscode = vscodeApi<FromWebview>();
const root = document.getElementById("root") as HTMLElement;
let current = vscode.getState() as ToGradcheckPanel | undefined;

/** The histogram's bins: < 1e-10, then one per decade up to ≥ 1. */
const decadeLabels = ["<1e-10", ...Array.from({ length: 10 }, (_, k) => `1e${k - 10}`), "≥1"];

/** The notes' reading of a relative error: > 1e-2 wrong, 1e-2–1e-4 uncomfortable, 1e-4–1e-7 fine with kinks, < 1e-7 good. */
function zoneOf(bin: number): string {
  if (bin <= 3) return "good";
  if (bin <= 6) return "acceptable";
  if (bin <= 8) return "warning";
  return "error";
}

function histogram(grad: GradCheckSummary): HTMLElement {
  const figure = element("div", undefined, "histogram");
  figure.setAttribute("role", "img");
  figure.setAttribute("aria-label", `relative errors of ${grad.name} per decade`);
  const most = Math.max(1, ...grad.histogram);
  grad.histogram.forEach((count, bin) => {
    const column = element("div", undefined, "column");
    const bar = element("div", undefined, `bar ${zoneOf(bin)}`);
    // Square-root lengths, so a few bad entries next to thousands of good ones still show; as a share of
    // the longest bar, which charts.css makes 100 px high in columns or the full width in rows.
    bar.style.setProperty("--share", String(count === 0 ? 0 : Math.max(0.02, Math.sqrt(count) / Math.sqrt(most))));
    bar.title = `${count} entries`;
    bar.dataset.count = String(count);
    column.append(element("span", count === 0 ? "" : String(count), "count"), bar, element("span", decadeLabels[bin] ?? "", "decade"));
    figure.append(column);
  });
  return figure;
}

function worstTable(grad: GradCheckSummary): HTMLElement {
  const table = element("table", undefined, "worst");
  const head = element("tr");
  head.append(element("th", "entry"), element("th", "analytic", "numeric"), element("th", "numerical", "numeric"), element("th", "relative error", "numeric"));
  table.append(head);
  for (const entry of grad.worst) {
    const row = element("tr");
    row.append(element("td", entry.entry), element("td", formatValue(entry.analytic), "numeric"), element("td", formatValue(entry.numerical), "numeric"), element("td", entry.relativeError.toExponential(2), "numeric"));
    table.append(row);
  }
  return table;
}

function section(grad: GradCheckSummary): HTMLElement {
  const box = element("section", undefined, `grad ${grad.verdict}`);
  const heading = element("h2");
  const link = element("a", grad.name);
  link.href = "#";
  link.addEventListener("click", (event) => {
    event.preventDefault();
    vscode.postMessage({ type: "reveal", line: grad.line });
  });
  heading.append(link, element("span", ` ${grad.verdict}`, `verdict ${grad.verdict}`));
  box.append(heading, element("p", grad.message, "status"));
  const facts = [`${grad.checked} entries checked`, grad.kinks > 0 ? `${grad.kinks} near a kink` : "", grad.maxRelativeError === undefined ? "" : `largest relative error ${grad.maxRelativeError.toExponential(2)}`].filter(Boolean).join(", ");
  box.append(element("p", facts, "status"));
  if (grad.checked > 0) box.append(histogram(grad));
  if (grad.worst.length > 0) box.append(element("h3", "Worst entries"), worstTable(grad));
  return box;
}

function render(message: ToGradcheckPanel): void {
  if (message.type === "empty") {
    root.replaceChildren(element("p", message.reason, "empty"));
    return;
  }
  const { results } = message;
  const failed = results.grads.filter((grad) => !grad.passed).length;
  const title = element("h1", `Gradient check — ${message.file} (version ${results.version})`);
  const summary = element("p", results.note ?? `${results.grads.length} grad${results.grads.length === 1 ? "" : "s"} on ${results.examples} examples: ${failed === 0 ? "all match the numerical gradient" : `${failed} disagree`}.`, "status");
  summary.id = "summary";
  const toolbar = element("div", undefined, "toolbar");
  const csvButton = element("button", "Export CSV");
  toolbar.append(csvButton);
  csvButton.addEventListener("click", () => {
    const lines = ["grad,entry,analytic,numerical,relative_error", ...results.grads.flatMap((grad) => grad.worst.map((entry) => [grad.name, `"${entry.entry}"`, entry.analytic, entry.numerical, entry.relativeError].join(",")))];
    exportCsv(vscode, "gradient-check", lines.join("\n") + "\n");
  });
  const legend = element("p", "Relative error |a − n| / max(|a|, |n|): below 1e-7 good; up to 1e-4 fine near kinks; up to 1e-2 uncomfortable; above 1e-2 the gradient is probably wrong.", "status legend");
  root.replaceChildren(title, summary, toolbar, legend, ...results.grads.map(section));
  if (results.autodiff.length > 0) {
    const table = element("table");
    const head = element("tr");
    head.append(element("th", "loss"), element("th", "param"), element("th", "engine's own gradient"), element("th", "relative error", "numeric"));
    table.append(head);
    for (const check of results.autodiff) {
      const row = element("tr");
      row.append(element("td", check.loss), element("td", check.param), element("td", check.verdict), element("td", check.maxRelativeError.toExponential(2), "numeric"));
      table.append(row);
    }
    root.append(element("h2", "Automatic differentiation, checked the same way"), table);
  }
}

window.addEventListener("message", (event: MessageEvent<ToGradcheckPanel>) => {
  const message = event.data;
  const wellFormed = message?.type === "empty" ? typeof message.reason === "string" : message?.type === "checks" && Array.isArray(message.results?.grads);
  if (!wellFormed) return;
  current = message;
  vscode.setState(current);
  render(current);
});
if (current) render(current);
vscode.postMessage({ type: "ready" });
