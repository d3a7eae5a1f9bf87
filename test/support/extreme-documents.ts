// Documents at the sizes a user can reach but a parser, a tree walk or a
// formatter may not survive: deep nesting, long chains and megabyte lines.
// Shared by the in-process, CLI and protocol tests of these extremes
// (test/unit/extremes.test.ts, test/lsp/extremes.test.ts); `scale` multiplies
// every size (EXTREME_SCALE; 10 in `npm run reliability:full`).

export interface ExtremeDocument {
  name: string;
  text: string;
  /** The text of a finding the document must have, with its range on the first occurrence of `at`. */
  expected?: { message: RegExp; at: string };
}

const header = "data d = blobs(classes=3, points=10, dims=4)\nparam W: [C, D] = randn * 0.01\nscore s = X @ W^T\n";
const tail = "loss L = mean(logsumexp(s, axis=1) - s[y])\noptimizer o = sgd { lr 1e-3 }\n";

function repeat(count: number, item: (i: number) => string, separator: string): string {
  const parts: string[] = new Array(count);
  for (let i = 0; i < count; i++) parts[i] = item(i);
  return parts.join(separator);
}

const tooDeep = (at: string) => ({ message: /nested deeper than 32 levels/, at });
const tooLong = (at: string) => ({ message: /nested deeper than 1,000 levels/, at });
const tooManyTokens = (at: string) => ({ message: /more than the limit of 50,000/, at });

export function extremeDocuments(scale = Number(process.env.EXTREME_SCALE ?? 1)): ExtremeDocument[] {
  const parentheses = 10_000 * scale;
  const terms = 50_000 * scale;
  const lineBytes = 1_000_000 * scale;
  const documents: ExtremeDocument[] = [];
  for (const depth of [parentheses / 10, parentheses]) {
    documents.push({ name: `${depth} nested parentheses in a hyper`, text: `${header}hyper h = ${"(".repeat(depth)}1${")".repeat(depth)}\n${tail}`, expected: tooDeep("(") });
  }
  documents.push(
    { name: `${parentheses} parentheses never closed`, text: `${header}score t = ${"(".repeat(parentheses)}X\n${tail}`, expected: tooDeep("(") },
    { name: `${parentheses} nested calls in a score`, text: `${header}score t = ${"relu(".repeat(parentheses)}X${")".repeat(parentheses)}\n${tail}`, expected: tooDeep("(") },
    { name: `${parentheses} nested lists in a param's shape`, text: `param V: ${"[".repeat(parentheses)}2${"]".repeat(parentheses)} = zeros\n${header}${tail}`, expected: tooDeep("[") },
    { name: `${parentheses} minus signs`, text: `${header}hyper h = ${"-".repeat(parentheses)}1\n${tail}`, expected: tooDeep("-") },
    { name: `${parentheses} powers`, text: `${header}hyper h = ${repeat(parentheses, () => "2", " ^ ")}\n${tail}`, expected: tooDeep("^") },
    { name: `${terms}-term sum of constants in a hyper`, text: `${header}hyper h = ${repeat(terms, () => "1", " + ")}\n${tail}`, expected: tooLong("+") },
    { name: `${terms}-term sum of X in a score`, text: `${header}score t = ${repeat(terms, () => "X", " + ")}\n${tail}`, expected: tooLong("+") },
    { name: `${terms}-term sum in a loss`, text: `${header}loss M = ${repeat(terms, () => "mean(s)", " + ")}\n${tail}`, expected: tooLong("+") },
    { name: `${terms}-term product and difference in a grad`, text: `${header}${tail}grad dL/dW = ${repeat(terms, (i) => (i % 2 ? "W" : "2"), " * ")} - ${repeat(terms, () => "W", " - ")}\n`, expected: tooLong("*") },
    { name: `${terms} indexings`, text: `${header}score t = s${"[y]".repeat(terms)}\n${tail}`, expected: tooLong("[") },
    { name: `${terms} members`, text: `${header}run r { minimize L; on d${".train".repeat(terms)}; by o }\n${tail}`, expected: tooLong(".") },
    // Each chain is short enough alone; together they are deeper than the tree may be.
    { name: "a sum of 20 999-term sums", text: `${header}hyper h = ${repeat(20, () => `(${repeat(999, () => "1", " + ")})`, " + ")}\n${tail}`, expected: tooLong("+") },
    { name: `a 1 MB line of names (${Math.round(lineBytes / 8)})`, text: `${header}hyper h = ${repeat(Math.round(lineBytes / 8), (i) => `n${String(i).padStart(6, "0")}`, " ")}\n${tail}`, expected: tooManyTokens("hyper") },
    { name: `a 1 MB line of one name`, text: `${header}hyper ${"a".repeat(lineBytes)} = 1\nhyper k = ${"b".repeat(lineBytes / 2)} + 1\n${tail}` },
    { name: `a 1 MB line of sums`, text: `${header}score t = ${repeat(Math.round(lineBytes / 4), () => "X", " + ")}\n${tail}`, expected: tooLong("+") },
    { name: `a 1 MB line of settings`, text: `${header}${tail}run r { minimize L; on d.train; by o; ${repeat(Math.round(lineBytes / 10), () => "steps 10", "; ")} }\n`, expected: tooManyTokens("run") },
    { name: `a 1 MB line of inline data`, text: `data e = inline([${repeat(Math.round(lineBytes / 10), (i) => `[${i % 7}, ${i % 3}]`, ", ")}])\n${header}${tail}`, expected: tooManyTokens("data") },
    {
      name: `${parentheses / 2} hypers, each defined by the next`,
      text: `${header}${repeat(parentheses / 2, (i) => `hyper a${i} = a${i + 1} + 1`, "\n")}\nhyper a${parentheses / 2} = 1\n${tail}`,
      expected: { message: /defined through more than 200 other declarations/, at: "a201" },
    },
    {
      // In order, so each score's shape is known before the next names it; what follows the chain must not recurse along it.
      name: `${parentheses / 4} scores, each defined by the one before`,
      text: `${header}score t0 = s\n${repeat(parentheses / 4, (i) => `score t${i + 1} = t${i} + 1`, "\n")}\nloss M = sum(t${parentheses / 4})\n${tail}`,
    },
    { name: "30 hypers, each twice the one before", text: `${header}hyper b0 = 1\n${repeat(30, (i) => `hyper b${i + 1} = b${i} + b${i}`, "\n")}\n${tail}` },
  );
  return documents;
}
