// The data preview panel: each split's summary, and the first training
// examples, drawn on canvases when they are images. Text goes in as text
// nodes only.
import { element, vscodeApi } from "./dom";
import type { FromWebview, ToDataPanel } from "./messages";

const vscode = vscodeApi<FromWebview>();
const root = document.getElementById("root") as HTMLElement;

function format(value: number): string {
  return Math.abs(value) >= 1e-3 || value === 0 ? Number(value.toPrecision(3)).toString() : value.toExponential(2);
}

function render(message: ToDataPanel): void {
  root.replaceChildren();
  if (message.type === "loading") {
    root.append(element("p", `Reading ${message.name}…`, "empty"));
    return;
  }
  const preview = message.preview;
  root.append(element("h1", `data ${preview.name}`));
  if (preview.problem) {
    root.append(element("p", preview.problem, "problem"));
    return;
  }
  const table = element("table", undefined, "splits");
  const head = element("tr");
  for (const title of ["split", "examples", "features", "classes", "min", "max", "mean"]) head.append(element("th", title));
  table.append(head);
  for (const split of preview.splits) {
    const row = element("tr");
    for (const cell of [split.split, split.n.toLocaleString("en-US"), String(split.d), String(split.classes), format(split.min), format(split.max), format(split.mean)]) row.append(element("td", cell));
    table.append(row);
  }
  root.append(table);
  const train = preview.splits.find((split) => split.split === "train");
  if (train) root.append(element("p", `Examples per class in train: ${train.classCounts.map((count, label) => `${className(preview, label)} ${count.toLocaleString("en-US")}`).join(", ")}`, "counts"));
  const images = preview.images;
  if (images) {
    root.append(element("h2", `The first ${images.samples.length} training images, as the files hold them`));
    const grid = element("div", undefined, "grid");
    const scale = Math.max(1, Math.floor(96 / Math.max(images.height, images.width)));
    for (const sample of images.samples) {
      const figure = element("figure");
      const canvas = element("canvas");
      canvas.width = images.width;
      canvas.height = images.height;
      canvas.style.width = `${images.width * scale}px`;
      canvas.style.height = `${images.height * scale}px`;
      const context = canvas.getContext("2d");
      if (context) {
        const picture = context.createImageData(images.width, images.height);
        const plane = images.width * images.height;
        for (let i = 0; i < plane; i++) {
          // Channel-planar rows: all of red, then green, then blue.
          const red = sample.pixels[i];
          const green = images.channels === 3 ? sample.pixels[plane + i] : red;
          const blue = images.channels === 3 ? sample.pixels[2 * plane + i] : red;
          picture.data.set([red, green, blue, 255], i * 4);
        }
        context.putImageData(picture, 0, 0);
      }
      figure.append(canvas, element("figcaption", className(preview, sample.label)));
      grid.append(figure);
    }
    root.append(grid);
  }
  if (preview.rows) {
    root.append(element("h2", "The first training examples"));
    const rows = element("table", undefined, "rows");
    for (const row of preview.rows) {
      const line = element("tr");
      line.append(element("td", className(preview, row.label)), ...row.values.map((value) => element("td", format(value))));
      rows.append(line);
    }
    root.append(rows);
  }
}

function className(preview: { classNames?: string[] }, label: number): string {
  return preview.classNames?.[label] ?? `class ${label}`;
}

window.addEventListener("message", (event: MessageEvent<ToDataPanel>) => {
  vscode.setState(event.data);
  render(event.data);
});

const saved = vscode.getState() as ToDataPanel | undefined;
if (saved) render(saved);
// As every panel does: it listens now.
vscode.postMessage({ type: "ready" });
