// What the protocol asks of a server, as an editor other than VS Code sees
// it: requests refused after shutdown and on malformed positions, completion
// for a client without snippets, progress only on tokens the client knows,
// formatting as small edits, and one publish per settled version.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { LspTestClient, type PublishedDiagnostics } from "../support/lsp-client";
import { applyEdits, type LspTextEdit } from "../support/text-edits";

let client: LspTestClient;
let counter = 0;

before(async () => {
  client = new LspTestClient();
  await client.initialize();
});

after(async () => {
  await client.shutdown();
});

function nextUri(): string {
  return `file:///work/protocol-${++counter}.optim`;
}

function request<T>(method: string, params: unknown, on = client): Promise<T> {
  return on.connection.sendRequest(method, params) as Promise<T>;
}

async function errorOf(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: number; message: string };
  }
  assert.fail("the request was answered, not refused");
}

const model = `data d = blobs(classes=3, points=20, dims=4) { bias_trick }
hyper reg = 0.01
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * sum(W^2)
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N + reg * W
`;

test("requests after shutdown are refused with InvalidRequest, and exit still ends the server", async () => {
  const closing = new LspTestClient();
  await closing.initialize();
  const uri = nextUri();
  await closing.open(uri, model);
  await closing.diagnosticsFor(uri, 1);
  await closing.connection.sendRequest("shutdown");
  const refused = await errorOf(request("textDocument/hover", { textDocument: { uri }, position: { line: 2, character: 6 } }, closing));
  assert.equal(refused.code, -32600);
  assert.match(refused.message, /after shutdown/);
  const exited = new Promise<number | null>((resolve) => (closing as unknown as { process: NodeJS.EventEmitter }).process.once("exit", (code: number | null) => resolve(code)));
  await closing.connection.sendNotification("exit");
  assert.equal(await exited, 0);
  closing.connection.dispose();
});

test("a null or malformed position is invalid params (-32602), not an internal error", async () => {
  const uri = nextUri();
  await client.open(uri, model);
  for (const method of ["textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/signatureHelp"]) {
    const refused = await errorOf(request(method, { textDocument: { uri }, position: null }));
    assert.equal(refused.code, -32602, method);
    assert.match(refused.message, /needs a position/);
  }
  const badLine = await errorOf(request("textDocument/hover", { textDocument: { uri }, position: { line: "2", character: 1 } }));
  assert.equal(badLine.code, -32602);
  const badRange = await errorOf(request("textDocument/codeAction", { textDocument: { uri }, range: null, context: { diagnostics: [] } }));
  assert.equal(badRange.code, -32602);
  // A well-formed request still works afterwards.
  const hover = await request<{ contents: { value: string } } | null>("textDocument/hover", { textDocument: { uri }, position: { line: 2, character: 6 } });
  assert.match(hover?.contents.value ?? "", /param \*\*W\*\*/);
});

type CompletionItem = { label: string; insertText?: string; insertTextFormat?: number };

test("a client without snippet support gets completions as plain text; one with it gets snippets", async () => {
  const uri = nextUri();
  await client.open(uri, "\n");
  const plain = await request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: { line: 0, character: 0 } });
  const data = plain.find((item) => item.label === "data");
  assert.ok(data);
  assert.equal(data.insertTextFormat, 1);
  assert.equal(data.insertText, 'data name = idx("") { train 50000, val 1000 }');
  assert.ok(plain.every((item) => item.insertTextFormat !== 2 && !/\$\{|\$\d/.test(item.insertText ?? "")), "no item is a snippet");

  const snippets = new LspTestClient();
  try {
    await snippets.initialize(undefined, { textDocument: { completion: { completionItem: { snippetSupport: true } } } });
    await snippets.open(uri, "\n");
    const items = await request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: { line: 0, character: 0 } }, snippets);
    const snippet = items.find((item) => item.label === "data");
    assert.equal(snippet?.insertTextFormat, 2);
    assert.match(snippet?.insertText ?? "", /\$\{1:name\}/);
  } finally {
    await snippets.shutdown();
  }
});

