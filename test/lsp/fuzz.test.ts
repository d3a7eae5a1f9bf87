// Fuzzing every request the server answers, through the real server process:
// the fuzz generator's documents arrive as edits (ranged, as VS Code sends
// them, now and then whole), and after each one every request is sent at
// random positions. No request may fail except a refused rename, every
// position in an answer or a diagnostic must lie inside the document it was
// computed for, diagnostics never go back to an older version, the server
// stays alive, and no request takes a second.
// LSP_FUZZ_DOCUMENTS sets the size (the full run: `npm run reliability:full`).
import assert from "node:assert/strict";
import { test } from "node:test";
import { mulberry32 } from "../../server/src/data/random";
import { recordFigures } from "../support/figures";
import { fuzzDocument } from "../support/fuzz-documents";
import { LspTestClient, type PublishedDiagnostics } from "../support/lsp-client";

const documentCount = Number(process.env.LSP_FUZZ_DOCUMENTS ?? 500);
/** The bound on any one request, measured from sending it to its answer. */
const requestLimitMs = 1000;

interface Position {
  line: number;
  character: number;
}

/** Line lengths as the protocol counts them: \r\n, \r and \n all end a line. */
function lineLengths(text: string): number[] {
  return text.split(/\r\n|\r|\n/).map((line) => line.length);
}

/** The position of `offset`, counted as the protocol does. */
function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, offset).split(/\r\n|\r|\n/);
  return { line: before.length - 1, character: before[before.length - 1].length };
}

/** Every {line, character} in an answer, however deeply nested. */
function positionsIn(value: unknown, found: Position[] = []): Position[] {
  if (Array.isArray(value)) for (const item of value) positionsIn(item, found);
  else if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record.line === "number" && typeof record.character === "number") found.push(record as unknown as Position);
    else for (const child of Object.values(record)) positionsIn(child, found);
  }
  return found;
}

function outside(lengths: number[], position: Position): boolean {
  return position.line < 0 || position.line >= lengths.length || position.character < 0 || position.character > lengths[position.line];
}

/** The smallest ranged change that turns `before` into `after`. */
function rangedChange(before: string, after: string) {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  // Never split a \r\n: the range's ends must be positions the protocol can name.
  while (start > 0 && before[start - 1] === "\r" && (before[start] === "\n" || after[start] === "\n")) start--;
  while (end > 0 && before[before.length - end] === "\n" && before[before.length - end - 1] === "\r") end--;
  while (end > 0 && after[after.length - end] === "\n" && after[after.length - end - 1] === "\r") end--;
  return { range: { start: positionOf(before, start), end: positionOf(before, before.length - end) }, text: after.slice(start, after.length - end) };
}

const newNames = ["renamed", "W2", "x", "1x", "", "param", "a b", "é"];

