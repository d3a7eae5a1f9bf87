// The editor half of `npm start`: code-server with the packaged extension
// installed, opened on examples/, until Ctrl-C. Reuses the end-to-end
// harness's launcher so the product runs exactly as the tests see it.
//   node out/scripts/open-editor.js [--port N] [--host ADDRESS]
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startCodeServer } from "../test/e2e/harness";

interface Options {
  port?: number;
  host?: string;
}

function parseOptions(args: string[]): Options {
  const options: Options = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    const value = inline ?? args[++i];
    if (flag === "--port") {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port takes a port number from 1 to 65535, not '${value ?? ""}'`);
      options.port = port;
    } else if (flag === "--host") {
      if (!value) throw new Error("--host takes an address, such as 127.0.0.1 or 0.0.0.0");
      options.host = value;
    } else {
      throw new Error(`unknown option '${flag}': npm start takes --port N and --host ADDRESS`);
    }
  }
  return options;
}

/** The .vsix to install, or undefined when this very file is installed already (installing takes seconds). */
function vsixToInstall(vsix: string, extensionsDir: string, state: string): string | undefined {
  const digest = createHash("sha256").update(readFileSync(vsix)).digest("hex");
  const marker = join(state, "installed-vsix.sha256");
  const installed = existsSync(extensionsDir) && readdirSync(extensionsDir).some((name) => name.startsWith("optim-lab.optim-lab-"));
  // The marker is written only after an install succeeded (main, below).
  return installed && existsSync(marker) && readFileSync(marker, "utf8") === digest ? undefined : vsix;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const root = join(__dirname, "..", "..");
  const state = join(root, ".cache", "editor");
  const extensionsDir = join(state, "extensions");
  const vsix = join(root, "dist", "optim-lab.vsix");
  mkdirSync(state, { recursive: true });
  const install = vsixToInstall(vsix, extensionsDir, state);
  const server = await startCodeServer({
    workspace: join(root, "examples"),
    vsix: install,
    userDataDir: join(state, "user-data"),
    extensionsDir,
    settings: { "workbench.startupEditor": "none" },
    port: options.port,
    host: options.host,
  });
  if (install) writeFileSync(join(state, "installed-vsix.sha256"), createHash("sha256").update(readFileSync(install)).digest("hex"));
  const since = Number(process.env.OPTIM_STARTED_AT);
  const took = Number.isFinite(since) && since > 0 ? ` (ready ${((Date.now() - since) / 1000).toFixed(1)} s after npm start)` : "";
  console.log(`\nVS Code with the Optim extension is running on the examples${took}:\n\n    ${server.url}\n\nOpen that address in a browser. Press Ctrl-C to stop.`);
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
