// Initial values of params from their initialisers: `randn * 0.0001`,
// `xavier`, `zeros`, … Seeded, so a check or a run starts from the same point.
import type * as ast from "../syntax/ast";
import type { RandomSource } from "./gradcheck";
import { tensor, type Tensor } from "./tensor";

interface Initialiser {
  kind: string;
  scale: number;
}

/** Reads `kind`, `kind * c`, `c * kind`, `kind / c` or a plain number; the checker has vetted the form. */
function readInitialiser(expr: ast.Expr | undefined, constant: (expr: ast.Expr) => number | undefined): Initialiser {
  if (!expr) return { kind: "zeros", scale: 1 };
  if (expr.kind === "name") return { kind: expr.name, scale: 1 };
  if (expr.kind === "call") return { kind: expr.callee.text, scale: 1 };
  if (expr.kind === "number") return { kind: "fill", scale: expr.value };
  if (expr.kind === "negate") {
    const inner = readInitialiser(expr.operand, constant);
    return { ...inner, scale: -inner.scale };
  }
  if (expr.kind === "binary" && (expr.op === "*" || expr.op === "/")) {
    const leftConstant = constant(expr.left);
    if (leftConstant !== undefined && expr.op === "*") {
      const inner = readInitialiser(expr.right, constant);
      return { ...inner, scale: inner.scale * leftConstant };
    }
    const inner = readInitialiser(expr.left, constant);
    const factor = constant(expr.right) ?? 1;
    return { ...inner, scale: expr.op === "*" ? inner.scale * factor : inner.scale / factor };
  }
  const value = constant(expr);
  return value === undefined ? { kind: "zeros", scale: 1 } : { kind: "fill", scale: value };
}

export function initialValue(shape: number[], init: ast.Expr | undefined, constant: (expr: ast.Expr) => number | undefined, random: RandomSource): Tensor {
  const { kind, scale } = readInitialiser(init, constant);
  const out = tensor(shape);
  // A matrix's last dimension; a convolution's kernel [F, C, kh, kw] reads C·kh·kw inputs per output.
  const fanIn = shape.length === 4 ? shape[1] * shape[2] * shape[3] : (shape[shape.length - 1] ?? 1);
  const draw: () => number =
    kind === "randn"
      ? () => random.normal()
      : kind === "rand"
        ? () => random.uniform()
        : kind === "xavier"
          ? () => random.normal() / Math.sqrt(fanIn)
          : kind === "he"
            ? () => random.normal() * Math.sqrt(2 / fanIn)
            : kind === "ones" || kind === "fill"
              ? () => 1
              : () => 0;
  for (let i = 0; i < out.data.length; i++) out.data[i] = draw() * scale;
  return out;
}
