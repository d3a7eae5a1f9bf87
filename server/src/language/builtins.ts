// The built-in vocabulary of expressions: functions, implicit names and
// initialisers, as data. Analysis, completion, hover and signature help all
// read this table; nothing else lists builtins.

export type BuiltinShapeRule =
  | "elementwise" // one tensor in, same shape out
  | "broadcast2" // two tensors broadcast together
  | "reduce" // sum/mean: to a scalar, or keep the axis as size 1
  | "rowwise" // softmax: same shape, along an axis
  | "reduceKeep" // logsumexp: the axis kept as size 1
  | "onehot" // labels [N] to [N, C]
  | "batchStatistic" // batch_mean, batch_var: [N, H] to [1, H]
  | "conv2d" // [N, C, H, W] with [F, C, kh, kw] to [N, F, H', W']
  | "pool" // maxpool, avgpool: [N, C, H, W] to [N, C, H', W']
  | "upsample" // [N, C, H, W] to [N, C, H·size, W·size]
  | "reshape" // to the sizes of a list, the same entries
  | "flatten" // [N, ...] to [N, product of the rest]
  | "permute" // transpose: the axes in the order of a list
  | "flip" // same shape, reversed along axes
  | "initialiser"; // only in a param's initialiser

export interface BuiltinFunction {
  name: string;
  /** The signature as shown in completion and signature help. */
  signature: string;
  parameters: { name: string; doc: string; named?: boolean }[];
  /** The formula, as a user would write it on paper. */
  formula: string;
  doc: string;
  shape: BuiltinShapeRule;
  minArgs: number;
  maxArgs: number;
}

const x = { name: "x", doc: "a tensor" };
const axis = { name: "axis", doc: "the axis to reduce over (0 for the first, up to the rank − 1); kept with size 1", named: true };
const image = { name: "x", doc: "a batch of images, [N, C, H, W]" };
const stride = { name: "stride", doc: "the step between windows along H and W, a positive whole number", named: true };

