// Static shapes of the builtins over image-shaped tensors ([N, C, H, W]):
// convolution, pooling, upsampling, reshape, flatten, transpose with axes and
// flip, each with an error as precise as a product's or a broadcast's. The
// settings they read (stride, pad, size, axes, a reshape's sizes) are folded
// to numbers here; compile.ts reads them again from the same expressions.
import type * as ast from "../syntax/ast";
import type { CheckContext } from "./check-context";
import type { ConstantFolder } from "./constant-folding";
import { constDim, dimText, dimValue, resolve, shapeText, unify, varDim, type Dim, type Shape } from "./dims";

/** A call's settings folded to numbers, and its list argument's items (a reshape's sizes, a transpose's axes). */
export interface ImageSettings {
  stride?: number;
  pad?: number;
  size?: number;
  /** flip's axes. */
  axes?: number[];
}

type Call = Extract<ast.Expr, { kind: "call" }>;

function channels(dim: Dim): string {
  return `${dimText(dim)} channel${dimValue(dim) === 1 ? "" : "s"}`;
}

/** The output side of windows of `size` every `stride` over `length` (padded by `pad`). */
function windows(length: number, size: number, stride: number, pad: number): number {
  return Math.floor((length + 2 * pad - size) / stride) + 1;
}

export class ImageShapes {
  constructor(
    private readonly context: CheckContext,
    private readonly constants: ConstantFolder,
  ) {}