test("completion inside a comment offers nothing", async () => {
  const uri = nextUri();
  const text = `${model}# a note about the \nhyper lr = 1\n`;
  await client.open(uri, text);
  const line = text.split("\n").findIndex((candidate) => candidate.startsWith("# a note"));
  const inComment = await request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: { line, character: 19 } });
  assert.deepEqual(inComment, []);
  const atComment = await request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: { line, character: 1 } });
  assert.deepEqual(atComment, []);
  // Before the # on the same line completion still works.
  const before = await request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: { line, character: 0 } });
  assert.ok(before.some((item) => item.label === "hyper"));
});

test("progress goes only to a token the client gave, or one created where the client supports window.workDoneProgress", async () => {
  const uri = nextUri();
  await client.open(uri, model);
  client.forgetReceived();
  const result = await request<{ grads: unknown[] }>("optim/checkGradients", { uri });
  assert.equal(result.grads.length, 1);
  assert.deepEqual(client.received("$/progress"), [], "no progress without a token");

  await request("optim/checkGradients", { uri, workDoneToken: "check-1" });
  const given = client.received<{ token: string; value: { kind: string } }>("$/progress");
  assert.ok(given.length >= 2);
  assert.ok(given.every((progress) => progress.token === "check-1"));
  assert.deepEqual([given[0].value.kind, given[given.length - 1].value.kind], ["begin", "end"]);

  const creating = new LspTestClient();
  try {
    await creating.initialize(undefined, { window: { workDoneProgress: true } });
    await creating.open(uri, model);
    await request("workspace/executeCommand", { command: "optim.server.checkGradients", arguments: [uri, "dL/dW"] }, creating);
    const created = creating.serverRequests.filter((entry) => entry.method === "window/workDoneProgress/create").map((entry) => (entry.params as { token: string }).token);
    assert.equal(created.length, 1);
    const reported = creating.received<{ token: string; value: { kind: string } }>("$/progress");
    assert.ok(reported.length >= 2 && reported.every((progress) => progress.token === created[0]));
  } finally {
    await creating.shutdown();
  }
});

test("formatting keeps 1/255 as written and answers with one small edit per changed stretch", async () => {
  const uri = nextUri();
  const text = `data d = blobs(classes=3, points=20, dims=4) { train 40, val 20; scale 1/255 }
hyper reg=0.01
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])+0.5 * reg * sum(W^2)
`;
  await client.open(uri, text);
  const edits = await request<LspTextEdit[]>("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
  const formatted = applyEdits(text, edits);
  assert.match(formatted, /scale 1\/255 \}/);
  assert.match(formatted, /^hyper reg = 0\.01$/m);
  assert.match(formatted, /\) \+ 0\.5/);
  assert.equal(edits.length, 4, JSON.stringify(edits));
  assert.ok(edits.every((edit) => edit.range.start.line === edit.range.end.line && edit.newText.trim() === ""), "each edit is whitespace within a line");
  // Spaces the user wrote around a quotient of numbers stay too, and the result formats to itself.
  await client.change(uri, 2, formatted.replace("1/255", "1 / 255"));
  assert.deepEqual(await request<LspTextEdit[]>("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } }), []);
});

test("a burst of 200 edits publishes about once, never one version twice, and ends with the newest", async () => {
  const uri = nextUri();
  await client.open(uri, "hyper a = 1\n");
  await client.diagnosticsFor(uri, 1);
  let text = "hyper a = 1\n";
  for (let version = 2; version <= 201; version++) {
    text += version % 7 === 0 ? "\n" : "x";
    await client.change(uri, version, text);
  }
  await client.diagnosticsFor(uri, 201);
  // Wait past the automatic check, whose publish would repeat a version.
  await new Promise((resolve) => setTimeout(resolve, 600));
  const versions = client.received<PublishedDiagnostics>("textDocument/publishDiagnostics").filter((params) => params.uri === uri).map((params) => params.version ?? -1);
  assert.equal(new Set(versions).size, versions.length, `a version was published twice: ${versions.join(", ")}`);
  assert.ok(versions.length <= 6, `${versions.length} publishes for 200 edits: ${versions.join(", ")}`);
  assert.equal(versions[versions.length - 1], 201);
});
