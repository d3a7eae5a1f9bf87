// Exports from a panel: the panel makes the file, the extension asks where to
// save it (a webview cannot write files).
import type { VsCodeApi } from "./dom";
import type { FromWebview } from "./messages";

/** A file-name stem the extension accepts: letters, digits, dots, dashes. */
export function fileStem(name: string): string {
  return name.replace(/[^\w.-]+/g, "_").slice(0, 80) || "optim";
}

export function exportCsv(vscode: VsCodeApi<FromWebview>, name: string, content: string): void {
  vscode.postMessage({ type: "export", format: "csv", name: `${fileStem(name)}.csv`, content });
}

export interface PngLayout {
  /** The element whose box the image covers. */
  container: HTMLElement;
  canvases: HTMLCanvasElement[];
  background: string;
  /** Drawn as a strip above the charts, since the charts' legends are HTML. */
  legend: { label: string; color: string }[];
  foreground: string;
  font: string;
}

/** Draws the given canvases, where they are on screen, onto one image with a legend strip on top. */
export function exportPng(vscode: VsCodeApi<FromWebview>, name: string, layout: PngLayout): void {
  const frame = layout.container.getBoundingClientRect();
  const scale = window.devicePixelRatio || 1;
  const rowHeight = 18;
  const legendHeight = layout.legend.length > 0 ? rowHeight * layout.legend.length + 8 : 0;
  const image = document.createElement("canvas");
  image.width = Math.max(1, Math.round(frame.width * scale));
  image.height = Math.max(1, Math.round((frame.height + legendHeight) * scale));
  const context = image.getContext("2d");
  if (!context) return;
  context.fillStyle = layout.background;
  context.fillRect(0, 0, image.width, image.height);
  context.scale(scale, scale);
  context.font = layout.font;
  context.textBaseline = "middle";
  layout.legend.forEach((entry, i) => {
    const y = 4 + rowHeight * i + rowHeight / 2;
    context.fillStyle = entry.color;
    context.fillRect(8, y - 2, 16, 4);
    context.fillStyle = layout.foreground;
    context.fillText(entry.label, 30, y);
  });
  for (const canvas of layout.canvases) {
    const box = canvas.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    context.drawImage(canvas, box.left - frame.left, box.top - frame.top + legendHeight, box.width, box.height);
  }
  vscode.postMessage({ type: "export", format: "png", name: `${fileStem(name)}.png`, content: image.toDataURL("image/png") });
}
