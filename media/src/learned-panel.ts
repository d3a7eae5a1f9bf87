// What a run's model learned: a linear classifier's templates (each class's
// row of W drawn as an image, on canvases), a convolutional network's
// first-layer filters (each K[f] drawn likewise, labelled by its index) and,
// for any classifier, the confusion matrix of each split as a heat-map table
// with the classes' names and each class's accuracy as a bar. Text goes in as
// text nodes only.
import { element, vscodeApi } from "./dom";
import type { FromWebview } from "./messages";
import { decodePixels, type LearnedView, type SplitConfusion, type ToLearnedPanel } from "./learned-view";

const vscode = vscodeApi<FromWebview>();
const root = document.getElementById("root") as HTMLElement;

function format(value: number): string {
  return Math.abs(value) >= 1e-3 || value === 0 ? Number(value.toPrecision(3)).toString() : value.toExponential(2);
}

/** A canvas of `width` × `height` pixels from channel-planar levels (gray, or red, green and blue), scaled up by CSS with nearest neighbour. */
function pictureCanvas(pixels: Uint8Array, width: number, height: number, channels: number, label: string): HTMLCanvasElement {
  const canvas = element("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  const context = canvas.getContext("2d");
  if (context) {
    const picture = context.createImageData(width, height);
    const plane = width * height;
    for (let i = 0; i < plane; i++) {
      // Channel-planar, as the data sets store images and K its filters: all of red, then green, then blue.
      const red = pixels[i];
      const green = channels === 3 ? pixels[plane + i] : red;
      const blue = channels === 3 ? pixels[2 * plane + i] : red;
      picture.data.set([red, green, blue, 255], i * 4);
    }
    context.putImageData(picture, 0, 0);
  }
  return canvas;
}

function templatesSection(view: LearnedView): HTMLElement {
  const section = element("section", undefined, "templates");
  section.append(element("h2", "Learned templates"));
  const templates = view.templates;
  if (!templates) {
    section.append(element("p", view.templatesNote ?? "No templates.", "note"));
    return section;
  }
  const steps = templates.steps !== undefined ? `, after ${templates.steps} steps` : "";
  section.append(element("p", `Each class's row of W as a ${templates.width}×${templates.height} image (the bias column left out), from the ${templates.weights} weights${steps}. One scale for all: black is the smallest weight (${format(templates.low)}), white the largest (${format(templates.high)}).`, "note"));
  const grid = element("div", undefined, "template-grid");
  for (const template of templates.classes) {
    const figure = element("figure");
    figure.append(pictureCanvas(decodePixels(template.pixels), templates.width, templates.height, templates.channels, `template of ${template.name}`), element("figcaption", template.name));
    grid.append(figure);
  }
  section.append(grid);
  return section;
}

function filtersSection(view: LearnedView): HTMLElement {
  const section = element("section", undefined, "filters");
  section.append(element("h2", "Learned filters"));
  const filters = view.filters;
  if (!filters) {
    section.append(element("p", view.filtersNote ?? "No filters.", "note"));
    return section;
  }
  const steps = filters.steps !== undefined ? `, after ${filters.steps} steps` : "";
  const kind = filters.channels === 3 ? "in colour, its three channels as red, green and blue" : "in gray";
  section.append(
    element(
      "p",
      `The first layer's ${filters.filters.length} filters, each K[f] of ${filters.param} as a ${filters.width}×${filters.height} image ${kind}, from the ${filters.weights} weights${steps}. Each on its own scale: black is its smallest weight, white its largest (hover a filter for them).`,
      "note",
    ),
  );
  const grid = element("div", undefined, "filter-grid");
  grid.style.setProperty("--aspect", `${filters.width} / ${filters.height}`);
  // Rows of at most 8, as even as they come (16 filters: two rows of 8), where the panel is wide enough.
  const count = filters.filters.length;
  grid.style.setProperty("--columns", String(Math.ceil(count / Math.ceil(count / 8))));
  for (const filter of filters.filters) {
    const figure = element("figure");
    figure.title = `filter ${filter.index}: black ${format(filter.low)}, white ${format(filter.high)}`;
    figure.append(pictureCanvas(decodePixels(filter.pixels), filters.width, filters.height, filters.channels, `filter ${filter.index} of ${filters.param}`), element("figcaption", String(filter.index)));
    grid.append(figure);
  }
  section.append(grid);
  return section;
}

const splitNames = { eval: "evaluation split", test: "test split" } as const;

function matrixTable(split: SplitConfusion, classes: string[]): HTMLElement {
  const table = element("table", undefined, "confusion");
  table.setAttribute("aria-label", `confusion matrix on the ${splitNames[split.split]}`);
  const head = element("tr");
  head.append(element("th", "true \\ predicted", "corner"));
  classes.forEach((name, k) => {
    const cell = element("th", String(k), "column");
    cell.title = name;
    head.append(cell);
  });
  table.append(head);
  split.matrix.forEach((row, k) => {
    const line = element("tr");
    const label = element("th", `${k} ${classes[k]}`, "row");
    label.title = classes[k];
    line.append(label);
    row.forEach((count, j) => {
      // Shaded by the share of the true class's examples: each row sums to 1.
      const share = split.support[k] > 0 ? count / split.support[k] : 0;
      const cell = element("td", String(count), j === k ? "diagonal" : undefined);
      cell.style.setProperty("--share", share.toFixed(3));
      cell.title = `${classes[k]} predicted as ${classes[j]}: ${count} of ${split.support[k]} (${(100 * share).toFixed(1)}%)`;
      line.append(cell);
    });
    table.append(line);
  });
  const wrapper = element("div", undefined, "scroll");
  wrapper.append(table);
  return wrapper;
}

function accuracyBars(split: SplitConfusion, classes: string[]): HTMLElement {
  const list = element("div", undefined, "bars");
  list.setAttribute("aria-label", `accuracy by class on the ${splitNames[split.split]}`);
  split.perClass.forEach((accuracy, k) => {
    const row = element("div", undefined, "bar-row");
    const track = element("div", undefined, "track");
    const bar = element("div", undefined, "bar");
    bar.style.width = `${(100 * (accuracy ?? 0)).toFixed(1)}%`;
    track.append(bar);
    row.append(element("span", classes[k], "bar-label"), track, element("span", accuracy === null ? "no examples" : accuracy.toFixed(3), "bar-value"));
    list.append(row);
  });
  return list;
}

function confusionSection(view: LearnedView): HTMLElement {
  const section = element("section", undefined, "confusions");
  const confusion = view.confusion;
  if (!confusion) {
    section.append(element("h2", "Confusion matrix"), element("p", view.confusionNote ?? "No confusion matrix.", "note"));
    return section;
  }
  for (const split of confusion.splits) {
    const part = element("div", undefined, "split");
    const correct = split.matrix.reduce((sum, row, k) => sum + row[k], 0);
    part.append(
      element("h2", `Confusion matrix, ${splitNames[split.split]}`),
      element("p", `Accuracy ${split.accuracy.toFixed(4)} (${correct.toLocaleString("en-US")} of ${split.total.toLocaleString("en-US")}), from the ${confusion.weights} weights. Rows are the true class, columns the predicted one; shading is the share of the row.`, "note"),
      matrixTable(split, confusion.classes),
      element("h3", `Accuracy by class, ${splitNames[split.split]}`),
      accuracyBars(split, confusion.classes),
    );
    section.append(part);
  }
  return section;
}

function render(message: ToLearnedPanel): void {
  root.replaceChildren();
  if (message.type === "empty") {
    root.append(element("p", message.reason, "empty"));
    return;
  }
  const view = message.view;
  // What the model drew: its templates, its filters, or, when it has neither, why not.
  const drawn = view.templates || view.filters ? [view.templates ? templatesSection(view) : undefined, view.filters ? filtersSection(view) : undefined] : [templatesSection(view), filtersSection(view)];
  root.append(element("h1", `What ${view.run} learned`), element("p", view.folder, "folder"), ...drawn.filter((section): section is HTMLElement => section !== undefined), confusionSection(view));
}

window.addEventListener("message", (event: MessageEvent<ToLearnedPanel>) => {
  vscode.setState(event.data);
  render(event.data);
});

const saved = vscode.getState() as ToLearnedPanel | undefined;
if (saved) render(saved);
// As every panel does: it listens now.
vscode.postMessage({ type: "ready" });
