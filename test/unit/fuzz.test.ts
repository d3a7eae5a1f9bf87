// Fuzzing the analysis core and every editor feature: random token soup and
// mutations of real documents. Nothing may throw, every finding must have a
// range inside the text, and formatting must keep every token.
// FUZZ_DOCUMENTS sets the size (the full run, 100,000: `npm run reliability:full`, docs/reliability.md).
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
import { recordFigures } from "../support/figures";
import { fuzzDocument } from "../support/fuzz-documents";

const documentCount = Number(process.env.FUZZ_DOCUMENTS ?? 3000);

function tokenImages(text: string): string[] {
  const lexed = optimLexer.tokenize(text);
  // Trailing blanks of a comment are whitespace to the formatter.
  return [...lexed.tokens, ...(lexed.groups.comments ?? [])].sort((a, b) => a.startOffset - b.startOffset).map((token) => token.image.trimEnd());
}

test(`${documentCount} random and mutated documents: no throw, ranges inside the text, formatting keeps tokens`, (t) => {
  const next = mulberry32(20261124);
  let slowest = 0;
  let findings = 0;
  for (let index = 0; index < documentCount; index++) {
    const text = fuzzDocument(next, index);
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
  recordFigures("fuzz", { documents: documentCount, findings, slowestMs: Math.round(slowest) });
  t.diagnostic(`${documentCount} documents, ${findings} findings; slowest document ${slowest.toFixed(0)} ms`);
  // A guard against hangs, not a benchmark: one small document never takes a second.
  assert.ok(slowest < 1000, `a document took ${slowest.toFixed(0)} ms`);
  assert.ok(findings > documentCount, "the generated documents do produce findings");
});
