// The CLI as a function: formats and exit codes, without spawning a process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../../server/src/cli/main";
import { loadNpyInputs } from "../../server/src/data/npy";
import { leadingRows } from "../../server/src/data/stored-bytes";
import { prepareRuns } from "../../server/src/train/prepare";
import { npyBytes } from "../../server/src/train/weights";
import { dataLoader } from "../../server/src/worker/load-examples";
import { idxImages, idxLabels, pixelsFor } from "./data/write-data";
import { repoRoot } from "../support/fixtures";
import { scratchFolder } from "../support/scratch";

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

const directory = scratchFolder("cli");
const good = join(directory, "good.optim");
const bad = join(directory, "bad.optim");
writeFileSync(good, "hyper reg = 1e-3\nparam W: [10, 785] = randn * 0.0001\nloss L = reg * sum(W^2)\n");
writeFileSync(bad, "hyper reg = 1e-3\nparam W: [10 = 3\nloss L = reg * sum(W^2)\n");

test("check prints compiler-style lines and exits 1 on errors", async () => {
  const result = await run(["check", good, bad]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, `${bad}:2:14: error: expected ']' but found '=' [syntax]\n2 files checked: 1 error, 0 warnings\n`);
});

test("check exits 0 on a clean file", async () => {
  const result = await run(["check", good]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "1 file checked: 0 errors, 0 warnings\n");
});

test("--json prints the documented report", async () => {
  const result = await run(["check", "--json", bad]);
  assert.equal(result.code, 1);
  assert.deepEqual(JSON.parse(result.stdout), {
    version: 1,
    files: [
      {
        file: bad,
        diagnostics: [{ line: 2, column: 14, endLine: 2, endColumn: 15, severity: "error", code: "syntax", message: "expected ']' but found '='" }],
      },
    ],
    errors: 1,
    warnings: 0,
  });
});

test("a missing file is an error that names it", async () => {
  const missing = join(directory, "nope.optim");
  const result = await run(["check", missing]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, new RegExp(`^${missing}:1:1: error: cannot read ${missing}: no such file`));
});

test("usage errors exit 2 and explain", async () => {
  assert.equal((await run([])).code, 2);
  const unknownCommand = await run(["frobnicate"]);
  assert.equal(unknownCommand.code, 2);
  assert.match(unknownCommand.stderr, /unknown command 'frobnicate'/);
  const unknownOption = await run(["check", "--nope", good]);
  assert.equal(unknownOption.code, 2);
  assert.match(unknownOption.stderr, /unknown option --nope/);
  assert.equal((await run(["check"])).code, 2);
});

test("a mistyped command gets the nearest command suggested, and exits 2", async () => {
  const result = await run(["trian", good]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^optim: unknown command 'trian'; did you mean 'train'\?\n/);
  assert.match((await run(["gradchek", good])).stderr, /did you mean 'gradcheck'\?/);
  assert.match((await run(["lanscape", good])).stderr, /did you mean 'landscape'\?/);
  // Nothing near: no suggestion.
  assert.match((await run(["frobnicate"])).stderr, /^optim: unknown command 'frobnicate'\n/);
});

