// The learned panel's view of a run folder's files: filters.json checked
// field by field (a malformed one gives a note), and the reason meta.json
// recorded when a run has no filters.
import assert from "node:assert/strict";
import { test } from "node:test";
import { learnedView } from "../../media/src/learned-view";

const pixels = Buffer.from(Uint8Array.from([0, 32, 64, 96, 128, 160, 192, 224, 255])).toString("base64");
const filtersFile = { version: 1, run: "train", weights: "best", steps: 24, param: "K1", width: 3, height: 3, channels: 1, scale: "per-filter", filters: [{ index: 0, low: -0.5, high: 0.5, pixels }, { index: 1, low: -1, high: 2, pixels }] };

test("a convnet's filters.json becomes the view's filters, each with its index and scale", () => {
  const view = learnedView("train-1", { meta: { run: "train", templates: { reason: "no product" } }, final: undefined, templates: undefined, filters: filtersFile });
  assert.deepEqual(view.filters, { weights: "best", steps: 24, param: "K1", width: 3, height: 3, channels: 1, filters: filtersFile.filters });
  assert.equal(view.filtersNote, undefined);
  assert.equal(view.templatesNote, "No templates: no product.");
});

test("a malformed filters.json, and a run without filters, give notes", () => {
  const short = { ...filtersFile, filters: [{ index: 0, low: 0, high: 1, pixels: pixels.slice(4) }] };
  const malformed = learnedView("train-1", { meta: { run: "train" }, final: undefined, templates: undefined, filters: short });
  assert.equal(malformed.filters, undefined);
  assert.match(malformed.filtersNote ?? "", /^filters\.json is malformed: run optim learned/);
  const colours = learnedView("train-1", { meta: { run: "train" }, final: undefined, templates: undefined, filters: { ...filtersFile, channels: 2 } });
  assert.equal(colours.filters, undefined);
  const none = learnedView("fit-1", { meta: { run: "fit", filters: { reason: "the loss has no convolution; filters are drawn for conv2d(reshape(X, [N, C, H, W]), K)" } }, final: undefined, templates: undefined, filters: undefined });
  assert.equal(none.filtersNote, "No filters: the loss has no convolution; filters are drawn for conv2d(reshape(X, [N, C, H, W]), K).");
  const old = learnedView("fit-1", { meta: { run: "fit" }, final: undefined, templates: undefined, filters: undefined });
  assert.match(old.filtersNote ?? "", /^No filters: the run is not a convolutional network on images/);
});
