// Checked model -> IR. Scores and losses are inlined where they are named,
// hypers become constants, and constant arithmetic is folded. Compilation
// runs only on declarations the checker accepted, so what it refuses is a
// construct the executors cannot run, reported with its range.
import type * as ast from "../syntax/ast";
import { dimText, dimValue, resolve } from "../analysis/dims";
import { dependencyOrder } from "../analysis/dependencies";
import type { CheckedModel } from "../analysis/model";
import { forEachSubexpression } from "../syntax/walk";
import { dropoutSalt } from "./dropout";
import { GraphBuilder, type Graph, type OpName } from "./ir";

export type Compiled = { ok: true; graph: Graph } | { ok: false; message: string; span: ast.Span };

class CompileError extends Error {
  constructor(
    message: string,
    readonly span: ast.Span,
  ) {
    super(message);
  }
}

const comparisonOps: Record<string, OpName> = { ">": "gt", "<": "lt", ">=": "ge", "<=": "le", "==": "eq", "!=": "ne" };
const arithmeticOps: Record<string, OpName> = { "+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul" };
const unaryCalls: Record<string, OpName> = { relu: "relu", abs: "abs", exp: "exp", log: "log", sqrt: "sqrt", tanh: "tanh", sigmoid: "sigmoid" };

const fold: Partial<Record<OpName, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
};

class Compiler {
  private readonly builder = new GraphBuilder();
  private readonly compiled = new Map<ast.Declaration, number>();
  private readonly compiling = new Set<ast.Declaration>();
  /** The declaration being compiled and how many dropout and statistic calls it has had: what names each (a dropout call's salt, a statistic's running average). */
  private current = { name: "", calls: 0 };

  constructor(
    private readonly model: CheckedModel,
    /** Declarations read as inputs, like params, instead of computed: the score a loss is checked as a function of. */
    private readonly held: ReadonlySet<ast.Declaration> = new Set(),
  ) {}

  private constValue(id: number): number | undefined {
    const node = this.builder.nodes[id];
    return node.op === "const" ? node.value : undefined;
  }

  private constant(value: number): number {
    return this.builder.add("const", [], { value });
  }

  private binary(op: OpName, left: number, right: number): number {
    const a = this.constValue(left);
    const b = this.constValue(right);
    const folder = fold[op];
    if (folder && a !== undefined && b !== undefined) return this.constant(folder(a, b));
    return this.builder.add(op, [left, right]);
  }

  /**
   * Compiles a declaration after everything it is computed from, in
   * dependency order, so inlining a name finds it compiled and compilation
   * never recurses along a chain of declarations.
   */
  declarationInOrder(declaration: ast.Declaration): number {
    for (const each of dependencyOrder(this.model, declaration, this.held)) this.declaration(each);
    return this.declaration(declaration);
  }

  private declaration(declaration: ast.Declaration): number {
    const known = this.compiled.get(declaration);
    if (known !== undefined) return known;
    if (this.held.has(declaration)) {
      const input = this.builder.add("param", [], { name: declaration.name.text });
      this.compiled.set(declaration, input);
      return input;
    }
    if (this.compiling.has(declaration)) throw new CompileError(`${declaration.name.text} is defined in terms of itself`, declaration.name.span);
    this.compiling.add(declaration);
    let id: number;
    switch (declaration.kind) {
      case "hyper": {
        const value = this.model.facts.get(declaration)?.value;
        if (value === undefined) throw new CompileError(`the value of ${declaration.name.text} is not known`, declaration.name.span);
        id = this.constant(value);
        break;
      }
      case "param":
        id = this.builder.add("param", [], { name: declaration.name.text });
        break;
      case "score":
      case "loss":
      case "grad": {
        const outer = this.current;
        this.current = { name: declaration.name.text, calls: 0 };
        id = this.expression(declaration.value);
        this.current = outer;
        break;
      }
      default:
        throw new CompileError(`${declaration.kind} ${declaration.name.text} is not a value`, declaration.name.span);
    }
    this.compiling.delete(declaration);
    this.compiled.set(declaration, id);
    return id;
  }

  private dim(name: "C" | "D", span: ast.Span): number {
    const value = dimValue(this.model.dims[name]);
    if (value === undefined) throw new CompileError(`${name} is not known until the data is read`, span);
    return value;
  }

