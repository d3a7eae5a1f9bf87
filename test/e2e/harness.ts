/**
 * End-to-end harness: a real VS Code (code-server, installed by
 * scripts/setup-e2e.sh) driven by playwright-core in Debian's chromium.
 *
 * Environment:
 *   OPTIM_CODE_SERVER_DIR  code-server install (default: <repo>/.cache/code-server-4.100.3)
 *   OPTIM_CHROMIUM         chromium binary (default: `command -v chromium`)
 *   OPTIM_E2E_ARTIFACTS    screenshot folder (default: <cwd>/test-results/e2e)
 *   OPTIM_E2E_HEADED=1     show the browser (needs a display)
 */
import { chromium, type Browser, type Frame, type Locator, type Page } from "playwright-core";
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";

export const CODE_SERVER_VERSION = "4.100.3";

export interface StartOptions {
  /** Folder to open. */
  workspace: string;
  /** A .vsix to install with `--install-extension` before starting. */
  vsix?: string | undefined;
  /** VS Code user data dir; User/settings.json is (re)written in it. */
  userDataDir: string;
  /** Extensions dir (`--extensions-dir`). */
  extensionsDir: string;
  /**
   * true (default): the workspace is trusted (code-server runs with
   * --disable-workspace-trust). false: Workspace Trust is on and the folder is
   * not trusted, i.e. VS Code runs in Restricted Mode, without a prompt.
   */
  trust?: boolean | undefined;
  /** Extra user settings, merged over the harness defaults. */
  settings?: Record<string, unknown> | undefined;
  /** How long to wait for the HTTP server (default 60 s). */
  timeoutMs?: number | undefined;
  /** The port to listen on (default: a free one). */
  port?: number | undefined;
  /** The address to listen on (default 127.0.0.1). */
  host?: string | undefined;
}

export interface CodeServer {
  /** Workbench URL, with `?folder=` for the workspace: pass it to openWorkbench. */
  url: string;
  /** http://127.0.0.1:PORT/ */
  baseUrl: string;
  port: number;
  workspace: string;
  stop(): Promise<void>;
  /** Everything code-server (and the --install-extension run) printed. */
  log(): string;
}

