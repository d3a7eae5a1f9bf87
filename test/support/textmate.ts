// Loads grammar/optim.tmLanguage.json with vscode-textmate and vscode-oniguruma,
// as VS Code does, and renders what it makes of a text.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";
import { repoRoot } from "./fixtures";

export const grammarPath = join(repoRoot, "grammar", "optim.tmLanguage.json");
export const rootScope = "source.optim";

export interface GrammarToken {
  /** 1-based, as editors show them. */
  line: number;
  column: number;
  /** Offset in the whole text. */
  offset: number;
  text: string;
  /** Without the root scope, outermost first. */
  scopes: string[];
}

let loadedGrammar: Promise<textmate.IGrammar> | undefined;

async function loadGrammar(): Promise<textmate.IGrammar> {
  // The tests are bundled into out/, so the packages are found from the repository root.
  const requireFromRoot = createRequire(join(repoRoot, "package.json"));
  const wasm = readFileSync(requireFromRoot.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName: string) =>
      scopeName === rootScope ? textmate.parseRawGrammar(readFileSync(grammarPath, "utf8"), grammarPath) : null,
  });
  const grammar = await registry.loadGrammar(rootScope);
  if (!grammar) throw new Error(`cannot load ${grammarPath}`);
  return grammar;
}

/** The grammar, loaded once per process (onig.wasm can be loaded only once). */
export function optimGrammar(): Promise<textmate.IGrammar> {
  loadedGrammar ??= loadGrammar();
  return loadedGrammar;
}

/** Tokenizes line by line, carrying the rule stack across lines as an editor does. */
export async function tokenize(text: string): Promise<GrammarToken[]> {
  const grammar = await optimGrammar();
  const tokens: GrammarToken[] = [];
  let ruleStack = textmate.INITIAL;
  let lineStart = 0;
  text.split("\n").forEach((line, index) => {
    const result = grammar.tokenizeLine(line, ruleStack, 10_000);
    if (result.stoppedEarly) throw new Error(`tokenizing line ${index + 1} timed out`);
    for (const token of result.tokens) {
      const end = Math.min(token.endIndex, line.length);
      if (end <= token.startIndex) continue;
      tokens.push({
        line: index + 1,
        column: token.startIndex + 1,
        offset: lineStart + token.startIndex,
        text: line.slice(token.startIndex, end),
        scopes: token.scopes.filter((scope) => scope !== rootScope),
      });
    }
    ruleStack = result.ruleStack;
    lineStart += line.length + 1;
  });
  return tokens;
}

/** One line per token, `line:col text  scope.a scope.b`, leaving out whitespace. */
export function renderTokens(tokens: GrammarToken[]): string {
  return tokens
    .filter((token) => token.text.trim() !== "")
    .map((token) => `${token.line}:${token.column} ${token.text}  ${token.scopes.join(" ")}`.trimEnd() + "\n")
    .join("");
}
