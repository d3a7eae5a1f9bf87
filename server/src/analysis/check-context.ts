// What every pass of the check shares: the model being built, the findings,
// and the chain of declarations being followed from a name to its definition.
import type * as ast from "../syntax/ast";
import { rigidDim, varDim } from "./dims";
import type { Finding, Fix } from "./diagnostic";
import type { CheckedModel, DeclarationFacts, Reference, SymbolInfo } from "./model";
import { closest } from "./suggest";

/** Declarations defined by one another in one chain; deeper is an error, not a stack overflow. */
const maxReferenceDepth = 200;

export class CheckContext {
  readonly findings: Finding[] = [];
  readonly model: CheckedModel;
  /** The declarations being followed now, each defined by the next: cycles and the depth limit are read from it. */
  readonly visiting = new Set<ast.Declaration>();

  constructor(
    document: ast.Document,
    /** The most entries a param, or a value computed from it, may have. */
    readonly maxTensorEntries: number,
  ) {
    this.model = {
      document,
      symbols: new Map(),
      experiments: new Map(),
      grads: new Map(),
      references: [],
      facts: new Map(),
      shapes: new Map(),
      dims: { D: varDim("D"), C: varDim("C"), N: rigidDim("N") },
    };
  }

  // ---- findings ------------------------------------------------------------

  report(severity: Finding["severity"], code: string, span: ast.Span, message: string, extra: Pick<Finding, "unnecessary" | "fixes"> = {}): void {
    this.findings.push({ severity, code, span, message, ...extra });
  }

  error(code: string, span: ast.Span, message: string, fixes?: Fix[]): void {
    this.report("error", code, span, message, fixes ? { fixes } : {});
  }

  /** An unknown word: the message says what was meant, and the fix writes it. */
  unknownWord(code: string, span: ast.Span, message: string, word: string, candidates: Iterable<string>, after = ""): void {
    const suggestion = closest(word, candidates);
    const hint = suggestion ? `; did you mean '${suggestion}'?` : "";
    this.error(code, span, `${message}${hint}${after}`, suggestion ? [{ title: `Change to '${suggestion}'`, edits: [{ span, newText: suggestion }] }] : undefined);
  }

  // ---- the model -------------------------------------------------------------

  facts(declaration: ast.Declaration): DeclarationFacts {
    let facts = this.model.facts.get(declaration);
    if (!facts) {
      facts = {};
      this.model.facts.set(declaration, facts);
    }
    return facts;
  }

  reference(name: string, span: ast.Span, symbol: SymbolInfo): void {
    this.model.references.push({ name, span, symbol } satisfies Reference);
  }

  /**
   * Following names from declaration to declaration recurses; a chain of more
   * than maxReferenceDepth declarations, each defined by the next, is an
   * error where it goes too deep instead of a stack overflow.
   */
  tooManyReferences(span: ast.Span): boolean {
    if (this.visiting.size < maxReferenceDepth) return false;
    this.error("too-deep", span, `defined through more than ${maxReferenceDepth} other declarations, each defined by the next: define some of them in terms of values further up`);
    return true;
  }
}