// ------------------------------------------------------------------ helpers

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `fn` until it returns a non-undefined value, or throws `what` after timeoutMs. */
async function poll<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const why = last === undefined ? "" : ` (last error: ${errorMessage(last).split("\n")[0]})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

/** Runs a Playwright wait and rewrites its timeout error to say what was awaited. */
async function waitFor(what: string, p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    throw new Error(`Timed out waiting for ${what}: ${errorMessage(e).split("\n")[0]}`);
  }
}

function findUp(start: string, rel: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, rel);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The code-server install made by scripts/setup-e2e.sh. */
export function codeServerDir(): string {
  const fromEnv = process.env.OPTIM_CODE_SERVER_DIR;
  const rel = path.join(".cache", `code-server-${CODE_SERVER_VERSION}`);
  const dir =
    fromEnv ??
    [process.cwd(), __dirname]
      .map((start) => findUp(start, path.join(rel, "out", "node", "entry.js")))
      .find((p): p is string => p !== undefined)
      ?.replace(/[/\\]out[/\\]node[/\\]entry\.js$/, "");
  if (!dir || !fs.existsSync(path.join(dir, "out", "node", "entry.js"))) {
    throw new Error(
      `code-server ${CODE_SERVER_VERSION} is not installed (looked for ${fromEnv ?? rel + " above " + process.cwd()}): run scripts/setup-e2e.sh`,
    );
  }
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("could not pick a free port"))));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(2000, () => req.destroy(new Error("request timeout")));
    req.on("error", reject);
  });
}

/** The environment for code-server: no VSCODE_* variables (VSCODE_IPC_HOOK_CLI
 *  would make code-server hand the folder to an outer VS Code instead of starting). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("VSCODE_") && k !== "ELECTRON_RUN_AS_NODE") env[k] = v;
  }
  return env;
}

/** Settings that keep the workbench quiet and stable for tests. */
export function defaultSettings(trust: boolean): Record<string, unknown> {
  return {
    "workbench.startupEditor": "none",
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "workbench.editor.enablePreview": false,
    "workbench.editor.enablePreviewFromQuickOpen": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.commandCenter.enabled": false,
    "chat.disableAIFeatures": true,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "git.enabled": false,
    "git.openRepositoryInParentFolders": "never",
    "files.autoSave": "off",
    "editor.minimap.enabled": false,
    "window.dialogStyle": "custom",
    "security.workspace.trust.enabled": !trust,
    "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.banner": "never",
    "security.workspace.trust.untrustedFiles": "open",
    "security.workspace.trust.emptyWindow": trust,
  };
}

// ------------------------------------------------------------------ code-server

export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  const dir = codeServerDir();
  const entry = path.join(dir, "out", "node", "entry.js");
  const trust = opts.trust ?? true;
  const workspace = path.resolve(opts.workspace);
  const userDataDir = path.resolve(opts.userDataDir);
  const extensionsDir = path.resolve(opts.extensionsDir);
  const timeoutMs = opts.timeoutMs ?? 60_000;

  fs.mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, "User", "settings.json"),
    JSON.stringify({ ...defaultSettings(trust), ...(opts.settings ?? {}) }, null, 2),
  );
  // A config file of our own, so ~/.config/code-server/config.yaml is neither read nor written.
  const configFile = path.join(userDataDir, "code-server-config.yaml");
  fs.writeFileSync(configFile, "auth: none\ncert: false\n");

  const chunks: string[] = [];
  let logSize = 0;
  const record = (s: string): void => {
    chunks.push(s);
    logSize += s.length;
    while (logSize > 2_000_000 && chunks.length > 1) logSize -= chunks.shift()!.length;
  };
  const common = ["--config", configFile, "--user-data-dir", userDataDir, "--extensions-dir", extensionsDir];
  const env = childEnv();
  // code-server keeps its logs and heartbeat file under $XDG_DATA_HOME/code-server.
  env.XDG_DATA_HOME = path.join(userDataDir, "xdg-data");

  if (opts.vsix) {
    const vsix = path.resolve(opts.vsix);
    if (!fs.existsSync(vsix)) throw new Error(`vsix not found: ${vsix}`);
    record(`$ code-server --install-extension ${vsix}\n`);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [entry, ...common, "--force", "--install-extension", vsix],
        { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const text = `${stdout}${stderr}`;
          record(text);
          if (err) reject(new Error(`code-server --install-extension ${vsix} failed: ${errorMessage(err)}\n${text}`));
          else resolve(text);
        },
      );
    });
    if (!/successfully installed|already installed/i.test(out)) {
      throw new Error(`code-server --install-extension ${vsix} did not report success:\n${out}`);
    }
  }

  const port = opts.port ?? (await freePort());
  const host = opts.host ?? "127.0.0.1";
  const args = [
    entry,
    ...common,
    "--auth", "none",
    "--bind-addr", `${host}:${port}`,
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-getting-started-override",
    "--ignore-last-opened",
    ...(trust ? ["--disable-workspace-trust"] : []),
    workspace,
  ];
  record(`$ code-server ${args.slice(1).join(" ")}\n`);
  // detached: own process group, so stop() also ends the extension host,
  // pty host and file watcher that code-server forks.
  const child: ChildProcess = spawn(process.execPath, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => record(d.toString()));
  child.stderr?.on("data", (d: Buffer) => record(d.toString()));
  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      exited = `exit code ${code} signal ${signal}`;
      record(`[code-server ${exited}]\n`);
      resolve();
    });
  });

  const killGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  const stop = async (): Promise<void> => {
    if (exited === undefined) {
      killGroup("SIGTERM");
      await Promise.race([exitPromise, sleep(5000)]);
    }
    killGroup("SIGKILL"); // stragglers in the group (extension host etc.)
  };
  const log = (): string => chunks.join("");

  const baseUrl = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}/`;
  try {
    await poll(`code-server to answer HTTP on ${baseUrl}healthz`, timeoutMs, async () => {
      if (exited !== undefined) throw new Error(`code-server exited early (${exited}):\n${log()}`);
      return (await httpStatus(`${baseUrl}healthz`)) === 200 ? true : undefined;
    });
  } catch (e) {
    await stop();
    throw new Error(`${errorMessage(e)}\n--- code-server log ---\n${log()}`);
  }

  return {
    url: `${baseUrl}?folder=${encodeURIComponent(workspace)}`,
    baseUrl,
    port,
    workspace,
    stop,
    log,
  };
}