test("train, search, sweep and landscape name file:line:col for every error", async () => {
  const broken = join(directory, "train-broken.optim");
  writeFileSync(broken, `data d = spiral(classes=3, points=20, seed=1) { train 50, val 10 }
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + sum(missing_weights^2)
optimizer opt = sgd { lr 1e-2, batch 10 }
run fit { minimize L; on d.train; by opt; steps 5 }
run search_it { minimize L; on d.train; by random_search(tries=2); steps 5 }
sweep lrs { minimize L; on d.train; by opt; lr 1e-3 .. 1e-1 }
landscape ray { of L; on d.train }
`);
  const column = "loss L = mean(logsumexp(s, axis=1) - s[y]) + sum(".length + 1;
  for (const command of ["train", "search", "sweep", "landscape"]) {
    const result = await run([command, broken]);
    assert.equal(result.code, 1, command);
    assert.equal(result.stderr, `${broken}:4:${column}: error: unknown name 'missing_weights' [unknown-name]\n`, command);
  }

  const unreadable = join(directory, "train-unreadable.optim");
  writeFileSync(unreadable, 'data d = idx("no-such-folder")\nparam W: [10, 784] = zeros\nloss L = sum(W^2)\noptimizer opt = sgd { lr 1e-2, batch 10 }\nrun fit { minimize L; on d.train; by opt; steps 5 }\n');
  const data = await run(["train", unreadable]);
  assert.equal(data.code, 1);
  assert.match(data.stderr, new RegExp(`^${unreadable}:1:6: error: data d: .*no-such-folder`));

  const noRuns = await run(["train", good]);
  assert.equal(noRuns.code, 1);
  assert.equal(noRuns.stderr, `${good}:1:1: error: no training runs\n`);
  assert.equal((await run(["sweep", good])).stderr, `${good}:1:1: error: no sweeps\n`);
  assert.equal((await run(["train", "--run", "nope", good])).stderr, `${good}:1:1: error: no run named nope\n`);
  const missing = join(directory, "missing-run.optim");
  assert.equal((await run(["landscape", missing])).stderr, `${missing}:1:1: error: cannot read ${missing}: no such file\n`);
});

test("hints are printed only with --hints", async () => {
  const unused = join(directory, "unused.optim");
  writeFileSync(unused, "hyper reg = 1e-3\n");
  assert.equal((await run(["check", unused])).stdout, "1 file checked: 0 errors, 0 warnings\n");
  assert.equal((await run(["check", "--hints", unused])).stdout, `${unused}:1:7: hint: hyper reg is never used [unused]\n1 file checked: 0 errors, 0 warnings\n`);
});

test("--help prints usage", async () => {
  const result = await run(["--help"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^Usage: optim <command>/);
});

const gradModel = `data d = blobs(classes=3, points=20, dims=4) { bias_trick }
hyper reg = 0.01
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * sum(W^2)
`;

test("gradcheck passes a right grad and exits 0", async () => {
  const file = join(directory, "right.optim");
  writeFileSync(file, `${gradModel}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N + reg * W\n`);
  const result = await run(["gradcheck", file]);
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, new RegExp(`^  ${file}:6: dL/dW +ok +max relative error \\S+ over 15 entries at 2 points$`, "m"));
  assert.match(result.stdout, /1 file, 1 grad checked: 0 failed\n$/);
});

test("gradcheck flags a wrong grad, says how it is wrong, and exits 1", async () => {
  const file = join(directory, "wrong.optim");
  writeFileSync(file, `${gradModel}grad dL/dW = -(softmax(s, axis=1) - onehot(y))^T @ X / N - reg * W\n`);
  const result = await run(["gradcheck", file]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /dL\/dW +error +max relative error 2 over 15 entries; at W\[\d,\d\] \(analytic \S+, numerical \S+\); .*the sign is flipped/);
  const json = JSON.parse((await run(["gradcheck", "--json", "--all", file])).stdout);
  assert.equal(json.failed, 1);
  assert.equal(json.files[0].grads[0].verdict, "error");
  assert.equal(json.files[0].grads[0].checked, 15);
});

test("gradcheck reports unreadable data on the data declaration", async () => {
  const file = join(directory, "nodata.optim");
  writeFileSync(file, 'data d = idx("no-such-folder") { bias_trick }\nparam W: [10, 785] = zeros\nloss L = sum(W^2)\ngrad dL/dW = 2 * W\n');
  const result = await run(["gradcheck", file]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, new RegExp(`${file}:1:6: error: .*no-such-folder.*\\[data\\]`));
  const json = JSON.parse((await run(["gradcheck", "--json", file])).stdout);
  assert.equal(json.files[0].status, "error");
  assert.match(json.files[0].reason, /^1 error to fix first; the first, at 1:6: .*no-such-folder/);
  assert.equal(json.files[0].grads[0].verdict, "unchecked");
});

