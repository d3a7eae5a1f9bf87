// What each block and call accepts, as data: the settings of data sets,
// optimizers and experiments, and the named arguments of sources, rules,
// schedules and strategies. Validation, completion and hover read it.
import type * as ast from "../syntax/ast";

export type ValueKind =
  | { kind: "flag" }
  | { kind: "number"; min?: number; exclusiveMin?: boolean; max?: number; integer?: boolean }
  | { kind: "string" }
  | { kind: "countOrFile" } // a number of examples, or a file name
  /** A declared name of one of these kinds. */
  | { kind: "ref"; to: ("loss" | "param" | "score" | "optimizer" | "run")[] }
  | { kind: "split" } // fmnist.train
  | { kind: "strategy" } // an optimizer name, or random_search(...) / random_local_search(...)
  | { kind: "schedule" }
  | { kind: "range"; positive?: boolean }
  | { kind: "choice"; options: string[] };

export interface SettingSpec {
  name: string;
  value: ValueKind;
  doc: string;
  /** Shown in hover and completion; what applies when the setting is absent. */
  defaultText?: string;
  required?: boolean;
}

export interface CallSpec {
  name: string;
  doc: string;
  /** Positional arguments, in order. */
  positional: SettingSpec[];
  /** Named arguments, written `name=value`. */
  named: SettingSpec[];
  /** For a data source that reads files: how many files a split setting names to be read instead (`test "t10k"`), and an example value (`{split}` stands for the split's name). */
  splitFiles?: { count: 1 | 2; example: string };
}

const positive = { kind: "number", min: 0, exclusiveMin: true } as const;
const positiveInteger = { kind: "number", min: 1, integer: true } as const;
const nonNegativeInteger = { kind: "number", min: 0, integer: true } as const;
const unitInterval = { kind: "number", min: 0, max: 1 } as const;
const seed: SettingSpec = { name: "seed", value: nonNegativeInteger, doc: "Seed of the random generator, for repeatable results.", defaultText: "0" };

// ---- data -------------------------------------------------------------------

export const dataSources: CallSpec[] = [
  {
    name: "cifar10",
    doc: "CIFAR-10 binary batches (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`): 1 label byte and 3,072 pixel bytes per record.",
    positional: [{ name: "folder", value: { kind: "string" }, doc: "The folder holding the `.bin` batches, relative to this file." }],
    named: [],
    splitFiles: { count: 1, example: '"test_batch.bin"' },
  },
  {
    name: "idx",
    doc: "IDX files, plain or gzipped, as MNIST and Fashion-MNIST ship them (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`, `t10k-…`).",
    positional: [{ name: "folder", value: { kind: "string" }, doc: "The folder holding the IDX files, relative to this file." }],
    named: [],
    splitFiles: { count: 1, example: '"t10k"' },
  },
  {
    name: "csv",
    doc: "A CSV file with a header row; one column holds the labels, the others the features.",
    positional: [{ name: "file", value: { kind: "string" }, doc: "The CSV file, relative to this file." }],
    named: [{ name: "label", value: { kind: "string" }, doc: "The name of the label column.", defaultText: '"label"' }],
    splitFiles: { count: 1, example: '"{split}.csv"' },
  },
  {
    name: "npy",
    doc: "NumPy `.npy` arrays: the inputs [N, D] (or images, flattened) and the labels [N].",
    positional: [
      { name: "inputs", value: { kind: "string" }, doc: "The `.npy` file of inputs." },
      { name: "labels", value: { kind: "string" }, doc: "The `.npy` file of integer labels." },
    ],
    named: [],
    splitFiles: { count: 2, example: '["x_{split}.npy", "y_{split}.npy"]' },
  },
  {
    name: "inline",
    doc: "Examples written in the file: `inline(X=[[1.0], [2.0]], y=[0, 1])`.",
    positional: [],
    named: [
      { name: "X", value: { kind: "string" }, doc: "The inputs, a list of rows.", required: true },
      { name: "y", value: { kind: "string" }, doc: "The labels, a list of integers.", required: true },
    ],
  },
  {
    name: "toy",
    doc: "The notes' toy example: three one-dimensional points in three classes.",
    positional: [],
    named: [],
  },
  {
    name: "spiral",
    doc: "Points on interleaved spirals, one arm per class; not linearly separable.",
    positional: [],
    named: [
      { name: "classes", value: positiveInteger, doc: "Number of classes (arms).", defaultText: "3" },
      { name: "points", value: positiveInteger, doc: "Points per class.", defaultText: "100" },
      { name: "noise", value: { kind: "number", min: 0 }, doc: "Standard deviation of the angular noise.", defaultText: "0.2" },
      seed,
    ],
  },
  {
    name: "blobs",
    doc: "Gaussian blobs, one per class, in `dims` dimensions.",
    positional: [],
    named: [
      { name: "classes", value: positiveInteger, doc: "Number of classes (blobs).", defaultText: "3" },
      { name: "points", value: positiveInteger, doc: "Points per class.", defaultText: "100" },
      { name: "dims", value: positiveInteger, doc: "Number of features.", defaultText: "2" },
      { name: "spread", value: positive, doc: "Standard deviation of each blob.", defaultText: "1" },
      seed,
    ],
  },
];