test(`${documentCount} documents through the server: every request at random positions`, { timeout: Math.max(600_000, documentCount * 200) }, async (t) => {
  const client = new LspTestClient();
  // A failed assertion must not leave the server running, or the test process never ends.
  t.after(() => {
    if (client.alive) client.kill();
  });
  await client.initialize();
  const uri = "file:///work/fuzz.optim";
  const next = mulberry32(20261125);
  let text = "";
  let version = 1;
  await client.open(uri, text, version);
  /** Texts of the versions whose diagnostics may still arrive. */
  const texts = new Map<number, string>([[version, text]]);
  let lastPublished = 0;
  let requests = 0;
  let refusedRenames = 0;
  let diagnosticsChecked = 0;
  const slowest = { ms: 0, method: "", document: -1 };
  const slowestByMethod: Record<string, number> = {};
  const failures: string[] = [];

  async function send(method: string, params: unknown, index: number): Promise<unknown> {
    const started = performance.now();
    let answer: unknown;
    try {
      answer = await client.connection.sendRequest(method, params);
    } catch (failure) {
      const message = failure instanceof Error ? failure.message : String(failure);
      // A rename is refused with a message when the name is not valid or nothing is under the cursor.
      if (method === "textDocument/rename") refusedRenames++;
      else failures.push(`${method} on document ${index} failed: ${message}\n--- document ---\n${text}`);
      answer = null;
    }
    const elapsed = performance.now() - started;
    requests++;
    slowestByMethod[method] = Math.max(slowestByMethod[method] ?? 0, elapsed);
    if (elapsed > slowest.ms) Object.assign(slowest, { ms: elapsed, method, document: index });
    const lengths = lineLengths(text);
    const stray = positionsIn(answer).find((position) => outside(lengths, position));
    if (stray) failures.push(`${method} on document ${index} answered with ${JSON.stringify(stray)}, outside the document\n--- document ---\n${text}`);
    return answer;
  }

  /** Published diagnostics go forward in version and lie inside the text they were computed for. */
  function checkPublished(): void {
    for (const published of client.received<PublishedDiagnostics>("textDocument/publishDiagnostics")) {
      if (published.uri !== uri || published.version === undefined) continue;
      if (published.version < lastPublished) failures.push(`diagnostics of version ${published.version} were published after version ${lastPublished}`);
      lastPublished = Math.max(lastPublished, published.version);
      const publishedText = texts.get(published.version);
      if (publishedText === undefined) {
        failures.push(`diagnostics for unknown version ${published.version}`);
        continue;
      }
      const lengths = lineLengths(publishedText);
      for (const diagnostic of published.diagnostics) {
        diagnosticsChecked++;
        if (outside(lengths, diagnostic.range.start) || outside(lengths, diagnostic.range.end)) failures.push(`diagnostic ${JSON.stringify(diagnostic)} lies outside version ${published.version}\n--- document ---\n${publishedText}`);
      }
    }
    client.forgetReceived();
    for (const known of texts.keys()) if (known < lastPublished) texts.delete(known);
  }

  for (let index = 0; index < documentCount && failures.length === 0; index++) {
    const after = fuzzDocument(next, index);
    version++;
    texts.set(version, after);
    const changes = index % 10 === 0 ? [{ text: after }] : [rangedChange(text, after)];
    text = after;
    await client.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: changes });
    const lengths = lineLengths(text);
    const textDocument = { uri };
    // Random positions inside the text, and now and then past a line's end or the last line.
    const randomPosition = (): Position => {
      const position = positionOf(text, Math.floor(next() * (text.length + 1)));
      const roll = next();
      if (roll < 0.05) return { line: position.line, character: position.character + 1 + Math.floor(next() * 20) };
      if (roll < 0.08) return { line: lengths.length + Math.floor(next() * 3), character: Math.floor(next() * 5) };
      return position;
    };
    for (let probe = 0; probe < 2; probe++) {
      const position = randomPosition();
      await send("textDocument/hover", { textDocument, position }, index);
      await send("textDocument/completion", { textDocument, position }, index);
      await send("textDocument/signatureHelp", { textDocument, position }, index);
      await send("textDocument/definition", { textDocument, position }, index);
      await send("textDocument/references", { textDocument, position, context: { includeDeclaration: next() < 0.5 } }, index);
      await send("textDocument/prepareRename", { textDocument, position }, index);
      await send("textDocument/rename", { textDocument, position, newName: newNames[Math.floor(next() * newNames.length)] }, index);
      const [from, to] = [randomPosition(), randomPosition()].sort((a, b) => a.line - b.line || a.character - b.character);
      await send("textDocument/codeAction", { textDocument, range: { start: from, end: to }, context: { diagnostics: [] } }, index);
      await send("textDocument/inlayHint", { textDocument, range: { start: from, end: to } }, index);
    }
    await send("textDocument/documentSymbol", { textDocument }, index);
    await send("textDocument/formatting", { textDocument, options: { tabSize: 2, insertSpaces: true } }, index);
    const folding = (await send("textDocument/foldingRange", { textDocument }, index)) as Array<{ startLine: number; endLine: number }> | null;
    for (const range of folding ?? []) if (range.startLine > range.endLine || range.endLine >= lengths.length) failures.push(`folding range ${JSON.stringify(range)} outside document ${index}\n--- document ---\n${text}`);
    await send("textDocument/codeLens", { textDocument }, index);
    const tokens = (await send("textDocument/semanticTokens/full", { textDocument }, index)) as { data: number[] } | null;
    let line = 0;
    let character = 0;
    for (let i = 0; tokens && i + 4 < tokens.data.length; i += 5) {
      const [deltaLine, deltaStart, length] = tokens.data.slice(i, i + 3);
      line += deltaLine;
      character = deltaLine === 0 ? character + deltaStart : deltaStart;
      if (line >= lengths.length || character + length > lengths[line]) failures.push(`semantic token at ${line}:${character} (${length} long) outside document ${index}\n--- document ---\n${text}`);
    }
    if (index % 25 === 0) await send("workspace/symbol", { query: ["", "W", "L", "x"][index % 4] }, index);
    if (index % 50 === 49) checkPublished();
  }
  // The last version's diagnostics arrive (perhaps already, before the last checkPublished forgot them), and the server still answers.
  if (lastPublished < version) await client.diagnosticsFor(uri, version);
  checkPublished();
  assert.equal(lastPublished, version);
  assert.ok(client.alive, "the server is still running");
  assert.ok(await client.connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri } }));
  assert.deepEqual(failures.slice(0, 3), []);
  assert.doesNotMatch(client.stderr, /Error|exception/i, "the server wrote no errors");
  assert.equal(await client.shutdown(), 0);

  const figures = { documents: documentCount, requests, refusedRenames, diagnosticsChecked, slowestMs: Math.round(slowest.ms), slowestMethod: slowest.method, slowestDocument: slowest.document, slowestByMethod: Object.fromEntries(Object.entries(slowestByMethod).map(([method, ms]) => [method, Math.round(ms)])) };
  recordFigures("lsp-fuzz", figures);
  t.diagnostic(`${requests} requests over ${documentCount} documents; slowest ${slowest.ms.toFixed(0)} ms (${slowest.method}, document ${slowest.document}); ${refusedRenames} renames refused`);
  assert.ok(diagnosticsChecked > 0, "the documents do produce diagnostics");
  // The bound: no request takes a second, even on a busy two-core machine.
  assert.ok(slowest.ms < requestLimitMs, `${slowest.method} on document ${slowest.document} took ${slowest.ms.toFixed(0)} ms`);
});
