// Code lenses over runnable declarations. Each names a command of the VS Code
// extension and its arguments; the LSP layer names the server's own command
// instead for other editors (lsp/execute-command.ts). A grad's lens says where
// its check stands: not yet checked, checking, right or wrong. A run whose
// newest saved folder stopped before its end has a Resume lens beside Run.
import type * as ast from "../syntax/ast";
import type { Analysis } from "../analysis/analyze";
import type { GradResult } from "../engine/check-gradients";
import { formatNumber } from "../engine/gradcheck";
import type { ResumableRun } from "../train/resumable";

export interface CodeLensEntry {
  span: ast.Span;
  title: string;
  command: string;
  /** The declaration to act on. */
  name: string;
  /** Resume: the run folder to go on from. */
  folder?: string;
}

const lensFor: Record<string, { title: string; command: string }> = {
  data: { title: "⊞ Preview", command: "optim.previewData" },
  run: { title: "▶ Run", command: "optim.runExperiment" },
  sweep: { title: "▶ Sweep", command: "optim.runExperiment" },
  search: { title: "▶ Search", command: "optim.runExperiment" },
  landscape: { title: "▶ Landscape", command: "optim.runExperiment" },
  gradcheck: { title: "✓ Check gradients", command: "optim.checkGradients" },
  grad: { title: "Check gradient", command: "optim.checkGradients" },
};

/** Where a grad's check stands for the document's version: a check under way, its last result, or neither. */
export type GradCheckState = { checking: true } | { checking: false; result?: GradResult };

/** A grad's lens title: clicking it checks again, whatever the state. */
export function gradLensTitle(state: GradCheckState): string {
  if (state.checking) return "… checking";
  const result = state.result;
  if (!result) return lensFor.grad.title;
  const check = result.check;
  if (!check) return `? gradient not checked: ${result.problem ?? "no result"} — check`;
  const error = formatNumber(check.maxRelativeError);
  if (check.verdict === "good" || check.verdict === "acceptable") return `✓ gradient checked: ${check.verdict} (${error})`;
  if (check.verdict === "warning") return `⚠ gradient doubtful: max relative error ${error} — re-check`;
  if (result.wrongUses?.inherits) return `✗ wrong through ${result.wrongUses.grads.map((grad) => grad.name).join(", ")}, which it uses — re-check`;
  return `✗ gradient wrong: max relative error ${error} — re-check`;
}

/** The Resume lens's title: from which step, and why the run is not finished. */
export function resumeLensTitle(saved: ResumableRun): string {
  return `↻ Resume from step ${saved.steps} (${saved.ended === "cancelled" ? "cancelled" : "stopped before its end"})`;
}

export function codeLenses(analysis: Analysis, gradState: (name: string) => GradCheckState = () => ({ checking: false }), resumable: (run: string) => ResumableRun | undefined = () => undefined): CodeLensEntry[] {
  const lenses: CodeLensEntry[] = [];
  for (const declaration of analysis.document.declarations) {
    const lens = lensFor[declaration.kind];
    const name = declaration.name.text;
    if (!lens || !name) continue;
    const title = declaration.kind === "grad" ? gradLensTitle(gradState(name)) : lens.title;
    lenses.push({ span: declaration.keywordSpan, title, command: lens.command, name });
    const saved = declaration.kind === "run" ? resumable(name) : undefined;
    if (saved) lenses.push({ span: declaration.keywordSpan, title: resumeLensTitle(saved), command: "optim.resumeRun", name, folder: saved.folder });
  }
  return lenses;
}
