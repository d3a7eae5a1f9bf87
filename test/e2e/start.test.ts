// `npm start` as a user runs it, on a port of their choosing: it prints the
// address, VS Code opens there on the examples, and the extension works
// (example 05's wrong grad is an error in the Problems panel). The time from
// the command to a usable editor is reported, not asserted.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Browser } from "playwright-core";
import { launchBrowser, newPage, openFile, openWorkbench, problemEntries, screenshot } from "./harness";

const root = join(__dirname, "..", "..", "..");
let start: ChildProcess | undefined;
let browser: Browser | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}

after(async () => {
  await browser?.close();
  if (start?.pid !== undefined && start.exitCode === null) {
    const exited = new Promise((resolve) => start!.once("exit", resolve));
    // npm start passes the signal on to the launcher, which stops code-server and everything it started.
    start.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    if (start.exitCode === null) start.kill("SIGKILL");
  }
});

test("npm start --port serves VS Code on the examples with the extension working", { timeout: 600_000 }, async (t) => {
  const port = await freePort();
  const began = Date.now();
  start = spawn(process.execPath, [join(root, "scripts", "start.mjs"), "--port", String(port)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  start.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    start!.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const address = new RegExp(`http://127\\.0\\.0\\.1:${port}/\\?folder=\\S+`).exec(output);
      if (address) resolve(address[0]);
    });
    start!.once("exit", (code) => reject(new Error(`npm start exited with ${code} before printing its address:\n${output}`)));
  });
  const printed = Date.now();
  assert.doesNotMatch(output, /Chromium|test bundles/i, "npm start sets up nothing for the tests");
  assert.match(output, /\d+ files checked: 0 errors/, "it checked the examples");

  browser = await launchBrowser();
  const page = await newPage(browser);
  await openWorkbench(page, url);
  await openFile(page, "05-gradient-check.optim", { language: "Optim" });
  const problems = await problemEntries(page, { atLeast: 1, timeoutMs: 120_000 });
  await screenshot(page, "npm-start-example-05");
  const gradient = problems.find((problem) => problem.code.includes("gradcheck"));
  assert.ok(gradient, `example 05's wrong grad is listed; saw ${JSON.stringify(problems.map((problem) => problem.text))}`);
  assert.match(gradient.message, /dL_again\/dW/);
  t.diagnostic(`address printed ${((printed - began) / 1000).toFixed(1)} s after npm start; the gradient error shown ${((Date.now() - began) / 1000).toFixed(1)} s after it`);
});