export const dataSettings: SettingSpec[] = [
  {
    name: "train",
    value: { kind: "countOrFile" },
    doc: "The training split: a number of examples taken first, or the file to read it from instead of the source's own (`[inputs, labels]` for npy).",
    defaultText: "everything not in val",
  },
  {
    name: "val",
    value: { kind: "countOrFile" },
    doc: "The validation split: a number of examples taken from the end of the training file, or a file of its own (`[inputs, labels]` for npy).",
    defaultText: "0",
  },
  {
    name: "test",
    value: { kind: "countOrFile" },
    doc: "The test split: a number of examples, or a file of its own (`\"t10k\"` for an IDX pair, `\"test_batch.bin\"`, `\"test.csv\"`, `[inputs, labels]` for npy).",
    defaultText: "the source's own test files",
  },
  { name: "scale", value: positive, doc: "Multiply every input by this number, e.g. `1/255` for pixels.", defaultText: "1" },
  { name: "center", value: { kind: "flag" }, doc: "Subtract the mean input, computed on the training split only." },
  { name: "bias_trick", value: { kind: "flag" }, doc: "Append a constant 1 to every input, so the bias lives in W (D grows by one)." },
  { name: "flatten", value: { kind: "flag" }, doc: "Flatten images to rows (always done for images; kept for clarity)." },
  { name: "first", value: positiveInteger, doc: "Keep only the first k examples of each split." },
  { name: "sample", value: positiveInteger, doc: "Keep a seeded random sample of k examples of each split." },
  seed,
];

// ---- optimizers ---------------------------------------------------------------

const lr: SettingSpec = { name: "lr", value: positive, doc: "The step size (learning rate).", required: true };
const batch: SettingSpec = { name: "batch", value: positiveInteger, doc: "Examples per step: 1 is SGD, the training-set size is full-batch gradient descent.", defaultText: "all examples (full batch)" };
const schedule: SettingSpec = { name: "schedule", value: { kind: "schedule" }, doc: "How the step size changes over the steps.", defaultText: "constant()" };
const eps: SettingSpec = { name: "eps", value: positive, doc: "Added to the denominator to avoid division by zero.", defaultText: "1e-8" };

export interface OptimizerRule {
  name: string;
  doc: string;
  update: string;
  settings: SettingSpec[];
}