  /** A whole number folded from a setting, at least `least`; undefined (reported) otherwise. */
  wholeNumber(expr: ast.Expr, name: string, least: number): number | undefined {
    const value = this.constants.fold(expr, true);
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || value < least) {
      this.context.error("bad-value", expr.span, `${name} is a whole number${least > 0 ? ` of at least ${least}` : " (0 or more)"}, not ${value}`);
      return undefined;
    }
    return value;
  }

  /** A list of whole numbers (axes), each folded; undefined (reported) when it is not one. */
  numberList(expr: ast.Expr, what: string): number[] | undefined {
    if (expr.kind !== "list") {
      this.context.error("bad-value", expr.span, `${what} is a list of axes, such as [2, 3]`);
      return undefined;
    }
    const values: number[] = [];
    for (const item of expr.items) {
      const value = this.wholeNumber(item, "an axis", 0);
      if (value === undefined) return undefined;
      values.push(value);
    }
    return values;
  }

  private rank4(name: string, shape: Shape, span: ast.Span, what = "its argument"): boolean {
    if (shape.length === 4) return true;
    this.context.error("shape-mismatch", span, `${name} needs a batch of images [N, C, H, W], but ${what} has shape ${shapeText(shape)}`);
    return false;
  }

  /** A spatial size that must be known: H, W, kh, kw. */
  private known(dim: Dim, name: string, shape: Shape, span: ast.Span): number | undefined {
    const value = dimValue(dim);
    if (value === undefined) this.context.error("shape-mismatch", span, `${name} needs the image's height and width known, but the shape is ${shapeText(shape)}`);
    return value;
  }

  conv2d(expr: Call, x: Shape, k: Shape, settings: ImageSettings): Shape | undefined {
    if (!this.rank4("conv2d", x, expr.args[0].span, "x")) return undefined;
    if (k.length !== 4) {
      this.context.error("shape-mismatch", expr.args[1].span, `conv2d needs filters K [F, C, kh, kw], but K has shape ${shapeText(k)}`);
      return undefined;
    }
    if (!unify(x[1], k[1])) {
      this.context.error("shape-mismatch", expr.callee.span, `conv2d: x has ${channels(x[1])} but K's filters read ${channels(k[1])} (shapes ${shapeText(x)} and ${shapeText(k)}): K is [F, C, kh, kw] with C the channels of x [N, C, H, W]`);
      return undefined;
    }
    const stride = settings.stride ?? 1;
    const pad = settings.pad ?? 0;
    const [h, w, kh, kw] = [this.known(x[2], "conv2d", x, expr.span), this.known(x[3], "conv2d", x, expr.span), this.known(k[2], "conv2d", k, expr.span), this.known(k[3], "conv2d", k, expr.span)];
    if (h === undefined || w === undefined || kh === undefined || kw === undefined) return undefined;
    if (kh > h + 2 * pad || kw > w + 2 * pad) {
      this.context.error("shape-mismatch", expr.callee.span, `conv2d: the ${kh}×${kw} kernel is larger than the ${h}×${w} image${pad ? ` padded by ${pad}` : ""}`);
      return undefined;
    }
    return [x[0], k[0], constDim(windows(h, kh, stride, pad)), constDim(windows(w, kw, stride, pad))];
  }

  pool(expr: Call, x: Shape, settings: ImageSettings): Shape | undefined {
    const name = expr.callee.text;
    if (!this.rank4(name, x, expr.args[0].span)) return undefined;
    const size = settings.size;
    if (size === undefined) {
      this.context.error("bad-arguments", expr.span, `${name} needs the window's side: ${name}(x, size=2, stride=2)`);
      return undefined;
    }
    const stride = settings.stride ?? size;
    const [h, w] = [this.known(x[2], name, x, expr.span), this.known(x[3], name, x, expr.span)];
    if (h === undefined || w === undefined) return undefined;
    if (size > h || size > w) {
      this.context.error("shape-mismatch", expr.callee.span, `${name}: the ${size}×${size} window is larger than the ${h}×${w} image (shape ${shapeText(x)})`);
      return undefined;
    }
    return [x[0], x[1], constDim(windows(h, size, stride, 0)), constDim(windows(w, size, stride, 0))];
  }

  upsample(expr: Call, x: Shape, settings: ImageSettings): Shape | undefined {
    if (!this.rank4("upsample", x, expr.args[0].span)) return undefined;
    if (settings.size === undefined) {
      this.context.error("bad-arguments", expr.span, "upsample needs the factor: upsample(x, size=2)");
      return undefined;
    }
    const size = settings.size;
    const [h, w] = [this.known(x[2], "upsample", x, expr.span), this.known(x[3], "upsample", x, expr.span)];
    if (h === undefined || w === undefined) return undefined;
    return [x[0], x[1], constDim(h * size), constDim(w * size)];
  }

  flatten(expr: Call, x: Shape): Shape | undefined {
    if (x.length < 2) {
      this.context.error("shape-mismatch", expr.span, `flatten keeps the first axis and joins the rest, so it needs at least two axes, but its argument has shape ${shapeText(x)}`);
      return undefined;
    }
    const rest = x.slice(1);
    const values = rest.map(dimValue);
    if (values.some((value) => value === undefined)) return rest.length === 1 ? [x[0], rest[0]] : [x[0], varDim("?")];
    return [x[0], constDim((values as number[]).reduce((product, value) => product * value, 1))];
  }

  permute(x: Shape, list: ast.Expr): Shape | undefined {
    const axes = this.numberList(list, "transpose's second argument");
    if (!axes) return undefined;
    const sorted = [...axes].sort((a, b) => a - b);
    if (axes.length !== x.length || sorted.some((axis, i) => axis !== i)) {
      this.context.error("bad-value", list.span, `transpose's axes must put each of the ${x.length} axes of ${shapeText(x)} once, a permutation of ${x.map((_, i) => i).join(", ")}, not [${axes.join(", ")}]`);
      return undefined;
    }
    return axes.map((axis) => x[axis]);
  }

  flip(x: Shape, settings: ImageSettings, span: ast.Span): Shape | undefined {
    const axes = settings.axes;
    if (!axes) {
      this.context.error("bad-arguments", span, "flip needs the axes to reverse: flip(K, axes=[2, 3])");
      return undefined;
    }
    const wrong = axes.find((axis, i) => axis >= x.length || axes.indexOf(axis) !== i);
    if (wrong !== undefined) {
      this.context.error("bad-value", span, `flip's axes must be distinct axes of ${shapeText(x)} (0 to ${x.length - 1}), not [${axes.join(", ")}]`);
      return undefined;
    }
    return x;
  }

  /**
   * reshape(x, [sizes]): each size a whole number, N, or one -1 worked out
   * from the rest. N must stand where the batch is, on both sides or neither
   * (a -1 may stand for exactly N); the entries per example must agree.
   */
  reshape(x: Shape, list: ast.Expr): Shape | undefined {
    if (list.kind !== "list" || list.items.length === 0) {
      this.context.error("bad-value", list.span, "reshape's second argument is a list of sizes, such as [N, 1, 28, 28]");
      return undefined;
    }
    const N = this.context.model.dims.N;
    const target: (Dim | "infer")[] = [];
    for (const item of list.items) {
      if (item.kind === "name" && item.name === "N") {
        target.push(N);
        continue;
      }
      const value = this.constants.fold(item, true);
      if (value === undefined) return undefined;
      if (value === -1) target.push("infer");
      else if (!Number.isInteger(value) || value < 1) {
        this.context.error("bad-value", item.span, `a size is a positive whole number, N or -1, not ${value}`);
        return undefined;
      } else target.push(constDim(value));
    }
    const inferred = target.filter((dim) => dim === "infer").length;
    const targetN = target.filter((dim) => dim !== "infer" && resolve(dim) === resolve(N)).length;
    const sourceN = x.filter((dim) => resolve(dim) === resolve(N)).length;
    if (inferred > 1 || targetN > 1) {
      this.context.error("bad-value", list.span, `reshape takes at most one -1 and one N among its sizes, but this list has ${inferred > 1 ? `${inferred} entries -1` : `${targetN} entries N`}`);
      return undefined;
    }
    const product = (dims: Dim[]) => dims.reduce<number | undefined>((total, dim) => (total === undefined || dimValue(dim) === undefined ? undefined : total * (dimValue(dim) as number)), 1);
    const sourceRest = x.filter((dim) => resolve(dim) !== resolve(N));
    const targetRest = target.filter((dim): dim is Dim => dim !== "infer" && resolve(dim) !== resolve(N));
    const sourceEntries = product(sourceRest);
    const targetEntries = product(targetRest) as number;
    const describe = () => `cannot reshape ${shapeText(x)} to [${target.map((dim) => (dim === "infer" ? "-1" : dimText(dim))).join(", ")}]`;
    if (sourceN > 1 || (sourceN === 1 && targetN === 0 && inferred === 0) || (sourceN === 0 && targetN === 1)) {
      this.context.error("shape-mismatch", list.span, `${describe()}: the batch size N must stay a size of its own, on both sides`);
      return undefined;
    }
    if (sourceEntries === undefined) {
      // A size only the data fixes (D): bound here when nothing else is unknown.
      const unknown = sourceRest.filter((dim) => dimValue(dim) === undefined);
      const knownPart = product(sourceRest.filter((dim) => dimValue(dim) !== undefined)) as number;
      if (inferred === 0 && unknown.length === 1 && targetEntries % knownPart === 0 && unify(unknown[0], constDim(targetEntries / knownPart))) return target as Dim[];
      return target.map((dim) => (dim === "infer" ? varDim("?") : dim));
    }
    const perExample = sourceN === 1 && targetN === 0 ? "" : sourceN === 1 ? " per example" : "";
    if (inferred === 0) {
      if (sourceEntries !== targetEntries) {
        this.context.error("shape-mismatch", list.span, `${describe()}: ${sourceEntries.toLocaleString("en-US")} entries${perExample}, but the new shape holds ${targetEntries.toLocaleString("en-US")}`);
        return undefined;
      }
      return target as Dim[];
    }
    // The -1 is N itself when N is on the left and not on the right.
    if (sourceN === 1 && targetN === 0) {
      if (sourceEntries !== targetEntries) {
        this.context.error("shape-mismatch", list.span, `${describe()}: write N for the batch; -1 can stand for N only when the other sizes hold one example's ${sourceEntries.toLocaleString("en-US")} entries, and they hold ${targetEntries.toLocaleString("en-US")}`);
        return undefined;
      }
      return target.map((dim) => (dim === "infer" ? N : dim));
    }
    if (sourceEntries % targetEntries !== 0) {
      this.context.error("shape-mismatch", list.span, `${describe()}: ${sourceEntries.toLocaleString("en-US")} entries${perExample} do not divide into parts of ${targetEntries.toLocaleString("en-US")}`);
      return undefined;
    }
    return target.map((dim) => (dim === "infer" ? constDim(sourceEntries / targetEntries) : dim));
  }
}
