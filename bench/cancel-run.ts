// How long a run takes to stop after its request is cancelled, through the
// real server: a two-layer net on the spiral by default, or the first run of
// the file given (e.g. an SVM on Fashion-MNIST).
//   node scripts/build.mjs && npx esbuild bench/cancel-run.ts --bundle --platform=node --outfile=out/bench/cancel-run.js && node out/bench/cancel-run.js [FILE RUN]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import type { RunExperimentRequest } from "../server/src/protocol";
import { LspTestClient } from "../test/support/lsp-client";
import { scratchFolder } from "../test/support/scratch";

async function main(): Promise<void> {
  const client = new LspTestClient();
  await client.initialize();
  const [file, runName] = process.argv.slice(2);
  const uri = pathToFileURL(file ?? join(scratchFolder("cancel"), "long.optim")).toString();
  const name = runName ?? "fit";
  await client.open(uri, file ? readFileSync(file, "utf8") : `data d = spiral(classes=3, points=60, seed=2) { train 150, val 30 }
param W1: [50, D] = he
param W2: [C, 50] = xavier
score s = relu(X @ W1^T) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = adam { lr 1e-2, batch 30 }
run fit { minimize L; on d.train; by opt; steps 10000000; eval d.val; every 50 }
`);
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const cancel = new CancellationTokenSource();
    const pending = client.connection.sendRequest("optim/runExperiment", { uri, name }, cancel.token) as Promise<RunExperimentRequest.Result>;
    // Cancel once the run is under way.
    await client.waitFor("optim/runProgress", (params: { uri: string; point: { step: number } }) => params.uri === uri && params.point.step >= 50 * (round + 1), 120_000);
    const started = performance.now();
    cancel.cancel();
    const result = await pending;
    times.push(performance.now() - started);
    if (result.status !== "cancelled") throw new Error(result.message);
  }
  await client.shutdown();
  times.sort((a, b) => a - b);
  console.log(`cancel to stopped: median ${times[2].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[4].toFixed(0)}), target 200 ms`);
}

main().catch((failure: unknown) => {
  console.error(failure);
  process.exit(1);
});
