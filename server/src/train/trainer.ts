// Training: the strategies of the notes (random search, random local search,
// following the gradient with any optimizer and schedule) on either training
// executor. Plain data in and out: the caller supplies the compiled graphs,
// the examples, and where progress goes; the loop polls for cancellation
// between steps, stops on divergence and, with a patience, when evaluations
// stop improving. It hands out checkpoints as it goes (the best weights, and
// where it stands, with everything needed to go on from there exactly); a
// spec with a resume state goes on from one.
import type { Graph } from "../engine/ir";
import type { RandomSource } from "../engine/gradcheck";
import { bindExamples, type BoundExamples, type TrainingRuntime } from "./executors";
import { createParamStore, type OptimizerArrays } from "./param-store";
import { createBatchSampler } from "../data/batches";
import { createOptimizer } from "./optimizers";
import { stepSize, type ScheduleSpec } from "./schedules";
import { createRunningStatistics } from "./running-statistics";
import { ConfusionCounter, runConfusion, type RunConfusion } from "./confusion";
import type { FilterPlan } from "./filters";
import type { TemplatePlan } from "./templates";

export interface TrainExamples {
  X: Float32Array;
  y: Int32Array;
  n: number;
  d: number;
}

export type Strategy =
  | { kind: "gradient"; rule: string; settings: Record<string, number>; lr: number; batch?: number; schedule: ScheduleSpec }
  | { kind: "random_search"; tries: number; scale: number }
  | { kind: "random_local_search"; steps: number; step: number };

export interface TrainSpec {
  loss: Graph;
  /** The score graph, for accuracy (argmax of each row); absent when the loss has no [N, C] score. */
  score?: Graph;
  params: Map<string, Float32Array>;
  shapes: Map<string, number[]>;
  train: TrainExamples;
  evaluation?: TrainExamples;
  test?: TrainExamples;
  strategy: Strategy;
  /** Gradient steps (or tries, or search steps). */
  steps: number;
  evalEvery: number;
  random: (stream: string) => RandomSource;
  /** How slowly the running averages of batch statistics follow the batches (`bn_momentum`); 0.9 when absent. */
  bnMomentum?: number;
  /** Stop when this many evaluations in a row have not improved on the best. */
  patience?: number;
  /** The data set's classes, for the confusion matrices at the end (with a score). */
  classes?: { count: number; names?: string[] };
  /** Whether the run's model is a linear classifier on images, whose weights are drawn as templates after it (templates.ts); the loop does not read it. */
  templates?: TemplatePlan;
  /** Whether the run's loss convolves the images with a param, whose filters are drawn after it (filters.ts); the loop does not read it. */
  filters?: FilterPlan;
  /** Where a resumed run goes on from; `params` then holds its params at that step. */
  resume?: ResumeState;
}

/**
 * Everything but the params that a gradient run needs to go on exactly as if
 * it had not stopped: the optimizer's arrays, the step, how far the batch
 * sampler got (it is replayed from the run's seed), the divergence test's
 * averages, and the best so far with the patience count.
 */
export interface ResumeState {
  /** Steps taken, so the number of the next step. */
  step: number;
  optimizer: Map<string, OptimizerArrays>;
  /** Minibatches the sampler has handed out. */
  batchesDrawn: number;
  smoothedLoss?: number;
  initialLoss?: number;
  /** The lowest smoothed loss so far (absent: none yet). */
  lowestLoss?: number;
  best?: BestEvaluation;
  /** The best weights, when there is a best. */
  bestParams?: Map<string, Float32Array>;
  /** The running averages of the loss's batch statistics at this step, and those that go with the best weights (absent when it has none). */
  statistics?: Map<string, Float32Array>;
  bestStatistics?: Map<string, Float32Array>;
  /** Evaluations since the best. */
  sinceBest: number;
}

export interface BestEvaluation {
  step: number;
  evalAccuracy?: number;
  evalLoss?: number;
}

/** Everything of a spec but how to train: what landscapes and sweeps start from. */
export type RunSetup = Omit<TrainSpec, "strategy" | "steps">;

