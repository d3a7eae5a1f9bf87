// The first layer's learned filters: which param holds them (the convolution
// that reads the images, not a later one), refusals with their reasons, each
// filter drawn on its own scale, and the grid's PNG read back with node:zlib
// at known weights, gray and colour.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder, type Graph } from "../../../server/src/engine/ir";
import { encodePng } from "../../../server/src/train/png";
import { drawFilters, planFilters, type FilterLayout, type FilterPlan } from "../../../server/src/train/filters";
import { gridImage } from "../../../server/src/train/weight-images";
import { decodePng } from "../../support/decode-png";

interface Convnet {
  /** What the first convolution reads: the images X reshaped, or something else. */
  reads?: "images" | "hidden" | "X";
  /** The first convolution's kernel: the param K, or K flipped. */
  kernel?: "param" | "flipped";
  dims?: number[];
}

/** conv2d(reshape(X, dims), K) → relu → conv2d(·, K2) → sum: two convolution layers. */
function convnet({ reads = "images", kernel = "param", dims = [-1, 1, 4, 4] }: Convnet = {}): Graph {
  const builder = new GraphBuilder();
  const X = builder.add("input");
  const images = reads === "X" ? X : reads === "hidden" ? builder.add("reshape", [builder.add("relu", [X])], { dims }) : builder.add("reshape", [X], { dims });
  const K = builder.add("param", [], { name: "K" });
  const first = builder.add("conv2d", [images, kernel === "param" ? K : builder.add("flip", [K], { axes: [2, 3] })], { stride: 1, pad: 1 });
  const second = builder.add("conv2d", [builder.add("relu", [first]), builder.add("param", [], { name: "K2" })], { stride: 1, pad: 1 });
  return builder.build(builder.add("sum", [second]));
}

const gray = { height: 4, width: 4, channels: 1 };
const shapes = new Map([["K", [3, 1, 2, 2]], ["K2", [5, 3, 3, 3]]]);
const reason = (plan: FilterPlan) => (plan.ok ? "" : plan.reason);

test("the filters are the param of the convolution that reads the images, not of a later one", () => {
  const plan = planFilters(convnet(), shapes, { d: 16, classes: 10, image: gray });
  assert.ok(plan.ok, reason(plan));
  assert.deepEqual(plan.layout, { param: "K", filters: 3, channels: 1, height: 2, width: 2 });
  // A later convolution alone, of what is no longer the images, has none.
  const builder = new GraphBuilder();
  const hidden = builder.add("reshape", [builder.add("relu", [builder.add("input")])], { dims: [-1, 1, 4, 4] });
  const only = builder.build(builder.add("conv2d", [hidden, builder.add("param", [], { name: "K" })], { stride: 1, pad: 0 }));
  assert.match(reason(planFilters(only, shapes, { d: 16, classes: 10, image: gray })), /no convolution reads the images X/);
});

