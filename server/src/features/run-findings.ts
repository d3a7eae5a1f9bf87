// What a finished run says about the document: a run that diverged puts a
// finding on the step size of the optimizer it used; a search puts its best
// trial on its name, with the fix that writes its values into the file.
import type { Analysis } from "../analysis/analyze";
import type { Finding, TextEdit } from "../analysis/diagnostic";
import { overrideEdits } from "../analysis/overrides";
import { numberText } from "../language/number-text";
import { formatNumber } from "../engine/gradcheck";

export function divergenceFinding(analysis: Analysis, run: string, divergence: { step: number; loss: number }, suggestion?: { lr: number; sweep: string }): Finding | undefined {
  const declaration = analysis.document.declarations.find((candidate) => candidate.kind === "run" && candidate.name.text === run);
  if (!declaration || !("block" in declaration) || !declaration.block) return undefined;
  const by = declaration.block.settings.find((setting) => setting.key.text === "by")?.value;
  const optimizer = by?.kind === "name" ? analysis.model.symbols.get(by.name)?.declaration : undefined;
  const lr = optimizer?.kind === "optimizer" ? optimizer.block?.settings.find((setting) => setting.key.text === "lr") : undefined;
  const span = lr?.value?.span ?? lr?.key.span ?? declaration.name.span;
  const loss = Number.isFinite(divergence.loss) ? `the loss reached ${formatNumber(divergence.loss)}` : `the loss became ${divergence.loss}`;
  const advice = suggestion ? `; the sweep ${suggestion.sweep} suggests at most ${suggestion.lr.toPrecision(2)}` : "; a sweep of this optimizer's lr shows a safe range";
  return { span, severity: "warning", code: "diverged", message: `run ${run} diverged at step ${divergence.step} (${loss}): the step size is probably too large${advice}` };
}

/** The edits that write `values` (by their `--set` names) into the hypers and optimizer settings they name. */
export function valueEdits(text: string, values: Readonly<Record<string, number>>): { ok: true; edits: TextEdit[] } | { ok: false; message: string } {
  const found = overrideEdits(text, Object.fromEntries(Object.entries(values).map(([name, value]) => [name, numberText(value)])));
  if (!found.ok) return found;
  // Values the file already holds, however written (1e-3 or 0.001), need no edit.
  const edits = found.edits.filter((edit) => Number(text.slice(edit.start, edit.end).trim()) !== Number(edit.text)).map((edit) => ({ span: { start: edit.start, end: edit.end }, newText: edit.text }));
  return { ok: true, edits };
}

/** A search's best trial, on the search's name, with a fix that writes its values into the file; none once the file has them. */
export function searchFinding(analysis: Analysis, text: string, search: string, best: { values: Record<string, number>; evalAccuracy?: number; testAccuracy?: number }): Finding | undefined {
  const declaration = analysis.document.declarations.find((candidate) => candidate.kind === "search" && candidate.name.text === search);
  if (!declaration) return undefined;
  const edits = valueEdits(text, best.values);
  if (!edits.ok || edits.edits.length === 0) return undefined;
  const values = Object.entries(best.values).map(([name, value]) => `${name} ${value}`).join(", ");
  const figures = `${best.evalAccuracy === undefined ? "" : `eval accuracy ${best.evalAccuracy.toFixed(4)}`}${best.testAccuracy === undefined ? "" : `, test accuracy ${best.testAccuracy.toFixed(4)}`}`;
  return { span: declaration.name.span, severity: "information", code: "search-best", message: `search ${search}: the best trial had ${values}${figures ? ` (${figures})` : ""}`, fixes: [{ title: `Use the best trial's values: ${values}`, edits: edits.edits }] };
}
