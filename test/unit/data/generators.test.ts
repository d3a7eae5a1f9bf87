import assert from "node:assert/strict";
import { test } from "node:test";
import { blobs, spiral, toy } from "../../../server/src/data/generators";
import { createRng, mulberry32, permutation, sampleIndices } from "../../../server/src/data/random";
import { expectError, expectValue } from "./write-data";

test("toy is the documented three 1-D points in three classes", () => {
  const x = toy();
  assert.deepEqual([x.n, x.d, x.classes], [3, 1, 3]);
  assert.deepEqual([...x.X], [-1, 0.5, 2]);
  assert.deepEqual([...x.y], [0, 1, 2]);
});

test("spiral has the CS231n shape and radii, class-major, deterministic per seed", () => {
  const x = expectValue(spiral({ classes: 3, points: 100, noise: 0.2, seed: 7 }));
  assert.deepEqual([x.n, x.d, x.classes], [300, 2, 3]);
  for (let j = 0; j < 3; j++) {
    for (let i = 0; i < 100; i++) {
      const row = j * 100 + i;
      assert.equal(x.y[row], j);
      // Noise moves the angle only: the radius is linspace(0, 1, N).
      assert.ok(Math.abs(Math.hypot(x.X[2 * row], x.X[2 * row + 1]) - i / 99) < 1e-6, `radius of row ${row}`);
    }
  }
  assert.deepEqual(expectValue(spiral({ seed: 7 })).X, x.X, "defaults are K=3, N=100, noise 0.2");
  assert.notDeepEqual(expectValue(spiral({ seed: 8 })).X, x.X);
  const clean = expectValue(spiral({ classes: 2, points: 3, noise: 0 }));
  // Angle t = 4j + 4i/(N-1): point (r sin t, r cos t).
  assert.ok(Math.abs(clean.X[2 * 5] - Math.sin(8)) < 1e-6 && Math.abs(clean.X[2 * 5 + 1] - Math.cos(8)) < 1e-6);
  assert.equal(expectValue(spiral({ points: 1 })).n, 3);
});

test("blobs have the documented shape, sit around their centres and repeat per seed", () => {
  const x = expectValue(blobs({ classes: 4, points: 500, dims: 3, spread: 0.5, seed: 1 }));
  assert.deepEqual([x.n, x.d, x.classes], [2000, 3, 4]);
  assert.deepEqual(expectValue(blobs({ classes: 4, points: 500, dims: 3, spread: 0.5, seed: 1 })).X, x.X);
  assert.notDeepEqual(expectValue(blobs({ classes: 4, points: 500, dims: 3, spread: 0.5, seed: 2 })).X, x.X);
  for (let j = 0; j < 4; j++) {
    for (let k = 0; k < 3; k++) {
      let mean = 0;
      let squares = 0;
      for (let i = 0; i < 500; i++) mean += x.X[(j * 500 + i) * 3 + k] / 500;
      for (let i = 0; i < 500; i++) squares += (x.X[(j * 500 + i) * 3 + k] - mean) ** 2 / 500;
      assert.ok(mean >= -10.2 && mean <= 10.2, "centres lie in [-10, 10]");
      assert.ok(Math.abs(Math.sqrt(squares) - 0.5) < 0.05, `spread of class ${j}, dim ${k}`);
    }
  }
  const defaults = expectValue(blobs());
  assert.deepEqual([defaults.n, defaults.d, defaults.classes], [300, 2, 3]);
});

test("bad generator options are errors, not exceptions", () => {
  assert.equal(expectError(spiral({ classes: 0 })).message, "classes must be at least 1, not 0");
  assert.equal(expectError(spiral({ points: 2.5 })).message, "points must be a whole number, not 2.5");
  assert.equal(expectError(spiral({ noise: -1 })).message, "noise must be at least 0, not -1");
  assert.equal(expectError(blobs({ dims: 0 })).message, "dims must be at least 1, not 0");
  assert.equal(expectError(blobs({ spread: NaN })).message, "spread must be a finite number, not NaN");
  assert.match(expectError(blobs({ points: 1e7, dims: 100, maxBytes: 1 << 30 })).message, /^30000000 generated examples need 11\.3 GB, more than the data size limit of 1\.0 GB$/);
});

test("the PRNG is deterministic, uniform in [0, 1), and its normals are standard", () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const first = Array.from({ length: 5 }, () => a());
  assert.deepEqual(Array.from({ length: 5 }, () => b()), first);
  assert.notDeepEqual(Array.from({ length: 5 }, mulberry32(43)), first);
  const rng = createRng(3);
  let sum = 0;
  let squares = 0;
  const count = 20000;
  for (let i = 0; i < count; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    const z = rng.normal();
    sum += z;
    squares += z * z;
  }
  assert.ok(Math.abs(sum / count) < 0.03);
  assert.ok(Math.abs(squares / count - 1) < 0.05);
  const order = permutation(50, createRng(1));
  assert.deepEqual([...order].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
  const sample = sampleIndices(100, 30, createRng(1));
  assert.equal(new Set(sample).size, 30);
  assert.ok(sample.every((index) => index >= 0 && index < 100));
});
