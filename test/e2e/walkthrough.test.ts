// The walkthrough in code-server's Welcome page: it is listed, and its steps
// open the examples (copied into the workspace).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCommand, screenshot } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

let session: EditorSession;

before(async () => {
  session = await openEditorSession({ "notes.md": "# notes\n" });
});

after(async () => {
  await session?.close();
});

test("the walkthrough is on the Welcome page and its steps open the examples", async () => {
  const { page } = session;
  await runCommand(page, "Welcome: Open Walkthrough...", { keepsInputOpen: true });
  const pick = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: "The CS231n optimization notes, hands on" });
  await pick.first().waitFor({ state: "visible", timeout: 20_000 });
  await pick.first().click();
  const walkthrough = page.locator(".gettingStartedContainer");
  await walkthrough.getByText("The loss bowl", { exact: true }).first().waitFor({ state: "visible", timeout: 20_000 });
  await screenshot(page, "walkthrough");
  for (const title of ["Strategy 1: random search", "Numerical against analytic gradients", "A two-layer network"]) {
    assert.ok(await walkthrough.getByText(title, { exact: true }).first().isVisible(), `step "${title}" is listed`);
  }
  await walkthrough.getByText("Numerical against analytic gradients", { exact: true }).first().click();
  await walkthrough.getByRole("button", { name: "Open 05-gradient-check.optim" }).or(walkthrough.getByText("Open 05-gradient-check.optim")).first().click();
  const tab = page.locator('.tabs-container .tab[data-resource-name="05-gradient-check.optim"]');
  await tab.waitFor({ state: "visible", timeout: 20_000 });
  await screenshot(page, "walkthrough-opened-example");
  assert.ok(existsSync(join(session.workspace, "optim-examples", "05-gradient-check.optim")), "the example is copied into the workspace");
});
