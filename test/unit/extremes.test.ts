// Deep nesting, long chains and megabyte lines (test/support/extreme-documents.ts)
// through analysis and every editor feature in-process, then through the
// `optim` command: nothing throws, the finding that explains the limit is
// there with its range, the rest of the document is still analysed, and the
// command exits 0 or 1. The deadlines are hang guards, not benchmarks.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { LineIndex } from "../../server/src/analysis/line-index";
import { codeLenses } from "../../server/src/features/code-lens";
import { completionsAt } from "../../server/src/features/completion";
import { foldingRanges } from "../../server/src/features/folding";
import { formatText } from "../../server/src/features/format";
import { hoverAt } from "../../server/src/features/hover";
import { inlayHints } from "../../server/src/features/inlay-hints";
import { definitionAt, referencesAt } from "../../server/src/features/navigation";
import { semanticTokens } from "../../server/src/features/semantic-tokens";
import { signatureHelpAt } from "../../server/src/features/signature-help";
import { documentSymbols } from "../../server/src/features/symbols";
import { compileDeclaration } from "../../server/src/engine/compile";
import { printTree } from "../../server/src/syntax/print-tree";
import { extremeDocuments } from "../support/extreme-documents";
import { recordFigures } from "../support/figures";
import { repoRoot } from "../support/fixtures";

const folder = mkdtempSync(join(tmpdir(), "optim-extremes-"));
test.after(() => rmSync(folder, { recursive: true, force: true }));

const documents = extremeDocuments();
const timings: Record<string, Record<string, number>> = {};

function timed<T>(document: string, what: string, work: () => T): T {
  const started = performance.now();
  const result = work();
  (timings[document] ??= {})[what] = Math.round(performance.now() - started);
  return result;
}

for (const document of documents) {
  test(`in-process: ${document.name}`, () => {
    const { text } = document;
    const analysis = timed(document.name, "analyze", () => analyze(text));
    for (const finding of analysis.findings) {
      assert.ok(finding.span.start >= 0 && finding.span.start <= finding.span.end && finding.span.end <= text.length, `finding ${finding.message} is outside the text`);
    }
    if (document.expected) {
      const { message, at } = document.expected;
      const finding = analysis.findings.find((candidate) => message.test(candidate.message));
      assert.ok(finding, `no finding matching ${message}: ${analysis.findings.map((candidate) => candidate.message).join("; ")}`);
      assert.equal(text.slice(finding.span.start, finding.span.end), at, "the finding is on the bracket or operator that went too far");
    }
    // The declarations around the extreme one are still analysed.
    assert.ok(analysis.model.symbols.has("L"), "the loss after the extreme declaration is still known");
    const lines = new LineIndex(text);
    const probes = [0, Math.floor(text.length / 2), text.indexOf("\n", Math.floor(text.length / 2)), text.length - 2];
    timed(document.name, "hover, completion, signature help, navigation (4 offsets)", () => {
      for (const offset of probes) {
        hoverAt(analysis, text, offset);
        completionsAt(analysis, text, offset);
        signatureHelpAt(text, offset);
        definitionAt(analysis.model, offset);
        referencesAt(analysis.model, offset, true);
      }
    });
    timed(document.name, "semantic tokens", () => semanticTokens(analysis, text, lines));
    timed(document.name, "formatting", () => formatText(text));
    timed(document.name, "symbols, folding, inlay hints, lenses, tree", () => {
      documentSymbols(analysis);
      foldingRanges(analysis, lines);
      inlayHints(analysis, { start: 0, end: text.length });
      codeLenses(analysis);
      printTree({ document: analysis.document, errors: [] });
    });
    timed(document.name, "compile", () => {
      for (const declaration of analysis.document.declarations) if (declaration.kind === "loss" || declaration.kind === "score") compileDeclaration(analysis.model, declaration);
    });
  });
}

test("the optim command checks each extreme document and exits 0 or 1", () => {
  const cli = join(repoRoot, "bin", "optim.js");
  for (const document of documents) {
    const file = join(folder, "extreme.optim");
    writeFileSync(file, document.text);
    const started = performance.now();
    const result = spawnSync(process.execPath, [cli, "check", file], { encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    (timings[document.name] ??= {}).cli = Math.round(performance.now() - started);
    assert.ok(result.status === 0 || result.status === 1, `${document.name}: exit ${result.status} ${result.signal ?? ""}\n${result.stderr.slice(0, 2000)}`);
    if (document.expected) assert.match(result.stdout, document.expected.message, document.name);
  }
});

test.after(() => recordFigures("extremes", timings));
