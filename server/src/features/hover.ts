// Hover: what the thing under the cursor is, its shape and parameter count,
// its curvature, and for builtins their formula. Returns Markdown.
import type * as ast from "../syntax/ast";
import type { Analysis } from "../analysis/analyze";
import { dimValue, shapeText, type Shape } from "../analysis/dims";
import type { CheckedModel, SymbolInfo } from "../analysis/model";
import { builtinFunctionsByName, implicitNamesByName, initialisersByName } from "../language/builtins";
import { settingSpecsFor, callSpecFor } from "../language/lookup";
import { optimizerRulesByName, searchedSettingDoc } from "../language/settings";
import type { Summary } from "../data/summary";
import { pointText, usesText, whereText } from "../engine/check-findings";
import type { GradResult } from "../engine/check-gradients";
import { formatNumber } from "../engine/gradcheck";
import { contains, declarationAt, expressionPath, settingAt, symbolAt } from "./locate";

export interface HoverResult {
  markdown: string;
  span: ast.Span;
}

const numberFormat = new Intl.NumberFormat("en-US");

/** `[10 × 3073] = 30,730 parameters`, or the symbolic product when a size is unknown. */
export function parameterCount(shape: Shape): string {
  const sizes = shape.map(dimValue);
  const dims = shape.map((dim) => dimValue(dim) ?? shapeText([dim]).slice(1, -1)).join(" × ");
  if (sizes.every((size): size is number => size !== undefined)) {
    const count = sizes.reduce((product, size) => product * size, 1);
    return `[${dims}] = ${numberFormat.format(count)} parameter${count === 1 ? "" : "s"}`;
  }
  return `[${dims}] parameters (sizes known once the data is read)`;
}

function code(text: string): string {
  return "```optim\n" + text + "\n```";
}

function curvatureLines(model: CheckedModel, declaration: ast.Declaration): string[] {
  const facts = model.facts.get(declaration)?.curvature ?? [];
  return facts.map((fact) => {
    const target = fact.wrt === "all" ? "all parameters jointly" : fact.wrt;
    const verdict = fact.curvature === "unknown" ? `**not known to be convex** in ${target}` : `**${fact.curvature}** in ${target}`;
    return `- ${verdict}: ${fact.reason}`;
  });
}

function describeSymbol(model: CheckedModel, symbol: SymbolInfo, text: string): string {
  const declaration = symbol.declaration;
  const facts = model.facts.get(declaration) ?? {};
  const header = code(text.slice(declaration.span.start, Math.min(declaration.span.end, declaration.span.start + 200)).split("\n")[0]);
  const lines: string[] = [header];
  switch (declaration.kind) {
    case "param":
      if (facts.shape) lines.push(`param **${symbol.name}**: ${parameterCount(facts.shape)}`);
      break;
    case "hyper":
      lines.push(`hyper **${symbol.name}** = ${facts.value ?? "?"}`);
      break;
    case "score":
    case "loss":
      lines.push(`${declaration.kind} **${symbol.name}**: ${facts.shape ? (facts.shape.length === 0 ? "a number" : shapeText(facts.shape)) : "shape unknown"}`);
      lines.push(...curvatureLines(model, declaration));
      break;
    case "grad":
      if (facts.gradOf) lines.push(`the gradient of ${facts.gradOf.loss.name} with respect to ${facts.gradOf.wrt.name}${facts.shape ? `: ${shapeText(facts.shape)}` : ""}`);
      break;
    case "data": {
      const source = declaration.source.kind === "call" ? callSpecFor("data", declaration.source.callee.text) : undefined;
      if (source) lines.push(source.doc);
      const features = dimValue(model.dims.D);
      const classes = dimValue(model.dims.C);
      lines.push(`X: [N, ${features ?? "D"}], y: [N] in ${classes === undefined ? "C classes" : `${classes} classes`}`);
      break;
    }
    case "optimizer": {
      const rule = declaration.rule.kind === "name" ? optimizerRulesByName.get(declaration.rule.name) : undefined;
      if (rule) lines.push(`${rule.doc}\n\n\`${rule.update}\``);
      break;
    }
    default:
      break;
  }
  return lines.join("\n\n");
}

