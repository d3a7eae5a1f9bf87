// Reading files whole or just their head, gunzipping when the content starts
// with the gzip magic bytes (1f 8b): names lie (".gz" files that were already
// unpacked by a browser are common), contents do not.
import { open, readFile } from "node:fs/promises";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { fileError, ioError, ok } from "./errors";
import type { Result } from "./types";

const gunzipAsync = promisify(zlib.gunzip);

export interface FileBytes {
  bytes: Uint8Array;
  /** True when the file was gzip-compressed; offsets in messages then refer to the decompressed contents. */
  gzipped: boolean;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export async function readRaw(path: string): Promise<Result<Uint8Array>> {
  try {
    return ok(await readFile(path));
  } catch (cause) {
    return ioError(path, cause);
  }
}

/**
 * Decompresses if gzipped. `expectedLength`, when known from a header, sizes
 * the output buffer in one piece (fewer copies) and caps it, so a stream that
 * inflates past what its header promised stops there instead of filling memory.
 * A truncated stream yields what it holds (sync flush): callers check lengths
 * against their header and say how much is missing, which is more useful than
 * zlib's "unexpected end of file".
 */
export async function gunzipIfNeeded(path: string, raw: Uint8Array, expectedLength?: number): Promise<Result<FileBytes>> {
  if (!isGzip(raw)) return ok({ bytes: raw, gzipped: false });
  const options: zlib.ZlibOptions = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  if (expectedLength !== undefined) {
    // One byte more than expected, so "too long" is detectable as an overflow.
    // Deflate expands at most ~1032:1, so a header that lies about its size
    // cannot make us allocate more than the input could ever produce.
    options.chunkSize = Math.max(64, Math.min(expectedLength + 1, raw.length * 1032 + 1024, 256 * 1024 * 1024));
    options.maxOutputLength = expectedLength + 1;
  }
  try {
    const bytes = await gunzipAsync(raw, options);
    return ok({ bytes, gzipped: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === "ERR_BUFFER_TOO_LARGE") {
      return fileError(path, `decompresses to more than the ${expectedLength} bytes its header describes`, expectedLength);
    }
    const detail = cause instanceof Error ? cause.message : String(cause);
    return fileError(path, `is not a valid gzip file (${detail})`);
  }
}

export async function readBytes(path: string, expectedLength?: number): Promise<Result<FileBytes>> {
  const raw = await readRaw(path);
  if (!raw.ok) return raw;
  return gunzipIfNeeded(path, raw.value, expectedLength);
}

/**
 * The first `length` bytes of the (decompressed) contents, reading only the
 * start of the file: enough for a header, without loading the data.
 * Returns fewer bytes when the contents are shorter.
 */
export async function readHead(path: string, length: number): Promise<Result<FileBytes>> {
  let raw: Uint8Array;
  try {
    const handle = await open(path, "r");
    try {
      // Compressed headers are small; 64 KB of deflate input covers any header we read.
      const buffer = Buffer.alloc(Math.max(length, 65536));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      raw = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (cause) {
    return ioError(path, cause);
  }
  return headOf(path, raw, length);
}

/**
 * The first `length` bytes of `raw`'s contents, inflating only as far as
 * needed when gzipped (the data behind a header can be hundreds of MB).
 */
export function headOf(path: string, raw: Uint8Array, length: number): Promise<Result<FileBytes>> {
  if (!isGzip(raw)) return Promise.resolve(ok({ bytes: raw.subarray(0, length), gzipped: false }));
  return new Promise((resolve) => {
    const gunzip = zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (result: Result<FileBytes>) => {
      if (done) return;
      done = true;
      gunzip.destroy();
      resolve(result);
    };
    gunzip.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= length) finish(ok({ bytes: Buffer.concat(chunks).subarray(0, length), gzipped: true }));
    });
    gunzip.on("end", () => finish(ok({ bytes: Buffer.concat(chunks), gzipped: true })));
    gunzip.on("error", (cause) => finish(fileError(path, `is not a valid gzip file (${cause.message})`)));
    // The head of the compressed input is enough for the head of the output.
    gunzip.end(raw.subarray(0, Math.min(raw.length, Math.max(length, 65536))));
  });
}
