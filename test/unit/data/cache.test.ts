import assert from "node:assert/strict";
import { test } from "node:test";
import { utimesSync } from "node:fs";
import { join } from "node:path";
import { createDataCache, type Preparation } from "../../../server/src/data/cache";
import { scale } from "../../../server/src/data/prepare";
import type { DataSource } from "../../../server/src/data/source";
import { expectError, expectValue, idxImages, idxLabels, tempFolder, write } from "./write-data";

const folder = tempFolder("cache");

function csvSource(name: string, text: string): DataSource {
  return { format: "csv", path: write(folder, name, text) };
}

const halve: Preparation = {
  description: "scale 0.5",
  apply: (splits) => {
    const train = scale(splits.train, 0.5);
    return train.ok ? { ok: true, value: { train: train.value } } : train;
  },
};

test("the same source and preparation give the same object, also for concurrent loads", async () => {
  const cache = createDataCache();
  const source = csvSource("same.csv", "a,label\n1,0\n2,1\n");
  const [first, concurrent] = await Promise.all([cache.load(source), cache.load(source)]);
  assert.equal(expectValue(first), expectValue(concurrent));
  const again = expectValue(await cache.load(source));
  assert.equal(again, expectValue(first));
  const prepared = expectValue(await cache.load(source, halve));
  assert.deepEqual([...prepared.train.X], [0.5, 1]);
  assert.equal(expectValue(await cache.load(source, halve)), prepared);
  assert.notEqual(prepared, again);
  assert.equal(cache.stats().entries, 2, "raw and prepared");
});

test("a preparation reuses the cached raw data instead of rereading", async () => {
  const cache = createDataCache();
  const source = csvSource("raw.csv", "a,label\n1,0\n");
  const raw = expectValue(await cache.load(source));
  let seen: unknown;
  await cache.load(source, { description: "spy", apply: (splits) => ((seen = splits), { ok: true, value: splits }) });
  assert.equal(seen, raw);
});

test("a changed mtime reloads, and drops the stale entries", async () => {
  const cache = createDataCache();
  const source = csvSource("changing.csv", "a,label\n1,0\n");
  const before = expectValue(await cache.load(source));
  await cache.load(source, halve);
  write(folder, "changing.csv", "a,label\n7,0\n");
  const later = new Date(Date.now() + 60_000);
  utimesSync(source.path, later, later);
  const after = expectValue(await cache.load(source));
  assert.notEqual(after, before);
  assert.deepEqual([...after.train.X], [7]);
  assert.equal(cache.stats().entries, 1, "entries of the old file version are gone");

  // Same contents, new mtime: reloaded all the same (the key does not read contents).
  const touched = new Date(Date.now() + 120_000);
  utimesSync(source.path, touched, touched);
  assert.notEqual(expectValue(await cache.load(source)), after);
});

test("least recently used entries are evicted beyond the byte budget", async () => {
  // Each data set: 2 rows × 1 feature float32 + 2 int32 labels = 16 bytes.
  const cache = createDataCache({ maxCacheBytes: 40 });
  const a = csvSource("a.csv", "x,label\n1,0\n2,0\n");
  const b = csvSource("b.csv", "x,label\n3,0\n4,0\n");
  const c = csvSource("c.csv", "x,label\n5,0\n6,0\n");
  const firstA = expectValue(await cache.load(a));
  const firstB = expectValue(await cache.load(b));
  assert.equal(expectValue(await cache.load(a)), firstA, "a is now the most recent");
  await cache.load(c);
  assert.deepEqual(cache.stats(), { entries: 2, bytes: 32 });
  assert.equal(expectValue(await cache.load(a)), firstA);
  assert.notEqual(expectValue(await cache.load(b)), firstB, "b was the least recent, so it went");
  cache.configure({ maxCacheBytes: 16 });
  assert.deepEqual(cache.stats(), { entries: 1, bytes: 16 });
  cache.configure({ maxCacheBytes: 8 });
  assert.deepEqual(cache.stats(), { entries: 1, bytes: 16 }, "the newest entry stays even when it alone is over the budget");
  const lastA = expectValue(await cache.load(a));
  assert.equal(expectValue(await cache.load(a)), lastA, "and is served from the cache");
  assert.deepEqual(cache.stats(), { entries: 1, bytes: 16 });
  cache.clear();
  assert.deepEqual(cache.stats(), { entries: 0, bytes: 0 });
});

test("a data set over the size limit is refused from its header, before allocating", async () => {
  const dir = tempFolder("cache-big");
  // Claims 100,000 images of 100×100 (4 GB as float32) but holds none: only
  // the header was read if the answer is the size limit rather than truncation.
  write(dir, "train-images-idx3-ubyte.gz", idxImages(new Uint8Array(0), 100000, 100, 100), true);
  write(dir, "train-labels-idx1-ubyte.gz", idxLabels([]), true);
  const cache = createDataCache({ maxDataSetBytes: 64 * 1024 * 1024 });
  const error = expectError(await cache.load({ format: "idx", path: dir }));
  assert.match(error.message, /the examples need 3\.7 GB as float32, more than the data size limit of 64\.0 MB; take a subset or raise the limit$/);
  assert.deepEqual(cache.stats(), { entries: 0, bytes: 0 });
  cache.configure({ maxDataSetBytes: 8 * 1024 * 1024 * 1024 });
  assert.match(expectError(await cache.load({ format: "idx", path: dir })).message, /truncated/, "with room, the loader reads on and finds the truncation");
});

test("errors are not cached, and a throwing preparation becomes an error", async () => {
  const cache = createDataCache();
  const path = join(folder, "later.csv");
  const source: DataSource = { format: "csv", path };
  assert.match(expectError(await cache.load(source)).message, /later\.csv: file not found/);
  write(folder, "later.csv", "a,label\n1,0\n");
  expectValue(await cache.load(source));
  const broken = { description: "broken", apply: () => { throw new Error("boom"); } };
  assert.equal(expectError(await cache.load(source, broken)).message, "loading data failed: boom");
});