// ------------------------------------------------------------------ browser

export function chromiumPath(): string {
  const fromEnv = process.env.OPTIM_CHROMIUM;
  if (fromEnv) return fromEnv;
  try {
    return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("Debian's chromium is not installed: run scripts/setup-e2e.sh (apt-get install -y chromium)");
  }
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-dev-shm-usage",
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: process.env.OPTIM_E2E_HEADED !== "1",
    args: CHROMIUM_ARGS,
  });
}

/** A page with a viewport large enough for the explorer, editor and panel. */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  return context.newPage();
}

// ------------------------------------------------------------------ workbench

const EXPLORER_ROWS = ".explorer-folders-view .monaco-list-row";
const QUICK_INPUT = ".quick-input-widget";
const QUICK_INPUT_BOX = ".quick-input-widget .quick-input-box input";
const QUICK_INPUT_ROWS = ".quick-input-widget .quick-input-list .monaco-list-row";

/**
 * Loads the workbench and waits until it is usable: the workbench DOM, the
 * status bar, the explorer showing the folder's files (unless
 * `emptyWorkspace`), and the extension contributions registered. The last one
 * is seen as the color theme's class (`vscode-theme-...`) on
 * `.monaco-workbench`: the theme comes from a built-in extension that the
 * remote extension host scans together with the installed ones, so once it is
 * applied the contributed languages and commands are known too.
 */
export async function openWorkbench(
  page: Page,
  url: string,
  opts: { timeoutMs?: number; emptyWorkspace?: boolean } = {},
): Promise<void> {
  const timeout = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeout;
  const left = (): number => Math.max(1000, deadline - Date.now());
  await waitFor(`page load of ${url}`, page.goto(url, { waitUntil: "domcontentloaded", timeout }));
  await waitFor("the VS Code workbench (.monaco-workbench)", page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: left() }));
  await waitFor("the status bar", page.locator(".part.statusbar").waitFor({ state: "visible", timeout: left() }));
  if (!opts.emptyWorkspace) {
    await waitFor(
      "the Explorer to list the workspace files",
      page.locator(EXPLORER_ROWS).first().waitFor({ state: "visible", timeout: left() }),
    );
  }
  await waitFor(
    "the extensions to be registered (color theme class on .monaco-workbench)",
    page.locator('.monaco-workbench[class*="vscode-theme-"]').waitFor({ state: "attached", timeout: left() }),
  );
}

/** Rows of the Explorer whose label is exactly `name`. */
function explorerRow(page: Page, name: string): Locator {
  return page.locator(EXPLORER_ROWS).filter({
    has: page.locator(".label-name").getByText(name, { exact: true }),
  });
}

/**
 * Opens a workspace file by clicking its row in the Explorer (for "dir/file",
 * each folder row is clicked to expand it first) and waits for its editor tab
 * to be the active one.
 */
export async function openFile(
  page: Page,
  name: string,
  opts: { timeoutMs?: number; /** wait until the status bar language mode is this, e.g. "Optim" */ language?: string } = {},
): Promise<void> {
  const timeout = opts.timeoutMs ?? 20_000;
  const parts = name.split(/[/\\]/).filter(Boolean);
  const base = parts[parts.length - 1];
  if (!base) throw new Error(`openFile: empty file name`);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const row = explorerRow(page, part).first();
    await waitFor(`the Explorer row "${part}" (opening ${name})`, row.waitFor({ state: "visible", timeout }));
    const isFolder = i < parts.length - 1;
    if (isFolder && (await row.getAttribute("aria-expanded")) === "true") continue;
    await row.click();
  }
  const tab = page.locator(`.tabs-container .tab.active[data-resource-name="${base.replace(/"/g, '\\"')}"]`);
  await waitFor(`the active editor tab for "${name}"`, tab.waitFor({ state: "visible", timeout }));
  await waitFor(
    `the text editor for "${name}"`,
    page.locator(".editor-group-container.active .monaco-editor .view-lines").first().waitFor({ state: "visible", timeout }),
  );
  if (opts.language) {
    const want = opts.language.toLowerCase();
    await poll(`the language mode of "${name}" to be "${opts.language}" (status bar)`, timeout, async () => {
      const mode = (await page.locator("#status\\.editor\\.mode").innerText({ timeout: 500 })).trim();
      return mode.toLowerCase() === want ? true : undefined;
    });
  }
}