test("gradcheck fails a file with a syntax error, says why, and lists the grad as not checked", async () => {
  const file = join(directory, "syntax-error.optim");
  writeFileSync(file, `${gradModel.replace("[C, D]", "[C, D")}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N + reg * W\n`);
  const result = await run(["gradcheck", file]);
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, new RegExp(`^${file}:3:\\d+: error: 1 error to fix first; the first, at 3:\\d+: expected ']'`, "m"));
  assert.match(result.stdout, /dL\/dW +unchecked +not checked: the file has 1 error to fix first/);
  const json = JSON.parse((await run(["gradcheck", "--json", file])).stdout);
  assert.equal(json.version, 1);
  assert.equal(json.files[0].status, "error");
  assert.match(json.files[0].reason, /expected ']'/);
  assert.deepEqual(
    json.files[0].grads.map((grad: { name: string; verdict: string; problem: string }) => [grad.name, grad.verdict, grad.problem]),
    [["dL/dW", "unchecked", "the file has 1 error to fix first"]],
  );
  assert.ok(json.failed > 0);
  assert.ok(json.files[0].diagnostics.some((d: { code: string; line: number }) => d.code === "syntax" && d.line === 3));
});

test("gradcheck fails a file with an unknown name, with --json too", async () => {
  const file = join(directory, "unknown-name.optim");
  writeFileSync(file, `${gradModel}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N + regg * W\n`);
  const result = await run(["gradcheck", "--json", file]);
  assert.equal(result.code, 1);
  const json = JSON.parse(result.stdout);
  assert.equal(json.files[0].status, "error");
  assert.match(json.files[0].reason, /^1 error to fix first; the first, at 6:\d+: unknown name 'regg'/);
  assert.equal(json.files[0].grads[0].problem, "the file has 1 error to fix first");
});

test("gradcheck fails a file whose grads have no data to be checked on", async () => {
  const file = join(directory, "no-data-set.optim");
  writeFileSync(file, "param W: [3, 4] = zeros\nloss L = sum(W^2)\ngrad dL/dW = 2 * W\n");
  const json = JSON.parse((await run(["gradcheck", "--json", file])).stdout);
  assert.equal(json.files[0].status, "error");
  assert.equal(json.files[0].grads[0].problem, "declare a data set to check gradients on its examples");
  assert.equal((await run(["gradcheck", file])).code, 1);
});

test("gradcheck passes and skips in the JSON's status", async () => {
  const right = join(directory, "right.optim");
  writeFileSync(right, `${gradModel}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N + reg * W\n`);
  const nothing = join(directory, "nothing.optim");
  writeFileSync(nothing, "hyper reg = 1e-3\n");
  const result = await run(["gradcheck", "--json", right, nothing]);
  assert.equal(result.code, 0, result.stdout);
  const json = JSON.parse(result.stdout);
  assert.deepEqual(json.files.map((file: { status: string; reason: string | null }) => [file.status, file.reason]), [["passed", null], ["skipped", "no losses or grads to check"]]);
  assert.equal(json.failed, 0);
});

/** An IDX folder of 6 images of 2 × 2, whose training images file is `keep` bytes long when given. */
function idxFolder(name: string, keep?: number): string {
  const folder = join(directory, name);
  mkdirSync(folder);
  const images = idxImages(pixelsFor(6, 2, 2), 6, 2, 2);
  writeFileSync(join(folder, "train-images-idx3-ubyte"), keep === undefined ? images : images.subarray(0, keep));
  writeFileSync(join(folder, "train-labels-idx1-ubyte"), idxLabels([0, 1, 2, 0, 1, 2]));
  return folder;
}

const idxModel = (folder: string) => `# images of 2 × 2\ndata images = idx("${folder}") { bias_trick }\nparam W: [C, D] = randn * 0.01\nscore s = X @ W^T\nloss L = mean(logsumexp(s, axis=1) - s[y])\ngrad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N\n`;