  expression(expr: ast.Expr): number {
    switch (expr.kind) {
      case "number":
        return this.constant(expr.value);
      case "name":
        return this.name(expr);
      case "gradRef": {
        // A grad used in another grad's expression is inlined like a score.
        const grad = this.model.grads.get(expr.name);
        if (!grad) throw new CompileError(`no grad ${expr.name} is declared`, expr.span);
        return this.declaration(grad.declaration);
      }
      case "negate": {
        const inner = this.expression(expr.operand);
        const value = this.constValue(inner);
        return value !== undefined ? this.constant(-value) : this.builder.add("neg", [inner]);
      }
      case "transpose": {
        // e^T reverses the axes: a matrix's two swapped, or a permutation beyond two.
        const rank = this.model.shapes.get(expr.operand)?.length ?? 2;
        const inner = this.expression(expr.operand);
        return rank > 2 ? this.builder.add("transpose", [inner], { axes: Array.from({ length: rank }, (_, i) => rank - 1 - i) }) : this.builder.add("transpose", [inner]);
      }
      case "index":
        return this.builder.add("pick", [this.expression(expr.target), this.builder.add("labels")]);
      case "binary":
        return this.binaryExpression(expr);
      case "call":
        return this.call(expr);
      default:
        throw new CompileError("this cannot be computed", expr.span);
    }
  }

  private name(expr: Extract<ast.Expr, { kind: "name" }>): number {
    switch (expr.name) {
      case "X":
        return this.builder.add("input");
      case "y":
        return this.builder.add("labels");
      case "N":
        return this.builder.add("batch");
      case "C":
      case "D":
        return this.constant(this.dim(expr.name, expr.span));
    }
    const symbol = this.model.symbols.get(expr.name);
    if (!symbol) throw new CompileError(`unknown name '${expr.name}'`, expr.span);
    return this.declaration(symbol.declaration);
  }

  private binaryExpression(expr: Extract<ast.Expr, { kind: "binary" }>): number {
    const left = this.expression(expr.left);
    if (expr.op === "^") {
      const exponent = this.constValue(this.expression(expr.right));
      if (exponent === undefined) throw new CompileError("an exponent must be a constant number", expr.right.span);
      const base = this.constValue(left);
      if (base !== undefined) return this.constant(base ** exponent);
      return exponent === 1 ? left : this.builder.add("pow", [left], { exponent });
    }
    const right = this.expression(expr.right);
    const op = comparisonOps[expr.op] ?? arithmeticOps[expr.op];
    return this.binary(op, left, right);
  }

  private call(expr: Extract<ast.Expr, { kind: "call" }>): number {
    const name = expr.callee.text;
    const positional = expr.args.filter((argument) => !argument.name).map((argument) => argument.value);
    const axisArgument = expr.args.find((argument) => argument.name?.text === "axis");
    const axis = axisArgument ? this.constValue(this.expression(axisArgument.value)) : undefined;
    const unary = unaryCalls[name];
    if (unary) {
      const inner = positional[0];
      // log(softmax(z)) is computed as z − logsumexp(z), which cannot overflow.
      if (name === "log" && inner?.kind === "call" && inner.callee.text === "softmax") {
        const innerAxis = inner.args.find((argument) => argument.name?.text === "axis")?.value;
        const z = inner.args.find((argument) => !argument.name)?.value;
        if (z) return this.builder.add("logsoftmax", [this.expression(z)], { axis: (innerAxis ? this.constValue(this.expression(innerAxis)) : undefined) ?? 1 });
      }
      return this.builder.add(unary, [this.expression(inner)]);
    }
    switch (name) {
      case "max":
      case "min":
        // One argument: the largest entry, of all or along an axis.
        if (name === "max" && positional.length === 1) return this.builder.add("reducemax", [this.expression(positional[0])], axis === undefined ? {} : { axis });
        return this.builder.add(name, [this.expression(positional[0]), this.expression(positional[1])]);
      case "conv2d":
        return this.builder.add("conv2d", [this.expression(positional[0]), this.expression(positional[1])], { stride: this.setting(expr, "stride") ?? 1, pad: this.setting(expr, "pad") ?? 0 });
      case "maxpool":
      case "avgpool": {
        const size = this.setting(expr, "size");
        if (size === undefined) throw new CompileError(`${name} needs size=…`, expr.span);
        return this.builder.add(name, [this.expression(positional[0])], { size, stride: this.setting(expr, "stride") ?? size });
      }
      case "upsample": {
        const size = this.setting(expr, "size");
        if (size === undefined) throw new CompileError("upsample needs size=…", expr.span);
        return this.builder.add("upsample", [this.expression(positional[0])], { size });
      }
      case "flatten":
        return this.builder.add("flatten", [this.expression(positional[0])]);
      case "flip":
        return this.builder.add("flip", [this.expression(positional[0])], { axes: this.numbers(expr.args.find((argument) => argument.name?.text === "axes")?.value, expr.span) });
      case "transpose":
        return this.builder.add("transpose", [this.expression(positional[0])], { axes: this.numbers(positional[1], expr.span) });
      case "reshape":
        return this.builder.add("reshape", [this.expression(positional[0])], { dims: this.reshapeDims(expr) });
      case "sum":
      case "mean":
        return this.builder.add(name, [this.expression(positional[0])], axis === undefined ? {} : { axis });
      case "logsumexp":
      case "softmax":
        return this.builder.add(name, [this.expression(positional[0])], { axis: axis ?? 1 });
      case "onehot":
        return this.builder.add("onehot", [this.builder.add("labels")], { classes: this.dim("C", expr.span) });
      case "dropout_mask": {
        const keepArgument = expr.args.find((argument) => argument.name?.text === "keep");
        const keep = keepArgument ? this.constValue(this.expression(keepArgument.value)) : 0.5;
        if (keep === undefined || !(keep > 0 && keep <= 1)) throw new CompileError("keep is a constant probability in (0, 1]", keepArgument?.value.span ?? expr.span);
        const salt = dropoutSalt(this.current.name, this.current.calls++);
        return this.builder.add("dropoutmask", [this.expression(positional[0])], { keep, salt });
      }
      case "batch_mean":
      case "batch_var":
        return this.builder.add(name === "batch_mean" ? "batchmean" : "batchvar", [this.expression(positional[0])], { statistic: `${this.current.name}#${this.current.calls++}` });
      default:
        throw new CompileError(`'${name}' cannot be computed here`, expr.callee.span);
    }
  }

