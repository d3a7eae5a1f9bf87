// Every editor feature through the real server process. Documents mark the
// cursor with $0; each test opens its document under a fresh URI.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { LspTestClient } from "../support/lsp-client";
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

interface Position {
  line: number;
  character: number;
}

/** Opens `marked` (without its $0) and returns its URI and the cursor position. */
async function openMarked(marked: string): Promise<{ uri: string; position: Position; text: string }> {
  const offset = marked.indexOf("$0");
  const text = marked.replace("$0", "");
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split("\n");
  const uri = `file:///work/features-${++counter}.optim`;
  await client.open(uri, text);
  return { uri, text, position: { line: lines.length - 1, character: lines[lines.length - 1].length } };
}

function request<T>(method: string, params: unknown): Promise<T> {
  return client.connection.sendRequest(method, params) as Promise<T>;
}

const svm = `data cifar = cifar10("cifar-10-batches-bin") { bias_trick }
hyper reg = 2.5e4
param W: [10, 3073] = randn * 0.0001
score s = X @ W^T
loss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)
optimizer plain = sgd { lr 1e-7, batch 256 }
run train { minimize L; on cifar.train; by plain; steps 100 }
`;

function at(text: string, needle: string, shift = 0): string {
  const index = text.indexOf(needle);
  assert.ok(index >= 0, `${needle} is in the document`);
  return text.slice(0, index + shift) + "$0" + text.slice(index + shift);
}

type Hover = { contents: { value: string } } | null;

test("hover on a param shows its shape and parameter count", async () => {
  const { uri, position } = await openMarked(at(svm, "W: [10"));
  const hover = await request<Hover>("textDocument/hover", { textDocument: { uri }, position });
  assert.ok(hover);
  assert.match(hover.contents.value, /param \*\*W\*\*: \[10 × 3073\] = 30,730 parameters/);
});

test("hover on a loss shows its curvature in each parameter", async () => {
  const { uri, position } = await openMarked(at(svm, "L = mean"));
  const hover = await request<Hover>("textDocument/hover", { textDocument: { uri }, position });
  assert.ok(hover);
  assert.match(hover.contents.value, /loss \*\*L\*\*: a number/);
  assert.match(hover.contents.value, /\*\*convex\*\* in W: a sum of convex terms/);
});

test("hover on a builtin shows its formula", async () => {
  const { uri, position } = await openMarked(at(svm, "max(0", 1));
  const hover = await request<Hover>("textDocument/hover", { textDocument: { uri }, position });
  assert.ok(hover);
  assert.match(hover.contents.value, /max\(a, b\)ᵢⱼ = max\(aᵢⱼ, bᵢⱼ\)/);
});

test("hover on a setting key shows its documentation", async () => {
  const { uri, position } = await openMarked(at(svm, "steps 100"));
  const hover = await request<Hover>("textDocument/hover", { textDocument: { uri }, position });
  assert.ok(hover);
  assert.match(hover.contents.value, /\*\*steps\*\*: Number of update steps/);
});

type CompletionItem = { label: string; kind?: number; detail?: string; insertText?: string };

async function completionLabels(marked: string): Promise<string[]> {
  const { uri, position } = await openMarked(marked);
  const items = await request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position });
  return items.map((item) => item.label);
}

test("completion offers declaration keywords at the start of a line", async () => {
  const labels = await completionLabels(`${svm}$0`);
  for (const keyword of ["data", "hyper", "param", "score", "loss", "grad", "optimizer", "run", "sweep", "landscape", "gradcheck"]) assert.ok(labels.includes(keyword), keyword);
});

test("completion in an expression offers names, builtins and implicit names", async () => {
  const labels = await completionLabels(`${svm}loss M = reg * $0`);
  for (const label of ["W", "s", "L", "reg", "X", "y", "N", "max", "logsumexp", "softmax"]) assert.ok(labels.includes(label), label);
  assert.ok(!labels.includes("plain"), "optimizers are not values");
});

test("completion in a block offers the settings not yet given", async () => {
  const labels = await completionLabels(svm.replace("steps 100 }", "steps 100; $0 }"));
  assert.ok(labels.includes("eval") && labels.includes("seed") && labels.includes("epochs"));
  assert.ok(!labels.includes("steps") && !labels.includes("minimize"), "settings already given are left out");
});

test("completion of a setting's value follows its kind", async () => {
  assert.deepEqual(await completionLabels(svm.replace("by plain", "by $0")), ["plain", "random_search", "random_local_search"]);
  assert.deepEqual(await completionLabels(svm.replace("on cifar.train", "on $0")), ["cifar.train", "cifar.val", "cifar.test"]);
  assert.deepEqual(await completionLabels(svm.replace("minimize L", "minimize $0")), ["L"]);
});

test("completion inside a schedule call offers its named arguments", async () => {
  const labels = await completionLabels(svm.replace("batch 256", "batch 256, schedule step($0)"));
  assert.deepEqual(labels, ["every=", "gamma="]);
});

