// One gradient-check job, from document text to findings: analyse, find the
// examples to check on (a gradcheck declaration's, or the first data set's
// training split), load them, and check. Runs in the compute worker, and in
// the CLI in-process.
import type * as ast from "../syntax/ast";
import { analyze, type Analysis } from "../analysis/analyze";
import type { Finding } from "../analysis/diagnostic";
import { LineIndex } from "../analysis/line-index";
import type { DataFacts } from "../analysis/model";
import { leadingRows } from "../data/stored-bytes";
import type { Summary } from "../data/summary";
import type { Splits } from "../data/types";
import { checkFindings } from "../engine/check-findings";
import { checkGradients, type CheckExamples, type CheckReport, type CheckSettings } from "../engine/check-gradients";
import { defaultGradCheckOptions, type GradCheckOptions } from "../engine/gradcheck";
import { seededStreams } from "../engine/random";
import { readSettings, type RunDeclaration } from "../train/plan-run";
import { TimeBudget } from "./budget";

export type DataDeclaration = Extract<ast.Declaration, { kind: "data" }>;

/** Per split, what a hover shows about a data set. */
export type DataSummary = Partial<Record<"train" | "val" | "test", Summary>>;

/** Loads a data declaration's splits through the data layer (cached there). */
export type DataLoader = (
  declaration: DataDeclaration,
) => Promise<{ ok: true; splits: Splits; facts: DataFacts; summary: DataSummary } | { ok: false; message: string; /** Where the fault is when not on the name: a split setting's file. */ span?: ast.Span }>;

export interface CheckOutcome {
  findings: Finding[];
  report?: CheckReport;
  /** Why nothing was checked. */
  note?: string;
  /** The loaded data sets, by name. */
  data: Record<string, DataSummary>;
  /** The sizes each loaded data set gives D and C, by name: the editor analyses again with them. */
  facts: Record<string, DataFacts>;
}

export interface CheckRequestSettings extends CheckSettings {
  seed: number;
  /** Examples to check on when no gradcheck declaration says. */
  examples: number;
  /** The most entries a param or a value computed from it may have: more is an error, and nothing is allocated. */
  maxTensorEntries?: number;
  /** Milliseconds the whole job may take; a check still running then stops and says what it did not check. */
  timeBudgetMs?: number;
}

/** What an automatic check does when no gradcheck declaration says otherwise. */
export const defaultCheckSettings: CheckRequestSettings = { ...defaultGradCheckOptions, seed: 0, examples: 20 };

interface Plan {
  data: DataDeclaration;
  split: "train" | "val" | "test";
  first: number;
  settings: CheckRequestSettings;
}

/** The gradcheck declaration's choices override the defaults. */
function plan(analysis: Analysis, defaults: CheckRequestSettings): Plan | undefined {
  const data = analysis.document.declarations.filter((declaration): declaration is DataDeclaration => declaration.kind === "data");
  const gradcheck = analysis.document.declarations.find((declaration): declaration is RunDeclaration => declaration.kind === "gradcheck");
  if (!gradcheck) return data[0] ? { data: data[0], split: "train", first: defaults.examples, settings: defaults } : undefined;
  const { numbers, names, splits } = readSettings(analysis, gradcheck);
  const on = splits.on;
  const chosen = (on && data.find((declaration) => declaration.name.text === on.data)) ?? data[0];
  const split = on?.split === "val" || on?.split === "test" ? on.split : "train";
  const settings: CheckRequestSettings = {
    ...defaults,
    samples: numbers.samples ?? defaults.samples,
    projections: numbers.projections ?? defaults.projections,
    h: numbers.h ?? defaults.h,
    seed: numbers.seed ?? defaults.seed,
    ...(names.wrt ? { only: { ...defaults.only, param: names.wrt } } : {}),
  };
  return chosen ? { data: chosen, split, first: numbers.first ?? defaults.examples, settings } : undefined;
}

/** A document analysed with its data read: what `optim check` reports and what a check starts from. */
export interface AnalysedWithData {
  /** The static analysis, before any data was read. */
  first: Analysis;
  /** The analysis again with the real shapes of the data sets that were read. */
  analysis: Analysis;
  /** Data errors, and the findings of `analysis` that `first` does not have. */
  findings: Finding[];
  loaded: Map<string, { splits: Splits; facts: DataFacts }>;
  /** The loaded data sets, by name. */
  data: Record<string, DataSummary>;
}

/**
 * Reads every data set of the document (its errors become findings on the
 * declaration, or on the split setting that names the file) and analyses
 * again with the real shapes.
 */
