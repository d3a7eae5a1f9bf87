// A gradient-check report as the protocol's CheckResults: lines instead of
// offsets, and the few numbers the Test Explorer and panels show.
import type { LineIndex } from "../analysis/line-index";
import type { CheckReport } from "../engine/check-gradients";
import { formatNumber } from "../engine/gradcheck";
import type { CheckResults, GradCheckSummary } from "../protocol";

export function toCheckResults(report: CheckReport | undefined, lines: LineIndex, uri: string, version: number, messages: Map<string, string>, note?: string, durationMs?: number): CheckResults {
  const grads: GradCheckSummary[] = (report?.grads ?? []).map((grad) => {
    const check = grad.check;
    const line = lines.positionAt(grad.span.start).line;
    const took = grad.durationMs !== undefined ? { durationMs: grad.durationMs } : {};
    if (!check) return { name: grad.name, line, verdict: "unchecked", passed: false, message: grad.problem ?? "not checked", worst: [], kinks: 0, checked: 0, histogram: [], ...took };
    const passed = check.verdict === "good" || check.verdict === "acceptable";
    const summary = passed
      ? `${grad.name} matches the numerical gradient: max relative error ${formatNumber(check.maxRelativeError)} over ${check.checked} entries and ${check.projections.length} random directions${grad.points && grad.points.length > 1 ? `, at the start and at ${grad.points.slice(1).map((point) => point.label).join(" and ")}` : ""}${check.kinks.length ? `, ${check.kinks.length} entries at kinks` : ""}`
      : messages.get(grad.name) ?? `max relative error ${formatNumber(check.maxRelativeError)}`;
    return {
      name: grad.name,
      line,
      verdict: check.verdict,
      passed,
      message: summary,
      maxRelativeError: check.maxRelativeError,
      worst: check.worst.map((entry) => ({ entry: `${grad.param}[${entry.index.join(",")}]`, analytic: entry.analytic, numerical: entry.numerical, relativeError: entry.relativeError })),
      kinks: check.kinks.length,
      checked: check.checked,
      histogram: check.histogram,
      ...took,
    };
  });
  return {
    uri,
    version,
    grads,
    autodiff: (report?.autodiff ?? []).map((entry) => ({ loss: entry.loss, param: entry.check.param, verdict: entry.check.verdict, maxRelativeError: entry.check.maxRelativeError })),
    examples: report?.examples ?? 0,
    note,
    cancelled: report?.cancelled ?? false,
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
}
