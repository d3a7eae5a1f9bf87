// Reading a .optim file for a command: its text, or a message that names it.
import { readFile } from "node:fs/promises";

export async function readSource(file: string): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  try {
    return { ok: true, text: await readFile(file, "utf8") };
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (cause as Error).message;
    return { ok: false, message: `cannot read ${file}: ${reason}` };
  }
}
