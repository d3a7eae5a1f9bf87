// What a run's model learned, drawn into its folder: a linear classifier's
// templates (templates.ts) from its saved weights, as templates.png (all
// classes on one grid), templates/<k>-<class>.png (one per class, one pixel
// per weight) and templates.json (the same pixels and their scale, what the
// editor's panel reads); a convolutional network's first-layer filters
// (filters.ts) as filters.png (all of them on one grid, zoomed) and
// filters.json. Written when a run ends, with the weights its figures come
// from, and again by `optim learned` from a run folder alone.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { encodePng } from "./png";
import { readSavedWeights, type Loaded, type RunMeta } from "./run-store";
import { drawFilters } from "./filters";
import { drawTemplates, templateImage } from "./templates";
import { gridImage } from "./weight-images";
import { checkpointFolder, writeFileAtomically } from "./weights";

export interface FiltersFile {
  version: 1;
  run: string;
  /** The weights drawn, and the steps they had taken. */
  weights: "best" | "final";
  steps?: number;
  /** K of the convolution that reads the images, [F, C, kh, kw]: each filter is a kh × kw image of C channels. */
  param: string;
  width: number;
  height: number;
  channels: number;
  /** Each filter on its own scale: its `low` (smallest weight) is 0, its `high` (largest) 255. */
  scale: "per-filter";
  /** filters.png: the filters in order, `perRow` to a row, each `zoom` times as large, `gap` pixels of white between them. */
  grid: { file: string; perRow: number; zoom: number; gap: number };
  /** Each filter: its index in K, its scale, and its pixels (0–255, channel-planar) in base64. */
  filters: { index: number; low: number; high: number; pixels: string }[];
}

export interface TemplatesFile {
  version: 1;
  run: string;
  /** The weights drawn, and the steps they had taken. */
  weights: "best" | "final";
  steps?: number;
  param: string;
  width: number;
  height: number;
  channels: number;
  /** One scale for all templates: `low` (the smallest weight) is 0, `high` (the largest) 255. */
  scale: "shared";
  low: number;
  high: number;
  /** templates.png: the classes in order, `perRow` to a row, each `zoom` times as large, `zoom` pixels of white between them. */
  grid: { file: string; perRow: number; zoom: number };
  /** Each class's template: its name, its PNG, and its pixels (0–255, channel-planar) in base64. */
  classes: { name: string; file: string; pixels: string }[];
}

function readJson<T>(path: string): Loaded<T> {
  try {
    return { ok: true, value: JSON.parse(readFileSync(path, "utf8")) as T };
  } catch (error) {
    return { ok: false, message: `${path} could not be read: ${(error as Error).message}` };
  }
}

/** A class name as part of a file name. */
function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "class";
}

/** The weights a run's figures come from (final.json's), else its best, else its final ones. */
export function reportedWeights(folder: string): "best" | "final" {
  const final = readJson<{ reportedWeights?: unknown }>(join(folder, "final.json"));
  if (final.ok && (final.value.reportedWeights === "best" || final.value.reportedWeights === "final")) return final.value.reportedWeights;
  return checkpointFolder(join(folder, "weights", "best")) ? "best" : "final";
}

/** A run folder's meta.json, the layout it recorded under `key` (or why there is none), and that param's `kind` weights drawn by `draw`. */
function drawnFromFolder<Layout extends { param: string }, Drawn>(folder: string, kind: "best" | "final", key: "templates" | "filters", draw: (layout: Layout, values: Float32Array) => Drawn): Loaded<{ meta: RunMeta; layout: Layout; drawn: Drawn }> {
  const meta = readJson<RunMeta>(join(folder, "meta.json"));
  if (!meta.ok) return { ok: false, message: `${folder} is not a run's folder: ${meta.message}` };
  const layout = meta.value[key] as Layout | { reason: string } | undefined;
  if (!layout) return { ok: false, message: `${folder}: its meta.json says nothing of ${key} (a run saved before runs recorded them): train it again` };
  if ("reason" in layout) return { ok: false, message: layout.reason };
  const saved = readSavedWeights(join(folder, "weights", kind));
  if (!saved.ok) return saved;
  const weights = saved.value.params.get(layout.param);
  if (!weights) return { ok: false, message: `${saved.value.folder} has no weights for param ${layout.param}` };
  try {
    return { ok: true, value: { meta: meta.value, layout, drawn: draw(layout, weights.values) } };
  } catch (error) {
    return { ok: false, message: `${saved.value.folder}: ${(error as Error).message}` };
  }
}

