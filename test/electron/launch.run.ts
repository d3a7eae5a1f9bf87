// Runs the in-editor suite (suite.run.ts) in a desktop VS Code through
// @vscode/test-electron, for machines that can download VS Code or have one.
//   npm run test:electron                       downloads the stable VS Code
//   VSCODE_PATH=/path/to/code npm run test:electron   uses a local one
import { runTests } from "@vscode/test-electron";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchFolder } from "../support/scratch";

async function main(): Promise<void> {
  const root = join(__dirname, "..", "..", "..");
  const workspace = scratchFolder("electron");
  writeFileSync(join(workspace, "broken.optim"), "hyper reg = 1e-3\nparam W: [10 = 3\n");
  await runTests({
    vscodeExecutablePath: process.env.VSCODE_PATH || undefined,
    version: process.env.VSCODE_VERSION || "stable",
    extensionDevelopmentPath: root,
    extensionTestsPath: join(__dirname, "suite.run.js"),
    launchArgs: [workspace, "--disable-extensions", "--disable-workspace-trust"],
  });
}

main().catch((failure: unknown) => {
  console.error(failure);
  process.exit(1);
});
