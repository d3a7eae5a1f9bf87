// From a data declaration to examples: its source call picks the loader, its
// settings become the preparation (splits, scaling, mean subtraction on the
// training split, the bias trick, subsets), and file-backed data goes through
// the cache, so an edit to the model does not reload the files.
import { isAbsolute, resolve } from "node:path";
import type * as ast from "../syntax/ast";
import { createDataCache, type DataCache, type Preparation } from "../data/cache";
import { blobs, spiral, toy } from "../data/generators";
import { fromRows } from "../data/inline";
import { firstRows, randomSubset, splitTrainVal, takeRows, transformValues } from "../data/prepare";
import { createRng, permutation } from "../data/random";
import { resolveSplitFile, type DataSource, type SplitFiles } from "../data/source";
import { summarize, type Summary } from "../data/summary";
import type { Examples, Result, SplitName, Splits } from "../data/types";
import type { DataDeclaration, DataLoader, DataSummary } from "./run-check";

/** One cache per worker: data sets survive across jobs. */
const cache: DataCache = createDataCache();

type Setting = { number?: number; text?: string; flag: boolean };

/** A data declaration's settings: numbers folded, names and strings as text, bare keys as flags (the export reads them too). */
export function settingsOf(declaration: DataDeclaration): Map<string, Setting> {
  const settings = new Map<string, Setting>();
  for (const setting of declaration.block?.settings ?? []) {
    const value = setting.value;
    settings.set(setting.key.text, {
      flag: value === undefined,
      number: value ? foldNumber(value) : undefined,
      text: value?.kind === "string" ? value.value : value?.kind === "name" ? value.name : undefined,
    });
  }
  return settings;
}

/** Data settings take literal numbers and simple arithmetic such as 1/255. */
function foldNumber(expr: ast.Expr): number | undefined {
  if (expr.kind === "number") return expr.value;
  if (expr.kind === "negate") {
    const inner = foldNumber(expr.operand);
    return inner === undefined ? undefined : -inner;
  }
  if (expr.kind === "binary") {
    const a = foldNumber(expr.left);
    const b = foldNumber(expr.right);
    if (a === undefined || b === undefined) return undefined;
    return expr.op === "*" ? a * b : expr.op === "/" ? a / b : expr.op === "+" ? a + b : expr.op === "-" ? a - b : undefined;
  }
  return undefined;
}

function stringArgument(call: Extract<ast.Expr, { kind: "call" }>, position: number, name?: string): string | undefined {
  const named = name ? call.args.find((argument) => argument.name?.text === name)?.value : undefined;
  const value = named ?? call.args.filter((argument) => !argument.name)[position]?.value;
  return value?.kind === "string" ? value.value : undefined;
}

function numberArgument(call: Extract<ast.Expr, { kind: "call" }>, name: string): number | undefined {
  const value = call.args.find((argument) => argument.name?.text === name)?.value;
  return value ? foldNumber(value) : undefined;
}

function listOf(expr: ast.Expr | undefined): number[][] | number[] | undefined {
  if (expr?.kind !== "list") return undefined;
  return expr.items.map((item) => (item.kind === "list" ? item.items.map((inner) => foldNumber(inner) ?? NaN) : foldNumber(item) ?? NaN)) as number[][] | number[];
}

/**
 * The preparation the settings ask for, in the order the notes apply it.
 * `asStored` keeps the splits and subsets but not what changes the values
 * (scaling, centring, the bias column): the examples as the files hold them.
 */
function preparationFor(settings: Map<string, Setting>, asStored = false): Preparation {
  const train = settings.get("train")?.number;
  const val = settings.get("val")?.number;
  const test = settings.get("test")?.number;
  const factor = asStored ? undefined : settings.get("scale")?.number;
  const center = !asStored && settings.has("center");
  const bias = !asStored && settings.has("bias_trick");
  const first = settings.get("first")?.number;
  const sample = settings.get("sample")?.number;
  const seed = settings.get("seed")?.number ?? 0;
  const description = JSON.stringify({ train, val, test, factor, center, bias, first, sample, seed });
  return {
    description,
    apply(input: Splits): Result<Splits> {
      let splits = input;
      if (train !== undefined || val !== undefined || test !== undefined) {
        // Without a train count, train is what val (and a test carved from the training file) leave.
        const carved = (val ?? 0) + (splits.test ? 0 : (test ?? 0));
        const counts = { train: train ?? Math.max(0, splits.train.n - carved), ...(val !== undefined ? { val } : {}), ...(test !== undefined ? { test } : {}) };
        const split = splitTrainVal(splits, counts);
        if (!split.ok) return split;
        splits = split.value;
      }
      const each = (f: (x: Examples) => Result<Examples>): Result<Splits> => {
        const parts: Splits = { ...splits };
        for (const key of ["train", "val", "test"] as const) {
          const part = splits[key];
          if (!part) continue;
          const done = f(part);
          if (!done.ok) return done;
          parts[key] = done.value;
        }
        return { ok: true, value: parts };
      };
      if (first !== undefined) {
        const cut = each((x) => firstRows(x, Math.min(first, x.n)));
        if (!cut.ok) return cut;
        splits = cut.value;
      } else if (sample !== undefined) {
        const sampled = each((x) => randomSubset(x, Math.min(sample, x.n), seed));
        if (!sampled.ok) return sampled;
        splits = sampled.value;
      }
      if ((factor !== undefined && factor !== 1) || center || bias) {
        const transformed = transformValues(splits, { ...(factor !== undefined ? { factor } : {}), center, bias });
        if (!transformed.ok) return transformed;
        splits = transformed.value;
      }
      return { ok: true, value: splits };
    },
  };
}