test("check reads the data: a truncated IDX file is an error on the data declaration that names the file", async () => {
  const good = idxFolder("idx-whole");
  const truncated = idxFolder("idx-truncated", 16 + 10);
  const whole = join(directory, "idx-whole.optim");
  const cut = join(directory, "idx-truncated.optim");
  writeFileSync(whole, idxModel(good));
  writeFileSync(cut, idxModel(truncated));
  const clean = await run(["check", whole]);
  assert.equal(clean.code, 0, clean.stdout);
  const result = await run(["check", cut]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, new RegExp(`^${cut}:2:6: error: .*train-images-idx3-ubyte.* \\[data\\]$`, "m"));
  const json = JSON.parse((await run(["check", "--json", cut])).stdout);
  const [diagnostic] = json.files[0].diagnostics.filter((d: { code: string }) => d.code === "data");
  assert.deepEqual([diagnostic.line, diagnostic.column, diagnostic.endLine, diagnostic.endColumn], [2, 6, 2, 12]);
  // --no-data only analyses the text.
  const quick = await run(["check", "--no-data", cut]);
  assert.equal(quick.code, 0, quick.stdout);
  // gradcheck fails the same file.
  const gradcheck = await run(["gradcheck", cut]);
  assert.equal(gradcheck.code, 1);
  assert.match(gradcheck.stdout, /train-images-idx3-ubyte/);
});

test("check reports a missing data folder and a ragged CSV, each naming the file", async () => {
  const missing = join(directory, "missing-folder.optim");
  writeFileSync(missing, 'data d = idx("no-such-folder") { bias_trick }\nparam W: [C, D] = zeros\nloss L = sum(W^2)\n');
  const noFolder = await run(["check", missing]);
  assert.equal(noFolder.code, 1);
  assert.match(noFolder.stdout, new RegExp(`^${missing}:1:6: error: .*no-such-folder.*\\[data\\]$`, "m"));
  writeFileSync(join(directory, "ragged.csv"), "x1,x2,label\n1,2,0\n3,1\n");
  const ragged = join(directory, "ragged.optim");
  writeFileSync(ragged, 'data table = csv("ragged.csv")\nparam W: [C, D] = zeros\nloss L = sum(W^2)\n');
  const result = await run(["check", ragged]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, new RegExp(`^${ragged}:1:6: error: ragged\\.csv line 3: .*\\[data\\]$`, "m"));
});

test("check measures shapes against the data it read", async () => {
  const folder = idxFolder("idx-shapes");
  const file = join(directory, "idx-shapes.optim");
  // 2 × 2 images and the bias make D = 5, not 785.
  writeFileSync(file, idxModel(folder).replace("[C, D]", "[C, 785]"));
  assert.equal((await run(["check", "--no-data", file])).code, 0);
  const result = await run(["check", file]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /error: cannot multiply \[N, 5\] by \[785, 3\].*\[shape-mismatch\]/);
});

test("a bad --seed is a usage error", async () => {
  const result = await run(["gradcheck", "--seed", "x", good]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--seed takes a whole number/);
});

