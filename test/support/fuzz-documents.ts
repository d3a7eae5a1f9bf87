// The one generator of fuzz documents, shared by the in-process fuzz test
// (test/unit/fuzz.test.ts) and the protocol fuzz test (test/lsp/fuzz.test.ts):
// even indices are soup of the language's tokens, odd ones are real documents
// from the fixtures with slices deleted, duplicated or inserted.
import { fixtureFiles, readText } from "./fixtures";

/** Tokens and fragments the soup is made of: keywords, names, numbers, punctuation, line ends and a few oddities. */
export const fuzzVocabulary = [
  "data", "hyper", "param", "score", "loss", "grad", "optimizer", "run", "sweep", "landscape", "gradcheck",
  "W", "X", "y", "N", "D", "C", "s", "L", "reg", "b1", "dL", "dW", "max", "relu", "sum", "mean", "logsumexp", "softmax", "onehot",
  "randn", "zeros", "sgd", "adam", "toy", "spiral", "idx", "step", "minimize", "on", "by", "steps", "lr", "axis", "train",
  "0", "1", "1e-3", "2.5e4", ".5", "100000", '"f"', '"open', "{", "}", "[", "]", "(", ")", ",", ";", ":", "=", "==", ">", "<=",
  "+", "-", "*", "/", "@", "^", "^T", "..", ".", "#c", "\n", "\n", "\r\n", "\t", " ", " ", "$", "é", "😀",
];

let corpus: string[] | undefined;

/** The parser and diagnostics fixtures, read once. */
export function fuzzCorpus(): string[] {
  corpus ??= [...fixtureFiles("parser", ".optim"), ...fixtureFiles("diagnostics", ".optim")].map(readText);
  return corpus;
}

/** Document number `index` of a campaign driven by the random source `next` (uniform in [0, 1)). */
export function fuzzDocument(next: () => number, index: number): string {
  const pick = () => fuzzVocabulary[Math.floor(next() * fuzzVocabulary.length)];
  if (index % 2 === 0) {
    const length = Math.floor(next() * 60);
    let text = "";
    for (let i = 0; i < length; i++) text += pick() + (next() < 0.7 ? " " : "");
    return text;
  }
  const documents = fuzzCorpus();
  let text = documents[Math.floor(next() * documents.length)];
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (text.length + 1));
    const span = Math.floor(next() * 12);
    const choice = next();
    if (choice < 0.4) text = text.slice(0, at) + text.slice(at + span);
    else if (choice < 0.7) text = text.slice(0, at) + text.slice(at, at + span) + text.slice(at);
    else text = text.slice(0, at) + pick() + text.slice(at);
  }
  return text;
}