export interface CurvePoint {
  step: number;
  epoch: number;
  seconds: number;
  loss: number;
  lr?: number;
  gradNorm?: number;
  /** ‖Δw‖ / ‖w‖ over all params; about 1e-3 is healthy. */
  updateRatio?: number;
  evalLoss?: number;
  evalAccuracy?: number;
  trainAccuracy?: number;
}

export interface TrainResult {
  status: "finished" | "cancelled" | "diverged";
  steps: number;
  /** Why the run diverged: the step and the loss. */
  divergence?: { step: number; loss: number; best: number };
  best?: BestEvaluation;
  /** Set when patience ended the run: the evaluation's step that made it stop. */
  earlyStop?: { step: number; patience: number };
  /** Which weights `final`'s figures are measured on: the best evaluation's or the last step's, with that step of the curve. */
  reported: { weights: "best" | "final"; step: number };
  final: { trainLoss: number; trainAccuracy?: number; evalLoss?: number; evalAccuracy?: number; testLoss?: number; testAccuracy?: number };
  /** A classifier's confusion matrices on the evaluation and test splits, from the same (reported) weights as `final`. */
  confusion?: RunConfusion;
  params: Map<string, Float32Array>;
  /** The running averages of the loss's batch statistics that go with `params`, by statistic; absent when it has none. */
  statistics?: Map<string, Float32Array>;
}

/**
 * Weights worth keeping, as the run goes: `best` when an evaluation beats
 * the best so far, `final` at each evaluation, when the run stops and when it
 * ends. Arrays are live: write or copy them before returning.
 */
export interface Checkpoint {
  kind: "best" | "final";
  /** Steps taken when these were the params. */
  steps: number;
  params: ReadonlyMap<string, Float32Array>;
  /** The evaluation that made them the best. */
  best?: BestEvaluation;
  /** The running averages of batch statistics that go with these params, for evaluating them; absent when the loss has none. */
  statistics?: ReadonlyMap<string, Float32Array>;
  /** For `final` of a gradient run: what going on from here needs. */
  resume?: ResumeState;
}

export interface TrainIO {
  onPoint(point: CurvePoint): void;
  cancelled(): boolean;
  /** Called after each gradient step with the params (live arrays: copy what you keep). */
  onParams?(step: number, params: ReadonlyMap<string, Float32Array>): void;
  onCheckpoint?(checkpoint: Checkpoint): void;
}

/**
 * Loss and accuracy of `params` on `examples`, in chunks so memory stays
 * bounded; on the examples as `bound` already holds them where given, else
 * bound for this call. Each prediction is also counted in `confusion`, where given.
 */
export function evaluateOn(runtime: TrainingRuntime, spec: Pick<TrainSpec, "loss" | "score" | "shapes">, params: Map<string, Float32Array>, examples: TrainExamples, given?: BoundExamples, running?: ReadonlyMap<string, Float32Array>, confusion?: ConfusionCounter): { loss: number; accuracy?: number } {
  const chunk = 2000;
  let lossSum = 0;
  let correct = 0;
  const bound = given ?? bindExamples(runtime, examples, spec.shapes);
  try {
    for (let start = 0; start < examples.n; start += chunk) {
      const rows = Int32Array.from({ length: Math.min(chunk, examples.n - start) }, (_, i) => start + i);
      const { loss, predictions } = bound.evaluate(spec.loss, spec.score, rows, params, running && { statistics: { running } });
      // The loss is a mean over examples plus terms that do not depend on them; weight chunks by size.
      lossSum += loss * rows.length;
      if (predictions) for (let i = 0; i < rows.length; i++) if (predictions[i] === examples.y[rows[i]]) correct++;
      if (predictions) confusion?.add(examples.y, rows, predictions);
    }
  } finally {
    if (!given) bound.release();
  }
  return { loss: lossSum / examples.n, accuracy: spec.score ? correct / examples.n : undefined };
}

/** The seed of a run's minibatch sampler, drawn from its "batches" stream (the JAX export replays it). */
export function batchSamplerSeed(spec: Pick<TrainSpec, "random">): number {
  return Math.floor(spec.random("batches").uniform() * 2 ** 32);
}