test("signature help names the active parameter", async () => {
  const { uri, position } = await openMarked(svm.replace("max(0, s", "max(0, $0s"));
  const help = await request<{ signatures: { label: string }[]; activeParameter: number }>("textDocument/signatureHelp", { textDocument: { uri }, position });
  assert.equal(help.signatures[0].label, "max(a, b)");
  assert.equal(help.activeParameter, 1);
});

type Location = { uri: string; range: { start: Position; end: Position } };

test("go to definition jumps from a use to the declaration", async () => {
  const { uri, position } = await openMarked(at(svm, "W^T"));
  const location = await request<Location>("textDocument/definition", { textDocument: { uri }, position });
  assert.deepEqual(location.range, { start: { line: 2, character: 6 }, end: { line: 2, character: 7 } });
});

test("find references lists every use", async () => {
  const { uri, position } = await openMarked(at(svm, "W: [10"));
  const locations = await request<Location[]>("textDocument/references", { textDocument: { uri }, position, context: { includeDeclaration: true } });
  assert.deepEqual(
    locations.map((location) => [location.range.start.line, location.range.start.character]),
    [
      [2, 6],
      [3, 14],
      [4, 85],
    ],
  );
});

test("rename changes the declaration, its uses and the grads that name it", async () => {
  const text = `${svm}grad dL/dW = reg * W\n`;
  const { uri, position } = await openMarked(at(text, "W: [10"));
  const prepared = await request<{ placeholder: string }>("textDocument/prepareRename", { textDocument: { uri }, position });
  assert.equal(prepared.placeholder, "W");
  const edit = await request<{ changes: Record<string, { range: { start: Position }; newText: string }[]> }>("textDocument/rename", { textDocument: { uri }, position, newName: "weights" });
  const starts = edit.changes[uri].map((change) => [change.range.start.line, change.range.start.character, change.newText]);
  assert.deepEqual(starts, [
    [2, 6, "weights"],
    [3, 14, "weights"],
    [4, 85, "weights"],
    [7, 9, "weights"],
    [7, 19, "weights"],
  ]);
});

test("a grad used by name: definition goes to the grad, hover gives its shape, rename of its score reaches it", async () => {
  const text = `${svm}grad dL/ds = (softmax(s, axis=1) - onehot(y)) / N\ngrad dL/dW = dL/ds^T @ X / N + reg * W\n`;
  const { uri, position } = await openMarked(at(text, "dL/ds^T", 1));
  const location = await request<Location>("textDocument/definition", { textDocument: { uri }, position });
  assert.deepEqual(location.range, { start: { line: 7, character: 5 }, end: { line: 7, character: 10 } });
  const hover = await request<Hover>("textDocument/hover", { textDocument: { uri }, position });
  assert.match(hover?.contents.value ?? "", /the gradient of L with respect to s: \[N, 10\]/);
  const renamed = await request<{ changes: Record<string, { range: { start: Position }; newText: string }[]> }>("textDocument/rename", { textDocument: { uri }, position: { line: 3, character: 6 }, newName: "scores" });
  const lines = renamed.changes[uri].map((change) => change.range.start.line);
  assert.ok(lines.includes(7) && lines.includes(8), `the grad's header and its use are renamed: ${JSON.stringify(lines)}`);
});

test("rename refuses a built-in or taken name", async () => {
  const { uri, position } = await openMarked(at(svm, "W: [10"));
  await assert.rejects(request("textDocument/rename", { textDocument: { uri }, position, newName: "relu" }), /built-in/);
  await assert.rejects(request("textDocument/rename", { textDocument: { uri }, position, newName: "reg" }), /already declared/);
});

test("document symbols list the declarations with their shapes", async () => {
  const { uri } = await openMarked(svm);
  const symbols = await request<{ name: string; detail: string }[]>("textDocument/documentSymbol", { textDocument: { uri } });
  assert.deepEqual(
    symbols.map((symbol) => `${symbol.name} ${symbol.detail}`),
    ["cifar data", "reg hyper", "W param [10, 3073]", "s score [N, 10]", "L loss", "plain optimizer", "train run"],
  );
});

test("workspace symbols search the open documents", async () => {
  await openMarked("hyper unusual_margin_name = 1\nloss Q = unusual_margin_name\n");
  const symbols = await request<{ name: string }[]>("workspace/symbol", { query: "unusmarg" });
  assert.ok(symbols.some((symbol) => symbol.name === "unusual_margin_name"));
});

