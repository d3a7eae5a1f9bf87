// Every example runs to completion through the CLI: its checks, gradient
// checks, runs, searches (hyperparameter searches shortened), sweeps and
// landscapes, on the real Fashion-MNIST.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/fixtures";
import { scratchFolder } from "../support/scratch";

const examples = readdirSync(join(repoRoot, "examples")).filter((file) => file.endsWith(".optim")).sort();
// Copies, so the runs they save stay out of the repository.
const scratch = scratchFolder("examples");

function optim(args: string[]) {
  const result = spawnSync(process.execPath, [join(repoRoot, "bin", "optim.js"), ...args], { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

for (const example of examples) {
  test(`example ${example} runs to completion`, () => {
    const file = join(scratch, example);
    let text = readFileSync(join(repoRoot, "examples", example), "utf8");
    // 15 trains a convnet for epochs on the whole training set: here a few steps on a few hundred images show that it runs.
    if (example.startsWith("15")) text = text.replace(/\{ train 59000, val 1000;/, "{ train 59000, val 1000; first 300;").replace(/epochs \d+; eval images\.val; every \d+; test images\.test/, "steps 3; eval images.val; every 2; test images.test");
    if (example.startsWith("15")) assert.match(text, /first 300;[^]*steps 3;/, "the short run replaced the long one");
    writeFileSync(file, text);
    assert.equal(optim(["check", file]).status, 0);
    const kinds = new Set(text.split("\n").map((line) => line.split(/\s+/)[0]));
    if (kinds.has("grad") || kinds.has("gradcheck")) {
      const checked = optim(["gradcheck", file]);
      // 05 keeps a deliberately wrong gradient beside the right one.
      if (example.startsWith("05")) {
        assert.equal(checked.status, 1, checked.output);
        assert.match(checked.output, /dL\/dW +ok/);
        assert.match(checked.output, /dL_again\/dW +error/);
      } else if (example.startsWith("11")) {
        // 11 keeps one wrong link of a backward pass: it is the one error, and the links after it inherit it.
        assert.equal(checked.status, 1, checked.output);
        assert.match(checked.output, /dL\/dz1 +error/);
        assert.match(checked.output, /dL\/dW1 +inherited .*wrong because dL\/dz1 \(line \d+\), which it uses, is wrong/);
        assert.match(checked.output, /dL\/dh +ok/);
        assert.match(checked.output, /7 grads checked: 1 failed/);
      } else if (example.startsWith("12")) {
        // 12's backward pass goes through batch normalization and dropout: every link checks.
        assert.equal(checked.status, 0, checked.output);
        assert.match(checked.output, /dL\/dz1 +ok/);
        assert.match(checked.output, /dL\/dh1 +ok/);
        assert.match(checked.output, /19 grads checked: 0 failed/);
      } else if (example.startsWith("14")) {
        // 14 writes a convolution and max pooling backward by hand, with the pooling's mask forgotten beside it.
        assert.equal(checked.status, 1, checked.output);
        for (const link of ["dL/dp", "dL/da", "dL/dz", "dL/dK", "dL/dc", "dL/dx"]) assert.match(checked.output, new RegExp(`${link} +ok`));
        assert.match(checked.output, /dL_again\/da error .*sent to every element of its window/);
      } else assert.equal(checked.status, 0, checked.output);
    }
    for (const [kind, command] of [["run", "train"], ["run", "search"], ["sweep", "sweep"], ["landscape", "landscape"]]) {
      if (!kinds.has(kind)) continue;
      const ran = optim([command, file]);
      if (/:1:1: error: no (training|search) runs$/m.test(ran.output)) continue;
      assert.equal(ran.status, 0, ran.output);
      assert.match(ran.output, /saved in /);
      if (example.startsWith("12") && command === "train") {
        // Evaluated with the running averages and without masks, it reaches 88% on the test set.
        const accuracy = Number(/test loss [\d.]+ accuracy ([\d.]+)/.exec(ran.output)?.[1]);
        assert.ok(accuracy >= 0.88, `test accuracy ${accuracy}\n${ran.output}`);
        // The running averages are weights: the run's summary leaves them out.
        const folder = /saved in (.+?)(?: \(weights in [^)]*\))?$/m.exec(ran.output)?.[1] ?? "";
        const final = JSON.parse(readFileSync(join(folder, "final.json"), "utf8"));
        assert.equal(final.final.testAccuracy, accuracy);
        assert.equal("statistics" in final, false);
      }
    }
    // A search runs here shortened (two trials on the first examples); its full length is measured in docs/cli.md.
    for (const search of text.matchAll(/^search (\w+)/gm)) {
      const ran = optim(["search", file, "--search", search[1], "--set", `${search[1]}.trials=2`, "--set", `${search[1]}.first=2000`]);
      assert.equal(ran.status, 0, ran.output);
      assert.match(ran.output, /^ {2}best: .*\(eval accuracy [\d.]+, test accuracy [\d.]+\)$/m);
      assert.match(ran.output, /saved in /);
    }
  });
}
