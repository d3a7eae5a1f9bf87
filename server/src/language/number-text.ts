// How a number the tools chose (a search's best values) is written into a
// file or shown beside one: plain where that is short, in exponent form for
// the very small and very large (3.89e-5, not 0.0000389), and always so that
// it reads back as the same double.

export function numberText(value: number): string {
  const magnitude = Math.abs(value);
  return magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5) ? value.toExponential() : String(value);
}