/** What was read of each data set, by name, when the data has been loaded. */
export type DataSummaries = Record<string, Partial<Record<"train" | "val" | "test", Summary>>>;

function describeData(summary: Partial<Record<"train" | "val" | "test", Summary>>): string {
  const rows: string[] = ["| split | examples | features | classes | min | max | mean |", "|---|---|---|---|---|---|---|"];
  for (const split of ["train", "val", "test"] as const) {
    const part = summary[split];
    if (!part) continue;
    rows.push(`| ${split} | ${numberFormat.format(part.n)} | ${part.d} | ${part.classes} | ${formatNumber(part.min)} | ${formatNumber(part.max)} | ${formatNumber(part.mean)} |`);
  }
  const train = summary.train;
  const counts = train ? `\n\nExamples per class in train: ${train.classCounts.map((count, label) => `${train.classNames?.[label] ?? label}: ${numberFormat.format(count)}`).join(", ")}` : "";
  const image = train?.image ? `\n\nImages of ${train.image.height} × ${train.image.width}${train.image.channels > 1 ? ` × ${train.image.channels}` : ""}` : "";
  return rows.join("\n") + counts + image;
}

/** The last gradient check of a grad, as a verdict and a table of its worst entries. */
function describeCheck(result: GradResult): string {
  if (!result.check) return `Not checked: ${result.problem ?? "no result yet"}`;
  const check = result.check;
  const points = result.points && result.points.length > 1 ? ` at ${result.points.length} points (${result.points.map((point) => point.label).join("; ")})` : "";
  const lines = [`Last check: **${check.verdict}**, max relative error ${formatNumber(check.maxRelativeError)} (the notes' band: ${check.band}) over ${check.checked} entries and ${check.projections.length} random directions${points}${check.kinks.length ? `; ${check.kinks.length} entries at kinks` : ""}.`];
  const where = pointText(result);
  if (where) lines.push(`It is ${where}.`);
  const uses = usesText(result);
  if (uses) lines.push(result.wrongUses?.inherits ? `It is wrong only because ${uses}: with the true values of the grads it uses, it is right.` : `Its own expression is wrong, not only because ${uses}.`);
  if (check.verdict === "error") lines.push(`Worst: ${whereText(result.param, check)}.`);
  if (check.pattern) lines.push(`It looks like ${check.pattern}.`);
  if (check.worst.length > 0) {
    lines.push("| entry | analytic | numerical | relative error |", "|---|---|---|---|");
    for (const entry of check.worst) lines.push(`| ${result.param}[${entry.index.join(",")}] | ${formatNumber(entry.analytic)} | ${formatNumber(entry.numerical)} | ${formatNumber(entry.relativeError)} |`);
  }
  for (const entry of check.kinks.slice(0, 3)) {
    if (entry.kink) lines.push(`\nAt a kink: ${result.param}[${entry.index.join(",")}] has one-sided derivatives ${formatNumber(entry.kink.left)} and ${formatNumber(entry.kink.right)}; analytic ${formatNumber(entry.analytic)}.`);
  }
  return lines.join("\n");
}

/** What the last computations of this version know, for hover. */
export interface HoverContext {
  data?: DataSummaries;
  /** The grads' last checks. */
  grads?: GradResult[];
}

