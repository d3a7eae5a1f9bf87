// Learned templates: which param holds them (the bias trick's column left
// out, the shapes checked), refusals with their reasons, the drawing on one
// shared scale, and the PNG writer read back with node:zlib.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder, type Graph } from "../../../server/src/engine/ir";
import { crc32, encodePng } from "../../../server/src/train/png";
import { decodePng } from "../../support/decode-png";
import { drawTemplates, planTemplates, templateImage, type TemplateLayout } from "../../../server/src/train/templates";
import { gridImage } from "../../../server/src/train/weight-images";

/** X @ W^T (+ b), or X @ W with `columns`. */
function linearScore(orientation: "rows" | "columns", bias = false): Graph {
  const builder = new GraphBuilder();
  const X = builder.add("input");
  const W = builder.add("param", [], { name: "W" });
  let score = builder.add("matmul", [X, orientation === "rows" ? builder.add("transpose", [W]) : W]);
  if (bias) score = builder.add("add", [score, builder.add("param", [], { name: "b" })]);
  return builder.build(score);
}

/** relu(X @ W1^T) @ W2^T: a two-layer net. */
function twoLayerScore(): Graph {
  const builder = new GraphBuilder();
  const X = builder.add("input");
  const hidden = builder.add("relu", [builder.add("matmul", [X, builder.add("transpose", [builder.add("param", [], { name: "W1" })])])]);
  return builder.build(builder.add("matmul", [hidden, builder.add("transpose", [builder.add("param", [], { name: "W2" })])]));
}

const image = { height: 2, width: 2, channels: 1 };

test("a [C, D+1] param under the bias trick: the image's 4 pixels are its first columns, the fifth is not drawn", () => {
  const plan = planTemplates(linearScore("rows"), new Map([["W", [3, 5]]]), { d: 5, classes: 3, imageColumns: image });
  assert.ok(plan.ok, plan.ok ? "" : plan.reason);
  assert.deepEqual(plan.layout, { param: "W", orientation: "rows", classes: 3, columns: 5, image });
  // The bias column holds the extremes: were it drawn, it would set the scale.
  const W = Float32Array.from([0, 1, 2, 3, -100, 4, 5, 6, 7, 100, 8, 9, 10, 11, 50]);
  const templates = drawTemplates(plan.layout, W);
  assert.equal(templates.low, 0);
  assert.equal(templates.high, 11);
  assert.equal(templates.images.length, 3);
  for (const drawn of templates.images) assert.equal(drawn.length, 4);
  // One scale for all: 0 is black and 11 white in every template.
  assert.deepEqual([...templates.images[0]], [0, 1, 2, 3].map((w) => Math.round((255 * w) / 11)));
  assert.deepEqual([...templates.images[2]], [8, 9, 10, 11].map((w) => Math.round((255 * w) / 11)));
});

test("a [C, D] param with a separate bias, and a [D, C] param used as X @ W", () => {
  const rows = planTemplates(linearScore("rows", true), new Map([["W", [2, 4]], ["b", [2]]]), { d: 4, classes: 2, image });
  assert.ok(rows.ok && rows.layout.orientation === "rows" && rows.layout.classes === 2);
  const columns = planTemplates(linearScore("columns"), new Map([["W", [4, 2]]]), { d: 4, classes: 2, image });
  assert.ok(columns.ok, columns.ok ? "" : columns.reason);
  assert.equal(columns.layout.orientation, "columns");
  // Column k of W is class k's template.
  const templates = drawTemplates(columns.layout, Float32Array.from([0, 7, 1, 6, 2, 5, 3, 4]));
  assert.deepEqual([...templates.images[0]], [0, 1, 2, 3].map((w) => Math.round((255 * w) / 7)));
  assert.deepEqual([...templates.images[1]], [7, 6, 5, 4].map((w) => Math.round((255 * w) / 7)));
});

