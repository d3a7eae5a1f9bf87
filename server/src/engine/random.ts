// Named random streams for the engine, on the data layer's seeded generator:
// every stream is derived from one seed and its name, so adding a param does
// not shift another's values.
import { createRng } from "../data/random";
import type { RandomSource } from "./gradcheck";

function hashString(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

export function randomSource(seed: number): RandomSource {
  return createRng(seed);
}

export function seededStreams(seed: number): (stream: string) => RandomSource {
  return (stream) => createRng((seed ^ hashString(stream)) >>> 0);
}
