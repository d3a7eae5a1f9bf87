// A search's trials from its space (analysis/search-declarations.ts): random
// draws from each range on its scale, or a grid of every combination, each
// value rounded to three significant digits (whole numbers for a whole-number
// setting) so the value a trial ran with is the value written back into the
// file. Each searched setting draws from its own seeded stream, so adding one
// does not change the others' values.
import type { SearchDimension, SearchSpace } from "../analysis/model";
import { seededStreams } from "../engine/random";

/** One trial: a value for each searched setting, by its `--set` name (`reg`, `opt.lr`). */
export interface Trial {
  index: number;
  values: Record<string, number>;
}

/** A value as a trial uses it and as it is written: three significant digits, or a whole number. */
export function roundValue(value: number, dimension: Pick<SearchDimension, "integer" | "range">): number {
  if (dimension.integer) {
    const rounded = Math.round(value);
    const range = dimension.range;
    return range ? Math.min(Math.floor(range.to), Math.max(Math.ceil(range.from), rounded)) : rounded;
  }
  const rounded = Number(value.toPrecision(3));
  const range = dimension.range;
  return range ? Math.min(range.to, Math.max(range.from, rounded)) : rounded;
}

/** The point a fraction `t` in [0, 1] of the way along a range, on its scale. */
function along(range: NonNullable<SearchDimension["range"]>, t: number): number {
  if (range.scale === "log") return Math.exp(Math.log(range.from) + t * (Math.log(range.to) - Math.log(range.from)));
  return range.from + t * (range.to - range.from);
}

/** A grid's values along one dimension: its list, or `points` values spaced evenly on its range's scale (the middle for one point). */
export function gridValues(dimension: SearchDimension, points: number): number[] {
  if (dimension.values) return [...new Set(dimension.values)];
  const range = dimension.range as NonNullable<SearchDimension["range"]>;
  const values = Array.from({ length: points }, (_, i) => roundValue(along(range, points === 1 ? 0.5 : i / (points - 1)), dimension));
  return [...new Set(values)];
}

export function searchTrials(space: SearchSpace, seed: number): Trial[] {
  if (space.method === "grid") {
    let combinations: Record<string, number>[] = [{}];
    for (const dimension of space.dimensions) {
      const values = gridValues(dimension, space.points);
      combinations = combinations.flatMap((combination) => values.map((value) => ({ ...combination, [dimension.name]: value })));
    }
    return combinations.map((values, index) => ({ index, values }));
  }
  const streams = seededStreams(seed);
  const draws = space.dimensions.map((dimension) => ({ dimension, random: streams(`search:${dimension.name}`) }));
  return Array.from({ length: space.trials }, (_, index) => {
    const values: Record<string, number> = {};
    for (const { dimension, random } of draws) {
      const u = random.uniform();
      values[dimension.name] = dimension.values ? dimension.values[Math.min(dimension.values.length - 1, Math.floor(u * dimension.values.length))] : roundValue(along(dimension.range as NonNullable<SearchDimension["range"]>, u), dimension);
    }
    return { index, values };
  });
}

/** A trial's values as `--set` gives them, and as the file is edited with them. */
export function trialSets(trial: Trial): string[] {
  return Object.entries(trial.values).map(([name, value]) => `${name}=${value}`);
}
