// Real results for the panel tests, made the way the extension gets them:
// the real server trains, sweeps, slices and checks on Fashion-MNIST, and the
// test keeps what it sends (the run's progress notifications and the
// requests' results).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { CheckResults, PreviewDataRequest, RunExperimentRequest, RunPoint, RunProgressNotification } from "../../server/src/protocol";
import { repoRoot } from "../support/fixtures";
import { LspTestClient } from "../support/lsp-client";

export const fashionMnist = "/usr/share/datasets/fashion-mnist";

const labDocument = `data images = idx("${fashionMnist}") { train 59000, val 1000; scale 1/255; center; bias_trick }
hyper reg = 1e-4
param W: [C, D] = randn * 0.0001
score s = X @ W^T
loss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)
optimizer minibatch = sgd { lr 1e-2, batch 256 }
optimizer huge = sgd { lr 1e4, batch 256 }
run svm { minimize L; on images.train; first 5000; by minibatch; steps 240; eval images.val; every 20 }
run too_fast { minimize L; on images.train; first 5000; by huge; steps 240; eval images.val; every 20 }
sweep step_sizes { minimize L; on images.train; first 1000; by minibatch; lr 1e-7 .. 1e2; points 10; steps 1 }
landscape ray { of L; on images.train; first 100; directions 1; range -1 .. 1; points 101 }
landscape path { of L; on images.train; first 500; directions 2; range -0.5 .. 1.5; points 31; trajectory svm }
`;

export interface TrainedRun {
  name: string;
  seed: number;
  points: RunPoint[];
  result: RunExperimentRequest.Result;
}

export interface RealResults {
  runs: TrainedRun[];
  sweep: RunExperimentRequest.Result;
  ray: RunExperimentRequest.Result;
  plane: RunExperimentRequest.Result;
  checks: CheckResults;
  /** The data preview of the lab document's Fashion-MNIST. */
  preview: PreviewDataRequest.Result;
}

export async function makeRealResults(): Promise<RealResults> {
  const client = new LspTestClient();
  try {
    const workspace = mkdtempSync(join(tmpdir(), "optim-panels-"));
    await client.initialize();
    const labUri = pathToFileURL(join(workspace, "lab.optim")).toString();
    writeFileSync(join(workspace, "lab.optim"), labDocument);
    await client.open(labUri, labDocument);
    const run = (name: string, seed = 1) => client.connection.sendRequest("optim/runExperiment", { uri: labUri, name, seed }) as Promise<RunExperimentRequest.Result>;
    const runs: TrainedRun[] = [];
    // svm runs twice, with another seed the second time, as a run started twice does.
    for (const [name, seed] of [["svm", 1], ["too_fast", 1], ["svm", 2]] as const) {
      const earlier = client.received<RunProgressNotification.Params>("optim/runProgress").length;
      const result = await run(name, seed);
      if (result.status === "failed") throw new Error(result.message);
      const points = client.received<RunProgressNotification.Params>("optim/runProgress").slice(earlier).filter((params) => params.run === name).flatMap((params) => params.points);
      runs.push({ name, seed, points, result });
    }
    const sweep = await run("step_sizes");
    const ray = await run("ray");
    const plane = await run("path");
    for (const result of [sweep, ray, plane]) if (result.status !== "finished") throw new Error(result.message);

    const checkedUri = pathToFileURL(join(workspace, "05-gradient-check.optim")).toString();
    const checkedText = readFileSync(join(repoRoot, "examples", "05-gradient-check.optim"), "utf8");
    await client.open(checkedUri, checkedText);
    const checks = (await client.connection.sendRequest("optim/checkGradients", { uri: checkedUri })) as CheckResults;
    const preview = (await client.connection.sendRequest("optim/previewData", { uri: labUri, name: "images" })) as PreviewDataRequest.Result;
    return { runs, sweep, ray, plane, checks, preview };
  } finally {
    await client.shutdown();
  }
}
