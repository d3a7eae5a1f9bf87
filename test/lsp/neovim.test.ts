// docs/editors.md's Neovim configuration, run as it is written in Debian's
// Neovim (headless) against the built server: the syntax file colours the
// gradient-check example, the wrong grad's error arrives as a diagnostic, its
// code lens runs the server's check through workspace/executeCommand, K shows
// its check, and a second .optim buffer shares the one server. A Lua driver
// does what a user would and writes what Neovim shows to a JSON file.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../support/fixtures";

/** Debian's Neovim, which scripts/test.mjs installs for this level. */
const nvim = "/usr/bin/nvim";
const installLine = "sudo apt-get update && sudo apt-get install -y --no-install-recommends neovim";
const placeholder = "/path/to/optim-lab";

const exampleName = "05-gradient-check.optim";
const example = readFileSync(join(repoRoot, "examples", exampleName), "utf8");
const exampleLines = example.split("\n");

/** 1-based line and column of `needle` in the example, moved `shift` characters along it. */
function place(needle: string, shift = 0): { line: number; col: number } {
  const index = exampleLines.findIndex((text) => text.includes(needle));
  assert.ok(index >= 0, `${needle} is in ${exampleName}`);
  return { line: index + 1, col: exampleLines[index].indexOf(needle) + 1 + shift };
}

/** Where the syntax file must put which group: [text in the example, characters into it, group]. */
const syntaxProbes: [needle: string, shift: number, group: string][] = [
  ["# The numerical gradient", 0, "optimComment"],
  ["# The numerical gradient", 6, "optimComment"],
  ["data images", 0, "optimDeclaration"],
  ["idx(", 0, "optimDataSource"],
  ['"/usr/share/datasets', 3, "optimString"],
  ["train 59000", 0, "optimSetting"],
  ["train 59000", 6, "optimNumber"],
  ["randn * 0.0001", 0, "optimInitialiser"],
  ["X @ W^T", 0, "optimImplicit"],
  ["X @ W^T", 2, "optimOperator"],
  ["X @ W^T", 5, "optimTranspose"],
  ["max(0, margins)", 0, "optimBuiltin"],
  ["grad dL_again/dW", 0, "optimDeclaration"],
  ["grad dL_again/dW", 5, "optimGradName"],
  ["grad dL_again/dW", 13, "optimGradName"],
  ["gradcheck check", 0, "optimDeclaration"],
  ["h 1e-5", 2, "optimNumber"],
];

