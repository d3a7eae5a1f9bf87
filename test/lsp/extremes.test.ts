// Deep nesting, long chains and megabyte lines (test/support/extreme-documents.ts)
// through the real server: each document's diagnostics arrive with the
// finding that explains the limit, hover, completion, formatting and semantic
// tokens are answered, and the server is still alive and answering afterwards.
// The deadline is a hang guard; the times measured go to
// test-results/reliability/lsp-extremes.json (docs/reliability.md).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { extremeDocuments } from "../support/extreme-documents";
import { recordFigures } from "../support/figures";
import { LspTestClient } from "../support/lsp-client";

let client: LspTestClient;
const timings: Record<string, Record<string, number>> = {};

before(async () => {
  client = new LspTestClient();
  await client.initialize({ trusted: false });
});

after(async () => {
  recordFigures("lsp-extremes", timings);
  await client.shutdown();
});

/** The request's answer, and how long it took; a hang fails the test instead of stalling it. */
async function answered(document: string, method: string, params: unknown): Promise<unknown> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${method} was not answered within 60 s`)), 60_000)));
  try {
    return await Promise.race([client.connection.sendRequest(method, params), deadline]);
  } finally {
    clearTimeout(timer);
    (timings[document] ??= {})[method.replace("textDocument/", "")] = Math.round(performance.now() - started);
  }
}

extremeDocuments().forEach((document, index) => {
  test(`over the protocol: ${document.name}`, async () => {
    const uri = `file:///work/extreme-${index}.optim`;
    const { text } = document;
    const started = performance.now();
    await client.open(uri, text, 1);
    const published = await client.diagnosticsFor(uri, 1);
    (timings[document.name] ??= {}).diagnostics = Math.round(performance.now() - started);
    if (document.expected) assert.ok(published.diagnostics.some((diagnostic) => document.expected?.message.test(diagnostic.message)), `no diagnostic matching ${document.expected.message}`);
    const lastLine = text.split("\n").length - 2;
    const middle = { line: 3, character: 20 };
    const textDocument = { uri };
    await answered(document.name, "textDocument/hover", { textDocument, position: middle });
    await answered(document.name, "textDocument/completion", { textDocument, position: { line: lastLine, character: 3 } });
    await answered(document.name, "textDocument/completion", { textDocument, position: middle });
    const edits = (await answered(document.name, "textDocument/formatting", { textDocument, options: { tabSize: 2, insertSpaces: true } })) as unknown[];
    assert.ok(Array.isArray(edits));
    const tokens = (await answered(document.name, "textDocument/semanticTokens/full", { textDocument })) as { data: number[] };
    assert.ok(tokens.data.length > 0);
    await client.connection.sendNotification("textDocument/didClose", { textDocument });
    assert.ok(client.alive, "the server is still running");
  });
});

test("after every extreme document the server answers a small one at once", async () => {
  const uri = "file:///work/after-extremes.optim";
  await client.open(uri, "hyper reg = 1e-3\nparam W: [3, 4] = zeros\nloss L = reg * sum(W^2)\n", 1);
  const published = await client.diagnosticsFor(uri, 1);
  assert.ok(Array.isArray(published.diagnostics));
  const hover = (await answered("small document", "textDocument/hover", { textDocument: { uri }, position: { line: 2, character: 10 } })) as { contents: { value: string } } | null;
  assert.match(hover?.contents.value ?? "", /reg/);
  assert.ok(client.alive);
});
