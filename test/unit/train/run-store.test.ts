// A run's folder under runs/: two runs of one name started in the same second
// each get a folder of their own, and neither writes over the other's files.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RunStore, type RunMeta } from "../../../server/src/train/run-store";

test("runs of one name started in the same second keep folders of their own", (t) => {
  const runs = join(mkdtempSync(join(tmpdir(), "optim-runs-")), "runs");
  t.after(() => rmSync(join(runs, ".."), { recursive: true, force: true }));
  const meta = (file: string): RunMeta => ({ run: "fit", file, description: "", seed: 0, backend: "kernels", specHash: "", started: "2026-11-25T08:01:12.345Z" });
  const first = new RunStore(runs, meta("short.optim"));
  first.add({ step: 0, epoch: 1, seconds: 0.1, loss: 2.5 });
  first.finish({ status: "finished", steps: 1, reported: { weights: "final", step: 0 }, final: { trainLoss: 2.5 } });
  const second = new RunStore(runs, meta("long.optim"));
  second.add({ step: 0, epoch: 1, seconds: 0.1, loss: 9.5 });
  const third = new RunStore(runs, meta("other.optim"));
  assert.deepEqual(readdirSync(runs).sort(), ["fit-20261125-080112", "fit-20261125-080112-2", "fit-20261125-080112-3"]);
  assert.deepEqual([first.folder, second.folder, third.folder].map((folder) => JSON.parse(readFileSync(join(folder, "meta.json"), "utf8")).file), ["short.optim", "long.optim", "other.optim"]);
  // The first run's curve and ending are as it left them.
  assert.equal(readFileSync(join(first.folder, "curve.csv"), "utf8").trim().split("\n").length, 2);
  assert.match(readFileSync(join(first.folder, "curve.csv"), "utf8"), /^0,1,0\.1,2\.5,/m);
  assert.equal(JSON.parse(readFileSync(join(first.folder, "final.json"), "utf8")).status, "finished");
});
