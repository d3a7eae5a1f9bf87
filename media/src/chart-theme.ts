// Chart colours from the editor's theme: the --vscode-* variables VS Code
// sets on the webview's body, read again whenever the theme changes.

export interface ChartTheme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  /** One colour per run, from the theme's chart palette. */
  palette: string[];
  error: string;
  warning: string;
  good: string;
  font: string;
}

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const variable = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const foreground = variable("--vscode-foreground", "#cccccc");
  return {
    foreground,
    muted: variable("--vscode-descriptionForeground", foreground),
    grid: withAlpha(variable("--vscode-panel-border", foreground), 0.35),
    background: variable("--vscode-editor-background", "#1e1e1e"),
    palette: [
      variable("--vscode-charts-blue", "#3794ff"),
      variable("--vscode-charts-orange", "#d18616"),
      variable("--vscode-charts-green", "#89d185"),
      variable("--vscode-charts-purple", "#b180d7"),
      variable("--vscode-charts-yellow", "#cca700"),
      variable("--vscode-charts-red", "#f14c4c"),
    ],
    error: variable("--vscode-charts-red", variable("--vscode-errorForeground", "#f14c4c")),
    warning: variable("--vscode-charts-yellow", "#cca700"),
    good: variable("--vscode-charts-green", "#89d185"),
    font: `${variable("--vscode-font-size", "13px")} ${variable("--vscode-font-family", "sans-serif")}`,
  };
}

let probe: CanvasRenderingContext2D | null | undefined;

/** Any CSS colour with the given opacity, as rgba(). */
export function withAlpha(color: string, alpha: number): string {
  probe ??= document.createElement("canvas").getContext("2d");
  if (!probe) return color;
  probe.fillStyle = "#000000";
  probe.fillStyle = color;
  const normalised = probe.fillStyle;
  if (normalised.startsWith("#")) {
    const r = parseInt(normalised.slice(1, 3), 16);
    const g = parseInt(normalised.slice(3, 5), 16);
    const b = parseInt(normalised.slice(5, 7), 16);
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  const parts = normalised.match(/[\d.]+/g);
  return parts && parts.length >= 3 ? `rgba(${parts[0]}, ${parts[1]}, ${parts[2]}, ${alpha})` : color;
}

/** Blue for low, through a pale middle, to red for high; t in [0, 1]. */
export function heatColour(t: number): [number, number, number] {
  const low: [number, number, number] = [36, 76, 196];
  const middle: [number, number, number] = [236, 236, 228];
  const high: [number, number, number] = [204, 36, 36];
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 1));
  const [from, to, u] = clamped < 0.5 ? [low, middle, clamped * 2] : [middle, high, (clamped - 0.5) * 2];
  return [0, 1, 2].map((k) => Math.round(from[k] + (to[k] - from[k]) * u)) as [number, number, number];
}

/** Calls back when VS Code switches between light, dark and high-contrast themes. */
export function onThemeChange(callback: () => void): void {
  new MutationObserver(callback).observe(document.body, { attributes: true, attributeFilter: ["class", "style"] });
}