export const optimizerRules: OptimizerRule[] = [
  { name: "sgd", doc: "Vanilla gradient descent: step against the gradient.", update: "W ← W − lr·∇L", settings: [lr, batch, schedule] },
  {
    name: "momentum",
    doc: "SGD with momentum: a velocity accumulates past gradients.",
    update: "v ← μ·v − lr·∇L;  W ← W + v",
    settings: [lr, batch, schedule, { name: "mu", value: unitInterval, doc: "Momentum coefficient μ.", defaultText: "0.9" }],
  },
  {
    name: "nesterov",
    doc: "Nesterov momentum: the gradient is taken at the look-ahead point.",
    update: "v_prev ← v;  v ← μ·v − lr·∇L;  W ← W − μ·v_prev + (1 + μ)·v",
    settings: [lr, batch, schedule, { name: "mu", value: unitInterval, doc: "Momentum coefficient μ.", defaultText: "0.9" }],
  },
  {
    name: "adagrad",
    doc: "Adagrad: per-parameter step sizes scaled by the history of squared gradients.",
    update: "c ← c + (∇L)²;  W ← W − lr·∇L / (√c + eps)",
    settings: [lr, batch, schedule, eps],
  },
  {
    name: "rmsprop",
    doc: "RMSprop: a leaky average of squared gradients scales each step.",
    update: "c ← ρ·c + (1 − ρ)·(∇L)²;  W ← W − lr·∇L / (√c + eps)",
    settings: [lr, batch, schedule, eps, { name: "decay", value: unitInterval, doc: "Decay rate ρ of the squared-gradient average.", defaultText: "0.99" }],
  },
  {
    name: "adam",
    doc: "Adam: momentum and RMSprop, with bias correction.",
    update: "m ← β₁m + (1−β₁)∇L;  v ← β₂v + (1−β₂)(∇L)²;  W ← W − lr·m̂ / (√v̂ + eps)",
    settings: [
      lr,
      batch,
      schedule,
      eps,
      { name: "beta1", value: unitInterval, doc: "Decay of the first-moment average β₁.", defaultText: "0.9" },
      { name: "beta2", value: unitInterval, doc: "Decay of the second-moment average β₂.", defaultText: "0.999" },
    ],
  },
];

export const schedules: CallSpec[] = [
  { name: "constant", doc: "The same step size at every step.", positional: [], named: [] },
  {
    name: "step",
    doc: "Step decay: multiply the step size by `gamma` every `every` steps.",
    positional: [],
    named: [
      { name: "every", value: positiveInteger, doc: "Steps between decays.", required: true },
      { name: "gamma", value: positive, doc: "Factor applied at each decay.", defaultText: "0.5" },
    ],
  },
  {
    name: "exponential",
    doc: "Exponential decay: lr · gammaᵗ.",
    positional: [],
    named: [{ name: "gamma", value: positive, doc: "Factor per step.", required: true }],
  },
  {
    name: "inverse_time",
    doc: "1/t decay: lr / (1 + k·t).",
    positional: [],
    named: [{ name: "k", value: { kind: "number", min: 0 }, doc: "Decay rate.", required: true }],
  },
  {
    name: "cosine",
    doc: "Cosine annealing from lr to `floor` over the run.",
    positional: [],
    named: [{ name: "floor", value: { kind: "number", min: 0 }, doc: "The final step size.", defaultText: "0" }],
  },
  {
    name: "warmup",
    doc: "Linear warm-up from 0 to lr over `steps` steps, then constant.",
    positional: [],
    named: [{ name: "steps", value: positiveInteger, doc: "Length of the warm-up.", required: true }],
  },
  {
    name: "one_cycle",
    doc: "One-cycle: up from lr/`div` to lr over the first `pct` of the run, then down to lr/(`div`·1e4) by cosine.",
    positional: [],
    named: [
      { name: "pct", value: unitInterval, doc: "Fraction of the run spent warming up.", defaultText: "0.3" },
      { name: "div", value: positive, doc: "Initial step size is lr/div.", defaultText: "25" },
    ],
  },
];

