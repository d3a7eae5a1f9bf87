// The real Fashion-MNIST, from the Debian package dataset-fashion-mnist. A
// missing package fails the test (it never skips), so a machine without the
// data cannot pass unnoticed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { test } from "node:test";
import { analyze } from "../../../server/src/analysis/analyze";
import { loadIdxFolder } from "../../../server/src/data/idx";
import { summarize } from "../../../server/src/data/prepare";
import { dataLoader } from "../../../server/src/worker/load-examples";
import type { DataDeclaration } from "../../../server/src/worker/run-check";
import { expectValue } from "./write-data";

const INSTALL = "Fashion-MNIST is missing: install it with `apt-get install dataset-fashion-mnist`";

/** The package's folder, as dpkg lists it. */
function fashionMnistFolder(): string {
  let listing = "";
  try {
    listing = execFileSync("dpkg", ["-L", "dataset-fashion-mnist"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    assert.fail(INSTALL);
  }
  const images = listing.split("\n").find((line) => /\/train-images-idx3-ubyte(\.gz)?$/.test(line.trim()));
  if (!images || !existsSync(images.trim())) assert.fail(INSTALL);
  return dirname(images.trim());
}

test("Fashion-MNIST loads with its published shapes and label counts", async () => {
  const folder = fashionMnistFolder();
  const { train, test: testSet } = expectValue(await loadIdxFolder(folder, { scale: 1 / 255 }));
  assert.ok(testSet, "the t10k files are part of the package");
  assert.deepEqual([train.n, train.d, train.classes], [60000, 784, 10]);
  assert.deepEqual([testSet.n, testSet.d, testSet.classes], [10000, 784, 10]);
  assert.deepEqual(train.image, { height: 28, width: 28, channels: 1 });
  const trainSummary = summarize(train);
  assert.deepEqual(trainSummary.classCounts, new Array(10).fill(6000));
  assert.deepEqual(summarize(testSet).classCounts, new Array(10).fill(1000));
  assert.deepEqual([trainSummary.min, trainSummary.max], [0, 1]);
  // The normalisation constants everyone uses for Fashion-MNIST: mean 0.2860, std 0.3530.
  assert.ok(Math.abs(trainSummary.mean - 0.286) < 5e-4, `mean ${trainSummary.mean}`);
  assert.ok(Math.abs(trainSummary.std - 0.353) < 5e-4, `std ${trainSummary.std}`);
});

test("Fashion-MNIST's test split given by file, as a prefix or as the images file, is its 10,000 test images", async () => {
  const folder = fashionMnistFolder();
  const load = dataLoader({ baseDirectory: folder });
  for (const test of ['"t10k"', '"t10k-images-idx3-ubyte.gz"']) {
    const text = `data fmnist = idx(${JSON.stringify(folder)}) { train 59000, val 1000, test ${test}; scale 1/255; center; bias_trick }`;
    const declaration = analyze(text).document.declarations.find((candidate): candidate is DataDeclaration => candidate.kind === "data");
    assert.ok(declaration);
    const loaded = await load(declaration);
    if (!loaded.ok) assert.fail(loaded.message);
    const { train, val, test: testSet } = loaded.splits;
    assert.ok(val && testSet);
    assert.deepEqual([train.n, val.n, testSet.n], [59000, 1000, 10000], test);
    assert.deepEqual([testSet.d, testSet.classes], [785, 10], "the bias trick applies to the test split too");
    assert.deepEqual(summarize(testSet).classCounts, new Array(10).fill(1000), test);
    // The bias column is 1, and the features were centred with the training mean, not the test mean.
    assert.equal(testSet.X[784], 1);
    assert.ok(Math.abs(summarize(train).mean - 1 / 785) < 1e-6);
    assert.ok(Math.abs(summarize(testSet).mean - 1 / 785) > 1e-5, "the test split's own mean was not subtracted");
  }
});