/** The documented configuration: the Lua block of the Neovim section of docs/editors.md. */
function documentedConfig(): string {
  const doc = readFileSync(join(repoRoot, "docs", "editors.md"), "utf8");
  const section = doc.split(/^## /m).find((part) => part.startsWith("Neovim"));
  assert.ok(section, "docs/editors.md has a Neovim section");
  const block = /```lua\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "the Neovim section has a ```lua block");
  assert.ok(block[1].includes(placeholder), `the Lua block names the checkout as ${placeholder}`);
  return block[1].split(placeholder).join(repoRoot);
}

// The driver: what a user does after opening the example, each observation
// saved as it is made so a timeout still leaves what happened before it.
const driver = String.raw`
local function env(name)
  local value = os.getenv(name)
  if value == nil then error("the environment has no " .. name) end
  return value
end
local seen = { steps = {} }
local function save() vim.fn.writefile({ vim.fn.json_encode(seen) }, env("OPTIM_NVIM_OUT")) end
local function step(name) table.insert(seen.steps, name); save() end
local probes, ms

local function clients_of(buf)
  if vim.lsp.get_clients then return vim.lsp.get_clients({ bufnr = buf }) end
  return vim.tbl_values(vim.lsp.buf_get_clients(buf))
end
local function all_clients()
  return vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
end
local function wait_for(what, timeout, accept)
  if not vim.wait(timeout, accept, 100) then error("no " .. what .. " within " .. timeout .. " ms") end
end
local function press(keys)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), "x", false)
end

-- The server's messages and command answers, kept instead of shown.
seen.messages = {}
vim.lsp.handlers["window/showMessage"] = function(_, result)
  table.insert(seen.messages, { type = result.type, message = result.message })
end
vim.lsp.handlers["workspace/executeCommand"] = function(err, result)
  seen.executed = { error = err and err.message or vim.NIL, result = result }
end

local function main()
  probes = vim.fn.json_decode(table.concat(vim.fn.readfile(env("OPTIM_NVIM_PROBES")), "\n"))
  ms = tonumber(env("OPTIM_NVIM_WAIT_MS"))
  local version = vim.version()
  seen.version = version.major .. "." .. version.minor .. "." .. version.patch
  seen.has_lsp_start = vim.lsp.start ~= nil
  vim.v.errmsg = ""
  vim.cmd("edit " .. vim.fn.fnameescape(env("OPTIM_NVIM_FILE")))
  local buf = vim.api.nvim_get_current_buf()
  seen.filetype = vim.bo.filetype
  seen.syntax = vim.bo.syntax
  seen.commentstring = vim.bo.commentstring
  seen.errmsg = vim.v.errmsg
  seen.groups = {}
  for _, probe in ipairs(probes.syntax) do
    local id = vim.fn.synID(probe.line, probe.col, 1)
    table.insert(seen.groups, { name = vim.fn.synIDattr(id, "name"), shown = vim.fn.synIDattr(vim.fn.synIDtrans(id), "name") })
  end
  step("opened")

  wait_for("client on the example", 60000, function()
    local clients = clients_of(buf)
    return #clients > 0 and clients[1].initialized ~= false and clients[1].server_capabilities ~= nil
  end)
  local client = clients_of(buf)[1]
  seen.client = { name = client.name, id = client.id, pid = client.rpc and client.rpc.pid or vim.NIL }
  seen.omnifunc = vim.bo.omnifunc
  step("attached")

  wait_for("error on line " .. probes.grad.line, ms, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.lnum == probes.grad.line - 1 and d.severity == vim.diagnostic.severity.ERROR then return true end
    end
    return false
  end)
  seen.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or vim.NIL
    table.insert(seen.diagnostics, { line = d.lnum + 1, severity = d.severity, message = d.message, code = code })
  end
  step("diagnostics")

  -- The lenses drawn on attaching came before the check; the documented
  -- autocmd asks again when the cursor rests, and the grad's lens then tells
  -- the check's outcome.
  vim.api.nvim_win_set_cursor(0, { probes.grad.line, 0 })
  vim.api.nvim_exec_autocmds("CursorHold", { buffer = buf })
  wait_for("the grad's lens after its check", 60000, function()
    for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
      local title = lens.command and lens.command.title or ""
      if lens.range.start.line == probes.grad.line - 1 and title ~= "Check gradient" and not title:find("checking", 1, true) then return true end
    end
    return false
  end)
  seen.lenses = {}
  for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
    table.insert(seen.lenses, { line = lens.range.start.line + 1, title = lens.command.title, command = lens.command.command, arguments = lens.command.arguments })
  end
  step("lenses")

  -- The documented mapping runs the lens on the cursor's line.
  press("<leader>cl")
  wait_for("answer to the check lens", ms, function() return seen.executed ~= nil end)
  wait_for("message about the check", 10000, function()
    for _, m in ipairs(seen.messages) do
      if m.message:find("dL_again/dW", 1, true) then return true end
    end
    return false
  end)
  step("executed")

  vim.api.nvim_win_set_cursor(0, { probes.grad.line, probes.grad.col - 1 })
  press("K")
  wait_for("hover window", 60000, function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= "" then
        seen.hover = table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), "\n")
        return true
      end
    end
    return false
  end)
  step("hover")

  vim.cmd("edit " .. vim.fn.fnameescape(env("OPTIM_NVIM_SECOND")))
  local second = vim.api.nvim_get_current_buf()
  wait_for("client on the second file", 60000, function() return #clients_of(second) > 0 end)
  seen.second_client = clients_of(second)[1].id
  seen.clients = #vim.tbl_filter(function(c) return c.name == "optim" end, all_clients())
  step("second buffer")

  vim.lsp.stop_client(all_clients())
  wait_for("the server to stop", 20000, function() return #all_clients() == 0 end)
  step("stopped")
end

local ok, err = xpcall(main, debug.traceback)
if not ok then seen.error = err end
save()
vim.cmd("qa!")
`;

/** Runs Neovim to its end, or kills it after `timeoutMs`; resolves with its exit and output. */
function runNeovim(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }, timeoutMs: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(nvim, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Observations {
  steps: string[];
  error?: string;
  version: string;
  has_lsp_start: boolean;
  filetype: string;
  syntax: string;
  commentstring: string;
  errmsg: string;
  groups: { name: string; shown: string }[];
  client?: { name: string; id: number; pid: number | null };
  omnifunc: string;
  diagnostics: { line: number; severity: number; message: string; code: string | null }[];
  lenses: { line: number; title: string; command: string; arguments: unknown[] }[];
  messages: { type: number; message: string }[];
  executed?: { error: string | null; result: { grads: { name: string; passed: boolean; verdict: string }[] } | null };
  hover: string;
  second_client: number;
  clients: number;
}

test("docs/editors.md's Neovim configuration works in Debian's Neovim: colours, the grad's error, its lens and its hover", { timeout: 900_000 }, async () => {
  const version = spawnSync(nvim, ["--version"], { encoding: "utf8" });
  if (version.error || version.status !== 0) assert.fail(`Debian's Neovim is not at ${nvim} (npm test installs it when run as root): ${installLine}`);
  const [, major, minor] = /NVIM v(\d+)\.(\d+)/.exec(version.stdout) ?? [];
  assert.ok(Number(major) > 0 || Number(minor) >= 7, `Neovim 0.7 or later is needed, found ${version.stdout.split("\n")[0]}`);
  assert.ok(existsSync(join(repoRoot, "dist", "server.js")), "dist/server.js is missing: run npm run build");

  const folder = mkdtempSync(join(tmpdir(), "optim-neovim-"));
  /** The server Neovim started, once the driver saw it. */
  let serverPid: number | undefined;
  try {
    const config = join(folder, "init.lua");
    writeFileSync(config, documentedConfig());
    writeFileSync(join(folder, "driver.lua"), driver);
    // A copy, so nothing Neovim or the server writes lands in examples/; its data path is absolute.
    const file = join(folder, exampleName);
    copyFileSync(join(repoRoot, "examples", exampleName), file);
    const second = join(folder, "second.optim");
    writeFileSync(second, "hyper h = 1\n");
    const grad = place("dL_again/dW =");
    writeFileSync(join(folder, "probes.json"), JSON.stringify({ grad, syntax: syntaxProbes.map(([needle, shift]) => place(needle, shift)) }));
    const observed = join(folder, "observed.json");
    // Neovim's own state (its LSP log among it) stays in the folder.
    for (const name of ["config", "cache", "data", "state"]) mkdirSync(join(folder, "xdg", name), { recursive: true });
    const env = {
      ...process.env,
      XDG_CONFIG_HOME: join(folder, "xdg", "config"),
      XDG_CACHE_HOME: join(folder, "xdg", "cache"),
      XDG_DATA_HOME: join(folder, "xdg", "data"),
      XDG_STATE_HOME: join(folder, "xdg", "state"),
      OPTIM_NVIM_OUT: observed,
      OPTIM_NVIM_PROBES: join(folder, "probes.json"),
      OPTIM_NVIM_FILE: file,
      OPTIM_NVIM_SECOND: second,
      // The first check reads 47 MB of Fashion-MNIST; this machine may be slow and shared.
      OPTIM_NVIM_WAIT_MS: "300000",
    };

    // The driver quits by itself; the last command ends Neovim (exit 3) when the driver could not even start.
    const run = await runNeovim(["--headless", "--clean", "-n", "-u", config, "-c", `luafile ${join(folder, "driver.lua")}`, "-c", "cquit 3"], { cwd: folder, env }, 840_000);
    const log = [join(folder, "xdg", "cache", "nvim", "lsp.log"), join(folder, "xdg", "state", "nvim", "lsp.log")].filter(existsSync).map((path) => readFileSync(path, "utf8").slice(-4000)).join("\n");
    const context = `\nNeovim exited with ${run.code}${run.timedOut ? " (killed after its time)" : ""}; output:\n${run.output.slice(-4000)}\nLSP log:\n${log}`;
    assert.ok(existsSync(observed), `the driver wrote nothing${context}`);
    const seen = JSON.parse(readFileSync(observed, "utf8")) as Observations;
    if (typeof seen.client?.pid === "number") serverPid = seen.client.pid;
    assert.equal(seen.error, undefined, `the driver failed after ${seen.steps.join(", ")}: ${seen.error}${context}`);
    assert.equal(run.code, 0, context);

    // The documented lines chose the path of this Neovim's version.
    assert.equal(seen.has_lsp_start, Number(major) > 0 || Number(minor) >= 8, `Neovim ${seen.version}`);

    // The syntax file, loaded through the documented runtimepath.
    assert.equal(seen.filetype, "optim");
    assert.equal(seen.syntax, "optim");
    assert.equal(seen.commentstring, "# %s");
    assert.equal(seen.errmsg, "", "loading the .optim file raised an error");
    assert.deepEqual(
      seen.groups.map((group) => group.name),
      syntaxProbes.map(([, , group]) => group),
      `syntax groups at ${syntaxProbes.map(([needle, shift]) => `'${needle}'+${shift}`).join(", ")}`,
    );
    assert.equal(seen.groups[0].shown, "Comment");

    assert.equal(seen.client?.name, "optim");
    assert.equal(seen.omnifunc, "v:lua.vim.lsp.omnifunc");

    // The automatic check's verdict, as a diagnostic on the wrong grad's line.
    const errors = seen.diagnostics.filter((diagnostic) => diagnostic.line === grad.line && diagnostic.severity === 1);
    assert.equal(errors.length, 1, JSON.stringify(seen.diagnostics));
    assert.equal(errors[0].code, "gradcheck");
    assert.match(errors[0].message, /^analytic dL_again\/dW disagrees with the numerical gradient: max relative error /);
    assert.ok(!seen.diagnostics.some((diagnostic) => diagnostic.line === place("grad dL/dW").line && diagnostic.severity === 1), "the right grad has no error");

    // The grad's lens names the server's check, with the document and the grad.
    const lens = seen.lenses.find((entry) => entry.line === grad.line);
    assert.ok(lens, JSON.stringify(seen.lenses));
    assert.equal(lens.command, "optim.server.checkGradients");
    assert.deepEqual(lens.arguments, [pathToFileURL(file).href, "dL_again/dW"]);
    assert.match(lens.title, /^✗ gradient wrong: max relative error [\d.e-]+ — re-check$/);
    assert.deepEqual(seen.lenses.map((entry) => entry.command).sort(), ["optim.server.checkGradients", "optim.server.checkGradients", "optim.server.checkGradients", "optim.server.previewData"]);

    // Running it asked the server through workspace/executeCommand: its answer and its message.
    assert.equal(seen.executed?.error, null);
    const answered = seen.executed?.result?.grads ?? [];
    assert.deepEqual(answered.map((entry) => [entry.name, entry.passed]), [["dL/dW", true], ["dL_again/dW", false]]);
    const message = seen.messages.find((entry) => entry.message.includes("dL_again/dW"));
    assert.equal(message?.type, 1);
    assert.match(message?.message ?? "", /^Optim: 1 of 2 gradients wrong: dL\/dW: (good|acceptable) \(.*\); dL_again\/dW: error \(max relative error [\d.e+-]+\)$/);

    // K on the grad shows its last check.
    assert.match(seen.hover, /the gradient of L_again with respect to W/);
    assert.match(seen.hover, /Last check: \**error\**, max relative error/);

    // A second .optim buffer shares the one server, which ends with Neovim.
    assert.equal(seen.second_client, seen.client?.id);
    assert.equal(seen.clients, 1);
    assert.deepEqual(seen.steps, ["opened", "attached", "diagnostics", "lenses", "executed", "hover", "second buffer", "stopped"]);
    // Neovim 0.7's client gives its server's process id; not every version does.
    if (serverPid !== undefined) assert.ok(!alive(serverPid), `the server (pid ${serverPid}) outlived Neovim`);
    else assert.ok(seen.has_lsp_start, "Neovim 0.7's client gives its server's process id");
  } finally {
    // A Neovim killed after its time leaves its server behind.
    if (serverPid !== undefined && alive(serverPid)) process.kill(serverPid, "SIGKILL");
    rmSync(folder, { recursive: true, force: true });
  }
});