export const builtinFunctions: BuiltinFunction[] = [
  {
    name: "max",
    signature: "max(a, b)",
    parameters: [
      { name: "a", doc: "a tensor or number" },
      { name: "b", doc: "a tensor or number" },
      axis,
    ],
    formula: "max(a, b)ᵢⱼ = max(aᵢⱼ, bᵢⱼ), broadcasting a and b;  max(x, axis=k): the largest entry along axis k, kept with size 1",
    doc: "Elementwise maximum of two arguments: `max(0, margins)` is the hinge of the SVM loss; it has a kink where both sides are equal. With one argument, the largest entry (of all, or along `axis`); its gradient goes to the first largest entry, and ties are kinks.",
    shape: "broadcast2",
    minArgs: 1,
    maxArgs: 2,
  },
  {
    name: "min",
    signature: "min(a, b)",
    parameters: [
      { name: "a", doc: "a tensor or number" },
      { name: "b", doc: "a tensor or number" },
    ],
    formula: "min(a, b)ᵢⱼ = min(aᵢⱼ, bᵢⱼ), broadcasting a and b",
    doc: "Elementwise minimum; it has a kink where both sides are equal.",
    shape: "broadcast2",
    minArgs: 2,
    maxArgs: 2,
  },
  {
    name: "relu",
    signature: "relu(x)",
    parameters: [x],
    formula: "relu(x) = max(0, x)",
    doc: "Rectified linear unit, elementwise; it has a kink at 0.",
    shape: "elementwise",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "abs",
    signature: "abs(x)",
    parameters: [x],
    formula: "abs(x) = |x|",
    doc: "Absolute value, elementwise; the L1 penalty is `sum(abs(W))`. It has a kink at 0.",
    shape: "elementwise",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "exp",
    signature: "exp(x)",
    parameters: [x],
    formula: "exp(x) = eˣ",
    doc: "Exponential, elementwise.",
    shape: "elementwise",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "log",
    signature: "log(x)",
    parameters: [x],
    formula: "log(x) = ln x",
    doc: "Natural logarithm, elementwise. `log(softmax(s, axis=1))` is computed stably as `s - logsumexp(s, axis=1)`.",
    shape: "elementwise",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "sqrt",
    signature: "sqrt(x)",
    parameters: [x],
    formula: "sqrt(x) = √x",
    doc: "Square root, elementwise.",
    shape: "elementwise",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "tanh",
    signature: "tanh(x)",
    parameters: [x],
    formula: "tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)",
    doc: "Hyperbolic tangent, elementwise.",
    shape: "elementwise",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "sigmoid",
    signature: "sigmoid(x)",
    parameters: [x],
    formula: "sigmoid(x) = 1 / (1 + e⁻ˣ)",
    doc: "Logistic sigmoid, elementwise.",
    shape: "elementwise",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "sum",
    signature: "sum(x, axis=1)",
    parameters: [x, axis],
    formula: "sum(x) = Σᵢⱼ xᵢⱼ;  sum(x, axis=1)ᵢ = Σⱼ xᵢⱼ (any axis of a tensor of up to four)",
    doc: "Sum of all entries, or along one axis (the axis is kept with size 1, so the result broadcasts back).",
    shape: "reduce",
    minArgs: 1,
    maxArgs: 2,
  },
  {
    name: "mean",
    signature: "mean(x, axis=1)",
    parameters: [x, axis],
    formula: "mean(x) = (1/n) Σᵢⱼ xᵢⱼ;  mean(x, axis=0)ⱼ = (1/N) Σᵢ xᵢⱼ",
    doc: "Mean of all entries, or along one axis (kept with size 1).",
    shape: "reduce",
    minArgs: 1,
    maxArgs: 2,
  },
  {
    name: "logsumexp",
    signature: "logsumexp(x, axis=1)",
    parameters: [x, axis],
    formula: "logsumexp(x, axis=1)ᵢ = log Σⱼ exp(xᵢⱼ), computed as mᵢ + log Σⱼ exp(xᵢⱼ − mᵢ) with mᵢ = maxⱼ xᵢⱼ",
    doc: "Log of a sum of exponentials along an axis (default 1), computed stably; the axis is kept with size 1.",
    shape: "reduceKeep",
    minArgs: 1,
    maxArgs: 2,
  },
  {
    name: "softmax",
    signature: "softmax(x, axis=1)",
    parameters: [x, axis],
    formula: "softmax(x)ᵢⱼ = exp(xᵢⱼ) / Σₖ exp(xᵢₖ)",
    doc: "Normalised exponentials along an axis (default 1): each row becomes a probability distribution over the classes.",
    shape: "rowwise",
    minArgs: 1,
    maxArgs: 2,
  },
  {
    name: "dropout_mask",
    signature: "dropout_mask(h, keep=0.5)",
    parameters: [
      { name: "h", doc: "the activations to drop out; only their shape is read" },
      { name: "keep", doc: "the probability of keeping an entry, a constant in (0, 1]", named: true },
    ],
    formula: "dropout_mask(h)ᵢⱼ = mᵢⱼ / keep in training, mᵢⱼ ~ Bernoulli(keep); 1 at evaluation and test",
    doc: "Inverted dropout's mask, shaped like h: write `score hd = h * m` and `grad dL/dh = dL/dhd * m`. Drawn afresh at each training step from the run's seed (the same mask in every part of one gradient check); all ones at evaluation and test. No gradient flows through it.",
    shape: "elementwise",
    minArgs: 1,
    maxArgs: 2,
  },
  {
    name: "batch_mean",
    signature: "batch_mean(z)",
    parameters: [{ name: "z", doc: "a batch of activations, [N, H]" }],
    formula: "batch_mean(z)ⱼ = μⱼ = (1/N) Σᵢ zᵢⱼ in training; the running average at evaluation and test",
    doc: "Each column's mean over the batch, [1, H], for batch normalization: `score zhat = (z - mu) / sqrt(var + 1e-5)`. In training and gradient checks it is the batch's own; the run keeps a running average (`bn_momentum`), which evaluation and test use.",
    shape: "batchStatistic",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "batch_var",
    signature: "batch_var(z)",
    parameters: [{ name: "z", doc: "a batch of activations, [N, H]" }],
    formula: "batch_var(z)ⱼ = σ²ⱼ = (1/N) Σᵢ (zᵢⱼ − μⱼ)² in training; the running average at evaluation and test",
    doc: "Each column's variance over the batch (biased: divided by N), [1, H], for batch normalization. In training and gradient checks it is the batch's own; the run keeps a running average (`bn_momentum`), which evaluation and test use.",
    shape: "batchStatistic",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "onehot",
    signature: "onehot(y)",
    parameters: [{ name: "y", doc: "the labels, [N]" }],
    formula: "onehot(y)ᵢⱼ = 1 if j = yᵢ else 0",
    doc: "The labels as an [N, C] matrix of indicators.",
    shape: "onehot",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "conv2d",
    signature: "conv2d(x, K, stride=1, pad=0)",
    parameters: [
      image,
      { name: "K", doc: "the filters, [F, C, kh, kw]" },
      stride,
      { name: "pad", doc: "zeros added on each side of H and W, a whole number", named: true },
    ],
    formula: "conv2d(x, K)ₙ,f,i,j = Σ_c Σ_p Σ_q x̃ₙ,c,i·S+p,j·S+q · K_f,c,p,q  (x̃: x padded with P zeros), of shape [N, F, ⌊(H + 2P − kh)/S⌋ + 1, ⌊(W + 2P − kw)/S⌋ + 1]",
    doc: "Two-dimensional convolution as the course defines it (a cross-correlation: the kernel is not flipped). Linear in x and in K. Its gradient with respect to x is a convolution of the output's gradient with the flipped kernel, its channels swapped.",
    shape: "conv2d",
    minArgs: 2,
    maxArgs: 2,
  },
  {
    name: "maxpool",
    signature: "maxpool(x, size=2, stride=2)",
    parameters: [image, { name: "size", doc: "the window's side", named: true }, { ...stride, doc: "the step between windows (default: the size)" }],
    formula: "maxpool(x)ₙ,c,i,j = max over 0 ≤ p, q < size of xₙ,c,i·S+p,j·S+q",
    doc: "Max pooling: each window's largest entry. Its gradient goes to the first largest entry of each window (in reading order); a window with a tie is a kink.",
    shape: "pool",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "avgpool",
    signature: "avgpool(x, size=2, stride=2)",
    parameters: [image, { name: "size", doc: "the window's side", named: true }, { ...stride, doc: "the step between windows (default: the size)" }],
    formula: "avgpool(x)ₙ,c,i,j = (1/size²) Σ over 0 ≤ p, q < size of xₙ,c,i·S+p,j·S+q",
    doc: "Average pooling: each window's mean. Linear.",
    shape: "pool",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "upsample",
    signature: "upsample(x, size=2)",
    parameters: [image, { name: "size", doc: "the factor along H and W", named: true }],
    formula: "upsample(x)ₙ,c,i,j = xₙ,c,⌊i/size⌋,⌊j/size⌋, of shape [N, C, H·size, W·size]",
    doc: "Nearest-neighbour upsampling: each entry copied to a size × size block. It is the adjoint of sum pooling, so a pooling's backward pass is written with it: `grad dL/da = upsample(dL/dp, size=2) * (a == upsample(p, size=2))` for 2 × 2 max pooling without ties.",
    shape: "upsample",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "reshape",
    signature: "reshape(x, [N, 1, 28, 28])",
    parameters: [x, { name: "dims", doc: "the new sizes: numbers, N, and at most one -1 (worked out from the rest)" }],
    formula: "reshape(x, dims): the same entries in the same row-major order, of shape dims",
    doc: "The same entries read into another shape, as numpy's reshape: `reshape(X, [N, 1, 28, 28])` takes Fashion-MNIST's rows as images. Linear.",
    shape: "reshape",
    minArgs: 2,
    maxArgs: 2,
  },
  {
    name: "flatten",
    signature: "flatten(x)",
    parameters: [x],
    formula: "flatten(x): [N, d₁, …, dₖ] to [N, d₁·…·dₖ], the same entries in row-major order",
    doc: "Each example's entries as one row, for an affine layer after convolutions. Linear.",
    shape: "flatten",
    minArgs: 1,
    maxArgs: 1,
  },
  {
    name: "transpose",
    signature: "transpose(x, [1, 0, 2, 3])",
    parameters: [x, { name: "axes", doc: "the input's axes in their new order, a permutation" }],
    formula: "transpose(x, axes): out axis i is x's axis axesᵢ (numpy's transpose)",
    doc: "The axes of a tensor reordered; `transpose(x, [1, 0, 2, 3])` swaps the batch and channel axes, as a convolution's kernel gradient needs. `W^T` transposes a matrix. Linear.",
    shape: "permute",
    minArgs: 2,
    maxArgs: 2,
  },
  {
    name: "flip",
    signature: "flip(x, axes=[2, 3])",
    parameters: [x, { name: "axes", doc: "the axes to reverse, a list", named: true }],
    formula: "flip(x, axes=[2, 3])ₙ,c,i,j = xₙ,c,H−1−i,W−1−j",
    doc: "The entries in reverse order along each of `axes`: `flip(K, axes=[2, 3])` turns each filter by 180°, as the gradient of a convolution with respect to its input needs. Linear.",
    shape: "flip",
    minArgs: 1,
    maxArgs: 1,
  },
];