test("what has no filters is refused with its reason", () => {
  const matmul = (() => {
    const builder = new GraphBuilder();
    return builder.build(builder.add("matmul", [builder.add("input"), builder.add("transpose", [builder.add("param", [], { name: "W" })])]));
  })();
  assert.match(reason(planFilters(matmul, new Map([["W", [10, 16]]]), { d: 16, classes: 10, image: gray })), /the loss has no convolution/);
  assert.match(reason(planFilters(convnet({ reads: "hidden" }), shapes, { d: 16, classes: 10, image: gray })), /no convolution reads the images X/);
  assert.match(reason(planFilters(convnet({ kernel: "flipped" }), shapes, { d: 16, classes: 10, image: gray })), /kernel of the convolution that reads the images is not a param/);
  assert.match(reason(planFilters(convnet(), shapes, { d: 16, classes: 10 })), /not images/);
  assert.match(reason(planFilters(undefined, shapes, { d: 16, classes: 10, image: gray })), /no loss/);
  assert.match(reason(planFilters(convnet({ dims: [-1, 1, 2, 8] }), shapes, { d: 16, classes: 10, image: gray })), /reads X as \[-1, 1, 2, 8\], not as the data's images \[N, 1, 4, 4\]/);
  assert.match(reason(planFilters(convnet({ reads: "X" }), shapes, { d: 16, classes: 10, image: gray })), /reads X as \[N, D\]/);
  assert.match(reason(planFilters(convnet(), new Map([["K", [3, 2, 2, 2]]]), { d: 16, classes: 10, image: gray })), /param K is \[3, 2, 2, 2\], not \[F, 1, kh, kw\]/);
  assert.match(reason(planFilters(convnet({ dims: [-1, 2, 2, 2] }), shapes, { d: 8, classes: 10, image: { height: 2, width: 2, channels: 2 } })), /2 channels; filters are drawn in gray \(1\) or colour \(3\)/);
});

test("each filter is drawn on its own scale, its smallest weight black and its largest white", () => {
  const layout: FilterLayout = { param: "K", filters: 3, channels: 1, height: 2, width: 2 };
  // Filter 0 spans −1 to 1, filter 1 spans 10 to 40, filter 2 is constant.
  const K = Float32Array.from([-1, 0, 0.5, 1, 10, 20, 30, 40, 7, 7, 7, 7]);
  const filters = drawFilters(layout, K);
  assert.deepEqual(filters.low, [-1, 10, 7]);
  assert.deepEqual(filters.high, [1, 40, 7]);
  assert.deepEqual([...filters.images[0]], [0, 128, 191, 255]);
  assert.deepEqual([...filters.images[1]], [0, 85, 170, 255]);
  assert.deepEqual([...filters.images[2]], [128, 128, 128, 128], "a constant filter is middle gray");
  assert.throws(() => drawFilters(layout, new Float32Array(11)), /11 values, not 3 × 1 × 2 × 2/);
});

test("the gray grid's PNG zooms each weight to a block and parts the filters by white", () => {
  const layout: FilterLayout = { param: "K", filters: 2, channels: 1, height: 2, width: 2 };
  const filters = drawFilters(layout, Float32Array.from([0, 1, 2, 3, 3, 2, 1, 0]));
  const decoded = decodePng(encodePng(gridImage(filters, [0, 1], 2, 3, 2)));
  assert.equal(decoded.colourType, 0);
  assert.equal(decoded.width, 2 * 6 + 2);
  assert.equal(decoded.height, 6);
  const at = (x: number, y: number) => decoded.pixels[y * decoded.width + x];
  // Filter 0's weights 0, 1 / 2, 3 in 3 × 3 blocks: 0, 85 / 170, 255.
  assert.deepEqual([at(0, 0), at(2, 2), at(3, 0), at(5, 2), at(0, 3), at(5, 5)], [0, 0, 85, 85, 170, 255]);
  assert.deepEqual([at(6, 0), at(7, 5)], [255, 255], "the gap is white");
  // Filter 1 is reversed: its top left is its largest weight.
  assert.deepEqual([at(8, 0), at(13, 5)], [255, 0]);
});

test("a colour filter's channels, stored plane by plane in K, come out as each pixel's red, green and blue", () => {
  const layout: FilterLayout = { param: "K", filters: 1, channels: 3, height: 1, width: 2 };
  // K[0] = red plane (0, 6), green plane (3, 3), blue plane (6, 0): one scale for its three channels, 0 to 6.
  const filters = drawFilters(layout, Float32Array.from([0, 6, 3, 3, 6, 0]));
  assert.deepEqual([filters.low[0], filters.high[0]], [0, 6]);
  const decoded = decodePng(encodePng(gridImage(filters, [0], 1, 2, 0)));
  assert.equal(decoded.colourType, 2);
  assert.deepEqual([decoded.width, decoded.height], [4, 2]);
  const at = (x: number, y: number) => [...decoded.pixels.subarray((y * decoded.width + x) * 3, (y * decoded.width + x) * 3 + 3)];
  assert.deepEqual(at(0, 0), [0, 128, 255], "the left pixel: no red, half green, full blue");
  assert.deepEqual(at(3, 1), [255, 128, 0], "the right pixel: full red, half green, no blue");
});
