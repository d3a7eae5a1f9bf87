/**
 * Panels in a real browser (Debian's chromium through playwright-core),
 * outside VS Code: the bundled panel script in the same HTML, with the same
 * Content-Security-Policy, served over HTTP, with a stand-in for the webview
 * API that records what the panel posts and keeps its state across reloads.
 * Theme files set the --vscode-* variables as VS Code's light, dark and
 * high-contrast themes do.
 *
 * Screenshots go to test-results/browser (OPTIM_BROWSER_ARTIFACTS).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { panelDocument } from "../../client/src/panel-document";
import type { FromWebview } from "../../media/src/messages";
import { repoRoot } from "../support/fixtures";
import { launchBrowser } from "../e2e/harness";

export type Theme = "dark" | "light" | "high-contrast";

export interface PanelServer {
  origin: string;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = { ".js": "text/javascript", ".css": "text/css", ".html": "text/html" };

/** Serves media/ and the theme files, and one page per panel script: /panel/<script>?theme=<theme>. */
export async function startPanelServer(): Promise<PanelServer> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const origin = `http://${request.headers.host}`;
    if (url.pathname.startsWith("/panel/")) {
      const script = path.basename(url.pathname);
      // The chart panels' styles are bundled with their scripts; the data and lab panels' sit in media/ as written.
      const styleName = script.replace(/\.js$/, ".css");
      const style = fs.existsSync(path.join(repoRoot, "media", "dist", styleName)) ? `dist/${styleName}` : styleName;
      const theme = url.searchParams.get("theme") ?? "dark";
      const html = panelDocument({
        title: script,
        cspSource: origin,
        nonce: "dGVzdC1ub25jZQ==",
        scriptUri: `${origin}/media/dist/${script}`,
        styleUris: [`${origin}/themes/${theme}.css`, `${origin}/media/panel.css`, `${origin}/media/${style}`],
      });
      response.writeHead(200, { "content-type": "text/html" }).end(html);
      return;
    }
    const file = url.pathname.startsWith("/themes/") ? path.join(repoRoot, "test", "browser", "themes", path.basename(url.pathname)) : path.join(repoRoot, path.normalize(url.pathname));
    if (!file.startsWith(repoRoot) || !fs.existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": contentTypes[path.extname(file)] ?? "application/octet-stream" }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Stands in for acquireVsCodeApi; its state lives in sessionStorage, so a reload finds it as VS Code's serializer would. */
const webviewApiStub = `
  window.__posted = [];
  window.__violations = [];
  window.__dialogs = [];
  document.addEventListener("securitypolicyviolation", (event) => window.__violations.push(event.violatedDirective + " " + event.blockedURI));
  window.alert = (text) => window.__dialogs.push(String(text));
  window.acquireVsCodeApi = () => ({
    postMessage: (message) => window.__posted.push(message),
    setState: (state) => sessionStorage.setItem("optim-state", JSON.stringify(state)),
    getState: () => { const saved = sessionStorage.getItem("optim-state"); return saved === null ? undefined : JSON.parse(saved); },
  });
`;

export class PanelPage {
  private constructor(
    readonly page: Page,
    private readonly url: string,
  ) {}

  static async open(browser: Browser, server: PanelServer, script: string, theme: Theme = "dark", viewport = { width: 1100, height: 900 }): Promise<PanelPage> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.addInitScript(webviewApiStub);
    const url = `${server.origin}/panel/${script}?theme=${theme}`;
    await page.goto(url);
    const panel = new PanelPage(page, url);
    await panel.waitForPosted((message) => message.type === "ready");
    return panel;
  }

  /** Sends a message as the extension does. */
  async send(message: unknown): Promise<void> {
    await this.page.evaluate((data) => window.postMessage(data, "*"), message);
  }

  /** What the panel has posted to the extension so far. */
  posted(): Promise<FromWebview[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: FromWebview[] }).__posted);
  }

  async waitForPosted(accept: (message: FromWebview) => boolean, timeoutMs = 10_000): Promise<FromWebview> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.posted()).find(accept);
      if (found) return found;
      if (Date.now() > deadline) throw new Error("the panel did not post the expected message");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Content-Security-Policy violations the page reported. */
  violations(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  }

  dialogs(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __dialogs: string[] }).__dialogs);
  }

  /** Reloads the page: the panel must come back from its saved state alone. */
  async reload(): Promise<void> {
    await this.page.goto(this.url);
    await this.waitForPosted((message) => message.type === "ready");
  }

  /** Waits for two animation frames, so scheduled redraws have happened. */
  async settle(): Promise<void> {
    await this.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  }

  /**
   * Counts the pixels of a canvas near a colour (each channel within
   * `tolerance`), or, without a colour, the pixels that differ from the
   * canvas's most common colour (its background).
   */
  async countPixels(canvasSelector: string, color?: [number, number, number], tolerance = 40): Promise<number> {
    return this.page.evaluate(
      ({ selector, rgb, tol }) => {
        const canvas = document.querySelector(selector) as HTMLCanvasElement | null;
        if (!canvas) throw new Error(`no canvas ${selector}`);
        const { data } = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height);
        if (rgb) {
          let count = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] > 0 && Math.abs(data[i] - rgb[0]) <= tol && Math.abs(data[i + 1] - rgb[1]) <= tol && Math.abs(data[i + 2] - rgb[2]) <= tol) count++;
          }
          return count;
        }
        const tally = new Map<number, number>();
        for (let i = 0; i < data.length; i += 4) {
          const key = (data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3];
          tally.set(key, (tally.get(key) ?? 0) + 1);
        }
        const background = Math.max(...tally.values());
        return data.length / 4 - background;
      },
      { selector: canvasSelector, rgb: color, tol: tolerance },
    );
  }

  /** The colour of one pixel of a canvas, at CSS-pixel coordinates. */
  async pixel(canvasSelector: string, x: number, y: number): Promise<[number, number, number]> {
    return this.page.evaluate(
      ({ selector, cssX, cssY }) => {
        const canvas = document.querySelector(selector) as HTMLCanvasElement;
        const scale = canvas.width / canvas.getBoundingClientRect().width;
        const { data } = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(Math.round(cssX * scale), Math.round(cssY * scale), 1, 1);
        return [data[0], data[1], data[2]] as [number, number, number];
      },
      { selector: canvasSelector, cssX: x, cssY: y },
    );
  }

  /**
   * How the text of each shown element matching the selector is laid out:
   * its lines (its text's boxes, grouped by their top), its height against
   * the height of one line of its text, and whether its content is wider
   * than its box (clipped or scrolled).
   */
  async textLayout(selector: string): Promise<TextLayout[]> {
    return this.page.$$eval(selector, (elements) =>
      elements
        .filter((element) => element.getClientRects().length > 0)
        .map((element) => {
          const boxes: DOMRect[] = [];
          const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!node.textContent?.trim()) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            boxes.push(...Array.from(range.getClientRects()).filter((box) => box.width > 0 && box.height > 0));
          }
          const lineHeight = Math.max(0, ...boxes.map((box) => box.height));
          const tops: number[] = [];
          for (const box of boxes.sort((a, b) => a.top - b.top)) if (!tops.some((top) => Math.abs(top - box.top) < lineHeight / 2)) tops.push(box.top);
          // An inline element has no client width to compare with.
          const overflows = element.clientWidth > 0 && element.scrollWidth > element.clientWidth;
          return { text: (element.textContent ?? "").trim(), lines: tops.length, height: element.getBoundingClientRect().height, lineHeight, overflows };
        }),
    );
  }

  /** How far the page is wider than the window (0 when nothing sticks out sideways). */
  horizontalOverflow(): Promise<number> {
    return this.page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
  }

  text(selector: string): Promise<string> {
    return this.page.locator(selector).first().innerText();
  }

  async screenshot(name: string): Promise<string> {
    const folder = process.env.OPTIM_BROWSER_ARTIFACTS ?? path.join(process.cwd(), "test-results", "browser");
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, `${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  close(): Promise<void> {
    return this.page.context().close();
  }
}

export interface TextLayout {
  text: string;
  lines: number;
  height: number;
  lineHeight: number;
  overflows: boolean;
}

export { launchBrowser };

/** `#rrggbb` as numbers. */
export function rgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}
