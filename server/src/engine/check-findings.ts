// A gradient-check report as findings on the declarations it concerns: a
// wrong grad is an error that says where (the worst entry, traced from a
// projection when no sampled entry showed it), at which point (the start, or
// a point where the loss behaves as in training), and what the mistake looks
// like when a pattern explains it.
import type { Finding } from "../analysis/diagnostic";
import type { CheckReport, GradResult } from "./check-gradients";
import type { LineCheck } from "./locate";
import { formatNumber, formatPair, type ParamCheck } from "./gradcheck";

function entryText(param: string, index: number[]): string {
  return `${param}[${index.join(",")}]`;
}

function lineText(kind: "row" | "column", line: LineCheck | undefined): string | undefined {
  if (!line) return undefined;
  if (line.wrongCount === 0) return `the rest of ${kind} ${line.index} is right`;
  if (line.wrongCount === line.checked) return `all ${line.checked} checked entries of ${kind} ${line.index} are wrong`;
  const others = kind === "row" ? "columns" : "rows";
  const listed = line.wrong.join(", ") + (line.wrongCount > line.wrong.length ? ", …" : "");
  return `${line.wrongCount} of ${line.checked} checked entries of ${kind} ${line.index} are wrong (${others} ${listed})`;
}

/** Where the check saw the error, in words. */
export function whereText(param: string, check: ParamCheck): string {
  const worst = check.worst[0];
  if (check.located) {
    const { entry, row, column } = check.located;
    const lines = [lineText("row", row), lineText("column", column)].filter((text) => text !== undefined);
    return `at ${entryText(param, entry.index)} (${formatPair(entry.analytic, entry.numerical)}), traced from a random direction that disagreed${lines.length ? `; ${lines.join(", ")}` : ""}`;
  }
  if (worst && (worst.wrong || !check.projections.some((projection) => projection.wrong))) {
    const count = check.wrongEntries > 1 ? `; ${check.wrongEntries} of ${check.checked} checked entries are wrong` : "";
    return `at ${entryText(param, worst.index)} (${formatPair(worst.analytic, worst.numerical)})${count}`;
  }
  const projection = check.projections.filter((p) => p.wrong).sort((a, b) => b.relativeError - a.relativeError)[0];
  return projection ? `along a random direction (${formatPair(projection.analytic, projection.numerical)})` : "";
}

/** "right at the start, wrong at weights scaled …: max(0, ·) positive for …". */
export function pointText(grad: GradResult): string | undefined {
  if (!grad.failedAt) return undefined;
  return `right at the start, wrong at ${grad.failedAt.label}${grad.failedAt.sides ? ` (${grad.failedAt.sides})` : ""}`;
}

/** "dL/dz1, which it uses, is wrong (line 14)", or several such grads. */
export function usesText(grad: GradResult, lineOf?: (offset: number) => number): string | undefined {
  const uses = grad.wrongUses?.grads;
  if (!uses) return undefined;
  const named = uses.map((use) => `${use.name}${lineOf ? ` (line ${lineOf(use.span.start)})` : ""}`);
  const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(", ")} and ${named[named.length - 1]}`;
  return `${list}, which it uses, ${named.length === 1 ? "is" : "are"} wrong`;
}

/**
 * Findings on the grads, the autodiff checks, chance and the losses.
 * `lineOf` (1-based lines) lets a grad wrong through another name that
 * grad's line.
 */
export function checkFindings(report: CheckReport, lineOf?: (offset: number) => number): Finding[] {
  const findings: Finding[] = [];
  for (const grad of report.grads) {
    if (grad.problem) {
      findings.push({ span: grad.span, severity: "warning", code: "gradcheck", message: `${grad.name} was not checked: ${grad.problem}` });
      continue;
    }
    const check = grad.check;
    if (!check || check.verdict !== "error") continue;
    const uses = usesText(grad, lineOf);
    // Only the first wrong link of a chain is an error; the links wrong through it say so.
    if (grad.wrongUses?.inherits) {
      findings.push({ span: grad.span, severity: "information", code: "gradcheck-inherited", message: `${grad.name} is wrong because ${uses}; with the true ${grad.wrongUses.grads.length === 1 ? "value in its place" : "values in their places"} ${grad.name} is right` });
      continue;
    }
    const own = uses ? `${grad.name}'s own expression is wrong, not only because ${uses}` : undefined;
    const parts = [`analytic ${grad.name} disagrees with the numerical gradient: max relative error ${formatNumber(check.maxRelativeError)} ${whereText(grad.param, check)}`, own, pointText(grad), check.pattern].filter((part) => part !== undefined);
    findings.push({ span: grad.span, severity: "error", code: "gradcheck", message: parts.join("; ") });
  }
  for (const autodiff of report.autodiff) {
    const check = autodiff.check;
    if (check.verdict !== "error") continue;
    findings.push({ span: autodiff.span, severity: "warning", code: "gradcheck-autodiff", message: `the gradient of ${autodiff.loss} with respect to ${check.param} does not match centered differences (max relative error ${formatNumber(check.maxRelativeError)}): the loss may be non-differentiable or unstable at the initial weights` });
  }
  for (const chance of report.chance) {
    if (!chance.far) continue;
    const what = chance.kind === "softmax" ? "softmax" : "an SVM with small weights";
    findings.push({ span: chance.span, severity: "information", code: "chance", message: `the data part of ${chance.loss} is ${formatNumber(chance.value)} at initialisation, but chance for ${what} is ${chance.expectedText}: check the loss, or start with smaller weights` });
  }
  for (const problem of report.problems) findings.push({ span: problem.span, severity: "warning", code: "gradcheck", message: problem.message });
  return findings;
}
