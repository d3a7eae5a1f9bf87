// Constructors for results and for messages that name the file and the place,
// so every loader words its errors the same way.
import { basename } from "node:path";
import type { DataError } from "./types";

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(error: DataError): { ok: false; error: DataError } {
  return { ok: false, error };
}

/** `name.ext: detail`; the detail says where (e.g. "at byte 4") itself. */
export function fileError(file: string, detail: string, byteOffset?: number): { ok: false; error: DataError } {
  const error: DataError = { message: `${basename(file)}: ${detail}`, file };
  if (byteOffset !== undefined) error.byteOffset = byteOffset;
  return fail(error);
}

/** `name.ext line 17: detail`. */
export function lineError(file: string, line: number, detail: string): { ok: false; error: DataError } {
  return fail({ message: `${basename(file)} line ${line}: ${detail}`, file, line });
}

/** Turns an I/O exception into a message a user can act on. */
export function ioError(file: string, cause: unknown): { ok: false; error: DataError } {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return fileError(file, `file not found (${file})`);
  if (code === "EISDIR") return fileError(file, "is a folder, not a file");
  if (code === "EACCES" || code === "EPERM") return fileError(file, "permission denied");
  const detail = cause instanceof Error ? cause.message : String(cause);
  return fileError(file, `cannot be read: ${detail}`);
}

export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, "0")}`;
}
