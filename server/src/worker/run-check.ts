// One gradient-check job, from document text to findings: analyse, find the
// examples to check on (a gradcheck declaration's, or the first data set's
// training split), load them, and check. Runs in the compute worker, and in
// the CLI in-process.
import type * as ast from "../syntax/ast";
import { analyze } from "../analysis/analyze";
import type { Finding } from "../analysis/diagnostic";
import type { DataFacts } from "../analysis/model";
import { checkFindings, checkGradients, type CheckExamples, type CheckReport, type CheckSettings } from "../engine/check-gradients";
import { defaultGradCheckOptions, type GradCheckOptions } from "../engine/gradcheck";
import { seededStreams } from "../engine/random";

export type DataDeclaration = Extract<ast.Declaration, { kind: "data" }>;

/** Where the examples come from: loads a data declaration's split (the data layer does it). */
export type ExampleLoader = (declaration: DataDeclaration, split: "train" | "val" | "test", first: number) => Promise<{ ok: true; facts: DataFacts; examples: CheckExamples } | { ok: false; message: string }>;

export interface CheckOutcome {
  findings: Finding[];
  report?: CheckReport;
  /** Why nothing was checked. */
  note?: string;
}

export interface CheckRequestSettings extends CheckSettings {
  seed: number;
  /** Examples to check on when no gradcheck declaration says. */
  examples: number;
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
function plan(document: ast.Document, defaults: CheckRequestSettings): Plan | undefined {
  const data = document.declarations.filter((declaration): declaration is DataDeclaration => declaration.kind === "data");
  const gradcheck = document.declarations.find((declaration) => declaration.kind === "gradcheck");
  const settings = { ...defaults };
  let chosen = data[0];
  let split: "train" | "val" | "test" = "train";
  let first = defaults.examples;
  if (gradcheck && "block" in gradcheck && gradcheck.block) {
    for (const setting of gradcheck.block.settings) {
      const value = setting.value;
      const number = value?.kind === "number" ? value.value : undefined;
      switch (setting.key.text) {
        case "on":
          if (value?.kind === "member" && value.target.kind === "name") {
            const target = value.target.name;
            chosen = data.find((declaration) => declaration.name.text === target) ?? chosen;
            if (value.member.text === "val" || value.member.text === "test") split = value.member.text;
          }
          break;
        case "first":
          if (number !== undefined) first = number;
          break;
        case "samples":
          if (number !== undefined) settings.samples = number;
          break;
        case "projections":
          if (number !== undefined) settings.projections = number;
          break;
        case "h":
          if (number !== undefined) settings.h = number;
          break;
        case "seed":
          if (number !== undefined) settings.seed = number;
          break;
        case "wrt":
          if (value?.kind === "name") settings.only = { ...settings.only, param: value.name };
          break;
      }
    }
  }
  return chosen ? { data: chosen, split, first, settings } : undefined;
}

export async function runCheck(text: string, defaults: CheckRequestSettings, load: ExampleLoader, control: Pick<GradCheckOptions, "cancelled" | "progress"> = {}): Promise<CheckOutcome> {
  const first = analyze(text);
  const hasWork = [...first.model.grads.values()].length > 0 || [...first.model.symbols.values()].some((symbol) => symbol.kind === "loss");
  if (!hasWork) return { findings: [], note: "no losses or grads to check" };
  const chosen = plan(first.document, defaults);
  if (!chosen) return { findings: [], note: "declare a data set to check gradients on its examples" };
  const loaded = await load(chosen.data, chosen.split, chosen.first);
  if (!loaded.ok) {
    return { findings: [{ span: chosen.data.name.span, severity: "error", code: "data", message: loaded.message }], note: loaded.message };
  }
  const facts = loaded.facts;
  const analysis = analyze(text, { dataFacts: (declaration) => (declaration === chosen.data || declaration.name.text === chosen.data.name.text ? facts : undefined) });
  // Shape errors against the real data are the checker's to report; the gradients wait for them to be fixed.
  const dataFindings = analysis.findings.filter((finding) => !first.findings.some((earlier) => earlier.code === finding.code && earlier.span.start === finding.span.start && earlier.message === finding.message));
  if (analysis.findings.some((finding) => finding.severity === "error")) return { findings: dataFindings, note: "fix the errors first" };
  const report = checkGradients(analysis, loaded.examples, chosen.settings, seededStreams(chosen.settings.seed), control);
  return { findings: [...dataFindings, ...checkFindings(report)], report };
}
