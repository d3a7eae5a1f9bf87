// A search through the real server: started like a run, each trial's result
// streamed as it finishes, the trials best first in the answer and saved
// under runs/, and the best trial's values offered as a quick fix (and by
// request, for the panel's button) that writes them into the file.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import type { RunExperimentRequest, SearchProgressNotification, SearchValuesEditRequest } from "../../server/src/protocol";
import { LspTestClient, type PublishedDiagnostics } from "../support/lsp-client";
import { scratchFolder } from "../support/scratch";
import { applyEdits, type LspTextEdit } from "../support/text-edits";

let client: LspTestClient;
const folder = scratchFolder("lsp-search");

before(async () => {
  client = new LspTestClient();
  await client.initialize();
});

after(async () => {
  await client.shutdown();
});

const text = `data d = blobs(classes=3, points=40, dims=2, seed=4) { val 30 }
hyper reg = 1e-3
param W: [C, D] = randn * 0.01
param b: [C] = zeros
score s = X @ W^T + b
loss L = mean(logsumexp(s, axis=1) - s[y]) + reg * sum(W^2)
optimizer opt = sgd { lr 0.05, batch 16 }
search tune { minimize L; on d.train; by opt; steps 30; eval d.val; every 10; trials 4; seed 1; reg 1e-5 .. 1e-1 log; lr 1e-3 .. 1 log }
`;

interface CodeAction {
  title: string;
  edit?: { changes?: Record<string, LspTextEdit[]> };
}

test("a search streams its trials, answers them best first, and its best values become a quick fix that writes them into the file", async () => {
  const uri = pathToFileURL(join(folder, "tune.optim")).toString();
  await client.open(uri, text);
  const result = (await client.connection.sendRequest("optim/runExperiment", { uri, name: "tune" })) as RunExperimentRequest.Result;
  assert.equal(result.status, "finished", result.message);
  const search = result.search;
  assert.ok(search);
  assert.equal(search.trials.length, 4);
  const accuracies = search.trials.map((trial) => trial.evalAccuracy as number);
  assert.deepEqual(accuracies, [...accuracies].sort((a, b) => b - a));
  const best = search.trials[0];
  assert.match(result.message, new RegExp(`^tune: best of 4 trials reg ${best.values.reg}, opt.lr ${best.values["opt.lr"]}, eval accuracy`));
  assert.ok(result.folder && existsSync(join(result.folder, "search.json")) && existsSync(join(result.folder, "search.csv")));

  const progress = client.received<SearchProgressNotification.Params>("optim/searchProgress").filter((params) => params.uri === uri);
  assert.deepEqual(
    progress.map((params) => params.done),
    [1, 2, 3, 4],
  );
  assert.deepEqual(
    progress.map((params) => params.trial.index).sort(),
    [0, 1, 2, 3],
  );
  assert.deepEqual(progress[0].axes.map((axis) => [axis.name, axis.scale]), [
    ["reg", "log"],
    ["opt.lr", "log"],
  ]);

  // The best trial on the search's name, as information with a fix.
  const published = await client.waitFor<PublishedDiagnostics>("textDocument/publishDiagnostics", (params) => params.uri === uri && params.diagnostics.some((diagnostic) => diagnostic.code === "search-best"));
  const finding = published.diagnostics.find((diagnostic) => diagnostic.code === "search-best");
  assert.ok(finding);
  assert.equal(finding.range.start.line, 7);
  assert.match(finding.message, /^search tune: the best trial had reg /);
  const actions = (await client.connection.sendRequest("textDocument/codeAction", { textDocument: { uri }, range: finding.range, context: { diagnostics: [finding] } })) as CodeAction[];
  const fix = actions.find((action) => action.title.startsWith("Use the best trial's values"));
  assert.ok(fix?.edit?.changes?.[uri], `actions: ${actions.map((action) => action.title).join("; ")}`);
  const fixed = applyEdits(text, fix.edit.changes[uri]);
  assert.match(fixed, new RegExp(`hyper reg = ${String(best.values.reg).replace(".", "\\.")}\\n`));
  assert.match(fixed, new RegExp(`optimizer opt = sgd \\{ lr ${String(best.values["opt.lr"]).replace(".", "\\.")}, batch 16 \\}`));

  // The panel's button asks for the same edits.
  const asked = (await client.connection.sendRequest("optim/searchValuesEdit", { uri, values: best.values } satisfies SearchValuesEditRequest.Params)) as SearchValuesEditRequest.Result;
  assert.equal(asked.problem, undefined);
  assert.equal(applyEdits(text, asked.edits), fixed);
  const unknown = (await client.connection.sendRequest("optim/searchValuesEdit", { uri, values: { rge: 1 } } satisfies SearchValuesEditRequest.Params)) as SearchValuesEditRequest.Result;
  assert.match(unknown.problem ?? "", /^rge: there is no hyper named 'rge'; did you mean 'reg'\?/);

  // Once the file has the values, the fix is no longer offered.
  await client.change(uri, 2, fixed);
  const after = await client.diagnosticsFor(uri, 2);
  assert.ok(!after.diagnostics.some((diagnostic) => diagnostic.code === "search-best"), JSON.stringify(after.diagnostics));
});