test("formatting normalises spacing and is idempotent", async () => {
  const messy = "hyper   reg=1e-3\nparam W:[3,2]=randn*0.01\nloss L=reg*sum(W^2)+mean( X@W^T )\n";
  const { uri, text } = await openMarked(messy);
  const edits = await request<LspTextEdit[]>("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
  const formatted = applyEdits(text, edits);
  assert.equal(formatted, "hyper reg = 1e-3\nparam W: [3, 2] = randn * 0.01\nloss L = reg * sum(W^2) + mean(X @ W^T)\n");
  // Each edit is a stretch of whitespace, not the whole document.
  assert.ok(edits.every((edit) => edit.newText.trim() === "" && edit.range.start.line === edit.range.end.line), JSON.stringify(edits));
  const again = await openMarked(formatted);
  assert.deepEqual(await request("textDocument/formatting", { textDocument: { uri: again.uri }, options: { tabSize: 2, insertSpaces: true } }), []);
});

test("folding ranges cover multi-line blocks", async () => {
  const { uri } = await openMarked("run r {\n  minimize L\n  steps 10\n}\nloss L = 1\n");
  const ranges = await request<{ startLine: number; endLine: number }[]>("textDocument/foldingRange", { textDocument: { uri } });
  assert.deepEqual(ranges.map((range) => [range.startLine, range.endLine]), [[0, 3]]);
});

test("inlay hints show inferred shapes and parameter counts", async () => {
  const { uri } = await openMarked(svm);
  const hints = await request<{ label: string; position: Position }[]>("textDocument/inlayHint", { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } } });
  assert.deepEqual(
    hints.map((hint) => [hint.position.line, hint.label]),
    [
      [2, " 30,730 parameters"],
      [3, ": [N, 10]"],
      [4, ": number"],
    ],
  );
});

test("code lenses sit over runnable declarations and name the server's commands", async () => {
  const { uri } = await openMarked(`${svm}grad dL/dW = reg * W\ngradcheck g { of L; on cifar.train }\nsweep lrs { minimize L; on cifar.train; by plain; lr 1e-9 .. 1e-1 }\nlandscape ray { of L; on cifar.train }\n`);
  // The data cannot be read here, so the automatic check ends with a note and the grad was never checked.
  await client.waitFor("optim/checkResults", (params: { uri: string }) => params.uri === uri, 20_000);
  const lenses = await request<{ range: { start: Position }; command: { title: string; command: string; arguments: unknown[] } }[]>("textDocument/codeLens", { textDocument: { uri } });
  assert.deepEqual(
    lenses.map((lens) => [lens.range.start.line, lens.command.title, lens.command.command, lens.command.arguments[1]]),
    [
      [0, "⊞ Preview", "optim.server.previewData", "cifar"],
      [6, "▶ Run", "optim.server.runExperiment", "train"],
      [7, "Check gradient", "optim.server.checkGradients", "dL/dW"],
      [8, "✓ Check gradients", "optim.server.checkGradients", "g"],
      [9, "▶ Sweep", "optim.server.runExperiment", "lrs"],
      [10, "▶ Landscape", "optim.server.runExperiment", "ray"],
    ],
  );
});

type CodeAction = { title: string; edit: { changes: Record<string, { range: { start: Position; end: Position }; newText: string }[]> } };

test("quick fixes: a misspelt name is corrected", async () => {
  const text = svm.replace("0.5 * reg", "0.5 * regg");
  const { uri } = await openMarked(text);
  const line = 4;
  const character = text.split("\n")[line].indexOf("regg");
  const range = { start: { line, character }, end: { line, character: character + 4 } };
  const actions = await request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri }, range, context: { diagnostics: [] } });
  assert.equal(actions[0].title, "Change to 'reg'");
  assert.deepEqual(actions[0].edit.changes[uri], [{ range, newText: "reg" }]);
});

test("quick fixes: a transposed gradient is transposed", async () => {
  const text = `${svm}grad dL/dW = X^T @ s / N\n`;
  const { uri } = await openMarked(text);
  const range = { start: { line: 7, character: 13 }, end: { line: 7, character: 13 } };
  const actions = await request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri }, range, context: { diagnostics: [] } });
  const fix = actions.find((action) => action.title === "Transpose the gradient");
  assert.ok(fix, JSON.stringify(actions.map((action) => action.title)));
  assert.deepEqual(fix.edit.changes[uri].map((edit) => edit.newText), ["(", ")^T"]);
});

test("semantic tokens classify keywords, declarations, builtins and setting keys", async () => {
  const { uri } = await openMarked("param W: [2, 2] = zeros\nrun r { steps 5 }\n");
  const result = await request<{ data: number[] }>("textDocument/semanticTokens/full", { textDocument: { uri } });
  const legend = ["keyword", "function", "variable", "parameter", "property", "number", "string", "comment", "operator", "type", "class", "namespace", "event"];
  const decoded: string[] = [];
  let line = 0;
  let character = 0;
  for (let i = 0; i < result.data.length; i += 5) {
    line += result.data[i];
    character = result.data[i] === 0 ? character + result.data[i + 1] : result.data[i + 1];
    decoded.push(`${line}:${character} ${legend[result.data[i + 3]]}`);
  }
  assert.deepEqual(decoded, ["0:0 keyword", "0:6 variable", "0:10 number", "0:13 number", "0:18 function", "1:0 keyword", "1:4 event", "1:8 property", "1:14 number"]);
});
