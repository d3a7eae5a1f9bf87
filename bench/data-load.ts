// Load time of Fashion-MNIST's 60,000 training images into a normalised
// float32 matrix (pixels × 1/255), the data step before every training run.
// Target: median ≤ 0.6 s (NumPy's gzip + frombuffer + astype takes ~1.4 s).
//   npx esbuild bench/data-load.ts --bundle --platform=node --outfile=/tmp/bench-data.js && node /tmp/bench-data.js [folder] [--json]
import { findIdxFiles, loadIdxPair } from "../server/src/data/idx";

const folder = process.argv.slice(2).find((arg) => !arg.startsWith("--")) ?? "/usr/share/datasets/fashion-mnist";
const runs = 7;

async function main(): Promise<void> {
  const files = await findIdxFiles(folder);
  if (!files.ok) {
    console.error(`${files.error.message}\n(install it with: apt-get install dataset-fashion-mnist)`);
    process.exit(1);
  }
  const times: number[] = [];
  let shape = "";
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const loaded = await loadIdxPair(files.value.trainImages, files.value.trainLabels, { scale: 1 / 255 });
    if (!loaded.ok) {
      console.error(loaded.error.message);
      process.exit(1);
    }
    // The images stay bytes until their float32 matrix is read: reading it is part of the workload.
    if (loaded.value.X.length !== loaded.value.n * loaded.value.d) throw new Error("the matrix has the wrong size");
    times.push((performance.now() - started) / 1000);
    shape = `${loaded.value.n}×${loaded.value.d} float32, ${loaded.value.classes} classes`;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const result = { median: sorted[Math.floor(runs / 2)], min: sorted[0], max: sorted[runs - 1], runs };
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`Fashion-MNIST train images → ${shape}`);
  console.log(`runs: ${times.map((t) => t.toFixed(3)).join(" ")} s`);
  console.log(`median ${result.median.toFixed(3)} s, min ${result.min.toFixed(3)} s, max ${result.max.toFixed(3)} s (target ≤ 0.600 s)`);
}

void main();