export const strategies: CallSpec[] = [
  {
    name: "random_search",
    doc: "Strategy #1 of the notes: try random weights and keep the best.",
    positional: [],
    named: [
      { name: "tries", value: positiveInteger, doc: "How many random weight matrices to try.", defaultText: "1000" },
      { name: "scale", value: positive, doc: "Weights are randn · scale.", defaultText: "0.0001" },
    ],
  },
  {
    name: "random_local_search",
    doc: "Strategy #2 of the notes: perturb the weights randomly and keep the change if the loss goes down.",
    positional: [],
    named: [
      { name: "steps", value: positiveInteger, doc: "How many perturbations to try.", defaultText: "1000" },
      { name: "step", value: positive, doc: "Perturbations are randn · step.", defaultText: "0.0001" },
    ],
  },
];

// ---- experiments --------------------------------------------------------------

const minimize: SettingSpec = { name: "minimize", value: { kind: "ref", to: ["loss"] }, doc: "The loss to minimize.", required: true };
const on: SettingSpec = { name: "on", value: { kind: "split" }, doc: "The examples to use: a data set's split, such as `fmnist.train`.", required: true };
const first: SettingSpec = { name: "first", value: positiveInteger, doc: "Use only the first k examples." };

/** The run settings a search's trials take, each trial a short run. */
const trialLength: SettingSpec[] = [
  { name: "steps", value: positiveInteger, doc: "Number of update steps of each trial." },
  { name: "epochs", value: positiveInteger, doc: "Number of passes over the training examples of each trial (instead of `steps`)." },
  { name: "eval", value: { kind: "split" }, doc: "The split each trial is measured on while it trains, such as `fmnist.val`; the trials are ranked by their best accuracy there.", required: true },
  { name: "every", value: positiveInteger, doc: "Steps between evaluations.", defaultText: "100" },
  { name: "test", value: { kind: "split" }, doc: "A split to measure once each trial ends, with its best weights." },
  { name: "bn_momentum", value: { kind: "number", min: 0, max: 1 }, doc: "How slowly the running averages of `batch_mean` and `batch_var` follow the batches.", defaultText: "0.9" },
  { name: "patience", value: positiveInteger, doc: "Stop a trial early when this many evaluations in a row have not improved on its best.", defaultText: "none: run every step" },
];

/**
 * What a search varies, besides its own settings: any `hyper` of the file
 * and any number setting of the optimizer `by` names, each given a range
 * `a .. b` (optionally `log` or `linear`) or a list `[a, b, c]`.
 */
export const searchedSettingDoc = "A value to search: a range `a .. b` (spaced on a log scale when both ends are above 0, unless followed by `linear`; `log` says so) or a list of values `[a, b, c]`.";

