// What a finished run says about the document: a run that diverged puts a
// finding on the step size of the optimizer it used.
import type { Analysis } from "../analysis/analyze";
import type { Finding } from "../analysis/diagnostic";
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
