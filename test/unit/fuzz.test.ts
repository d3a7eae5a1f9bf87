// Fuzzing the analysis core and every editor feature: random token soup and
// mutations of real documents. Nothing may throw, every finding must have a
// range inside the text, and formatting must keep every token.
// FUZZ_DOCUMENTS=100000 runs the full-size campaign (scripts in docs/reliability.md).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { LineIndex } from "../../server/src/analysis/line-index";
import { codeLenses } from "../../server/src/features/code-lens";
import { completionsAt } from "../../server/src/features/completion";
import { foldingRanges } from "../../server/src/features/folding";
import { formatText } from "../../server/src/features/format";
import { hoverAt } from "../../server/src/features/hover";
import { inlayHints } from "../../server/src/features/inlay-hints";
import { definitionAt, referencesAt, renameAt } from "../../server/src/features/navigation";
import { semanticTokens } from "../../server/src/features/semantic-tokens";
import { signatureHelpAt } from "../../server/src/features/signature-help";
import { documentSymbols } from "../../server/src/features/symbols";
import { mulberry32 } from "../../server/src/data/random";
import { optimLexer } from "../../server/src/syntax/tokens";
import { fixtureFiles, readText } from "../support/fixtures";

const documentCount = Number(process.env.FUZZ_DOCUMENTS ?? 3000);

const vocabulary = [
  "data", "hyper", "param", "score", "loss", "grad", "optimizer", "run", "sweep", "landscape", "gradcheck",
  "W", "X", "y", "N", "D", "C", "s", "L", "reg", "b1", "dL", "dW", "max", "relu", "sum", "mean", "logsumexp", "softmax", "onehot",
  "randn", "zeros", "sgd", "adam", "toy", "spiral", "idx", "step", "minimize", "on", "by", "steps", "lr", "axis", "train",
  "0", "1", "1e-3", "2.5e4", ".5", '"f"', '"open', "{", "}", "[", "]", "(", ")", ",", ";", ":", "=", "==", ">", "<=",
  "+", "-", "*", "/", "@", "^", "^T", "..", ".", "#c", "\n", "\n", " ", " ", "$", "é",
];

const corpus = [...fixtureFiles("parser", ".optim"), ...fixtureFiles("diagnostics", ".optim")].map(readText);

function generate(next: () => number, index: number): string {
  if (index % 2 === 0) {
    const length = Math.floor(next() * 60);
    let text = "";
    for (let i = 0; i < length; i++) text += vocabulary[Math.floor(next() * vocabulary.length)] + (next() < 0.7 ? " " : "");
    return text;
  }
  // Mutate a real document: delete, duplicate or insert slices.
  let text = corpus[Math.floor(next() * corpus.length)];
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (text.length + 1));
    const span = Math.floor(next() * 12);
    const choice = next();
    if (choice < 0.4) text = text.slice(0, at) + text.slice(at + span);
    else if (choice < 0.7) text = text.slice(0, at) + text.slice(at, at + span) + text.slice(at);
    else text = text.slice(0, at) + vocabulary[Math.floor(next() * vocabulary.length)] + text.slice(at);
  }
  return text;
}

function tokenImages(text: string): string[] {
  const lexed = optimLexer.tokenize(text);
  // Trailing blanks of a comment are whitespace to the formatter.
  return [...lexed.tokens, ...(lexed.groups.comments ?? [])].sort((a, b) => a.startOffset - b.startOffset).map((token) => token.image.trimEnd());
}

test(`${documentCount} random and mutated documents: no throw, ranges inside the text, formatting keeps tokens`, () => {
  const next = mulberry32(20261124);
  let slowest = 0;
  let findings = 0;
  for (let index = 0; index < documentCount; index++) {
    const text = generate(next, index);
    const started = performance.now();
    try {
      const analysis = analyze(text);
      const lines = new LineIndex(text);
      for (const finding of analysis.findings) {
        assert.ok(finding.span.start >= 0 && finding.span.start <= finding.span.end && finding.span.end <= text.length, `finding ${JSON.stringify(finding)} is outside the text`);
        assert.ok(finding.message.length > 0);
        findings++;
      }
      for (let probe = 0; probe < 3; probe++) {
        const offset = Math.floor(next() * (text.length + 1));
        hoverAt(analysis, text, offset);
        completionsAt(analysis, text, offset);
        signatureHelpAt(text, offset);
        definitionAt(analysis.model, offset);
        referencesAt(analysis.model, offset, true);
        renameAt(analysis.model, offset, "renamed");
      }
      documentSymbols(analysis);
      foldingRanges(analysis, lines);
      semanticTokens(analysis, text, lines);
      inlayHints(analysis, { start: 0, end: text.length });
      codeLenses(analysis);
      const formatted = formatText(text);
      if (formatted !== undefined) {
        assert.deepEqual(tokenImages(formatted), tokenImages(text), "formatting changed the tokens");
        assert.equal(formatText(formatted), formatted, "formatting is not idempotent");
      }
    } catch (failure) {
      assert.fail(`document ${index} failed: ${failure instanceof Error ? failure.stack : failure}\n--- document ---\n${text}`);
    }
    slowest = Math.max(slowest, performance.now() - started);
  }
  // A guard against hangs, not a benchmark: one small document never takes a second.
  assert.ok(slowest < 1000, `a document took ${slowest.toFixed(0)} ms`);
  assert.ok(findings > documentCount, "the generated documents do produce findings");
});
