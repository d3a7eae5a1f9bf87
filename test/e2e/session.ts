// One code-server with the packaged extension and one browser page, shared
// by the tests of a file: start it in `before`, stop it in `after`.
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { repoRoot } from "../support/fixtures";
import { launchBrowser, newPage, openWorkbench, startCodeServer, type CodeServer } from "./harness";
import { scratchFolder } from "../support/scratch";

export const vsixPath = join(repoRoot, "dist", "optim-lab.vsix");

export interface EditorSession {
  page: Page;
  workspace: string;
  /** Where code-server installed the extension: its server runs from here. */
  extensionsDir: string;
  server: CodeServer;
  close(): Promise<void>;
}

/** Starts code-server on a fresh workspace holding `files`, installs the .vsix, and opens the workbench. */
export async function openEditorSession(files: Record<string, string>, options: { trust?: boolean } = {}): Promise<EditorSession> {
  const scratch = scratchFolder("e2e");
  const workspace = join(scratch, "workspace");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(workspace, name)), { recursive: true });
    writeFileSync(join(workspace, name), text);
  }
  const extensionsDir = join(scratch, "extensions");
  const server = await startCodeServer({
    workspace,
    vsix: vsixPath,
    userDataDir: join(scratch, "user-data"),
    extensionsDir,
    trust: options.trust ?? true,
  });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const page = await newPage(browser);
    await openWorkbench(page, server.url);
    const opened = browser;
    return {
      page,
      workspace,
      extensionsDir,
      server,
      close: async () => {
        await opened.close();
        await server.stop();
      },
    };
  } catch (failure) {
    await browser?.close();
    await server.stop();
    throw new Error(`${failure instanceof Error ? failure.message : String(failure)}\n--- code-server log ---\n${server.log().slice(-4000)}`);
  }
}