  /** A call's named setting folded to a number (the checker has vetted it). */
  private setting(expr: Extract<ast.Expr, { kind: "call" }>, name: string): number | undefined {
    const argument = expr.args.find((each) => each.name?.text === name);
    if (!argument) return undefined;
    const value = this.constValue(this.expression(argument.value));
    if (value === undefined) throw new CompileError(`${name} must be a constant number`, argument.value.span);
    return value;
  }

  /** A list of constant numbers: transpose's and flip's axes. */
  private numbers(list: ast.Expr | undefined, span: ast.Span): number[] {
    if (list?.kind !== "list") throw new CompileError("a list of axes is needed here, such as [2, 3]", list?.span ?? span);
    return list.items.map((item) => {
      const value = this.constValue(this.expression(item));
      if (value === undefined) throw new CompileError("an axis must be a constant number", item.span);
      return value;
    });
  }

  /** A reshape's target from its checked shape: the batch size N left as -1, found from the entries when it runs. */
  private reshapeDims(expr: Extract<ast.Expr, { kind: "call" }>): number[] {
    const shape = this.model.shapes.get(expr);
    if (!shape) throw new CompileError("the shape of this reshape is not known", expr.span);
    return shape.map((dim) => {
      const resolved = resolve(dim);
      if (resolved.kind === "rigid") return -1;
      if (resolved.kind === "const") return resolved.value;
      throw new CompileError(`this reshape's size ${dimText(dim)} is not known until the data is read`, expr.span);
    });
  }

  build(output: number): Graph {
    return this.builder.build(output);
  }
}

function compileWith(model: CheckedModel, root: (compiler: Compiler) => number, held?: ReadonlySet<ast.Declaration>): Compiled {
  const compiler = new Compiler(model, held);
  try {
    return { ok: true, graph: compiler.build(root(compiler)) };
  } catch (failure) {
    if (failure instanceof CompileError) return { ok: false, message: failure.message, span: failure.span };
    throw failure;
  }
}

/**
 * Compiles a loss, score or grad declaration into a graph of its own. The
 * declarations in `held` (scores) become inputs named as they are, read from
 * the params' bindings: the loss as a function of a score, what is upstream
 * of it held and what is downstream recomputed.
 */
export function compileDeclaration(model: CheckedModel, declaration: ast.Declaration, held?: ReadonlySet<ast.Declaration>): Compiled {
  return compileWith(model, (compiler) => compiler.declarationInOrder(declaration), held);
}

/** Compiles an expression over the model's names (for parts of a loss, such as its data term). */
export function compileExpression(model: CheckedModel, expr: ast.Expr): Compiled {
  return compileWith(model, (compiler) => {
    forEachSubexpression(expr, (inner) => {
      const symbol = inner.kind === "name" ? model.symbols.get(inner.name) : undefined;
      if (symbol) compiler.declarationInOrder(symbol.declaration);
    });
    return compiler.expression(expr);
  });
}
