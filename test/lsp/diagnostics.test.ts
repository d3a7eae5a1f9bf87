// The real server process over stdio: initialize, didOpen, publishDiagnostics.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { AnalysisSummaryNotification } from "../../server/src/protocol";
import { LspTestClient } from "../support/lsp-client";

let client: LspTestClient;

before(async () => {
  client = new LspTestClient();
});

after(async () => {
  assert.equal(await client.shutdown(), 0, "the server exits cleanly after shutdown and exit");
});

test("initialize announces the server and incremental sync", async () => {
  const result = (await client.initialize()) as { capabilities: { textDocumentSync: number }; serverInfo: { name: string } };
  assert.equal(result.serverInfo.name, "optim-language-server");
  assert.equal(result.capabilities.textDocumentSync, 2);
});

test("a syntax error is published with its range, and fixing it clears it", async () => {
  const uri = "file:///work/broken.optim";
  await client.open(uri, "hyper reg = 1e-3\nparam W: [10 = 3\nloss L = reg * sum(W^2)\n", 1);
  const broken = await client.diagnosticsFor(uri, 1);
  assert.equal(broken.diagnostics.length, 1);
  const [diagnostic] = broken.diagnostics;
  assert.equal(diagnostic.message, "expected ']' but found '='");
  assert.equal(diagnostic.severity, 1);
  assert.equal(diagnostic.source, "optim");
  assert.deepEqual(diagnostic.range, { start: { line: 1, character: 13 }, end: { line: 1, character: 14 } });

  await client.change(uri, 2, "hyper reg = 1e-3\nparam W: [10, 3]\nloss L = reg * sum(W^2)\n");
  const fixed = await client.diagnosticsFor(uri, 2);
  assert.deepEqual(fixed.diagnostics, []);
});

test("the server sends an analysis summary for the panel", async () => {
  const uri = "file:///work/summary.optim";
  await client.open(uri, "hyper reg = 1e-3\nparam W: [10, 785]\nloss L = sum(W^2) * reg\n", 1);
  const summary = await client.waitFor<AnalysisSummaryNotification.Params>("optim/analysisSummary", (params) => params.uri === uri);
  assert.deepEqual(summary.declarations, [
    { kind: "hyper", name: "reg", line: 0 },
    { kind: "param", name: "W", line: 1 },
    { kind: "loss", name: "L", line: 2 },
  ]);
  assert.equal(summary.errors, 0);
});

test("rapid edits publish in version order and end with the newest", async () => {
  const uri = "file:///work/rapid.optim";
  await client.open(uri, "hyper a = 1\n", 1);
  await client.diagnosticsFor(uri, 1);
  for (let version = 2; version <= 20; version++) await client.change(uri, version, `hyper a = ${version}\nparam W: [${version} = 1\nloss L = a * sum(W^2)\n`);
  const last = await client.diagnosticsFor(uri, 20);
  assert.equal(last.diagnostics.length, 1);
  assert.deepEqual(last.diagnostics[0].range.start, { line: 1, character: 13 });
  const versions = client.received<{ uri: string; version: number }>("textDocument/publishDiagnostics").filter((params) => params.uri === uri).map((params) => params.version);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b), "a stale version was published after a newer one");
});

test("the server reports the training backend once it has started", async () => {
  const status = await client.waitFor<{ state: string; backend?: string; detail: string }>("optim/serverStatus", (params) => params.backend !== undefined, 30_000);
  // tfjs-node first when a user installed it; otherwise the kernel executor, which says why tfjs-node is not used.
  let installed = true;
  try {
    require.resolve("@tensorflow/tfjs-node");
  } catch {
    installed = false; // the usual case, since its install downloads libtensorflow
  }
  if (installed) {
    assert.equal(status.backend, "tensorflow");
    assert.match(status.detail, /training runs on TensorFlow\.js on tfjs-node/);
  } else {
    assert.equal(status.backend, "kernels");
    assert.match(status.detail, /training runs on the kernel executor \(WebAssembly SIMD\): tfjs-node is not available/);
  }
});
