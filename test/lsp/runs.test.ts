// Runs through the real server: started by a request, streamed as
// notifications, saved under runs/, cancellable, and never in the way of
// editing.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import type { RunExperimentRequest, RunProgressNotification } from "../../server/src/protocol";
import { LspTestClient, type PublishedDiagnostics } from "../support/lsp-client";
import { scratchFolder } from "../support/scratch";

let client: LspTestClient;
const folder = scratchFolder("lsp-runs");

before(async () => {
  client = new LspTestClient();
  await client.initialize();
});

after(async () => {
  await client.shutdown();
});

const model = (steps: number) => `data d = spiral(classes=3, points=60, seed=2) { train 150, val 30 }
param W1: [50, D] = he
param W2: [C, 50] = xavier
score s = relu(X @ W1^T) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = adam { lr 1e-2, batch 30 }
run fit { minimize L; on d.train; by opt; steps ${steps}; eval d.val; every 50 }
`;

test("a run streams its curve, finishes and is saved in its folder", async () => {
  const uri = pathToFileURL(join(folder, "fit.optim")).toString();
  await client.open(uri, model(200));
  const result = (await client.connection.sendRequest("optim/runExperiment", { uri, name: "fit" })) as RunExperimentRequest.Result;
  assert.equal(result.status, "finished", result.message);
  assert.match(result.message, /^fit finished after 200 steps: train loss [\d.]+, eval accuracy [\d.]+ \(best weights, step \d+\)$/);
  const points = client.received<RunProgressNotification.Params>("optim/runProgress").filter((params) => params.uri === uri);
  assert.ok(points.length >= 4, `${points.length} progress notifications`);
  assert.ok(points.some((params) => params.point.evalAccuracy !== undefined));
  // Every step's point arrives, once and in order, batched into the notifications.
  assert.deepEqual(
    points.flatMap((params) => params.points.map((point) => point.step)),
    Array.from({ length: 200 }, (_, step) => step),
  );
  assert.ok(result.folder && result.folder.startsWith(join(folder, "runs", "fit-")));
  const csv = readFileSync(join(result.folder, "curve.csv"), "utf8").trim().split("\n");
  assert.equal(csv[0], "step,epoch,seconds,loss,lr,gradNorm,updateRatio,evalLoss,evalAccuracy");
  assert.equal(csv.length, 201);
  const final = JSON.parse(readFileSync(join(result.folder, "final.json"), "utf8"));
  assert.equal(final.status, "finished");
  assert.ok(existsSync(join(result.folder, "meta.json")));
});

test("cancelling a run stops it, keeps its curve so far, and editing goes on meanwhile", async () => {
  const uri = pathToFileURL(join(folder, "long.optim")).toString();
  await client.open(uri, model(1_000_000));
  const cancel = new CancellationTokenSource();
  const pending = client.connection.sendRequest("optim/runExperiment", { uri, name: "fit" }, cancel.token) as Promise<RunExperimentRequest.Result>;
  await client.waitFor<RunProgressNotification.Params>("optim/runProgress", (params) => params.uri === uri && params.point.step >= 20, 30_000);
  const hover = (await client.connection.sendRequest("textDocument/hover", { textDocument: { uri }, position: { line: 1, character: 6 } })) as { contents: { value: string } };
  assert.match(hover.contents.value, /param \*\*W1\*\*/);
  cancel.cancel();
  const result = await pending;
  assert.equal(result.status, "cancelled", result.message);
  assert.ok(result.folder);
  const final = JSON.parse(readFileSync(join(result.folder, "final.json"), "utf8"));
  assert.equal(final.status, "cancelled");
  const rows = readFileSync(join(result.folder, "curve.csv"), "utf8").trim().split("\n").length - 1;
  assert.ok(rows >= 20 && rows === final.steps, `${rows} rows saved for ${final.steps} steps`);
});

