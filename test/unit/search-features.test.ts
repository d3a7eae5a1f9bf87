// The editor's view of a search: completion offers the hypers and the
// optimizer's settings it may vary beside its own settings, hover says what a
// searched key is, rename of a hyper renames it in the search, and the code
// lens runs it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { codeLenses } from "../../server/src/features/code-lens";
import { completionsAt } from "../../server/src/features/completion";
import { hoverAt } from "../../server/src/features/hover";
import { renameAt } from "../../server/src/features/navigation";

const text = `data d = blobs(classes=3, points=10, dims=4) { val 5 }
hyper reg = 1e-3
param W: [C, D] = randn * 0.01
loss L = mean(relu(X @ W^T)) + reg * sum(W^2)
optimizer opt = adam { lr 1e-3, schedule cosine }
search tune { minimize L; on d.train; by opt; steps 5; eval d.val; reg 1e-5 .. 1e-1 log; lr 1e-4 .. 1e-1 }
`;

test("completion in a search offers its settings, the file's hypers and its optimizer's number settings", () => {
  const analysis = analyze(text);
  const offset = text.indexOf("reg 1e-5");
  const labels = completionsAt(analysis, text, offset).map((entry) => entry.label);
  for (const label of ["trials", "method", "points", "reg", "beta1", "batch"]) assert.ok(labels.includes(label), `${label} in ${labels.join(", ")}`);
  assert.ok(!labels.includes("schedule"), "a schedule is not a number to search");
});

test("hover on a searched setting says whose it is; a searched hyper is a reference to it", () => {
  const analysis = analyze(text);
  const searchAt = text.indexOf("search tune");
  const lr = text.indexOf("lr 1e-4", searchAt);
  assert.match(hoverAt(analysis, text, lr + 1)?.markdown ?? "", /^\*\*lr\*\* of optimizer opt, searched: The step size/);
  const reg = text.indexOf("reg 1e-5", searchAt);
  assert.match(hoverAt(analysis, text, reg + 1)?.markdown ?? "", /hyper \*\*reg\*\*/);
  const renamed = renameAt(analysis.model, reg + 1, "strength");
  assert.ok("edits" in renamed, JSON.stringify(renamed));
  assert.deepEqual(
    renamed.edits.map((edit) => edit.span.start).sort((a, b) => a - b),
    [text.indexOf("reg = "), text.indexOf("reg * sum"), reg],
    "the hyper, its use and the search's key",
  );
});

test("a search has a ▶ Search lens that runs it", () => {
  const lenses = codeLenses(analyze(text)).filter((lens) => lens.name === "tune");
  assert.deepEqual(lenses.map((lens) => [lens.title, lens.command]), [["▶ Search", "optim.runExperiment"]]);
});
