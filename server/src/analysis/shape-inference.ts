// Static shapes of expressions, with the batch size N as a symbol and the
// data's D and C as variables that unification binds: what each operator and
// builtin makes of its operands' shapes, and the entry limit on every value.
import type * as ast from "../syntax/ast";
import { builtinFunctionsByName, initialisersByName } from "../language/builtins";
import type { CheckContext } from "./check-context";
import type { ConstantFolder } from "./constant-folding";
import { constDim, dimText, dimValue, isOne, resolve, shapeText, unify, type Dim, type Shape } from "./dims";
import { ImageShapes, type ImageSettings } from "./image-shapes";
import { resolveGradReference, resolveValueName } from "./name-resolution";
import { withArticle } from "./suggest";

export interface Typed {
  shape: Shape;
  /** Integer class labels (y), usable for picking and onehot. */
  labels?: boolean;
}

export class ShapeInference {
  private readonly memo = new Map<ast.Declaration, Typed | undefined>();
  private readonly images: ImageShapes;

  constructor(
    private readonly context: CheckContext,
    private readonly constants: ConstantFolder,
  ) {
    this.images = new ImageShapes(context, constants);
  }

  private shaped(shape: Shape | undefined): Typed | undefined {
    return shape ? { shape } : undefined;
  }

  /** The shape of a score's, loss's or grad's value, inferred once; also its fact. */
  typeOfDeclaration(declaration: ast.Declaration): Typed | undefined {
    const context = this.context;
    if (this.memo.has(declaration)) return this.memo.get(declaration);
    if (context.visiting.has(declaration)) {
      context.error("cycle", declaration.name.span, `${declaration.name.text} is defined in terms of itself`);
      return undefined;
    }
    if (context.tooManyReferences(declaration.name.span)) return undefined;
    context.visiting.add(declaration);
    let typed: Typed | undefined;
    if (declaration.kind === "score" || declaration.kind === "loss" || declaration.kind === "grad") typed = this.typeOf(declaration.value);
    context.visiting.delete(declaration);
    this.memo.set(declaration, typed);
    if (typed) context.facts(declaration).shape = typed.shape;
    return typed;
  }

  /** The shape of an expression, recorded in the model; undefined (reported) when it has none. */
  typeOf(expr: ast.Expr): Typed | undefined {
    const typed = this.inferType(expr);
    if (!typed || this.tooLarge(expr, typed.shape)) return undefined;
    this.context.model.shapes.set(expr, typed.shape);
    return typed;
  }

  /**
   * A value over the entry limit is refused before an executor allocates it:
   * `W^T @ W` of a [1, 100000] W would need 10^10 entries. The batch size N
   * counts as 1, so the limit is per example there. Names are checked where
   * they are declared (params here, data sets by the data layer's size cap).
   * The enclosing expressions are then of unknown shape and stay quiet.
   */
  private tooLarge(expr: ast.Expr, shape: Shape): boolean {
    if (expr.kind === "name") return false;
    let entries = 1;
    for (const dim of shape) entries *= dimValue(dim) ?? 1;
    if (entries <= this.context.maxTensorEntries) return false;
    const perExample = shape.some((dim) => resolve(dim).kind === "rigid") ? " per example" : "";
    this.context.error("too-large", expr.span, `this value would have ${entries.toLocaleString("en-US")} entries${perExample} (${shapeText(shape)}), more than the limit of ${this.context.maxTensorEntries.toLocaleString("en-US")}`);
    return true;
  }

