// A gradient check's findings kept across edits. A check takes a second or
// two; until the check of the new version finishes, what the last one found
// about a declaration still holds if nothing that declaration's check reads
// has changed, so it stays on screen (moved to where the declaration now is)
// instead of vanishing and coming back. What a declaration's check reads: its
// own text, the declarations it refers to, transitively (the loss a grad
// targets, the scores, hypers and params under it), every data declaration
// and every gradcheck declaration. Plain data: no LSP types.
import type { Analysis } from "../analysis/analyze";
import type { Finding } from "../analysis/diagnostic";
import type * as ast from "../syntax/ast";

/** A version of a document: its text and its analysis. */
export interface DocumentVersion {
  text: string;
  analysis: Analysis;
}

export class CarriedFindings {
  /** The version each document's last check ran on, with its findings. */
  private readonly checked = new Map<string, { from: DocumentVersion; findings: Finding[] }>();
  /** The findings last carried to each document's newest version, so repeated publishes reuse them. */
  private readonly carried = new Map<string, { to: DocumentVersion; findings: Finding[] }>();

  /** The findings of a check of this very version, remembered for the versions after it. */
  keep(uri: string, version: DocumentVersion, findings: Finding[]): Finding[] {
    const known = this.checked.get(uri);
    if (known?.from.analysis !== version.analysis || known.findings !== findings) {
      this.checked.set(uri, { from: version, findings });
      this.carried.delete(uri);
    }
    return findings;
  }

  /** For a version no check has finished on: the last check's findings whose inputs are unchanged, moved to their new offsets. */
  carry(uri: string, version: DocumentVersion): Finding[] {
    const known = this.checked.get(uri);
    if (!known) return [];
    const done = this.carried.get(uri);
    if (done?.to.analysis === version.analysis) return done.findings;
    const findings = carryFindings(known.from, version, known.findings);
    this.carried.set(uri, { to: version, findings });
    return findings;
  }

  forget(uri: string): void {
    this.checked.delete(uri);
    this.carried.delete(uri);
  }
}

/** The findings of `before` whose declaration's inputs are the same in `after`, each moved with its declaration; the others are dropped. */
export function carryFindings(before: DocumentVersion, after: DocumentVersion, findings: Finding[]): Finding[] {
  if (findings.length === 0) return [];
  const oldInputs = new Inputs(before);
  const newInputs = new Inputs(after);
  const moves = new Map<ast.Declaration, number | undefined>();
  const carried: Finding[] = [];
  for (const finding of findings) {
    const owner = oldInputs.owner(finding.span.start);
    // Only what lies within one declaration moves with it.
    if (!owner || finding.span.end > owner.span.end) continue;
    if (!moves.has(owner)) {
      const fingerprint = oldInputs.fingerprint(owner);
      const match = newInputs.named(owner).find((candidate) => newInputs.fingerprint(candidate) === fingerprint);
      moves.set(owner, match ? match.span.start - owner.span.start : undefined);
    }
    const delta = moves.get(owner);
    if (delta !== undefined) carried.push(moved(finding, delta));
  }
  return carried;
}

function shift(span: ast.Span, delta: number): ast.Span {
  return { start: span.start + delta, end: span.end + delta };
}

function moved(finding: Finding, delta: number): Finding {
  if (delta === 0) return finding;
  const fixes = finding.fixes?.map((fix) => ({ ...fix, edits: fix.edits.map((edit) => ({ ...edit, span: shift(edit.span, delta) })) }));
  return { ...finding, span: shift(finding.span, delta), ...(fixes ? { fixes } : {}) };
}

/** What each declaration of one version depends on, and the text of those inputs. */
class Inputs {
  private readonly declarations: ast.Declaration[];
  /** Declarations by kind and name. */
  private readonly byName = new Map<string, ast.Declaration[]>();
  /** What every check reads: the data and gradcheck declarations. */
  private readonly shared: ast.Declaration[];
  private readonly uses = new Map<ast.Declaration, Set<ast.Declaration>>();
  private readonly fingerprints = new Map<ast.Declaration, string>();

  constructor(private readonly version: DocumentVersion) {
    this.declarations = [...version.analysis.document.declarations].sort((a, b) => a.span.start - b.span.start);
    this.shared = this.declarations.filter((declaration) => declaration.kind === "data" || declaration.kind === "gradcheck");
    for (const declaration of this.declarations) {
      const key = `${declaration.kind} ${declaration.name.text}`;
      this.byName.set(key, [...(this.byName.get(key) ?? []), declaration]);
    }
    for (const reference of version.analysis.model.references) {
      const user = this.owner(reference.span.start);
      if (!user || user === reference.symbol.declaration) continue;
      let used = this.uses.get(user);
      if (!used) this.uses.set(user, (used = new Set()));
      used.add(reference.symbol.declaration);
    }
    for (const [declaration, facts] of version.analysis.model.facts) {
      if (!facts.gradOf) continue;
      let used = this.uses.get(declaration);
      if (!used) this.uses.set(declaration, (used = new Set()));
      used.add(facts.gradOf.loss.declaration).add(facts.gradOf.wrt.declaration);
    }
  }

  /** The declarations of this version with the kind and name of `declaration` (of any version). */
  named(declaration: ast.Declaration): ast.Declaration[] {
    return this.byName.get(`${declaration.kind} ${declaration.name.text}`) ?? [];
  }

  /** The declaration whose text holds this offset. */
  owner(offset: number): ast.Declaration | undefined {
    let low = 0;
    let high = this.declarations.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const declaration = this.declarations[middle];
      if (offset < declaration.span.start) high = middle - 1;
      else if (offset >= declaration.span.end) low = middle + 1;
      else return declaration;
    }
    return undefined;
  }

  /** The text of the declaration, of everything it depends on and of the data and gradcheck declarations, in document order. */
  fingerprint(declaration: ast.Declaration): string {
    const known = this.fingerprints.get(declaration);
    if (known !== undefined) return known;
    const inputs = new Set<ast.Declaration>();
    const stack = [declaration];
    while (stack.length > 0) {
      const next = stack.pop() as ast.Declaration;
      if (inputs.has(next)) continue;
      inputs.add(next);
      stack.push(...(this.uses.get(next) ?? []));
    }
    for (const other of this.shared) inputs.add(other);
    const text = [...inputs]
      .sort((a, b) => a.span.start - b.span.start)
      .map((other) => this.version.text.slice(other.span.start, other.span.end))
      .join("\u0000");
    this.fingerprints.set(declaration, text);
    return text;
  }
}
