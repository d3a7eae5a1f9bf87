// The size guard: loaders compute what a data set will take from its header
// and refuse it before allocating, so a huge or lying file cannot exhaust the
// language server's memory.
import { basename } from "node:path";
import type { DataError } from "./types";

/** Bytes taken by n examples of d float32 inputs plus their int32 labels. */
export function examplesBytes(n: number, d: number): number {
  return n * d * 4 + n * 4;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** An error when `bytes` exceeds `maxBytes`; `what` says what is being loaded, e.g. "60000 images of 28×28". */
export function sizeLimitError(file: string, what: string, bytes: number, maxBytes: number | undefined): DataError | undefined {
  if (maxBytes === undefined || bytes <= maxBytes) return undefined;
  return {
    message: `${basename(file)}: ${what} need ${formatBytes(bytes)} as float32, more than the data size limit of ${formatBytes(maxBytes)}; take a subset or raise the limit`,
    file,
  };
}