export const experimentSettings: Record<ast.ExperimentKind, SettingSpec[]> = {
  run: [
    minimize,
    on,
    { name: "by", value: { kind: "strategy" }, doc: "An optimizer declared in this file, or `random_search(...)` / `random_local_search(...)`.", required: true },
    { name: "steps", value: positiveInteger, doc: "Number of update steps." },
    { name: "epochs", value: positiveInteger, doc: "Number of passes over the training examples (instead of `steps`)." },
    { name: "eval", value: { kind: "split" }, doc: "A split to measure loss and accuracy on while training, such as `fmnist.val`." },
    { name: "every", value: positiveInteger, doc: "Steps between evaluations.", defaultText: "100" },
    { name: "test", value: { kind: "split" }, doc: "A split to measure once the run ends, with the best weights." },
    { name: "bn_momentum", value: { kind: "number", min: 0, max: 1 }, doc: "How slowly the running averages of `batch_mean` and `batch_var` follow the batches: r ← m·r + (1 − m)·batch after each step. Evaluation and test use them.", defaultText: "0.9" },
    { name: "patience", value: positiveInteger, doc: "Stop early when this many evaluations in a row have not improved on the best evaluation accuracy (the loss, without a score).", defaultText: "none: run every step" },
    { name: "start_from", value: { kind: "string" }, doc: "Start from a saved run's weights instead of the params' initialisers: its folder (its best weights, else its final ones) or one of its weights folders (`\"runs/NAME/weights/final\"`), relative to this file. Every param must be there with the same shape." },
    first,
    seed,
  ],
  sweep: [
    minimize,
    on,
    { name: "by", value: { kind: "ref", to: ["optimizer"] }, doc: "The optimizer whose step size is swept.", required: true },
    { name: "lr", value: { kind: "range", positive: true }, doc: "The step sizes to try, e.g. `1e-10 .. 1e-1`.", required: true },
    { name: "points", value: positiveInteger, doc: "How many step sizes, spaced evenly on a log scale.", defaultText: "10" },
    { name: "method", value: { kind: "choice", options: ["table", "range_test"] }, doc: "`table`: the loss after `steps` steps from the same start, per step size (the notes' table). `range_test`: one short run whose step size grows until the loss diverges.", defaultText: "table" },
    { name: "steps", value: positiveInteger, doc: "Steps taken per step size (table), or the length of the range test.", defaultText: "1 (table), 100 (range_test)" },
    first,
    seed,
  ],
  search: [
    minimize,
    on,
    { name: "by", value: { kind: "ref", to: ["optimizer"] }, doc: "The optimizer each trial trains with; its settings can be searched.", required: true },
    ...trialLength,
    { name: "trials", value: positiveInteger, doc: "How many trials a random search runs (a grid search runs every combination).", defaultText: "20" },
    { name: "method", value: { kind: "choice", options: ["random", "grid"] }, doc: "`random`: each trial draws every searched setting at random from its range or list. `grid`: every combination of `points` values per range (and of each list's values).", defaultText: "random" },
    { name: "points", value: positiveInteger, doc: "Values per range in a grid search, spaced evenly on the range's scale.", defaultText: "3" },
    first,
    seed,
  ],
  landscape: [
    { name: "of", value: { kind: "ref", to: ["loss"] }, doc: "The loss to slice.", required: true },
    on,
    first,
    { name: "directions", value: { kind: "number", min: 1, max: 2, integer: true }, doc: "1 for a line L(W + a·W₁), 2 for a plane L(W + a·W₁ + b·W₂).", defaultText: "1" },
    { name: "range", value: { kind: "range" }, doc: "The values of a (and b).", defaultText: "-1 .. 1" },
    { name: "points", value: { kind: "number", min: 2, integer: true }, doc: "Points along each direction.", defaultText: "51" },
    { name: "normalize", value: { kind: "choice", options: ["none", "row"] }, doc: "`row`: scale each row of a random direction to the norm of the same row of W (filter normalisation).", defaultText: "none" },
    { name: "along", value: { kind: "ref", to: ["run"] }, doc: "Slice along the line from the initial to the trained weights of this run, instead of a random direction." },
    { name: "trajectory", value: { kind: "ref", to: ["run"] }, doc: "Draw this run's weights, projected onto the plane." },
    seed,
  ],
  gradcheck: [
    { name: "of", value: { kind: "ref", to: ["loss"] }, doc: "The loss whose gradients are checked.", required: true },
    { name: "wrt", value: { kind: "ref", to: ["param", "score"] }, doc: "Check only the grads with respect to this param or score (and, for a param, the engine's own gradient).", defaultText: "every grad and param" },
    on,
    first,
    { name: "samples", value: positiveInteger, doc: "Coordinates sampled per parameter (all of them when the parameter is small).", defaultText: "20" },
    { name: "projections", value: nonNegativeInteger, doc: "Random directions along which the whole gradient is compared.", defaultText: "4" },
    { name: "h", value: positive, doc: "Step of the centered difference [L(w+h) − L(w−h)] / 2h.", defaultText: "1e-5" },
    seed,
  ],
};

export const dataSourcesByName = new Map(dataSources.map((source) => [source.name, source]));
export const optimizerRulesByName = new Map(optimizerRules.map((rule) => [rule.name, rule]));
export const schedulesByName = new Map(schedules.map((entry) => [entry.name, entry]));
export const strategiesByName = new Map(strategies.map((entry) => [entry.name, entry]));
