// What the editor shows once a check has read the data and checked the
// grads, through the real server on Fashion-MNIST: sizes resolved in hover
// and inlay hints, a grad's check under the cursor anywhere on its name,
// code lenses that say whether a grad is right, and how long each check took.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { CheckResults } from "../../server/src/protocol";
import { repoRoot } from "../support/fixtures";
import { LspTestClient } from "../support/lsp-client";

let client: LspTestClient;

before(async () => {
  client = new LspTestClient();
  await client.initialize(undefined, { textDocument: { publishDiagnostics: { versionSupport: true } }, workspace: { codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true } } });
});

after(async () => {
  await client.shutdown();
});

/** The gradient-check example: a right dL/dW and a wrong dL_again/dW of the SVM loss on Fashion-MNIST. */
const example = readFileSync(join(repoRoot, "examples", "05-gradient-check.optim"), "utf8");
const lines = example.split("\n");

function positionOf(needle: string, shift = 0): { line: number; character: number } {
  const line = lines.findIndex((text) => text.includes(needle));
  assert.ok(line >= 0, `${needle} is in the example`);
  return { line, character: lines[line].indexOf(needle) + shift };
}

type Hover = { contents: { value: string } } | null;
type Lens = { range: { start: { line: number } }; command: { title: string; arguments: unknown[] } };

function hover(uri: string, position: { line: number; character: number }): Promise<Hover> {
  return client.connection.sendRequest("textDocument/hover", { textDocument: { uri }, position }) as Promise<Hover>;
}

async function gradLenses(uri: string): Promise<Record<string, string>> {
  const lenses = (await client.connection.sendRequest("textDocument/codeLens", { textDocument: { uri } })) as Lens[];
  return Object.fromEntries(lenses.filter((lens) => String(lens.command.arguments[1]).startsWith("d")).map((lens) => [lens.command.arguments[1], lens.command.title]));
}

let checked: Promise<{ uri: string; results: CheckResults }> | undefined;

/** The example opened once and checked automatically; the tests below read what that check left. */
function openChecked(): Promise<{ uri: string; results: CheckResults }> {
  checked ??= (async () => {
    const uri = "file:///work/check-state.optim";
    await client.open(uri, example, 1);
    const results = await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === 1, 120_000);
    return { uri, results };
  })();
  return checked;
}

test("once the data is read, a param's hover and inlay hint give its real size", async () => {
  const { uri } = await openChecked();
  const param = await hover(uri, positionOf("W: [C, D]"));
  assert.match(param?.contents.value ?? "", /param \*\*W\*\*: \[10 × 785\] = 7,850 parameters/);
  assert.doesNotMatch(param?.contents.value ?? "", /sizes known once the data is read/);
  const line = positionOf("param W").line;
  const hints = (await client.connection.sendRequest("textDocument/inlayHint", { textDocument: { uri }, range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } } })) as { label: string; position: { line: number } }[];
  assert.deepEqual(hints.map((hint) => [hint.position.line, hint.label]), [[line, " 7,850 parameters"]]);
  // The editor was asked to draw its hints again when the sizes became known.
  assert.ok(client.serverRequests.some((request) => request.method === "workspace/inlayHint/refresh"));
});

test("the sizes stay after an edit elsewhere, and go when the data declaration changes", async () => {
  const uri = "file:///work/check-state-edit.optim";
  await client.open(uri, example, 1);
  await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === 1, 120_000);
  await client.change(uri, 2, example.replace("hyper reg = 0.1", "hyper reg = 0.2"));
  const kept = await hover(uri, positionOf("W: [C, D]"));
  assert.match(kept?.contents.value ?? "", /\[10 × 785\] = 7,850 parameters/);
  await client.change(uri, 3, example.replace("bias_trick }", "}"));
  const open = await hover(uri, positionOf("W: [C, D]"));
  assert.match(open?.contents.value ?? "", /\[C × D\] parameters \(sizes known once the data is read\)/);
});

test("hover anywhere on a wrong grad's name shows its check, not the loss or the param", async () => {
  const { uri } = await openChecked();
  for (const shift of [0, 1, 4, 9, 10]) {
    // d, the L of L_again, its _, the / and the W of dL_again/dW
    const shown = await hover(uri, positionOf("dL_again/dW =", shift));
    assert.match(shown?.contents.value ?? "", /the gradient of L_again with respect to W/, `at character ${shift} of dL_again/dW`);
    assert.match(shown?.contents.value ?? "", /Last check: \*\*error\*\*, max relative error/);
  }
});

test("a grad's lens says whether its check passed, failed or is under way", async () => {
  const { uri } = await openChecked();
  const lenses = await gradLenses(uri);
  assert.match(lenses["dL/dW"], /^✓ gradient checked: (good|acceptable) \([\d.e-]+\)$/);
  assert.match(lenses["dL_again/dW"], /^✗ gradient wrong: max relative error [\d.e-]+ — re-check$/);
  assert.ok(client.serverRequests.some((request) => request.method === "workspace/codeLens/refresh"));

  const pending = client.connection.sendRequest("optim/checkGradients", { uri, grad: "dL/dW", all: true });
  const during = await gradLenses(uri);
  assert.equal(during["dL/dW"], "… checking");
  assert.match(during["dL_again/dW"], /^✗ gradient wrong/);
  await pending;
  assert.match((await gradLenses(uri))["dL/dW"], /^✓ gradient checked: (good|acceptable) /);
});

test("each grad's check reports how long it took in the worker", async () => {
  const { results } = await openChecked();
  const durations = results.grads.map((grad) => grad.durationMs ?? -1);
  assert.equal(durations.length, 2);
  for (const duration of durations) assert.ok(duration > 0, `a grad's check took ${duration} ms`);
  // The job read the data and checked both grads: longer than the checks alone.
  assert.ok(results.durationMs !== undefined && results.durationMs > durations[0] + durations[1], `job ${results.durationMs} ms, grads ${durations.join(" and ")} ms`);
});
