// The order a search's trials are shown in, best first: higher evaluation
// accuracy, then lower evaluation loss (a loss without a score has no
// accuracy), then the order they were drawn in; failed trials last. Free of
// the engine, so the extension ranks the trials that arrive with it.
import type { TrialResult } from "./search";

export function rankTrials(trials: readonly TrialResult[]): TrialResult[] {
  const key = (trial: TrialResult) => (trial.status === "failed" || trial.evalAccuracy === undefined || !Number.isFinite(trial.evalAccuracy) ? -Infinity : trial.evalAccuracy);
  const loss = (trial: TrialResult) => (trial.status === "failed" || trial.evalLoss === undefined || !Number.isFinite(trial.evalLoss) ? Infinity : trial.evalLoss);
  return [...trials].sort((a, b) => key(b) - key(a) || loss(a) - loss(b) || a.index - b.index);
}
