// Code lenses over runnable declarations. Each names a command of the VS Code
// extension and its arguments; the LSP layer names the server's own command
// instead for other editors (lsp/execute-command.ts).
import type * as ast from "../syntax/ast";
import type { Analysis } from "../analysis/analyze";

export interface CodeLensEntry {
  span: ast.Span;
  title: string;
  command: string;
  /** The declaration to act on. */
  name: string;
}

const lensFor: Record<string, { title: string; command: string }> = {
  data: { title: "⊞ Preview", command: "optim.previewData" },
  run: { title: "▶ Run", command: "optim.runExperiment" },
  sweep: { title: "▶ Sweep", command: "optim.runExperiment" },
  landscape: { title: "▶ Landscape", command: "optim.runExperiment" },
  gradcheck: { title: "✓ Check gradients", command: "optim.checkGradients" },
  grad: { title: "✓ Check gradient", command: "optim.checkGradients" },
};

export function codeLenses(analysis: Analysis): CodeLensEntry[] {
  const lenses: CodeLensEntry[] = [];
  for (const declaration of analysis.document.declarations) {
    const lens = lensFor[declaration.kind];
    if (!lens || !declaration.name.text) continue;
    lenses.push({ span: declaration.keywordSpan, title: lens.title, command: lens.command, name: declaration.name.text });
  }
  return lenses;
}