/** The seed of a run's dropout masks, drawn from its "dropout" stream (the JAX export uses it too). */
export function dropoutSeed(spec: Pick<TrainSpec, "random">): number {
  return Math.floor(spec.random("dropout").uniform() * 2 ** 32);
}

function copyParams(params: Map<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...params].map(([name, value]) => [name, value.slice()]));
}

export function train(runtime: TrainingRuntime, spec: TrainSpec, given: TrainIO): TrainResult {
  let lastPoint: CurvePoint | undefined;
  const io: TrainIO = {
    ...given,
    onPoint: (point) => {
      lastPoint = point;
      given.onPoint(point);
    },
  };
  const started = performance.now();
  const resume = spec.resume;
  if (resume && spec.strategy.kind !== "gradient") throw new RangeError("only a run that follows the gradient can be resumed");
  let params = copyParams(spec.params);
  let bestParams = resume?.bestParams ? copyParams(resume.bestParams) : copyParams(params);
  let best: TrainResult["best"] = resume?.best;
  let sinceBest = resume?.sinceBest ?? 0;
  let earlyStop: TrainResult["earlyStop"];
  let bestLoss = resume?.lowestLoss ?? Infinity;
  // The running averages of the loss's batch statistics, if it has any, and those of the best weights.
  const statistics = spec.strategy.kind === "gradient" ? createRunningStatistics(spec.loss, spec.bnMomentum ?? 0.9) : undefined;
  // A resumed run goes on from the averages its checkpoint kept, as it would have had it not stopped.
  if (resume && statistics) {
    if (!resume.statistics) throw new RangeError("the checkpoint holds no running averages of batch_mean and batch_var: it was saved before runs kept them, so the run cannot go on as it would have");
    for (const [name, value] of resume.statistics) statistics.running.set(name, value.slice());
  }
  let bestRunning = resume?.bestStatistics ? new Map([...resume.bestStatistics].map(([name, value]) => [name, value.slice()])) : statistics?.snapshot();
  let status: TrainResult["status"] = "finished";
  let divergence: TrainResult["divergence"];
  let step = resume?.step ?? 0;
  const rowsPerEpoch = spec.train.n;
  const minibatch = spec.strategy.kind === "gradient" ? Math.min(spec.strategy.batch ?? rowsPerEpoch, rowsPerEpoch) : undefined;
  const trainExamples = bindExamples(runtime, spec.train, spec.shapes);
  // Bound once for the whole run, before the params' store (an executor's memory is freed last in, first out).
  let evalExamples: BoundExamples | undefined;
  const seconds = () => (performance.now() - started) / 1000;

  const evaluate = (point: CurvePoint) => {
    if (!spec.evaluation) return;
    const result = evaluateOn(runtime, spec, params, spec.evaluation, evalExamples, statistics?.running);
    point.evalLoss = result.loss;
    point.evalAccuracy = result.accuracy;
    const better = result.accuracy !== undefined ? best?.evalAccuracy === undefined || result.accuracy > best.evalAccuracy : best?.evalLoss === undefined || result.loss < best.evalLoss;
    if (better) {
      best = { step: point.step, evalAccuracy: result.accuracy, evalLoss: result.loss };
      bestParams = copyParams(params);
      bestRunning = statistics?.snapshot();
      sinceBest = 0;
      io.onCheckpoint?.({ kind: "best", steps: point.step + 1, params: bestParams, best, statistics: bestRunning });
    } else {
      sinceBest++;
      if (spec.patience !== undefined && sinceBest >= spec.patience) earlyStop = { step: point.step, patience: spec.patience };
    }
  };

  const fullLoss = (candidate: Map<string, Float32Array>): number => trainExamples.loss(spec.loss, undefined, candidate);

  try {
    if (spec.evaluation) evalExamples = bindExamples(runtime, spec.evaluation, spec.shapes);
    const strategy = spec.strategy;
    if (strategy.kind === "gradient") {
      // The params live where the executor computes until the loop ends (param-store.ts).
      const store = createParamStore(runtime, createOptimizer(strategy.rule, strategy.settings), params, resume?.optimizer);
      params = store.params;
      const batchSize = minibatch ?? rowsPerEpoch;
      // Minibatches from the data layer's sampler: every row once per epoch, seeded.
      const sampler = batchSize < rowsPerEpoch ? createBatchSampler(rowsPerEpoch, batchSamplerSeed(spec)) : undefined;
      // Dropout's masks: drawn afresh at each step from the run's seed (engine/dropout.ts).
      const maskSeed = dropoutSeed(spec);
      let batchesDrawn = 0;
      const nextBatch = (): Int32Array | undefined => {
        if (!sampler?.ok) return undefined;
        batchesDrawn++;
        return sampler.value.nextBatch(batchSize);
      };
      // The sampler's state is its seed and how many batches it gave: a resumed run draws them again, unused.
      for (let drawn = 0; drawn < (resume?.batchesDrawn ?? 0); drawn++) nextBatch();
      let smoothed = resume?.smoothedLoss;
      let initialLoss = resume?.initialLoss;
      // Where the run stands after `taken` steps; the arrays are live, the checkpoint's reader writes them at once.
      const standing = (taken: number): Checkpoint => ({
        kind: "final",
        steps: taken,
        params,
        statistics: statistics?.running,
        resume: { step: taken, optimizer: store.states, batchesDrawn, smoothedLoss: smoothed, initialLoss, lowestLoss: Number.isFinite(bestLoss) ? bestLoss : undefined, best, bestParams: best ? bestParams : undefined, sinceBest, statistics: statistics?.running, bestStatistics: best ? bestRunning : undefined },
      });
      let savedAt = -1;
      try {
        for (; step < spec.steps; step++) {
          if (io.cancelled()) {
            status = "cancelled";
            break;
          }
          const { loss } = trainExamples.lossAndGradients(spec.loss, nextBatch(), params, store.gradients, { dropout: { seed: maskSeed, step }, statistics: statistics && { observed: statistics.observed } });
          statistics?.update();
          // Minibatch losses are noisy: compare a moving average with its best, and
          // ignore bests below 1% of the start, where tiny losses make ratios meaningless.
          // The smaller the batch, the noisier its loss and the longer the average (about 1,000 examples).
          const alpha = Math.min(0.1, Math.max(0.01, batchSize / 1000));
          smoothed = smoothed === undefined ? loss : (1 - alpha) * smoothed + alpha * loss;
          initialLoss ??= loss;
          const lr = stepSize(strategy.schedule, strategy.lr, step, spec.steps);
          if (!Number.isFinite(loss) || (step > 1 / alpha && smoothed > 4 * Math.max(bestLoss, 0.01 * initialLoss))) {
            status = "diverged";
            // The average that crossed the line, unless the loss itself is not a number.
            divergence = { step, loss: Number.isFinite(loss) ? smoothed : loss, best: bestLoss };
            io.onPoint({ step, epoch: (step * batchSize) / rowsPerEpoch, seconds: seconds(), loss, lr });
            break;
          }
          bestLoss = Math.min(bestLoss, smoothed);
          const squares = store.step(lr, step + 1);
          const point: CurvePoint = { step, epoch: ((step + 1) * batchSize) / rowsPerEpoch, seconds: seconds(), loss, lr, gradNorm: Math.sqrt(squares.gradient), updateRatio: squares.weight > 0 ? Math.sqrt(squares.update / squares.weight) : undefined };
          const evaluated = step % spec.evalEvery === 0 || step === spec.steps - 1;
          if (evaluated) evaluate(point);
          io.onPoint(point);
          io.onParams?.(step + 1, params);
          if (evaluated && io.onCheckpoint) {
            io.onCheckpoint(standing(step + 1));
            savedAt = step + 1;
          }
          if (earlyStop) {
            step++;
            break;
          }
        }
        // Where it stopped, unless an evaluation just saved it (a diverged run's weights are kept too, to look at).
        if (io.onCheckpoint && savedAt !== step) io.onCheckpoint(standing(step));
      } finally {
        // Out of the store before it is freed: the params it holds are what the run learned.
        params = copyParams(params);
        store.release();
      }
    } else if (strategy.kind === "random_search") {
      // Strategy #1: try random weights, keep the best.
      const random = spec.random("search");
      params = copyParams(params);
      for (step = 0; step < strategy.tries; step++) {
        if (io.cancelled()) {
          status = "cancelled";
          break;
        }
        const candidate = new Map([...params].map(([name, value]) => [name, Float32Array.from(value, () => random.normal() * strategy.scale)]));
        const loss = fullLoss(candidate);
        const point: CurvePoint = { step, epoch: step + 1, seconds: seconds(), loss };
        if (loss < bestLoss) {
          bestLoss = loss;
          params = candidate;
        }
        if (step % spec.evalEvery === 0 || step === strategy.tries - 1) evaluate(point);
        io.onPoint(point);
        if (earlyStop) {
          step++;
          break;
        }
      }
      io.onCheckpoint?.({ kind: "final", steps: step, params });
    } else {
      // Strategy #2: perturb, keep the change if the loss goes down.
      const random = spec.random("local");
      bestLoss = fullLoss(params);
      for (step = 0; step < strategy.steps; step++) {
        if (io.cancelled()) {
          status = "cancelled";
          break;
        }
        const candidate = new Map([...params].map(([name, value]) => [name, Float32Array.from(value, (w) => w + random.normal() * strategy.step)]));
        const loss = fullLoss(candidate);
        if (loss < bestLoss) {
          bestLoss = loss;
          params = candidate;
        }
        const point: CurvePoint = { step, epoch: step + 1, seconds: seconds(), loss: bestLoss };
        if (step % spec.evalEvery === 0 || step === strategy.steps - 1) evaluate(point);
        io.onPoint(point);
        if (earlyStop) {
          step++;
          break;
        }
      }
      io.onCheckpoint?.({ kind: "final", steps: step, params });
    }
    const finalParams = best ? bestParams : params;
    const finalRunning = best ? bestRunning : statistics?.running;
    // Steps of the curve: the best evaluation's, or the last point's.
    const reported: TrainResult["reported"] = best ? { weights: "best", step: best.step } : { weights: "final", step: Math.max(step - 1, 0) };
    if (status === "cancelled") {
      // Stop now: a cancelled run reports what it last measured instead of evaluating again.
      const last = lastPoint ?? { loss: NaN };
      return { status, steps: step, best, reported, final: { trainLoss: last.loss, evalLoss: best?.evalLoss, evalAccuracy: best?.evalAccuracy }, params: finalParams, statistics: finalRunning && new Map(finalRunning) };
    }
    // A classifier's predictions on the evaluation and test splits are counted by class as they are scored.
    const counter = () => (spec.score && spec.classes ? new ConfusionCounter(spec.classes.count) : undefined);
    const evalCounts = spec.evaluation ? counter() : undefined;
    const testCounts = spec.test ? counter() : undefined;
    const trainMetrics = evaluateOn(runtime, spec, finalParams, spec.train, trainExamples, finalRunning);
    const evalMetrics = spec.evaluation ? evaluateOn(runtime, spec, finalParams, spec.evaluation, evalExamples, finalRunning, evalCounts) : undefined;
    const testMetrics = spec.test ? evaluateOn(runtime, spec, finalParams, spec.test, undefined, finalRunning, testCounts) : undefined;
    const confusion = runConfusion(reported.weights, spec.classes?.names, evalCounts, testCounts);
    return {
      status,
      steps: step,
      divergence,
      best,
      ...(earlyStop ? { earlyStop } : {}),
      reported,
      final: { trainLoss: trainMetrics.loss, trainAccuracy: trainMetrics.accuracy, evalLoss: evalMetrics?.loss, evalAccuracy: evalMetrics?.accuracy, testLoss: testMetrics?.loss, testAccuracy: testMetrics?.accuracy },
      ...(confusion ? { confusion } : {}),
      params: finalParams,
      statistics: finalRunning && new Map(finalRunning),
    };
  } finally {
    evalExamples?.release();
    trainExamples.release();
  }
}