export async function analyseWithData(text: string, load: DataLoader, limits: Pick<CheckRequestSettings, "maxTensorEntries"> = {}): Promise<AnalysedWithData> {
  const first = analyze(text, limits);
  const declarations = first.document.declarations.filter((declaration): declaration is DataDeclaration => declaration.kind === "data" && declaration.name.text !== "");
  const findings: Finding[] = [];
  const data: Record<string, DataSummary> = {};
  const loaded = new Map<string, { splits: Splits; facts: DataFacts }>();
  for (const declaration of declarations) {
    if (first.model.symbols.get(declaration.name.text)?.declaration !== declaration) continue;
    // A declaration the checker already faults is not read.
    if (first.findings.some((finding) => finding.severity === "error" && finding.span.start >= declaration.span.start && finding.span.end <= declaration.span.end)) continue;
    const result = await load(declaration);
    if (!result.ok) findings.push({ span: result.span ?? declaration.name.span, severity: "error", code: "data", message: result.message });
    else {
      loaded.set(declaration.name.text, result);
      data[declaration.name.text] = result.summary;
    }
  }
  const analysis = analyze(text, { ...limits, dataFacts: (declaration) => loaded.get(declaration.name.text)?.facts });
  // Shape errors against the real data are new findings of this analysis; the static ones are reported already.
  findings.push(...analysis.findings.filter((finding) => !first.findings.some((earlier) => earlier.code === finding.code && earlier.span.start === finding.span.start && earlier.message === finding.message)));
  return { first, analysis, findings, loaded, data };
}

/** Reads the document's data (`analyseWithData`), then checks gradients on the planned examples. */
export async function runCheck(text: string, defaults: CheckRequestSettings, load: DataLoader, control: Pick<GradCheckOptions, "cancelled" | "progress"> = {}): Promise<CheckOutcome> {
  const budget = new TimeBudget(defaults.timeBudgetMs, control.cancelled);
  const { analysis, findings, loaded, data } = await analyseWithData(text, load, { maxTensorEntries: defaults.maxTensorEntries });
  const facts = Object.fromEntries([...loaded].map(([name, read]) => [name, read.facts]));
  const hasWork = analysis.model.grads.size > 0 || [...analysis.model.symbols.values()].some((symbol) => symbol.kind === "loss");
  if (!hasWork) return { findings, data, facts, note: "no losses or grads to check" };
  const chosen = plan(analysis, defaults);
  if (!chosen) return { findings, data, facts, note: "declare a data set to check gradients on its examples" };
  const source = loaded.get(chosen.data.name.text);
  if (!source) return { findings, data, facts, note: `${chosen.data.name.text} could not be read` };
  if (analysis.findings.some((finding) => finding.severity === "error")) return { findings, data, facts, note: "fix the errors first" };
  const part = source.splits[chosen.split];
  if (!part) return { findings, data, facts, note: `${chosen.data.name.text} has no ${chosen.split} split` };
  const rows = Math.min(chosen.first, part.n);
  const examples: CheckExamples = { X: leadingRows(part, rows), y: part.y.subarray(0, rows), n: rows, d: part.d };
  const report = checkGradients(analysis, examples, chosen.settings, seededStreams(chosen.settings.seed), { ...control, cancelled: budget.stop });
  const note = report.cancelled && budget.ranOut ? stoppedAtBudget(report, budget.text) : undefined;
  const lines = new LineIndex(text);
  const lineOf = (offset: number) => lines.positionAt(offset).line + 1;
  return { findings: [...findings, ...checkFindings(report, lineOf)], report, data, facts, ...(note ? { note } : {}) };
}

/**
 * A check cut short by its time budget is not a cancelled one: what was
 * checked stands, the check under way becomes a grad that was not checked,
 * and the note says which were left. Changes `report` in place.
 */
function stoppedAtBudget(report: CheckReport, budget: string): string {
  const advice = "raise the limit, or check fewer entries (gradcheck { samples … })";
  report.cancelled = false;
  const cut = report.grads.find((grad) => grad.check?.cancelled);
  if (cut?.check) {
    cut.problem = `the check reached its time budget of ${budget} after ${cut.check.checked.toLocaleString("en-US")} entries; ${advice}`;
    delete cut.check;
  }
  report.autodiff = report.autodiff.filter((entry) => !entry.check.cancelled);
  return `the gradient check stopped at its time budget of ${budget}${cut ? `, while checking ${cut.name}; the grads after it were not checked` : ""}; ${advice}`;
}