  private inferType(expr: ast.Expr): Typed | undefined {
    switch (expr.kind) {
      case "number":
        return { shape: [] };
      case "missing":
        return undefined;
      case "string":
        // An unterminated string is already reported as such.
        if (expr.terminated) this.context.error("bad-expression", expr.span, "a string cannot be part of a calculation");
        return undefined;
      case "list":
        this.context.error("bad-expression", expr.span, "a list can only be a param's shape or inline data");
        return undefined;
      case "range":
        this.context.error("bad-expression", expr.span, "a range can only be a setting's value");
        return undefined;
      case "member":
        this.context.error("bad-expression", expr.span, "a data split such as fmnist.train can only be a setting's value");
        return undefined;
      case "name":
        return this.typeOfName(expr);
      case "gradRef":
        return this.typeOfGradReference(expr);
      case "negate":
        return this.typeOf(expr.operand);
      case "transpose": {
        const inner = this.typeOf(expr.operand);
        if (!inner) return undefined;
        return { shape: [...inner.shape].reverse() };
      }
      case "index":
        return this.typeOfIndex(expr);
      case "binary":
        return this.typeOfBinary(expr);
      case "call":
        return this.typeOfCall(expr);
    }
  }

  private typeOfName(expr: Extract<ast.Expr, { kind: "name" }>): Typed | undefined {
    const dims = this.context.model.dims;
    switch (expr.name) {
      case "X":
        return { shape: [dims.N, dims.D] };
      case "y":
        return { shape: [dims.N], labels: true };
      case "N":
      case "D":
      case "C":
        return { shape: [] };
    }
    const symbol = resolveValueName(this.context, expr);
    if (!symbol) return undefined;
    switch (symbol.kind) {
      case "hyper":
        return { shape: [] };
      case "param": {
        const shape = this.context.facts(symbol.declaration).shape;
        return shape ? { shape } : undefined;
      }
      case "score":
      case "loss":
        return this.typeOfDeclaration(symbol.declaration);
      default:
        this.context.error("bad-expression", expr.span, `'${expr.name}' is ${withArticle(symbol.kind === "data" ? "data set" : symbol.kind)} and cannot be part of a calculation`);
        return undefined;
    }
  }

  /** A grad used by name, as a backward pass is written: only inside another grad's expression. */
  private typeOfGradReference(expr: Extract<ast.Expr, { kind: "gradRef" }>): Typed | undefined {
    const symbol = resolveGradReference(this.context, expr);
    if (!symbol) return undefined;
    const within = [...this.context.visiting].pop();
    if (within?.kind !== "grad") {
      this.context.error("bad-expression", expr.span, `a grad such as ${expr.name} can only be used in another grad's expression (to divide, write ${expr.name.replace("/", " / ")})`);
      return undefined;
    }
    return this.typeOfDeclaration(symbol.declaration);
  }

  private typeOfIndex(expr: Extract<ast.Expr, { kind: "index" }>): Typed | undefined {
    const target = this.typeOf(expr.target);
    const indices = expr.indices.map((index) => this.typeOf(index));
    if (expr.indices.length !== 1 || !indices[0]?.labels) {
      if (indices.every((index) => index !== undefined)) this.context.error("bad-index", expr.span, "only s[y] is supported: it picks each row's entry at that row's label");
      return undefined;
    }
    if (!target) return undefined;
    if (target.shape.length !== 2) {
      this.context.error("bad-index", expr.span, `s[y] picks one entry per row of a matrix, but this has shape ${shapeText(target.shape)}`);
      return undefined;
    }
    if (!unify(target.shape[0], this.context.model.dims.N)) {
      this.context.error("bad-index", expr.span, `s[y] needs one row per example, but this has shape ${shapeText(target.shape)}`);
      return undefined;
    }
    if (!unify(target.shape[1], this.context.model.dims.C)) {
      this.context.error("bad-index", expr.span, `s[y] picks each row's score for its class, so it needs C = ${dimText(this.context.model.dims.C)} columns, but this has shape ${shapeText(target.shape)}`);
      return undefined;
    }
    // The picked column keeps its axis, so s - s[y] broadcasts as in the notes.
    return { shape: [this.context.model.dims.N, constDim(1)] };
  }

  private typeOfBinary(expr: Extract<ast.Expr, { kind: "binary" }>): Typed | undefined {
    const left = this.typeOf(expr.left);
    const right = this.typeOf(expr.right);
    if (!left || !right) return undefined;
    if (expr.op === "@") return this.matmul(left.shape, right.shape, expr.opSpan);
    if (expr.op === "^" && right.shape.length > 0) {
      this.context.error("bad-expression", expr.right.span, "an exponent must be a number (W^T transposes)");
      return undefined;
    }
    const shape = this.broadcast(left.shape, right.shape, expr.opSpan, expr.op);
    return shape ? { shape } : undefined;
  }

