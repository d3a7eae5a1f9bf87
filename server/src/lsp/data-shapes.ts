// The sizes the data gave, for hover and inlay hints: after a check has read
// a document's data, `param W: [C, D]` is `[10 × 785]`. The static analysis
// leaves C and D open; this keeps what each data set read gave them and
// analyses the current version again with those sizes. A data set's sizes
// hold while its declaration is the same text, so an edit elsewhere keeps
// them on screen until the next check reads the data again.
import { analyze, type Analysis } from "../analysis/analyze";
import type { DataFacts } from "../analysis/model";

/** The analysed version of a document, as the server keeps it. */
export interface VersionedAnalysis {
  version: number;
  text: string;
  analysis: Analysis;
}

interface ReadFacts {
  /** The data declaration's text when it was read. */
  declaration: string;
  facts: DataFacts;
}

function declarationTexts(doc: VersionedAnalysis): Map<string, string> {
  const texts = new Map<string, string>();
  for (const declaration of doc.analysis.document.declarations) {
    if (declaration.kind === "data" && declaration.name.text) texts.set(declaration.name.text, doc.text.slice(declaration.span.start, declaration.span.end));
  }
  return texts;
}

export class DataShapes {
  private readonly read = new Map<string, Map<string, ReadFacts>>();
  private readonly analyses = new Map<string, { version: number; analysis: Analysis }>();

  constructor(private readonly maxTensorEntries: () => number | undefined) {}

  /** What a check of `doc` read. Returns whether any size changed, so the editor can ask for its hints again. */
  learned(uri: string, doc: VersionedAnalysis, facts: Record<string, DataFacts> | undefined): boolean {
    const texts = declarationTexts(doc);
    const next = new Map<string, ReadFacts>();
    for (const [name, fact] of Object.entries(facts ?? {})) {
      const declaration = texts.get(name);
      if (declaration !== undefined) next.set(name, { declaration, facts: fact });
    }
    const before = this.read.get(uri) ?? new Map<string, ReadFacts>();
    const same = before.size === next.size && [...next].every(([name, fact]) => {
      const old = before.get(name);
      return old?.declaration === fact.declaration && old.facts.features === fact.facts.features && old.facts.classes === fact.facts.classes;
    });
    if (same) return false;
    this.read.set(uri, next);
    this.analyses.delete(uri);
    return true;
  }

  /** The current version analysed with the sizes its unchanged data declarations were read with; the static analysis when none was read. */
  analysisOf(uri: string, doc: VersionedAnalysis): Analysis {
    const read = this.read.get(uri);
    if (!read || read.size === 0) return doc.analysis;
    const known = this.analyses.get(uri);
    if (known?.version === doc.version) return known.analysis;
    const texts = declarationTexts(doc);
    const sizes = new Map([...read].filter(([name, fact]) => texts.get(name) === fact.declaration).map(([name, fact]) => [name, fact.facts]));
    const analysis = sizes.size === 0 ? doc.analysis : analyze(doc.text, { maxTensorEntries: this.maxTensorEntries(), dataFacts: (declaration) => sizes.get(declaration.name.text) });
    this.analyses.set(uri, { version: doc.version, analysis });
    return analysis;
  }

  forget(uri: string): void {
    this.read.delete(uri);
    this.analyses.delete(uri);
  }
}
