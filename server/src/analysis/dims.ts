// Dimensions of static shapes: numbers, the rigid batch symbol N, and
// variables (the data's D and C, or unknowns) that unification binds.

export type Dim = { readonly id: number; kind: "const"; value: number } | { readonly id: number; kind: "rigid"; name: string } | { readonly id: number; kind: "var"; name: string; bound?: Dim };

let nextId = 1;

export function constDim(value: number): Dim {
  return { id: nextId++, kind: "const", value };
}

export function rigidDim(name: string): Dim {
  return { id: nextId++, kind: "rigid", name };
}

export function varDim(name: string): Dim {
  return { id: nextId++, kind: "var", name };
}

/** Follows bindings to the representative of a dimension. */
export function resolve(dim: Dim): Dim {
  let current = dim;
  while (current.kind === "var" && current.bound) current = current.bound;
  return current;
}

/**
 * The data's D and C are sizes that only the data can fix: never the batch
 * size N, and never each other. Anonymous unknowns bind to anything.
 */
function bindable(variable: Extract<Dim, { kind: "var" }>, target: Dim): boolean {
  if (!isDataDim(variable)) return true;
  if (target.kind === "rigid") return false;
  return !(target.kind === "var" && isDataDim(target));
}

function isDataDim(dim: Dim): boolean {
  return dim.kind === "var" && (dim.name === "D" || dim.name === "C");
}

/** Makes two dimensions equal if they can be; false when they are different known sizes. */
export function unify(a: Dim, b: Dim): boolean {
  const left = resolve(a);
  const right = resolve(b);
  if (left === right) return true;
  if (left.kind === "var" && bindable(left, right)) {
    left.bound = right;
    return true;
  }
  if (right.kind === "var" && bindable(right, left)) {
    right.bound = left;
    return true;
  }
  if (left.kind === "const" && right.kind === "const") return left.value === right.value;
  if (left.kind === "rigid" && right.kind === "rigid") return left.name === right.name;
  return false;
}

export function dimText(dim: Dim): string {
  const resolved = resolve(dim);
  return resolved.kind === "const" ? String(resolved.value) : resolved.name;
}

export function isOne(dim: Dim): boolean {
  const resolved = resolve(dim);
  return resolved.kind === "const" && resolved.value === 1;
}

export function dimValue(dim: Dim): number | undefined {
  const resolved = resolve(dim);
  return resolved.kind === "const" ? resolved.value : undefined;
}

export type Shape = Dim[];

export function shapeText(shape: Shape): string {
  return `[${shape.map(dimText).join(", ")}]`;
}
