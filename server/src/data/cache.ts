// Loaded data sets kept between analyses: reloading Fashion-MNIST on every
// keystroke would cost a third of a second and 190 MB of garbage. Entries are
// keyed by the source's absolute path, the mtime and size of every file it
// reads (so an edited file is reloaded) and the preparation's description;
// the least recently used go first when the byte budget is exceeded. A data
// set too big for the per-set limit is refused from its headers, before
// anything is allocated.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { fail, ioError, ok } from "./errors";
import { sizeLimitError } from "./size-limit";
import { estimateSource, loadSource, sourceFiles, type DataSource } from "./source";
import type { Examples, Result, Splits } from "./types";

export interface DataCacheLimits {
  /** Total bytes of cached examples; least recently used entries are evicted beyond it. */
  maxCacheBytes: number;
  /** Largest single data set accepted, estimated from headers before loading. */
  maxDataSetBytes: number;
}

export interface Preparation {
  /** Identifies the preparation in the key: equal descriptions must mean equal results. */
  description: string;
  apply(splits: Splits): Result<Splits>;
}

export interface DataCache {
  /** The splits of `source`, prepared, from the cache when its files have not changed. */
  load(source: DataSource, preparation?: Preparation): Promise<Result<Splits>>;
  /** New limits (e.g. after a settings change); evicts down to the new budget. */
  configure(limits: Partial<DataCacheLimits>): void;
  clear(): void;
  stats(): { entries: number; bytes: number };
}

/**
 * Room for a prepared Fashion-MNIST (220 MB as float32) and small data sets
 * beside it; the newest entry is kept whatever its size (CIFAR-10 is 737 MB),
 * so the data set being edited is never read twice, while the server's
 * memory stays near one large data set however many files are open.
 */
export const DEFAULT_CACHE_LIMITS: DataCacheLimits = { maxCacheBytes: 256 * 1024 ** 2, maxDataSetBytes: 1024 ** 3 };

function examplesSize(x: Examples | undefined): number {
  return x ? (x.stored ? x.stored.bytes.byteLength : x.X.byteLength) + x.y.byteLength : 0;
}

export function splitsSize(splits: Splits): number {
  return examplesSize(splits.train) + examplesSize(splits.val) + examplesSize(splits.test);
}

/** What the source is, apart from its files' contents: format, absolute paths, options, the files splits are read from. */
function sourceIdentity(source: DataSource): string {
  const splits = Object.entries(source.splits ?? {})
    .map(([split, file]) => ` ${split}=${[file.path, file.labels].filter((path) => path !== undefined).map((path) => resolve(path)).join(",")}`)
    .join("");
  switch (source.format) {
    case "npy":
      return `npy ${resolve(source.path)} ${resolve(source.labels)}${splits}`;
    case "csv":
      return `csv ${resolve(source.path)} label=${source.labelColumn ?? "label"}${splits}`;
    default:
      return `${source.format} ${resolve(source.path)}${splits}`;
  }
}

/** The part of the key that changes when a file does. */
async function fileStamps(source: DataSource): Promise<Result<string>> {
  const files = await sourceFiles(source);
  if (!files.ok) return files;
  const stamps: string[] = [];
  for (const file of files.value) {
    try {
      const info = await stat(file);
      stamps.push(`${resolve(file)}@${info.mtimeMs}:${info.size}`);
    } catch (cause) {
      return ioError(file, cause);
    }
  }
  return ok(stamps.join("|"));
}

export function createDataCache(limits: Partial<DataCacheLimits> = {}): DataCache {
  const current: DataCacheLimits = { ...DEFAULT_CACHE_LIMITS, ...limits };
  // Map order is recency order: a hit moves its entry to the end.
  const entries = new Map<string, { value: Splits; bytes: number }>();
  const pending = new Map<string, Promise<Result<Splits>>>();
  // The stamps last seen per source, to drop entries of files that have changed since.
  const latestStamps = new Map<string, string>();
  let totalBytes = 0;

  function forgetStale(identity: string, stamps: string): void {
    const previous = latestStamps.get(identity);
    latestStamps.set(identity, stamps);
    if (previous === undefined || previous === stamps) return;
    const stalePrefix = `${identity}\n${previous}\n`;
    for (const [key, entry] of entries) {
      if (!key.startsWith(stalePrefix)) continue;
      entries.delete(key);
      totalBytes -= entry.bytes;
    }
  }

  /** Oldest first, down to the budget; the newest entry stays even when it alone is over it. */
  function evict(): void {
    for (const [key, entry] of entries) {
      if (totalBytes <= current.maxCacheBytes || entries.size === 1) break;
      entries.delete(key);
      totalBytes -= entry.bytes;
    }
  }

  function remember(key: string, value: Splits): void {
    const bytes = splitsSize(value);
    const old = entries.get(key);
    if (old) totalBytes -= old.bytes;
    entries.delete(key);
    entries.set(key, { value, bytes });
    totalBytes += bytes;
    evict();
  }

  function lookup(key: string): Splits | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    entries.delete(key);
    entries.set(key, entry);
    return entry.value;
  }

  /** One load per key at a time: concurrent requests share it. */
  function once(key: string, produce: () => Promise<Result<Splits>>): Promise<Result<Splits>> {
    const cached = lookup(key);
    if (cached) return Promise.resolve(ok(cached));
    const running = pending.get(key);
    if (running) return running;
    const promise = produce()
      // Loaders return errors rather than throw; a preparation supplied by a caller might not.
      .catch((cause: unknown) => fail({ message: `loading data failed: ${cause instanceof Error ? cause.message : String(cause)}` }))
      .then((result) => {
        pending.delete(key);
        if (result.ok) remember(key, result.value);
        return result;
      });
    pending.set(key, promise);
    return promise;
  }

  async function loadRaw(source: DataSource, baseKey: string): Promise<Result<Splits>> {
    return once(baseKey, async () => {
      const estimate = await estimateSource(source);
      if (!estimate.ok) return estimate;
      const tooBig = sizeLimitError(source.path, "the examples", estimate.value, current.maxDataSetBytes);
      if (tooBig) return fail(tooBig);
      return loadSource(source, { maxBytes: current.maxDataSetBytes });
    });
  }

  return {
    async load(source, preparation) {
      const stamps = await fileStamps(source);
      if (!stamps.ok) return stamps;
      const identity = sourceIdentity(source);
      forgetStale(identity, stamps.value);
      const baseKey = `${identity}\n${stamps.value}`;
      if (!preparation) return loadRaw(source, `${baseKey}\n`);
      return once(`${baseKey}\n${preparation.description}`, async () => {
        // The raw splits are cached too while the budget has room for both, so changing only the preparation does not reread the files.
        const raw = await loadRaw(source, `${baseKey}\n`);
        if (!raw.ok) return raw;
        return preparation.apply(raw.value);
      });
    },
    configure(limits) {
      Object.assign(current, limits);
      evict();
    },
    clear() {
      entries.clear();
      latestStamps.clear();
      totalBytes = 0;
    },
    stats() {
      return { entries: entries.size, bytes: totalBytes };
    },
  };
}
