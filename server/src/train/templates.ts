// The learned templates of a linear classifier on images, as CS231n's notes
// on linear classification draw them: with scores X @ W^T, each row of W is matched against
// an image, so drawn at the image's size it shows what the class looks for.
// Planned from the compiled score and the data's image geometry when a run is
// planned (which param, which way round, which columns are pixels), recorded
// in the run's meta.json, and drawn from saved weights after the run, so a
// run folder alone is enough to draw them again.
import type { Graph } from "../engine/ir";
import type { ImageShape } from "../data/types";
import type { PixelImage } from "./png";
import { levelsOf, rangeOf, singleImage, type WeightImages } from "./weight-images";

export interface TemplateLayout {
  /** The param whose rows (or columns) are the templates. */
  param: string;
  /** "rows": W is [C, D] and the score X @ W^T; "columns": W is [D, C] and the score X @ W. */
  orientation: "rows" | "columns";
  classes: number;
  /** D: the columns of X, pixels first; any after them (the bias trick's column of ones) are not drawn. */
  columns: number;
  image: ImageShape;
}

export type TemplatePlan = { ok: true; layout: TemplateLayout } | { ok: false; reason: string };

export interface DataGeometry {
  d: number;
  classes: number;
  image?: ImageShape;
  imageColumns?: ImageShape;
}

/** Which param holds a linear classifier's templates, or why the run has none. */
export function planTemplates(score: Graph | undefined, shapes: ReadonlyMap<string, readonly number[]>, data: DataGeometry): TemplatePlan {
  if (!score) return { ok: false, reason: "the loss has no class scores [N, C]" };
  const image = data.image ?? data.imageColumns;
  if (!image) return { ok: false, reason: "the data are not images: only IDX and CIFAR-10 files give an image shape" };
  if (image.channels !== 1 && image.channels !== 3) return { ok: false, reason: `the images have ${image.channels} channels; templates are drawn in gray (1) or colour (3)` };
  const pixels = image.height * image.width * image.channels;
  if (data.d < pixels) return { ok: false, reason: `the examples have ${data.d} columns, fewer than the ${pixels} pixels of a ${image.height}×${image.width}×${image.channels} image` };
  const products = score.nodes.filter((node) => node.op === "matmul");
  if (products.length !== 1) return { ok: false, reason: `the score has ${products.length} matrix products; templates are drawn for a linear classifier, whose score is one product X @ W^T` };
  const [left, right] = products[0].inputs.map((id) => score.nodes[id]);
  if (left.op !== "input") return { ok: false, reason: "the score's product does not start from the examples X: templates are drawn for X @ W^T" };
  const transposed = right.op === "transpose" ? score.nodes[right.inputs[0]] : undefined;
  const weights = transposed ?? right;
  if (weights.op !== "param" || weights.name === undefined) return { ok: false, reason: "the score's product is not X with a param: templates are drawn for X @ W^T" };
  const shape = shapes.get(weights.name) ?? [];
  const orientation = transposed ? "rows" : "columns";
  const [classes, columns] = orientation === "rows" ? shape : [shape[1], shape[0]];
  if (shape.length !== 2 || columns !== data.d) return { ok: false, reason: `param ${weights.name} is [${shape.join(", ")}], not ${orientation === "rows" ? `[C, ${data.d}]` : `[${data.d}, C]`}` };
  return { ok: true, layout: { param: weights.name, orientation, classes, columns, image: { ...image } } };
}

export interface Templates extends WeightImages {
  /** One per class, channel-planar as the data sets store images (all of red, then green, then blue), 0–255. */
  images: Uint8Array[];
  /** The weights 0 and 255 stand for: the smallest and largest of all templates together. */
  low: number;
  high: number;
}

/**
 * Each class's template as an image. All templates share one scale, the
 * smallest weight of any to 0 and the largest to 255, so a faint template
 * means small weights and templates compare with one another.
 */
export function drawTemplates(layout: TemplateLayout, values: Float32Array): Templates {
  const { classes, columns, image } = layout;
  if (values.length !== classes * columns) throw new RangeError(`param ${layout.param} has ${values.length} values, not ${classes} × ${columns}`);
  const pixels = image.height * image.width * image.channels;
  const weight = layout.orientation === "rows" ? (k: number, j: number) => values[k * columns + j] : (k: number, j: number) => values[j * classes + k];
  const { low, high } = rangeOf(classes * pixels, (i) => weight(Math.floor(i / pixels), i % pixels));
  const images = Array.from({ length: classes }, (_, k) => levelsOf(pixels, (j) => weight(k, j), low, high));
  return { width: image.width, height: image.height, channels: image.channels, images, low, high };
}

/** One template as a PNG's pixels (channels interleaved), `zoom` times as large. */
export function templateImage(templates: Templates, index: number, zoom = 1): PixelImage {
  return singleImage(templates, index, zoom);
}
