// Editor latency on a large document: full analysis (what an edit costs
// before diagnostics are published) and completion, median after warm-up.
//   npx esbuild bench/editor.ts --bundle --platform=node --outfile=out/bench/editor.js && node out/bench/editor.js [--json]
import { analyze } from "../server/src/analysis/analyze";
import { completionsAt } from "../server/src/features/completion";
import { hoverAt } from "../server/src/features/hover";

/** A realistic document of about `lines` lines: a data set and many small models. */
export function largeDocument(lines: number): string {
  const parts = ['data d = spiral(classes=3, points=100) { bias_trick }', "hyper reg = 1e-3", "optimizer opt = adam { lr 1e-3, batch 64 }"];
  let i = 0;
  while (parts.length < lines) {
    parts.push(
      `# model ${i}`,
      `param W${i}: [C, D] = randn * 0.001`,
      `score s${i} = X @ W${i}^T`,
      `loss L${i} = mean(sum(max(0, s${i} - s${i}[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W${i}^2)`,
      `grad dL${i}/dW${i} = ((s${i} - s${i}[y] + 1 > 0) * (1 - onehot(y)) - onehot(y) * sum((s${i} - s${i}[y] + 1 > 0) * (1 - onehot(y)), axis=1))^T @ X / N + reg * W${i}`,
      `run r${i} {`,
      `  minimize L${i}`,
      `  on d.train`,
      `  by opt`,
      `  steps 100`,
      `}`,
    );
    i++;
  }
  return parts.slice(0, lines).join("\n") + "\n";
}

function measure(runs: number, action: () => void): { median: number; min: number; max: number } {
  for (let i = 0; i < 5; i++) action();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    action();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}

const text = largeDocument(2000);
const analysis = analyze(text);
// Each measured analysis follows an edit in the middle of the document that
// shifts everything after it, as typing does.
const middle = text.indexOf("# model 90");
let round = 0;
const edited = () => `${text.slice(0, middle)}hyper typed${round} = ${round++}\n${text.slice(middle)}`;
const completionOffset = text.indexOf("loss L90 = ") + "loss L90 = ".length;
const results = [
  { workload: "W7 diagnostics after an edit, 2,000-line document", target: 30, ...measure(30, () => analyze(edited())) },
  { workload: "completion in a 2,000-line document", target: 20, ...measure(50, () => completionsAt(analysis, text, completionOffset)) },
  { workload: "hover in a 2,000-line document", target: 20, ...measure(50, () => hoverAt(analysis, text, completionOffset - 5)) },
];
if (process.argv.includes("--json")) {
  for (const result of results) console.log(JSON.stringify(result));
} else {
  for (const result of results) {
    console.log(`${result.workload}: median ${result.median.toFixed(1)} ms (min ${result.min.toFixed(1)}, max ${result.max.toFixed(1)}), target ${result.target} ms${result.median <= result.target ? "" : "  ** over target **"}`);
  }
}
