// The first layer's learned filters of a convolutional network on images, as
// the course draws them: the convolution that reads the images,
// conv2d(reshape(X, [N, C, H, W]), K, ...) with K a param [F, C, kh, kw],
// matches each filter K[f] against every kh × kw patch of an image, so drawn
// as a small image (gray for C = 1, colour for C = 3) it shows what the
// filter responds to: an edge, a blob, a colour. Planned from the compiled
// loss and the data's image geometry when a run is planned, recorded in the
// run's meta.json (or why the run has none), and drawn from saved weights
// after the run, as the templates are (templates.ts).
import type { Graph, IrNode } from "../engine/ir";
import type { DataGeometry } from "./templates";
import { levelsOf, rangeOf, type WeightImages } from "./weight-images";

export interface FilterLayout {
  /** The param K of the convolution that reads the images. */
  param: string;
  /** F, C, kh, kw: K's shape. */
  filters: number;
  channels: number;
  height: number;
  width: number;
}

export type FilterPlan = { ok: true; layout: FilterLayout } | { ok: false; reason: string };

/** `reshape(X, ...)`'s node, or X itself, when `node` is one of them. */
function readsImages(graph: Graph, node: IrNode): IrNode | undefined {
  if (node.op === "input") return node;
  if (node.op === "reshape" && graph.nodes[node.inputs[0]].op === "input") return node;
  return undefined;
}

/** Which param holds the filters of the convolution that reads the images, or why the run has none. */
export function planFilters(loss: Graph | undefined, shapes: ReadonlyMap<string, readonly number[]>, data: DataGeometry): FilterPlan {
  if (!loss) return { ok: false, reason: "the run has no loss" };
  const image = data.image ?? data.imageColumns;
  if (!image) return { ok: false, reason: "the data are not images: only IDX and CIFAR-10 files give an image shape" };
  const convolutions = loss.nodes.filter((node) => node.op === "conv2d");
  if (convolutions.length === 0) return { ok: false, reason: "the loss has no convolution; filters are drawn for conv2d(reshape(X, [N, C, H, W]), K)" };
  // The graph is in topological order: the first convolution of the images is the first layer.
  const first = convolutions.find((node) => readsImages(loss, loss.nodes[node.inputs[0]]));
  if (!first) return { ok: false, reason: "no convolution reads the images X: filters are drawn for conv2d(reshape(X, [N, C, H, W]), K)" };
  const input = loss.nodes[first.inputs[0]];
  const dims = input.dims ?? [];
  const wanted = [image.channels, image.height, image.width];
  // One entry of reshape's dims may be -1: the rest of the image's entries.
  const known = dims.slice(1).reduce((product, d) => (d === -1 ? product : product * d), 1);
  const read = dims.slice(1).map((d) => (d === -1 ? (image.channels * image.height * image.width) / known : d));
  if (input.op !== "reshape" || dims.length !== 4 || read.some((d, i) => d !== wanted[i])) {
    return { ok: false, reason: `the convolution reads X as [${input.op === "reshape" ? dims.join(", ") : "N, D"}], not as the data's images [N, ${wanted.join(", ")}]` };
  }
  if (image.channels !== 1 && image.channels !== 3) return { ok: false, reason: `the images have ${image.channels} channels; filters are drawn in gray (1) or colour (3)` };
  const kernel = loss.nodes[first.inputs[1]];
  if (kernel.op !== "param" || kernel.name === undefined) return { ok: false, reason: "the kernel of the convolution that reads the images is not a param: filters are drawn for conv2d(x, K) with K a param [F, C, kh, kw]" };
  const shape = shapes.get(kernel.name) ?? [];
  if (shape.length !== 4 || shape[1] !== image.channels) return { ok: false, reason: `param ${kernel.name} is [${shape.join(", ")}], not [F, ${image.channels}, kh, kw]` };
  const [filters, channels, height, width] = shape;
  return { ok: true, layout: { param: kernel.name, filters, channels, height, width } };
}

export interface Filters extends WeightImages {
  /** One per filter, channel-planar as K stores it, 0–255. */
  images: Uint8Array[];
  /** Each filter's own scale: its smallest weight is 0, its largest 255. */
  low: number[];
  high: number[];
}

/**
 * Each filter as an image on its own scale, its smallest weight (of all its
 * channels) black and its largest white, as the course's grids of filters
 * draw them: a filter's pattern shows whatever its size, and colour keeps the
 * balance of its channels. Each filter's range is kept beside it.
 */
export function drawFilters(layout: FilterLayout, values: Float32Array): Filters {
  const { filters, channels, height, width } = layout;
  const size = channels * height * width;
  if (values.length !== filters * size) throw new RangeError(`param ${layout.param} has ${values.length} values, not ${filters} × ${channels} × ${height} × ${width}`);
  const low: number[] = [];
  const high: number[] = [];
  const images = Array.from({ length: filters }, (_, f) => {
    const weight = (j: number) => values[f * size + j];
    const range = rangeOf(size, weight);
    low.push(range.low);
    high.push(range.high);
    return levelsOf(size, weight, range.low, range.high);
  });
  return { width, height, channels, images, low, high };
}