test("backend starts the asked executor, or says why not", async () => {
  const cpu = await run(["backend", "--backend", "cpu", "--json"]);
  assert.equal(cpu.code, 0);
  assert.deepEqual(JSON.parse(cpu.stdout), { backend: "cpu", description: "TensorFlow.js on plain JavaScript", notes: [] });
  const kernels = await run(["backend", "--backend", "kernels"]);
  assert.equal(kernels.code, 0);
  assert.equal(kernels.stdout, "backend: kernels, the kernel executor (WebAssembly SIMD)\n");
  const bad = await run(["backend", "--backend", "gpu"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--backend is auto, tensorflow, kernels, wasm or cpu, not 'gpu'/);
});

test("runs lists saved runs side by side", async () => {
  const runs = join(directory, "runs");
  const one = join(runs, "fit-20260101-000000");
  mkdirSync(one, { recursive: true });
  writeFileSync(join(one, "meta.json"), JSON.stringify({ run: "fit", backend: "wasm", seed: 3, description: "d" }));
  writeFileSync(join(one, "final.json"), JSON.stringify({ status: "finished", steps: 40, final: { trainLoss: 0.5, evalAccuracy: 0.8125, testAccuracy: 0.75 } }));
  mkdirSync(join(runs, "unfinished-20260101-000001"));
  writeFileSync(join(runs, "unfinished-20260101-000001", "meta.json"), JSON.stringify({ run: "unfinished", backend: "cpu", seed: 0 }));
  const result = await run(["runs", runs]);
  assert.equal(result.code, 0);
  const lines = result.stdout.trim().split("\n");
  assert.match(lines[0], /^folder +kind +status +steps +train loss +eval acc +test acc +backend +seed$/);
  assert.match(lines[1], /^fit-20260101-000000 +run +finished +40 +0\.5 +81\.3% +75\.0% +wasm +3$/);
  assert.match(lines[2], /^unfinished-20260101-000001 +run +unfinished/);
});

// ---- saved weights, --resume, --set -------------------------------------------

const linearModel = (run = "run fit { minimize L; on d.train; by opt; steps 60; eval d.val; every 10; test d.test }") => `data d = blobs(classes=3, points=80, dims=5, seed=4, spread=2) { val 40; test 60; center; bias_trick }
hyper reg = 1e-3
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)
optimizer opt = momentum { lr 0.01, batch 32 }
${run}
`;

/** The test split as the run saw it (prepared as the CLI prepares it), written as .npy for NumPy. */
async function exportTestSplit(text: string, folder: string): Promise<{ X: Float32Array; y: Int32Array; n: number; d: number }> {
  const prepared = await prepareRuns(text, dataLoader({ baseDirectory: folder }));
  assert.ok(prepared.ok);
  const split = prepared.data("d")?.test;
  assert.ok(split);
  const X = leadingRows(split, split.n);
  writeFileSync(join(folder, "x_test.npy"), npyBytes([split.n, split.d], X));
  writeFileSync(join(folder, "y_test.npy"), npyBytes([split.n], Float32Array.from(split.y)));
  return { X, y: split.y.subarray(0, split.n), n: split.n, d: split.d };
}

/** A Python with NumPy: the export test's environment (npm test sets it up), else the machine's python3. */
function numpyPython(): string {
  const venv = join(repoRoot, ".cache", "jax-venv", "bin", "python");
  return existsSync(venv) ? venv : "python3";
}

test("after optim train, the saved best weights give the test accuracy the run reports, in Node and in NumPy", async () => {
  const folder = scratchFolder("cli-weights");
  const file = join(folder, "fit.optim");
  const text = linearModel();
  writeFileSync(file, text);
  const result = await run(["train", "--json", file]);
  assert.equal(result.code, 0, result.stderr);
  const [report] = JSON.parse(result.stdout).runs;
  assert.equal(report.reportedWeights, "best");
  assert.equal(report.reportedStep, report.best.step);
  const final = JSON.parse(readFileSync(join(report.folder, "final.json"), "utf8"));
  assert.equal(final.reportedWeights, "best");
  assert.equal(final.final.testAccuracy, report.final.testAccuracy);
  const reported = report.final.testAccuracy as number;
  assert.ok(reported > 0.5, `test accuracy ${reported}`);

  const test = await exportTestSplit(text, folder);
  const W = await loadNpyInputs(join(report.folder, "weights", "best", "W.npy"));
  assert.ok(W.ok);
  const [classes, d] = W.value.shape;
  assert.equal(d, test.d);
  let correct = 0;
  for (let i = 0; i < test.n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let score = 0;
      for (let k = 0; k < d; k++) score += test.X[i * d + k] * W.value.X[c * d + k];
      if (score > bestScore) [best, bestScore] = [c, score];
    }
    if (best === test.y[i]) correct++;
  }
  assert.equal(correct / test.n, reported, "Node, from the .npy files");

  const script = `import json, sys, numpy as np
folder, run = sys.argv[1], sys.argv[2]
meta = json.load(open(run + "/meta.json"))
files = {p["name"]: p["file"] for p in meta["params"]}
W = np.load(run + "/weights/best/" + files["W"])
X = np.load(folder + "/x_test.npy").astype(np.float64)
y = np.load(folder + "/y_test.npy").astype(np.int64)
print(json.dumps({"dtype": str(W.dtype), "shape": list(W.shape), "accuracy": float(np.mean(np.argmax(X @ W.T.astype(np.float64), axis=1) == y))}))
`;
  writeFileSync(join(folder, "accuracy.py"), script);
  const python = spawnSync(numpyPython(), [join(folder, "accuracy.py"), folder, report.folder], { encoding: "utf8" });
  assert.equal(python.status, 0, `${python.stderr}${python.error ? python.error.message : ""} (npm test installs NumPy in .cache/jax-venv)`);
  const numpy = JSON.parse(python.stdout);
  assert.deepEqual({ dtype: numpy.dtype, shape: numpy.shape }, { dtype: "float32", shape: [classes, d] });
  assert.equal(numpy.accuracy, reported, "NumPy, from the .npy files");
});

