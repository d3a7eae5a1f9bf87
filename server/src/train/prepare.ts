// What every run needs before it starts: the document's data sets read, and
// the document analysed again with their real shapes. Shared by the CLI and
// the training worker.
import { analyze, type Analysis, type AnalyzeOptions } from "../analysis/analyze";
import type { Finding } from "../analysis/diagnostic";
import type { DataFacts } from "../analysis/model";
import type { Declaration, Span } from "../syntax/ast";
import type { Splits } from "../data/types";
import type { DataLoader } from "../worker/run-check";

/** A failure says where: the data declaration that could not be read, or the document's errors. */
export type Prepared =
  | {
      ok: true;
      analysis: Analysis;
      data: (name: string) => Splits | undefined;
      /** The data sets' real sizes, to analyse a variant of the text with (a search's trials). */
      dataFacts: (declaration: Extract<Declaration, { kind: "data" }>) => DataFacts | undefined;
    }
  | { ok: false; message: string; span: Span; errors?: Finding[] };

export async function prepareRuns(text: string, load: DataLoader, options: Pick<AnalyzeOptions, "maxTensorEntries"> = {}): Promise<Prepared> {
  const first = analyze(text, options);
  const loaded = new Map<string, { splits: Splits; facts: DataFacts }>();
  for (const declaration of first.document.declarations) {
    if (declaration.kind !== "data") continue;
    const result = await load(declaration);
    if (!result.ok) return { ok: false, message: `data ${declaration.name.text}: ${result.message}`, span: result.span ?? declaration.name.span };
    loaded.set(declaration.name.text, result);
  }
  const dataFacts = (declaration: Extract<Declaration, { kind: "data" }>) => loaded.get(declaration.name.text)?.facts;
  const analysis = analyze(text, { ...options, dataFacts });
  const errors = analysis.findings.filter((finding) => finding.severity === "error");
  if (errors.length > 0) return { ok: false, message: `${errors.length} error${errors.length === 1 ? "" : "s"} to fix first, the first: ${errors[0].message}`, span: errors[0].span, errors };
  return { ok: true, analysis, data: (name) => loaded.get(name)?.splits, dataFacts };
}
