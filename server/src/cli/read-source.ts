// Reading a .optim file for a command: its text, or a message that names it;
// and, for the commands that run it, its text with the `--set` values applied.
import { readFile } from "node:fs/promises";
import { applyOverrides } from "../analysis/overrides";
import { errorLine } from "./error-line";
import type { CliOutput } from "./main";

export async function readSource(file: string): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  try {
    return { ok: true, text: await readFile(file, "utf8") };
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (cause as Error).message;
    return { ok: false, message: `cannot read ${file}: ${reason}` };
  }
}

/**
 * The file's text as written (`source`) and with the `--set` values applied
 * (`text`, `overrides`); or, the error printed, the exit code: 1 for a file
 * that cannot be read, 2 for a bad `--set`.
 */
export async function readWithOverrides(file: string, sets: readonly string[], output: CliOutput): Promise<{ ok: true; source: string; text: string; overrides: Record<string, number> } | { ok: false; code: number }> {
  const source = await readSource(file);
  if (!source.ok) {
    output.stderr(errorLine(file, undefined, 0, source.message));
    return { ok: false, code: 1 };
  }
  const overridden = applyOverrides(source.text, sets);
  if (!overridden.ok) {
    output.stderr(`optim: ${overridden.message}\n`);
    return { ok: false, code: 2 };
  }
  return { ok: true, source: source.text, text: overridden.text, overrides: overridden.overrides };
}