test("--resume goes on with a saved run in its folder, with its seed, and says which weights its figures are from", async () => {
  const folder = scratchFolder("cli-resume");
  const file = join(folder, "fit.optim");
  writeFileSync(file, linearModel("run fit { minimize L; on d.train; by opt; steps 30; eval d.val; every 10; test d.test; seed 3 }"));
  const whole = await run(["train", "--json", "--seed", "5", "--set", "fit.steps=60", file]);
  assert.equal(whole.code, 0, whole.stderr);
  const short = await run(["train", "--json", "--seed", "5", file]);
  const shortFolder = JSON.parse(short.stdout).runs[0].folder as string;
  const resumed = await run(["train", "--resume", shortFolder, "--set", "fit.steps=60", file]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /warning: fit\.optim or its --set values changed since .* was saved/);
  assert.match(resumed.stdout, /seed 5, resumed at step 30/);
  assert.match(resumed.stdout, /figures from the best weights \(step \d+\); saved in /);
  const curve = (runFolder: string) => readFileSync(join(runFolder, "curve.csv"), "utf8").trim().split("\n").slice(1).map((line) => line.split(",").filter((_, i) => i !== 2).join(","));
  // Past the step it went on from, the curve is the uninterrupted run's (before it, the short run evaluated its last step).
  assert.deepEqual(curve(shortFolder).slice(30), curve(JSON.parse(whole.stdout).runs[0].folder).slice(30));
  assert.equal(curve(shortFolder).length, 60);
  const other = await run(["train", "--resume", shortFolder, "--seed", "6", file]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /the saved run used seed 5/);
  const nowhere = await run(["train", "--resume", join(folder, "nowhere"), file]);
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.stderr, /^optim: --resume: .*nowhere is not a run's folder/);
});