/** Moves keyboard focus out of a webview iframe, if it has it, so that
 *  workbench keybindings reach the workbench. */
async function focusWorkbench(page: Page): Promise<void> {
  await page.evaluate(() => {
    const a = document.activeElement;
    if (a instanceof HTMLIFrameElement) a.blur();
  });
}

/**
 * Runs a command from the command palette: opens it (F1, then Ctrl+Shift+P on
 * retry), types `>title`, waits for an entry whose label is `title` (exactly,
 * or else containing it) and accepts it.
 */
export async function runCommand(page: Page, title: string, opts: { timeoutMs?: number; /** the command asks for more input in the same widget */ keepsInputOpen?: boolean } = {}): Promise<void> {
  const timeout = opts.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeout;
  const widget = page.locator(QUICK_INPUT);
  const input = page.locator(QUICK_INPUT_BOX);

  // 1. Open the palette; keys pressed too early (or into a webview) can be lost.
  let opened = false;
  for (let attempt = 0; !opened && Date.now() < deadline; attempt++) {
    await focusWorkbench(page);
    if (await widget.isVisible()) {
      await page.keyboard.press("Escape");
    }
    await page.keyboard.press(attempt % 2 === 0 ? "F1" : "Control+Shift+P");
    opened = await input
      .waitFor({ state: "visible", timeout: 2500 })
      .then(() => true)
      .catch(() => false);
  }
  if (!opened) throw new Error(`Timed out after ${timeout} ms waiting for the command palette to open (to run "${title}")`);

  // 2. Type the query; re-type if the input does not hold it (lost keystrokes).
  const query = `>${title}`;
  await poll(`the command palette input to contain "${query}"`, Math.max(1000, deadline - Date.now()), async () => {
    await input.fill(query);
    return (await input.inputValue()) === query ? true : undefined;
  });

  // 3. Wait for the entry and accept it.
  const rowFor = async (): Promise<Locator | undefined> => {
    const rows = page.locator(QUICK_INPUT_ROWS);
    const n = await rows.count();
    let partial: Locator | undefined;
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      const label = ((await row.locator(".label-name").first().textContent({ timeout: 500 })) ?? "").trim();
      if (label === title) return row;
      if (!partial && label.includes(title)) partial = row;
    }
    return partial;
  };
  let row: Locator;
  try {
    row = await poll(`a command palette entry "${title}"`, Math.max(1000, deadline - Date.now()), rowFor);
  } catch (e) {
    const seen = await page.locator(`${QUICK_INPUT_ROWS} .label-name`).allTextContents().catch(() => []);
    await page.keyboard.press("Escape").catch(() => undefined);
    throw new Error(`${errorMessage(e)}; entries shown: ${JSON.stringify(seen.slice(0, 10))}`);
  }
  const focused = (await row.getAttribute("class"))?.split(/\s+/).includes("focused");
  if (focused) await input.press("Enter");
  else await row.click();
  if (opts.keepsInputOpen) return;
  await waitFor(`the command palette to close after running "${title}"`, widget.waitFor({ state: "hidden", timeout: Math.max(1000, deadline - Date.now()) }));
}

// ------------------------------------------------------------------ problems

const PROBLEM_ROWS = ".markers-panel .monaco-list-row";

export interface Problem {
  /** The row's text: "message source code [Ln L, Col C]". */
  text: string;
  /** "error" | "warning" | "info" | "hint" (from the row's icon). */
  severity: string;
  message: string;
  source: string;
  code: string;
  /** 1-based, from "[Ln L, Col C]". */
  line: number;
  column: number;
  /** Base name of the file the problem is listed under. */
  file: string;
  /** e.g. "Warning: msg at line 1 and character 1. generated by src" */
  ariaLabel: string;
}

