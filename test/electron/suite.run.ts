// The end-to-end checks, run inside VS Code's extension host by launch.run.ts.
import assert from "node:assert/strict";
import * as vscode from "vscode";

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function run(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, "the test workspace is open");
  const uri = vscode.Uri.joinPath(folder.uri, "broken.optim");
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));

  const diagnostics = await waitFor("a diagnostic on broken.optim", () => {
    const found = vscode.languages.getDiagnostics(uri);
    return found.length > 0 ? found : undefined;
  });
  assert.equal(diagnostics[0].message, "expected ']' but found '='");
  assert.equal(diagnostics[0].range.start.line, 1);
  assert.equal(diagnostics[0].range.start.character, 13);

  await vscode.commands.executeCommand("optim.showPanel");
  await waitFor("the lab panel tab", () =>
    vscode.window.tabGroups.all.flatMap((group) => group.tabs).find((tab) => tab.label === "Optim Lab"),
  );
  console.log("electron suite: 2 passed, 0 failed");
}