export function hoverAt(analysis: Analysis, text: string, offset: number, context: HoverContext = {}): HoverResult | undefined {
  const { model, document } = analysis;
  // Anywhere on a grad's `dL/dW` is the grad, though its L and W also refer to the loss and the param.
  const grad = [...model.grads.values()].find((symbol) => contains(symbol.declaration.name.span, offset));
  const found = grad ? { symbol: grad, span: grad.declaration.name.span } : symbolAt(model, offset);
  if (found) {
    const summary = found.symbol.kind === "data" ? context.data?.[found.symbol.name] : undefined;
    const check = found.symbol.kind === "grad" ? context.grads?.find((result) => result.name === found.symbol.name) : undefined;
    const extra = summary ? describeData(summary) : check ? describeCheck(check) : undefined;
    return { markdown: describeSymbol(model, found.symbol, text) + (extra ? `\n\n${extra}` : ""), span: found.span };
  }

  const declaration = declarationAt(document, offset);
  if (!declaration) return undefined;

  const setting = settingAt(declaration, offset);
  if (setting && contains(setting.key.span, offset)) {
    const spec = settingSpecsFor(declaration).find((candidate) => candidate.name === setting.key.text);
    if (spec) return { markdown: `**${spec.name}**: ${spec.doc}${spec.defaultText ? `\n\nDefault: \`${spec.defaultText}\`` : ""}`, span: setting.key.span };
    // A search's other keys are its optimizer's settings (its hypers are references, above).
    const by = declaration.kind === "search" ? declaration.block.settings.find((candidate) => candidate.key.text === "by")?.value : undefined;
    const optimizer = by?.kind === "name" ? model.symbols.get(by.name)?.declaration : undefined;
    const rule = optimizer?.kind === "optimizer" && optimizer.rule.kind === "name" ? optimizerRulesByName.get(optimizer.rule.name) : undefined;
    const searched = rule?.settings.find((candidate) => candidate.name === setting.key.text);
    if (searched && optimizer) return { markdown: `**${searched.name}** of optimizer ${optimizer.name.text}, searched: ${searched.doc}\n\n${searchedSettingDoc}`, span: setting.key.span };
  }

  const path = expressionPath(declaration, offset);
  for (let i = path.length - 1; i >= 0; i--) {
    const expr = path[i];
    if (expr.kind === "call" && contains(expr.callee.span, offset)) return hoverCall(declaration, expr);
    if (expr.kind === "name") {
      const implicit = implicitNamesByName.get(expr.name);
      if (implicit) return { markdown: `**${expr.name}**: ${implicit.doc}${shapeSuffix(model, expr)}`, span: expr.span };
      const initialiser = initialisersByName.get(expr.name);
      if (initialiser) return { markdown: `**${expr.name}**: ${initialiser.doc}\n\n\`${initialiser.formula}\``, span: expr.span };
      const rule = optimizerRulesByName.get(expr.name);
      if (rule && declaration.kind === "optimizer") return { markdown: `**${rule.name}**: ${rule.doc}\n\n\`${rule.update}\``, span: expr.span };
    }
    if (expr.kind === "binary" && contains(expr.opSpan, offset)) {
      const shape = model.shapes.get(expr);
      if (shape) return { markdown: `\`${expr.op}\` gives ${shape.length === 0 ? "a number" : shapeText(shape)}`, span: expr.opSpan };
    }
  }
  return undefined;
}

function shapeSuffix(model: CheckedModel, expr: ast.Expr): string {
  const shape = model.shapes.get(expr);
  return shape && shape.length > 0 ? `\n\nShape here: ${shapeText(shape)}` : "";
}

function hoverCall(declaration: ast.Declaration, call: Extract<ast.Expr, { kind: "call" }>): HoverResult | undefined {
  const name = call.callee.text;
  const builtin = builtinFunctionsByName.get(name);
  if (builtin) {
    return { markdown: `${code(builtin.signature)}\n\n${builtin.doc}\n\n\`${builtin.formula}\``, span: call.callee.span };
  }
  const spec = callSpecFor(declaration.kind === "data" ? "data" : "any", name);
  if (spec) {
    const args = [...spec.positional.map((arg) => arg.name), ...spec.named.map((arg) => `${arg.name}=${arg.defaultText ?? "…"}`)].join(", ");
    return { markdown: `${code(`${name}(${args})`)}\n\n${spec.doc}`, span: call.callee.span };
  }
  return undefined;
}