/** The files split settings name: `test "t10k"`, or for npy `test ["inputs.npy", "labels.npy"]`. */
function splitFileNames(declaration: DataDeclaration): Array<[SplitName, [string] | [string, string]]> {
  const names: Array<[SplitName, [string] | [string, string]]> = [];
  for (const setting of declaration.block?.settings ?? []) {
    const split = setting.key.text;
    if (split !== "train" && split !== "val" && split !== "test") continue;
    const value = setting.value;
    if (value?.kind === "string") names.push([split, [value.value]]);
    else if (value?.kind === "list" && value.items.length === 2 && value.items[0].kind === "string" && value.items[1].kind === "string") names.push([split, [value.items[0].value, value.items[1].value]]);
  }
  return names;
}

/** Where a split setting's value is, for an error in the file it names. */
function splitValueSpan(declaration: DataDeclaration, split: SplitName | undefined): ast.Span | undefined {
  return split ? declaration.block?.settings.find((setting) => setting.key.text === split)?.value?.span : undefined;
}

async function loadDeclaration(declaration: DataDeclaration, baseDirectory: string, asStored: boolean): Promise<Result<Splits>> {
  const source = declaration.source;
  if (source.kind !== "call") return { ok: false, error: { message: "a data set needs a source such as idx(\"folder\")" } };
  const settings = settingsOf(declaration);
  const preparation = preparationFor(settings, asStored);
  const path = (relative: string | undefined) => (relative === undefined ? undefined : isAbsolute(relative) ? relative : resolve(baseDirectory, relative));
  // Generators emit one class after another; a seeded shuffle lets a split by count hold every class.
  const generated = (examples: Result<Examples>): Result<Splits> => (examples.ok ? preparation.apply({ train: takeRows(examples.value, permutation(examples.value.n, createRng(seed ?? 0))) }) : examples);
  const seed = numberArgument(source, "seed");
  let fileSource: DataSource;
  switch (source.callee.text) {
    case "toy":
      return generated({ ok: true, value: toy() });
    case "spiral":
      return generated(spiral({ classes: numberArgument(source, "classes"), points: numberArgument(source, "points"), noise: numberArgument(source, "noise"), seed }));
    case "blobs":
      return generated(blobs({ classes: numberArgument(source, "classes"), points: numberArgument(source, "points"), dims: numberArgument(source, "dims"), spread: numberArgument(source, "spread"), seed }));
    case "inline": {
      const rows = listOf(source.args.find((argument) => argument.name?.text === "X")?.value);
      const labels = listOf(source.args.find((argument) => argument.name?.text === "y")?.value);
      if (!rows || !labels) return { ok: false, error: { message: "inline(...) needs X=[[…], …] and y=[…]" } };
      return generated(fromRows(rows.map((row) => (Array.isArray(row) ? row : [row])), labels as number[]));
    }
    case "idx":
    case "cifar10": {
      const folder = path(stringArgument(source, 0));
      if (!folder) return { ok: false, error: { message: `${source.callee.text}(...) needs a folder` } };
      fileSource = { format: source.callee.text, path: folder };
      break;
    }
    case "csv": {
      const file = path(stringArgument(source, 0));
      if (!file) return { ok: false, error: { message: "csv(...) needs a file" } };
      fileSource = { format: "csv", path: file, labelColumn: stringArgument(source, -1, "label") };
      break;
    }
    case "npy": {
      const inputs = path(stringArgument(source, 0));
      const labels = path(stringArgument(source, 1));
      if (!inputs || !labels) return { ok: false, error: { message: "npy(...) needs the inputs file and the labels file" } };
      fileSource = { format: "npy", path: inputs, labels };
      break;
    }
    default:
      return { ok: false, error: { message: `unknown data source '${source.callee.text}'` } };
  }
  const splitFiles: SplitFiles = {};
  for (const [split, names] of splitFileNames(declaration)) splitFiles[split] = resolveSplitFile(fileSource, baseDirectory, names);
  if (Object.keys(splitFiles).length > 0) fileSource.splits = splitFiles;
  return cache.load(fileSource, preparation);
}

const summaries = new WeakMap<Examples, Summary>();

/** Summaries for hover, computed once per loaded split. */
function summaryOf(examples: Examples): Summary {
  let summary = summaries.get(examples);
  if (!summary) {
    summary = summarize(examples);
    summaries.set(examples, summary);
  }
  return summary;
}

/** With `asStored`, the values are the files' own, before scaling, centring and the bias trick (for the preview's images). */
export function dataLoader(where: { baseDirectory: string; maxDataBytes?: number; asStored?: boolean }): DataLoader {
  if (where.maxDataBytes !== undefined) cache.configure({ maxDataSetBytes: where.maxDataBytes });
  const asStored = where.asStored ?? false;
  return async (declaration) => {
    const loaded = await loadDeclaration(declaration, where.baseDirectory, asStored);
    if (!loaded.ok) return { ok: false, message: loaded.error.message, span: splitValueSpan(declaration, loaded.error.split) };
    const splits = loaded.value;
    const bias = !asStored && declaration.block?.settings.some((setting) => setting.key.text === "bias_trick") ? 1 : 0;
    const summary: DataSummary = {};
    for (const key of ["train", "val", "test"] as const) {
      const part = splits[key];
      if (part) summary[key] = summaryOf(part);
    }
    return { ok: true, splits, facts: { features: splits.train.d - bias, classes: splits.train.classes }, summary };
  };
}