  private matmul(left: Shape, right: Shape, span: ast.Span): Typed | undefined {
    if (left.length === 0 || right.length === 0) {
      this.context.error("shape-mismatch", span, `@ multiplies matrices or vectors, but one side is a number (shapes ${shapeText(left)} and ${shapeText(right)}): use * to scale`);
      return undefined;
    }
    const inner = left[left.length - 1];
    const otherInner = right[0];
    if (!unify(inner, otherInner)) {
      this.context.error("shape-mismatch", span, `cannot multiply ${shapeText(left)} by ${shapeText(right)}: inner dimensions ${dimText(inner)} and ${dimText(otherInner)} differ`);
      return undefined;
    }
    const shape = [...left.slice(0, -1), ...right.slice(1)];
    return { shape };
  }

  /** Numpy broadcasting: align from the right; sizes must match or one of them be 1. */
  private broadcast(left: Shape, right: Shape, span: ast.Span, op: string): Shape | undefined {
    const length = Math.max(left.length, right.length);
    const result: Dim[] = [];
    for (let i = 0; i < length; i++) {
      const a = left[left.length - length + i];
      const b = right[right.length - length + i];
      if (!a || !b) {
        result.push((a ?? b) as Dim);
        continue;
      }
      if (isOne(a)) result.push(b);
      else if (isOne(b)) result.push(a);
      else if (unify(a, b)) result.push(a);
      else {
        this.context.error("shape-mismatch", span, `cannot apply '${op}' to ${shapeText(left)} and ${shapeText(right)}: dimensions ${dimText(a)} and ${dimText(b)} differ and neither is 1`);
        return undefined;
      }
    }
    return result;
  }