/**
 * Focuses the Problems panel (its command) and returns the problems listed,
 * as objects. File rows (aria-level 1) are left out; problem rows are
 * aria-level 2. With `atLeast`, polls until that many are shown or throws
 * after `timeoutMs`. The list is virtualised: only rows that fit in the panel
 * are in the DOM (about 10 at the default size).
 */
export async function problemEntries(page: Page, opts: { atLeast?: number; timeoutMs?: number } = {}): Promise<Problem[]> {
  const timeout = opts.timeoutMs ?? 15_000;
  const atLeast = opts.atLeast ?? 0;
  await runCommand(page, "View: Focus Problems (Errors, Warnings, Infos)", { timeoutMs: timeout });
  await waitFor("the Problems panel", page.locator(".markers-panel").first().waitFor({ state: "visible", timeout }));
  const read = async (): Promise<Problem[]> => {
    // Expand collapsed file rows so their problems are listed.
    const collapsed = page.locator(`${PROBLEM_ROWS}[aria-level="1"][aria-expanded="false"]`);
    for (let i = await collapsed.count(); i > 0; i--) await collapsed.first().click().catch(() => undefined);
    return page.locator(PROBLEM_ROWS).evaluateAll((els) => {
      const out: Problem[] = [];
      const sorted = Array.from(els).sort((a, b) => Number(a.getAttribute("data-index")) - Number(b.getAttribute("data-index")));
      let file = "";
      for (const el of sorted) {
        const aria = el.getAttribute("aria-label") ?? "";
        if (el.getAttribute("aria-level") === "1") {
          file = (el.querySelector(".label-name") as HTMLElement | null)?.innerText.trim() ?? aria.replace(/^.* in file (.*) of folder .*$/, "$1");
          continue;
        }
        const q = (sel: string): string => ((el.querySelector(sel) as HTMLElement | null)?.innerText ?? "").trim();
        const icon = el.querySelector(".marker-icon")?.className ?? "";
        const severity = /\berror\b/.test(icon) ? "error" : /\bwarning\b/.test(icon) ? "warning" : /\binfo\b/.test(icon) ? "info" : "hint";
        const pos = /\[Ln (\d+), Col (\d+)\]/.exec(q(".marker-line"));
        out.push({
          text: (el as HTMLElement).innerText.replace(/\s+/g, " ").trim(),
          severity,
          message: q(".marker-message"),
          source: q(".marker-source"),
          code: q(".marker-code"),
          line: pos ? Number(pos[1]) : 0,
          column: pos ? Number(pos[2]) : 0,
          file,
          ariaLabel: aria,
        });
      }
      return out;
    });
  };
  if (atLeast <= 0) return read();
  return poll(`at least ${atLeast} problem(s) in the Problems panel`, timeout, async () => {
    const rows = await read();
    return rows.length >= atLeast ? rows : undefined;
  }, 400);
}

/**
 * Focuses the Problems panel and returns the text of each problem row, e.g.
 * "unknown identifier 'x' optim E001 [Ln 3, Col 5]" (message, source, code,
 * position). See problemEntries for the details of each row.
 */
export async function problems(page: Page, opts: { atLeast?: number; timeoutMs?: number } = {}): Promise<string[]> {
  return (await problemEntries(page, opts)).map((p) => p.text);
}

// ------------------------------------------------------------------ webviews

/**
 * The body text of a webview. VS Code nests each webview in two iframes: an
 * outer `iframe.webview` (the host page) and, inside it, `iframe#active-frame`
 * holding the extension's HTML. Returns the first visible webview whose text is
 * non-empty (and contains `contains`, if given), polling up to `timeoutMs`.
 */
export async function webviewText(page: Page, opts: { timeoutMs?: number; contains?: string } = {}): Promise<string> {
  const timeout = opts.timeoutMs ?? 15_000;
  return poll(
    `a webview${opts.contains ? ` containing "${opts.contains}"` : " with text"} (iframe.webview > iframe#active-frame)`,
    timeout,
    async () => {
      for (const frame of await webviewFrames(page)) {
        const text = await frame.evaluate(() => document.body?.innerText ?? "").catch(() => "");
        if (text.trim() && (!opts.contains || text.includes(opts.contains))) return text;
      }
      return undefined;
    },
    300,
  );
}