/** Draws a run folder's templates from its `kind` weights (the reported ones when absent) and writes them beside its curve. */
export function writeTemplates(folder: string, kind: "best" | "final" = reportedWeights(folder)): Loaded<{ contents: TemplatesFile; files: string[] }> {
  const loaded = drawnFromFolder(folder, kind, "templates", drawTemplates);
  if (!loaded.ok) return loaded;
  const { meta, layout, drawn: templates } = loaded.value;
  const names = Array.from({ length: layout.classes }, (_, k) => meta.classes?.[k] ?? `class ${k}`);
  const perRow = layout.classes <= 10 ? Math.min(layout.classes, 5) : Math.ceil(Math.sqrt(layout.classes));
  const zoom = Math.max(1, Math.floor(112 / Math.max(templates.width, templates.height)));
  const grid = "templates.png";
  const classFiles = names.map((name, k) => `templates/${String(k).padStart(2, "0")}-${fileSafe(name)}.png`);
  mkdirSync(join(folder, "templates"), { recursive: true });
  writeFileAtomically(join(folder, grid), encodePng(gridImage(templates, names.map((_, k) => k), perRow, zoom, zoom)));
  classFiles.forEach((file, k) => writeFileAtomically(join(folder, file), encodePng(templateImage(templates, k))));
  const steps = meta.weights?.[kind]?.steps;
  const contents: TemplatesFile = {
    version: 1,
    run: meta.run,
    weights: kind,
    ...(steps !== undefined ? { steps } : {}),
    param: layout.param,
    width: templates.width,
    height: templates.height,
    channels: templates.channels,
    scale: "shared",
    low: templates.low,
    high: templates.high,
    grid: { file: grid, perRow, zoom },
    classes: names.map((name, k) => ({ name, file: classFiles[k], pixels: Buffer.from(templates.images[k]).toString("base64") })),
  };
  writeFileAtomically(join(folder, "templates.json"), JSON.stringify(contents) + "\n");
  return { ok: true, value: { contents, files: [grid, ...classFiles, "templates.json"] } };
}

/** Draws a run folder's first-layer filters from its `kind` weights (the reported ones when absent) and writes them beside its curve. */
export function writeFilters(folder: string, kind: "best" | "final" = reportedWeights(folder)): Loaded<{ contents: FiltersFile; files: string[] }> {
  const loaded = drawnFromFolder(folder, kind, "filters", drawFilters);
  if (!loaded.ok) return loaded;
  const { meta, layout, drawn: filters } = loaded.value;
  const count = filters.images.length;
  const perRow = count <= 8 ? count : Math.ceil(Math.sqrt(count));
  // A 3 × 3 filter 16 times as large, a 5 × 5 one 9 times: about 48 pixels a filter.
  const zoom = Math.max(1, Math.floor(48 / Math.max(filters.width, filters.height)));
  const gap = Math.max(2, Math.floor(zoom / 2));
  const grid = "filters.png";
  const indices = Array.from({ length: count }, (_, f) => f);
  writeFileAtomically(join(folder, grid), encodePng(gridImage(filters, indices, perRow, zoom, gap)));
  const steps = meta.weights?.[kind]?.steps;
  const contents: FiltersFile = {
    version: 1,
    run: meta.run,
    weights: kind,
    ...(steps !== undefined ? { steps } : {}),
    param: layout.param,
    width: filters.width,
    height: filters.height,
    channels: filters.channels,
    scale: "per-filter",
    grid: { file: grid, perRow, zoom, gap },
    filters: indices.map((f) => ({ index: f, low: filters.low[f], high: filters.high[f], pixels: Buffer.from(filters.images[f]).toString("base64") })),
  };
  writeFileAtomically(join(folder, "filters.json"), JSON.stringify(contents) + "\n");
  return { ok: true, value: { contents, files: [grid, "filters.json"] } };
}