  private typeOfCall(expr: Extract<ast.Expr, { kind: "call" }>): Typed | undefined {
    const name = expr.callee.text;
    const builtin = builtinFunctionsByName.get(name);
    if (!builtin) {
      if (initialisersByName.has(name)) this.context.error("bad-expression", expr.callee.span, `'${name}' is an initialiser; it can only start a param`);
      else {
        const symbol = this.context.model.symbols.get(name);
        if (symbol) this.context.error("unknown-function", expr.callee.span, `'${name}' is ${withArticle(symbol.kind)}, not a function`);
        else this.context.unknownWord("unknown-function", expr.callee.span, `unknown function '${name}'`, name, builtinFunctionsByName.keys());
      }
      for (const argument of expr.args) this.typeOf(argument.value);
      return undefined;
    }
    const positional = expr.args.filter((argument) => !argument.name);
    const settings: ImageSettings = {};
    let axis: number | undefined;
    let axisArgument: ast.Expr | undefined;
    for (const argument of expr.args) {
      if (!argument.name) continue;
      const allowed = builtin.parameters.filter((parameter) => parameter.named).map((parameter) => parameter.name);
      const setting = argument.name.text;
      if (!allowed.includes(setting)) {
        this.context.unknownWord("unknown-argument", argument.name.span, `${name} has no argument '${setting}'`, setting, allowed, allowed.length ? ` (it takes ${allowed.join(", ")})` : "");
        continue;
      }
      if (setting === "keep") {
        const value = this.constants.fold(argument.value, true);
        if (value === undefined || !(value > 0 && value <= 1)) this.context.error("bad-value", argument.value.span, `keep is a constant probability in (0, 1]${value === undefined ? "" : `, not ${value}`}`);
      } else if (setting === "axes") settings.axes = this.images.numberList(argument.value, "axes");
      else if (setting === "stride" || setting === "size") settings[setting] = this.images.wholeNumber(argument.value, setting, 1);
      else if (setting === "pad") settings.pad = this.images.wholeNumber(argument.value, setting, 0);
      else {
        axis = this.images.wholeNumber(argument.value, "axis", 0);
        axisArgument = argument.value;
      }
    }
    // A list argument (reshape's sizes, transpose's axes) is read by its rule, not typed as a value.
    const listRule = builtin.shape === "reshape" || builtin.shape === "permute";
    const most = builtin.parameters.filter((parameter) => !parameter.named).length;
    if (positional.length < builtin.minArgs || positional.length > most) {
      const count = builtin.minArgs === most ? (most === 1 ? "one argument" : `${most} arguments`) : `${builtin.minArgs} or ${most} arguments`;
      this.context.error("bad-arguments", expr.span, `${name} takes ${count}: ${builtin.signature}`);
      for (const argument of listRule ? positional.slice(0, 1) : positional) this.typeOf(argument.value);
      return undefined;
    }
    const args = (listRule ? positional.slice(0, 1) : positional).map((argument) => this.typeOf(argument.value));
    if (args.some((argument) => argument === undefined)) return undefined;
    const [first, second] = args as Typed[];
    const axisWithin = (rank: number): boolean => {
      if (axis === undefined || axis < rank) return true;
      this.context.error("bad-value", (axisArgument as ast.Expr).span, `axis ${axis} is not an axis of ${shapeText(first.shape)}${rank > 0 ? ` (0 to ${rank - 1})` : ", a number"}`);
      return false;
    };
    switch (builtin.shape) {
      case "elementwise":
        return { shape: first.shape };
      case "broadcast2": {
        if (!second) {
          // One argument: the largest entry, of all or along an axis kept with size 1.
          if (!axisWithin(first.shape.length)) return undefined;
          return { shape: axis === undefined ? [] : first.shape.map((dim, i) => (i === axis ? constDim(1) : dim)) };
        }
        if (axisArgument) {
          this.context.error("bad-arguments", axisArgument.span, `${name} of two arguments is elementwise; with axis it takes one: ${name}(x, axis=1)`);
          return undefined;
        }
        const shape = this.broadcast(first.shape, second.shape, expr.callee.span, name);
        return shape ? { shape } : undefined;
      }
      case "reduce":
      case "reduceKeep":
      case "rowwise": {
        const chosen = axis ?? (builtin.shape === "reduce" ? undefined : 1);
        if (chosen === undefined) return { shape: [] };
        // A vector is read as one row along an axis, as numpy's matrices are: axes need at least two.
        if (first.shape.length < 2 || chosen >= first.shape.length) {
          this.context.error("shape-mismatch", axisArgument?.span ?? expr.span, `${name} along axis ${chosen} needs a tensor of at least two axes with that axis, but its argument has shape ${shapeText(first.shape)}`);
          return undefined;
        }
        if (builtin.shape === "rowwise") return { shape: first.shape };
        return { shape: first.shape.map((dim, i) => (i === chosen ? constDim(1) : dim)) };
      }
      case "conv2d":
        return this.shaped(this.images.conv2d(expr, first.shape, second.shape, settings));
      case "pool":
        return this.shaped(this.images.pool(expr, first.shape, settings));
      case "upsample":
        return this.shaped(this.images.upsample(expr, first.shape, settings));
      case "flatten":
        return this.shaped(this.images.flatten(expr, first.shape));
      case "flip":
        return this.shaped(this.images.flip(first.shape, settings, expr.span));
      case "permute":
        return this.shaped(this.images.permute(first.shape, positional[1].value));
      case "reshape":
        return this.shaped(this.images.reshape(first.shape, positional[1].value));
      case "batchStatistic":
        if (first.shape.length !== 2) {
          this.context.error("shape-mismatch", expr.span, `${name} needs a batch of rows, [N, H], but its argument has shape ${shapeText(first.shape)}`);
          return undefined;
        }
        return { shape: [constDim(1), first.shape[1]] };
      case "onehot":
        if (!first.labels) {
          this.context.error("bad-arguments", expr.span, "onehot takes the labels: onehot(y)");
          return undefined;
        }
        return { shape: [this.context.model.dims.N, this.context.model.dims.C] };
      case "initialiser":
        return undefined;
    }
  }
}