export interface Initialiser {
  name: string;
  formula: string;
  doc: string;
}

/** Initialisers, usable only in a param's `= ...`; each may be scaled: `randn * 0.0001`. */
export const initialisers: Initialiser[] = [
  { name: "randn", formula: "Wᵢⱼ ~ N(0, 1)", doc: "Standard normal entries; scale them, e.g. `randn * 0.0001` as in the notes." },
  { name: "rand", formula: "Wᵢⱼ ~ U(0, 1)", doc: "Uniform entries in [0, 1)." },
  { name: "zeros", formula: "Wᵢⱼ = 0", doc: "All zeros; the usual start for biases." },
  { name: "ones", formula: "Wᵢⱼ = 1", doc: "All ones." },
  { name: "xavier", formula: "Wᵢⱼ ~ N(0, 1/fan_in)", doc: "Xavier (Glorot) initialisation: variance 1/fan_in, where fan_in is the last dimension (C·kh·kw for a convolution's kernel [F, C, kh, kw])." },
  { name: "he", formula: "Wᵢⱼ ~ N(0, 2/fan_in)", doc: "He (Kaiming) initialisation for ReLU layers: variance 2/fan_in (fan_in as for xavier)." },
];

export interface ImplicitName {
  name: string;
  doc: string;
}

/** Names every expression can use; they stand for the examples being evaluated. */
export const implicitNames: ImplicitName[] = [
  { name: "X", doc: "The inputs of the current examples, one row each: [N, D]." },
  { name: "y", doc: "The labels of the current examples, integers in 0..C−1: [N]." },
  { name: "N", doc: "The number of examples being evaluated (the batch size): a number." },
  { name: "D", doc: "The number of features of the data (after preprocessing such as the bias trick)." },
  { name: "C", doc: "The number of classes of the data." },
];

export const builtinFunctionsByName = new Map(builtinFunctions.map((builtin) => [builtin.name, builtin]));
export const initialisersByName = new Map(initialisers.map((initialiser) => [initialiser.name, initialiser]));
export const implicitNamesByName = new Map(implicitNames.map((implicit) => [implicit.name, implicit]));
