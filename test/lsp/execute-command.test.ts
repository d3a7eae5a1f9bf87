// The code lenses' commands run by the server itself, as an editor other
// than VS Code runs them: workspace/executeCommand, progress on a token the
// server creates, and the outcome in window/showMessage.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import type { CheckResults, PreviewDataRequest, RunExperimentRequest } from "../../server/src/protocol";
import { LspTestClient, type PublishedDiagnostics } from "../support/lsp-client";
import { scratchFolder } from "../support/scratch";

let client: LspTestClient;
let capabilities: { executeCommandProvider?: { commands: string[] } };
const folder = scratchFolder("lsp-commands");

before(async () => {
  client = new LspTestClient();
  ({ capabilities } = (await client.initialize(undefined, { window: { workDoneProgress: true }, textDocument: { publishDiagnostics: { versionSupport: true } } })) as { capabilities: typeof capabilities });
});

after(async () => {
  await client.shutdown();
});

type ShowMessage = { type: number; message: string };

function execute<T>(command: string, args: unknown[]): Promise<T> {
  return client.connection.sendRequest("workspace/executeCommand", { command, arguments: args }) as Promise<T>;
}

const wrongGrad = `data d = blobs(classes=3, points=20, dims=4) { bias_trick }
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X
`;

const spiralRun = `data d = spiral(classes=3, points=60, seed=2) { train 150, val 30 }
param W1: [50, D] = he
param W2: [C, 50] = xavier
score s = relu(X @ W1^T) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = adam { lr 1e-2, batch 30 }
run fit { minimize L; on d.train; by opt; steps 200; eval d.val; every 50 }
`;

test("the server advertises its lens commands under ids of its own; with clientCommands the lenses name the extension's", async () => {
  assert.deepEqual(capabilities.executeCommandProvider?.commands, ["optim.server.checkGradients", "optim.server.runExperiment", "optim.server.previewData", "optim.server.resumeRun"]);
  const vscodeLike = new LspTestClient();
  try {
    await vscodeLike.initialize({ clientCommands: true });
    const uri = "file:///work/commands-vscode.optim";
    await vscodeLike.open(uri, spiralRun);
    const lenses = (await vscodeLike.connection.sendRequest("textDocument/codeLens", { textDocument: { uri } })) as { command: { command: string } }[];
    assert.deepEqual(lenses.map((lens) => lens.command.command), ["optim.previewData", "optim.runExperiment"]);
  } finally {
    await vscodeLike.shutdown();
  }
});

test("the check command publishes the grad's error, answers with the report and shows the verdict", async () => {
  const uri = "file:///work/commands-check.optim";
  await client.open(uri, wrongGrad);
  const lenses = (await client.connection.sendRequest("textDocument/codeLens", { textDocument: { uri } })) as { command: { command: string; arguments: unknown[] } }[];
  const check = lenses.find((lens) => lens.command.command === "optim.server.checkGradients");
  assert.ok(check, "a lens over the grad names the server's check");
  const report = await execute<CheckResults>(check.command.command, check.command.arguments);
  assert.equal(report.grads.length, 1);
  assert.equal(report.grads[0].passed, false);
  const published = await client.waitFor<PublishedDiagnostics>("textDocument/publishDiagnostics", (params) => params.uri === uri && params.diagnostics.some((diagnostic) => diagnostic.code === "gradcheck"), 20_000);
  assert.equal(published.diagnostics.find((diagnostic) => diagnostic.code === "gradcheck")?.range.start.line, 4);
  const shown = await client.waitFor<ShowMessage>("window/showMessage", (params) => params.message.includes("dL/dW"));
  assert.equal(shown.type, 1);
  assert.match(shown.message, /^Optim: 1 of 1 gradients wrong: dL\/dW: error \(max relative error [\d.e+-]+\)$/);
});

test("the run command trains in the run worker, reports progress on a token it created, and shows the figures and the folder", async () => {
  const uri = pathToFileURL(join(folder, "fit.optim")).toString();
  await client.open(uri, spiralRun);
  const result = await execute<RunExperimentRequest.Result>("optim.server.runExperiment", [uri, "fit"]);
  assert.equal(result.status, "finished", result.message);
  assert.ok(result.folder && existsSync(join(result.folder, "curve.csv")));
  const shown = await client.waitFor<ShowMessage>("window/showMessage", (params) => params.message.includes("fit finished"));
  assert.equal(shown.type, 3);
  assert.match(shown.message, /^Optim: fit finished after 200 steps: train loss [\d.]+, eval accuracy [\d.]+ \(best weights, step \d+\); saved in /);
  assert.ok(shown.message.endsWith(result.folder));
  const created = client.serverRequests.filter((entry) => entry.method === "window/workDoneProgress/create").map((entry) => (entry.params as { token: string }).token);
  assert.ok(created.length >= 1);
  const progress = client.received<{ token: string; value: { kind: string; message?: string } }>("$/progress").filter((entry) => entry.token === created[created.length - 1]);
  assert.equal(progress[0].value.kind, "begin");
  assert.ok(progress.some((entry) => /^step \d+: loss [\d.]+/.test(entry.value.message ?? "")));
  assert.equal(progress[progress.length - 1].value.kind, "end");
});

test("the preview command answers with the data's summary and shows it", async () => {
  const uri = pathToFileURL(join(folder, "preview.optim")).toString();
  await client.open(uri, spiralRun);
  const result = await execute<PreviewDataRequest.Result>("optim.server.previewData", [uri, "d"]);
  assert.equal(result.problem, undefined);
  assert.equal(result.splits[0].n, 150);
  const shown = await client.waitFor<ShowMessage>("window/showMessage", (params) => params.message.startsWith("Optim: d:"));
  assert.match(shown.message, /train: 150 examples of 2 features, 3 classes/);
});

test("an unknown command or missing arguments are invalid params", async () => {
  await assert.rejects(execute("optim.server.nothing", []), (error: { code: number; message: string }) => error.code === -32602 && /unknown command/.test(error.message));
  await assert.rejects(execute("optim.server.runExperiment", []), (error: { code: number }) => error.code === -32602);
});
