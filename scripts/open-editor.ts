// The editor half of `npm start`: code-server with the packaged extension
// installed, opened on examples/, until Ctrl-C. Reuses the end-to-end
// harness's launcher so the product runs exactly as the tests see it.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startCodeServer } from "../test/e2e/harness";

async function main(): Promise<void> {
  const root = join(__dirname, "..", "..");
  const state = join(root, ".cache", "editor");
  mkdirSync(state, { recursive: true });
  const server = await startCodeServer({
    workspace: join(root, "examples"),
    vsix: join(root, "dist", "optim-lab.vsix"),
    userDataDir: join(state, "user-data"),
    extensionsDir: join(state, "extensions"),
    settings: { "workbench.startupEditor": "none" },
  });
  console.log(`\nVS Code with the Optim extension is running on the examples:\n\n    ${server.url}\n\nOpen that address in a browser. Press Ctrl-C to stop.`);
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((failure: unknown) => {
  console.error(failure instanceof Error ? failure.message : failure);
  process.exit(1);
});