test("--set overrides a hyper and an optimizer's or run's setting, and a wrong name gets a suggestion", async () => {
  const folder = scratchFolder("cli-set");
  const file = join(folder, "fit.optim");
  writeFileSync(file, linearModel("run fit { minimize L; on d.train; by opt; steps 5 }"));
  const set = await run(["train", "--json", "--set", "reg=0.5", "--set", "opt.lr=0.002", "--set", "opt.mu=0.5", "--set", "fit.steps=3", file]);
  assert.equal(set.code, 0, set.stderr);
  const [report] = JSON.parse(set.stdout).runs;
  assert.equal(report.steps, 3);
  assert.match(report.description, /by momentum, lr 0\.002, batch 32 for 3 steps/);
  assert.deepEqual(JSON.parse(readFileSync(join(report.folder, "meta.json"), "utf8")).overrides, { reg: 0.5, "opt.lr": 0.002, "opt.mu": 0.5, "fit.steps": 3 });
  // The same run without the hyper overridden ends elsewhere.
  const plain = await run(["train", "--json", "--set", "opt.lr=0.002", "--set", "opt.mu=0.5", "--set", "fit.steps=3", file]);
  assert.notEqual(JSON.parse(plain.stdout).runs[0].final.trainLoss, report.final.trainLoss);
  const cases: [string, RegExp][] = [
    ["rge=1", /^optim: --set rge: there is no hyper named 'rge'; did you mean 'reg'\?\n$/],
    ["op.lr=1", /^optim: --set op\.lr: there is no optimizer or experiment named 'op'; did you mean 'opt\.lr'\?\n$/],
    ["opt.rl=1", /^optim: --set opt\.rl: optimizer opt has no setting 'rl'; did you mean 'opt\.lr'\?\n$/],
    ["reg=big", /^optim: --set reg: 'big' is not a number\n$/],
    ["reg", /^optim: --set takes NAME=VALUE/],
  ];
  for (const [given, message] of cases) {
    const wrong = await run(["train", "--set", given, file]);
    assert.equal(wrong.code, 2, given);
    assert.match(wrong.stderr, message, given);
  }
  const sweep = await run(["sweep", "--set", "rge=1", file]);
  assert.equal(sweep.code, 2);
  assert.match(sweep.stderr, /did you mean 'reg'/);
});

test("search prints its trials best first with the best values, saves them, and names what it cannot find", async () => {
  const file = join(directory, "search.optim");
  writeFileSync(file, `data d = blobs(classes=3, points=30, dims=2, seed=3) { val 20 }
hyper reg = 1e-3
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + reg * sum(W^2)
optimizer opt = sgd { lr 0.1, batch 10 }
search tune { minimize L; on d.train; by opt; steps 10; eval d.val; every 5; trials 3; reg 1e-4 .. 1e-1; lr [0.01, 0.1, 1] }
`);
  const result = await run(["search", file]);
  assert.equal(result.code, 0, result.stderr);
  const table = result.stdout.split("\n");
  const header = table.findIndex((line) => /^ {2}rank +reg +opt\.lr +eval acc +eval loss +test acc +test loss +status$/.test(line));
  assert.ok(header > 0, result.stdout);
  const rows = table.slice(header + 1, header + 4).map((line) => line.trim().split(/ +/));
  assert.deepEqual(rows.map((row) => row[0]), ["1", "2", "3"]);
  const accuracies = rows.map((row) => Number(row[3]));
  assert.deepEqual(accuracies, [...accuracies].sort((a, b) => b - a));
  assert.equal(table[header + 4], `  best: reg ${rows[0][1]}, opt.lr ${rows[0][2]} (eval accuracy ${rows[0][3]})`);
  const folder = /saved in (.+)$/m.exec(result.stdout)?.[1] ?? "";
  assert.ok(existsSync(join(folder, "search.csv")));

  const json = JSON.parse((await run(["search", file, "--json", "--set", "tune.trials=2"])).stdout);
  assert.equal(json.searches[0].name, "tune");
  assert.equal(json.searches[0].trials.length, 2);
  const listed = await run(["runs", join(directory, "runs"), "--json"]);
  assert.ok(JSON.parse(listed.stdout).runs.some((entry: { kind: string; run: string }) => entry.kind === "search" && entry.run === "tune"));

  assert.equal((await run(["search", file, "--search", "nope"])).stderr, `${file}:1:1: error: no search named nope\n`);
  const misused = await run(["train", file, "--search", "tune"]);
  assert.equal(misused.code, 2);
  assert.equal(misused.stderr, "optim train: --search names a search (optim search)\n");
});