/** The inner (`#active-frame`) frames of all visible webviews, newest last. */
export async function webviewFrames(page: Page): Promise<Frame[]> {
  const result: Frame[] = [];
  const outers = page.locator("iframe.webview");
  const n = await outers.count();
  for (let i = 0; i < n; i++) {
    const outerEl = outers.nth(i);
    if (!(await outerEl.isVisible())) continue;
    const outer = await (await outerEl.elementHandle())?.contentFrame();
    if (!outer) continue;
    const innerEl = await outer.$("iframe#active-frame");
    const inner = await innerEl?.contentFrame();
    if (inner) result.push(inner);
  }
  return result;
}

// ------------------------------------------------------------------ misc

/** Texts of the notification toasts currently shown. */
export async function notifications(page: Page): Promise<string[]> {
  return page.locator(".notifications-toasts .notification-toast .notification-list-item-message").allInnerTexts();
}

export function artifactsDir(): string {
  return path.resolve(process.env.OPTIM_E2E_ARTIFACTS ?? path.join("test-results", "e2e"));
}

/** Saves a full-page screenshot to test-results/e2e/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = artifactsDir();
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name.replace(/[^A-Za-z0-9_.-]+/g, "_")}.png`);
  await page.screenshot({ path: file });
  return file;
}

// ------------------------------------------------------------------ editor

/** Moves the cursor of the active editor to a 1-based line and column (Go to Line/Column). */
export async function goToPosition(page: Page, line: number, column: number, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeout = opts.timeoutMs ?? 15_000;
  await focusWorkbench(page);
  await page.locator(".editor-group-container.active .monaco-editor .view-lines").first().click();
  const input = page.locator(QUICK_INPUT_BOX);
  await poll(`the Go to Line input (going to ${line}:${column})`, timeout, async () => {
    if (!(await input.isVisible())) await page.keyboard.press("Control+G");
    await input.waitFor({ state: "visible", timeout: 1500 });
    await input.fill(`:${line}:${column}`);
    return (await input.inputValue()) === `:${line}:${column}` ? true : undefined;
  });
  await input.press("Enter");
  await waitFor("the Go to Line input to close", page.locator(QUICK_INPUT).waitFor({ state: "hidden", timeout }));
}

/** Shows the hover at the cursor (editor.action.showHover) and returns its text. */
export async function hoverAtCursor(page: Page, opts: { timeoutMs?: number; contains?: string } = {}): Promise<string> {
  const timeout = opts.timeoutMs ?? 15_000;
  return poll(`a hover${opts.contains ? ` containing "${opts.contains}"` : ""}`, timeout, async () => {
    const hover = page.locator(".monaco-hover:not(.hidden) .monaco-hover-content").first();
    if (!(await hover.isVisible())) {
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      await hover.waitFor({ state: "visible", timeout: 2000 });
    }
    const text = await hover.innerText();
    return text.trim() && (!opts.contains || text.includes(opts.contains)) ? text : undefined;
  });
}

/** Opens the suggestion widget at the cursor (Ctrl+Space) and returns the labels it lists. */
export async function completionsAtCursor(page: Page, opts: { timeoutMs?: number; contains?: string } = {}): Promise<string[]> {
  const timeout = opts.timeoutMs ?? 15_000;
  const rows = page.locator(".editor-widget.suggest-widget.visible .monaco-list-row .label-name");
  return poll(`suggestions${opts.contains ? ` including "${opts.contains}"` : ""}`, timeout, async () => {
    if ((await rows.count()) === 0) {
      await page.keyboard.press("Control+Space");
      await rows.first().waitFor({ state: "visible", timeout: 2000 });
    }
    const labels = (await rows.allInnerTexts()).map((label) => label.trim());
    return labels.length > 0 && (!opts.contains || labels.includes(opts.contains)) ? labels : undefined;
  });
}