test("what has no templates is refused with its reason", () => {
  const shapes = new Map([["W", [3, 5]]]);
  const refused = (plan: ReturnType<typeof planTemplates>) => (plan.ok ? "" : plan.reason);
  assert.match(refused(planTemplates(linearScore("rows"), shapes, { d: 5, classes: 3 })), /not images/);
  assert.match(refused(planTemplates(undefined, shapes, { d: 5, classes: 3, imageColumns: image })), /no class scores/);
  assert.match(refused(planTemplates(twoLayerScore(), new Map([["W1", [4, 5]], ["W2", [3, 4]]]), { d: 5, classes: 3, imageColumns: image })), /2 matrix products; templates are drawn for a linear classifier/);
  assert.match(refused(planTemplates(linearScore("rows"), new Map([["W", [3, 4]]]), { d: 5, classes: 3, imageColumns: image })), /param W is \[3, 4\], not \[C, 5\]/);
  assert.match(refused(planTemplates(linearScore("rows"), shapes, { d: 3, classes: 3, image })), /3 columns, fewer than the 4 pixels/);
  assert.match(refused(planTemplates(linearScore("rows"), shapes, { d: 5, classes: 3, image: { height: 1, width: 1, channels: 5 } })), /5 channels/);
});

test("drawing checks the weights' size against the layout", () => {
  const layout: TemplateLayout = { param: "W", orientation: "rows", classes: 3, columns: 5, image };
  assert.throws(() => drawTemplates(layout, new Float32Array(14)), /14 values, not 3 × 5/);
});

test("CRC-32 gives the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});

test("a gray and an RGB PNG read back pixel for pixel", () => {
  const gray = Uint8Array.from({ length: 3 * 2 }, (_, i) => i * 40);
  const decodedGray = decodePng(encodePng({ width: 3, height: 2, channels: 1, pixels: gray }));
  assert.deepEqual(decodedGray.types, ["IHDR", "IDAT", "IEND"]);
  assert.equal(decodedGray.width, 3);
  assert.equal(decodedGray.height, 2);
  assert.equal(decodedGray.colourType, 0);
  assert.deepEqual([...decodedGray.pixels], [...gray]);
  const rgb = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => (i * 23) % 256);
  const decodedRgb = decodePng(encodePng({ width: 2, height: 2, channels: 3, pixels: rgb }));
  assert.equal(decodedRgb.colourType, 2);
  assert.deepEqual([...decodedRgb.pixels], [...rgb]);
  assert.throws(() => encodePng({ width: 2, height: 2, channels: 1, pixels: new Uint8Array(3) }), /4 bytes, not 3/);
});

test("colour templates stored channel by channel come out with each pixel's channels side by side, and the grid zooms and spaces them", () => {
  const layout: TemplateLayout = { param: "W", orientation: "rows", classes: 2, columns: 12, image: { height: 2, width: 2, channels: 3 } };
  // Class 0: red plane 0s, green plane 1s, blue plane 2s; class 1: 3s, 4s, 5s.
  const W = Float32Array.from({ length: 24 }, (_, i) => Math.floor(i / 4));
  const templates = drawTemplates(layout, W);
  const level = (w: number) => Math.round((255 * w) / 5);
  const one = templateImage(templates, 1);
  assert.equal(one.channels, 3);
  assert.deepEqual([...one.pixels.subarray(0, 3)], [level(3), level(4), level(5)]);
  const grid = gridImage(templates, [0, 1], 2, 2, 1);
  assert.equal(grid.width, 2 * 4 + 1);
  assert.equal(grid.height, 4);
  const at = (x: number, y: number) => [...grid.pixels.subarray((y * grid.width + x) * 3, (y * grid.width + x) * 3 + 3)];
  assert.deepEqual(at(3, 3), [level(0), level(1), level(2)]);
  assert.deepEqual(at(4, 0), [255, 255, 255], "the gap is white");
  assert.deepEqual(at(5, 0), [level(3), level(4), level(5)]);
  const decoded = decodePng(encodePng(grid));
  assert.deepEqual([...decoded.pixels], [...grid.pixels]);
});