test("a cancelled run resumed by the request's resume folder goes on in its folder to its last step, and says which weights it reports", async () => {
  const uri = pathToFileURL(join(folder, "resumed.optim")).toString();
  await client.open(uri, model(1000));
  const cancel = new CancellationTokenSource();
  const pending = client.connection.sendRequest("optim/runExperiment", { uri, name: "fit" }, cancel.token) as Promise<RunExperimentRequest.Result>;
  await client.waitFor<RunProgressNotification.Params>("optim/runProgress", (params) => params.uri === uri && params.point.step >= 20, 30_000);
  cancel.cancel();
  const stopped = await pending;
  assert.equal(stopped.status, "cancelled", stopped.message);
  const stoppedAt = JSON.parse(readFileSync(join(stopped.folder as string, "final.json"), "utf8")).steps as number;
  assert.ok(stoppedAt < 1000, `stopped after ${stoppedAt} steps`);
  // The run's Resume lens names the folder; the lens's command goes on from it.
  const lenses = (await client.connection.sendRequest("textDocument/codeLens", { textDocument: { uri } })) as { command: { title: string; command: string; arguments: unknown[] } }[];
  const resumeLens = lenses.find((lens) => lens.command.command === "optim.server.resumeRun");
  assert.ok(resumeLens, `lenses: ${lenses.map((lens) => lens.command.title).join(" | ")}`);
  assert.equal(resumeLens.command.title, `↻ Resume from step ${stoppedAt} (cancelled)`);
  assert.deepEqual(resumeLens.command.arguments, [uri, "fit", stopped.folder]);
  const resumed = (await client.connection.sendRequest("workspace/executeCommand", resumeLens.command)) as RunExperimentRequest.Result;
  assert.equal(resumed.status, "finished", resumed.message);
  assert.equal(resumed.folder, stopped.folder);
  assert.deepEqual(resumed.reported?.weights, "best");
  const steps = readFileSync(join(resumed.folder as string, "curve.csv"), "utf8").trim().split("\n").slice(1).map((line) => Number(line.split(",")[0]));
  assert.deepEqual(steps, Array.from({ length: 1000 }, (_, step) => step), "the curve is whole, each step once");
  assert.deepEqual(JSON.parse(readFileSync(join(resumed.folder as string, "meta.json"), "utf8")).resumed.map((entry: { steps: number }) => entry.steps), [stoppedAt]);
  // Finished: no Resume lens any more.
  const after = (await client.connection.sendRequest("textDocument/codeLens", { textDocument: { uri } })) as { command: { command: string } }[];
  assert.deepEqual(after.map((lens) => lens.command.command), ["optim.server.previewData", "optim.server.runExperiment"]);
  const missing = (await client.connection.sendRequest("optim/runExperiment", { uri, name: "fit", resume: join(folder, "nowhere") })) as RunExperimentRequest.Result;
  assert.equal(missing.status, "failed");
  assert.match(missing.message, /nowhere is not a run's folder/);
});

test("a sweep and a landscape run from the same request and answer with their results", async () => {
  const uri = pathToFileURL(join(folder, "experiments.optim")).toString();
  await client.open(uri, `${model(10)}sweep lrs { minimize L; on d.train; by opt; lr 1e-5 .. 1e1; points 4 }\nlandscape ray { of L; on d.train; points 11 }\n`);
  const sweep = (await client.connection.sendRequest("optim/runExperiment", { uri, name: "lrs" })) as RunExperimentRequest.Result;
  assert.equal(sweep.status, "finished", sweep.message);
  assert.deepEqual(sweep.sweep?.rows.map((row) => Number(row.lr.toPrecision(3))), [1e-5, 1e-3, 1e-1, 10]);
  assert.match(sweep.message, /^lrs: suggested step size /);
  const ray = (await client.connection.sendRequest("optim/runExperiment", { uri, name: "ray" })) as RunExperimentRequest.Result;
  assert.equal(ray.status, "finished", ray.message);
  assert.equal(ray.landscape?.losses.length, 11);
  assert.ok(ray.folder && existsSync(join(ray.folder, "landscape.csv")));
});

test("a run that diverges puts a warning on its optimizer's step size, with the sweep's advice", async () => {
  const uri = pathToFileURL(join(folder, "diverges.optim")).toString();
  const text = `data d = spiral(classes=3, points=60, seed=2) { train 150, val 30 }
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * sum(W^2)
optimizer wild = sgd { lr 50, batch 30 }
run fit { minimize L; on d.train; by wild; steps 500 }
sweep lrs { minimize L; on d.train; by wild; lr 1e-4 .. 1e2; points 7 }
`;
  await client.open(uri, text);
  const sweep = (await client.connection.sendRequest("optim/runExperiment", { uri, name: "lrs" })) as RunExperimentRequest.Result;
  assert.ok(sweep.sweep?.suggestion);
  const result = (await client.connection.sendRequest("optim/runExperiment", { uri, name: "fit" })) as RunExperimentRequest.Result;
  assert.equal(result.status, "diverged", result.message);
  const published = await client.waitFor<PublishedDiagnostics>("textDocument/publishDiagnostics", (params) => params.uri === uri && params.diagnostics.some((diagnostic) => diagnostic.code === "diverged"), 10_000);
  const warning = published.diagnostics.find((diagnostic) => diagnostic.code === "diverged");
  assert.ok(warning);
  const column = text.split("\n")[4].indexOf("50");
  assert.deepEqual(warning.range, { start: { line: 4, character: column }, end: { line: 4, character: column + 2 } });
  assert.match(warning.message, /^run fit diverged at step \d+ \(.*\): the step size is probably too large; the sweep lrs suggests at most [\d.e-]+$/);
});
