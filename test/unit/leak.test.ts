// Leaks: cycles of edit, then check, then a short run, through the same code
// the server and its worker run (analysis, the gradient-check job, the
// training job with its run folder), each run once on the kernel executor
// (the default) and once on TensorFlow.js. After warm-up the TensorFlow.js
// tensor count and the kernel memory in use must come back to where they
// were, the kernel memory must not grow, and the heap after a full
// collection may grow by less than 10%.
// LEAK_CYCLES sets the number of cycles (the full run, 1,000: `npm run reliability:full`).
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { analyze } from "../../server/src/analysis/analyze";
import { loadTfjs } from "../../server/src/engine/tfjs-executor";
import { loadKernels } from "../../server/src/train/executors";
import { dataLoader } from "../../server/src/worker/load-examples";
import { defaultCheckSettings, runCheck } from "../../server/src/worker/run-check";
import { runTraining } from "../../server/src/worker/run-training";
import { recordFigures } from "../support/figures";
import { repoRoot } from "../support/fixtures";

const cycles = Number(process.env.LEAK_CYCLES ?? 200);
const warmUp = 100;

// A full collection on demand, without starting node with --expose-gc.
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;

/** Heap in use after full collections, in bytes. */
function settledHeap(): number {
  for (let i = 0; i < 3; i++) collect();
  return process.memoryUsage().heapUsed;
}

/** The document after edit number `cycle`: a new regularisation strength, and a grad that is right on even cycles. */
function documentAt(cycle: number): string {
  return `data d = blobs(classes=3, points=30, dims=5) { bias_trick }
hyper reg = ${(cycle + 1) / 1000}
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * sum(W^2)
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X${cycle % 2 === 0 ? " / N" : ""} + reg * W
optimizer opt = sgd { lr 0.1, batch 16 }
run r { minimize L; on d.train; by opt; steps 5 }
`;
}

test(`${cycles} cycles of edit, check and run on both executors: tensors and kernel memory back to baseline, heap growth under 10%`, { timeout: Math.max(300_000, cycles * 2_000) }, async (t) => {
  const runsFolder = mkdtempSync(join(tmpdir(), "optim-leak-"));
  t.after(() => rmSync(runsFolder, { recursive: true, force: true }));
  const wasmDirectory = join(repoRoot, "dist");
  const { tf, backend } = await loadTfjs("wasm", wasmDirectory);
  const { kernels } = loadKernels();
  const load = dataLoader({ baseDirectory: runsFolder });
  let failedChecks = 0;

  async function cycle(index: number): Promise<void> {
    const text = documentAt(index);
    // The server's part: analysis of the edited text.
    const analysis = analyze(text);
    assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error"), []);
    // The worker's part: the gradient check after the edit, then a short run.
    const checked = await runCheck(text, defaultCheckSettings, load);
    const verdict = checked.report?.grads[0]?.check?.verdict;
    assert.ok(verdict, `cycle ${index} checked the grad`);
    if (verdict === "error") failedChecks++;
    for (const executor of ["kernels", backend] as const) {
      const outcome = await runTraining({ type: "train", id: index, slot: 0, uri: "file:///leak.optim", text, baseDirectory: runsFolder, maxDataBytes: 1 << 30, run: "r", backend: executor, runsFolder }, wasmDirectory, () => undefined, () => false);
      assert.equal(outcome.status, "finished", outcome.message);
      assert.equal(outcome.backend, executor);
    }
  }

  /** Tensor ids only grow: the id of a new tensor counts every tensor made before it. */
  function tensorsMade(): number {
    const probe = tf.scalar(0);
    probe.dispose();
    return probe.id;
  }

  for (let index = 0; index < warmUp; index++) await cycle(index);
  const tensorsBefore = tf.memory().numTensors;
  const kernelsBefore = kernels.usage();
  const madeBefore = tensorsMade();
  const heapBefore = settledHeap();
  for (let index = warmUp; index < warmUp + cycles; index++) await cycle(index);
  const tensorsAfter = tf.memory().numTensors;
  const kernelsAfter = kernels.usage();
  const made = tensorsMade() - madeBefore - 1;
  const heapAfter = settledHeap();
  const growth = (heapAfter - heapBefore) / heapBefore;

  const megabytes = (bytes: number) => Math.round(bytes / 1e5) / 10;
  recordFigures("leak", { cycles, warmUp, backend, tensorsBefore, tensorsAfter, tensorsMade: made, heapBeforeMB: megabytes(heapBefore), heapAfterMB: megabytes(heapAfter), growthPercent: Math.round(growth * 1000) / 10, runFolders: readdirSync(runsFolder).length, kernelBytesInUse: kernelsAfter.allocated, kernelMemoryMB: megabytes(kernelsAfter.size) });
  t.diagnostic(`${cycles} cycles on kernels and ${backend}: kernel memory ${kernelsBefore.allocated} -> ${kernelsAfter.allocated} bytes in use of ${megabytes(kernelsAfter.size)} MB; tensors ${tensorsBefore} -> ${tensorsAfter} (${made} made and disposed); heap ${megabytes(heapBefore)} MB -> ${megabytes(heapAfter)} MB (${(growth * 100).toFixed(1)}%)`);
  // Half the edits make the grad wrong, and the check says so each time.
  assert.equal(failedChecks, Math.ceil((warmUp + cycles) / 2));
  assert.ok(made > cycles, "the runs did make tensors");
  assert.equal(tensorsAfter, tensorsBefore, "every tensor a cycle made was disposed");
  assert.equal(kernelsAfter.allocated, kernelsBefore.allocated, "every run released the kernel memory it took");
  assert.equal(kernelsAfter.size, kernelsBefore.size, "the kernel memory did not grow after warm-up");
  assert.ok(growth < 0.1, `the heap grew by ${(growth * 100).toFixed(1)}%, from ${megabytes(heapBefore)} MB to ${megabytes(heapAfter)} MB`);
});
