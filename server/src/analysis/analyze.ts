// The analysis entry point: text in, syntax tree and findings out. Pure and
// synchronous; it never throws on anything a user can type.
import type * as ast from "../syntax/ast";
import { parse } from "../syntax/parse";
import { check } from "./checker";
import { error, type Finding } from "./diagnostic";
import type { CheckedModel, DataFactsProvider } from "./model";

export interface Analysis {
  document: ast.Document;
  model: CheckedModel;
  findings: Finding[];
}

export interface AnalyzeOptions {
  /** Shapes of data sets known from their files; without it, file-backed data has symbolic D and C. */
  dataFacts?: DataFactsProvider;
  /** The most entries a param or a value computed from it may have (per example where N is a dimension); more is an error. */
  maxTensorEntries?: number;
}

export function analyze(text: string, options: AnalyzeOptions = {}): Analysis {
  const { document, errors } = parse(text);
  const findings: Finding[] = errors.map((syntaxError) => error("syntax", syntaxError.span, syntaxError.message));
  const checked = check(document, options.dataFacts, options.maxTensorEntries);
  findings.push(...checked.findings);
  findings.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { document, model: checked.model, findings };
}
