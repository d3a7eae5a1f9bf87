// The TextMate grammar (grammar/optim.tmLanguage.json), run with vscode-textmate
// as VS Code runs it: snapshots of fixtures/grammar/NAME.optim in NAME.tokens,
// agreement with the lexer, and the vocabulary of builtins.ts, settings.ts and
// tokens.ts, so a new keyword, operator or builtin cannot go unhighlighted.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { TokenType } from "chevrotain";
import { builtinFunctions, implicitNames, initialisers } from "../../server/src/language/builtins";
import { dataSettings, dataSources, experimentSettings, optimizerRules, schedules, strategies } from "../../server/src/language/settings";
import * as tokens from "../../server/src/syntax/tokens";
import { assertSnapshot, fixtureFiles, readText, repoRoot } from "../support/fixtures";
import { grammarPath, renderTokens, tokenize, type GrammarToken } from "../support/textmate";

const keywordNames = tokens.declarationKeywords.map(wordOf);
const settingKeys = [
  ...new Set([
    ...dataSettings.map((setting) => setting.name),
    ...optimizerRules.flatMap((rule) => rule.settings.map((setting) => setting.name)),
    ...Object.values(experimentSettings).flatMap((settings) => settings.map((setting) => setting.name)),
  ]),
];

function wordOf(type: TokenType): string {
  return String(type.LABEL).replace(/'/g, "");
}

/** The `nth` token of `line` (1-based) whose text is exactly `text`. */
function find(all: GrammarToken[], line: number, text: string, nth = 0): GrammarToken {
  const found = all.filter((token) => token.line === line && token.text === text)[nth];
  assert.ok(found, `no token '${text}' on line ${line}:\n${renderTokens(all)}`);
  return found;
}

async function scopesOf(source: string, line: number, text: string, nth = 0): Promise<string[]> {
  return find(await tokenize(source), line, text, nth).scopes;
}

/** Asserts that the token has a scope equal to `scope` or beginning with `scope.`. */
async function assertScope(source: string, line: number, text: string, scope: string, nth = 0): Promise<void> {
  const all = await tokenize(source);
  const { scopes } = find(all, line, text, nth);
  assert.ok(
    scopes.some((name) => name === scope || name.startsWith(`${scope}.`)),
    `'${text}' on line ${line} of ${JSON.stringify(source)} has [${scopes.join(", ")}], expected ${scope}:\n${renderTokens(all)}`,
  );
}

async function assertNoScope(source: string, line: number, text: string, scope: string, nth = 0): Promise<void> {
  const scopes = await scopesOf(source, line, text, nth);
  assert.ok(!scopes.some((name) => name.startsWith(scope)), `'${text}' on line ${line} of ${JSON.stringify(source)} has [${scopes.join(", ")}], not expected ${scope}`);
}

// ---- snapshots ----------------------------------------------------------------

for (const file of fixtureFiles("grammar", ".optim")) {
  test(`grammar snapshot: ${file.split("/").pop()}`, async () => {
    assertSnapshot(file.replace(/\.optim$/, ".tokens"), renderTokens(await tokenize(readText(file))));
  });
}

// ---- agreement with the lexer -----------------------------------------------------

/** What every grammar token inside a lexer token must be scoped as. */
function expectedScopes(type: TokenType): string[] {
  if (type.CATEGORIES?.includes(tokens.DeclarationKeyword)) return ["keyword.declaration."];
  switch (type) {
    case tokens.Identifier:
      return ["entity.name.", "variable.", "support.function.", "keyword.operator.transpose."];
    case tokens.GradName:
      return ["entity.name.function.gradient.", "keyword.operator.arithmetic."];
    case tokens.NumberLiteral:
      return ["constant.numeric."];
    case tokens.StringLiteral:
    case tokens.UnterminatedString:
      return ["string.quoted.double."];
    case tokens.Comment:
      return ["comment.line.number-sign."];
    default:
      return ["keyword.operator.", "punctuation."];
  }
}

const corpus = [
  ...fixtureFiles("grammar", ".optim"),
  ...fixtureFiles("parser", ".optim"),
  ...fixtureFiles("diagnostics", ".optim"),
  ...readdirSync(join(repoRoot, "examples"))
    .filter((file) => file.endsWith(".optim"))
    .map((file) => join(repoRoot, "examples", file)),
];

test("the grammar splits and classifies every fixture and example as the lexer does", async () => {
  for (const file of corpus) {
    const text = readText(file);
    const grammarTokens = await tokenize(text);
    const boundaries = new Set(grammarTokens.flatMap((token) => [token.offset, token.offset + token.text.length]));
    const lexed = tokens.optimLexer.tokenize(text);
    const spans = [
      ...[...lexed.tokens, ...(lexed.groups.comments ?? [])].map((token) => ({
        start: token.startOffset,
        end: token.startOffset + token.image.length,
        image: token.image,
        expected: expectedScopes(token.tokenType),
      })),
      ...lexed.errors.map((error) => ({
        start: error.offset,
        end: error.offset + error.length,
        image: text.slice(error.offset, error.offset + error.length),
        expected: ["invalid.illegal."],
      })),
    ];
    for (const span of spans) {
      const where = `${file.split("/").pop()}: '${span.image}' at offset ${span.start}`;
      assert.ok(boundaries.has(span.start) && boundaries.has(span.end), `${where} is not a whole number of grammar tokens`);
      const inside = grammarTokens.filter((token) => token.offset >= span.start && token.offset < span.end);
      for (const token of inside) {
        assert.ok(
          token.scopes.some((scope) => span.expected.some((prefix) => scope.startsWith(prefix))),
          `${where}: grammar token '${token.text}' has [${token.scopes.join(", ")}], expected ${span.expected.join(" or ")}`,
        );
      }
    }
  }
});

// ---- keywords -------------------------------------------------------------------

test("every declaration keyword is a keyword, wherever it appears", async () => {
  for (const keyword of keywordNames) {
    await assertScope(`${keyword} name`, 1, keyword, "keyword.declaration");
    await assertScope(`${keyword}`, 1, keyword, "keyword.declaration");
    await assertScope(`hyper a = 1\n  ${keyword} b = 2`, 2, keyword, "keyword.declaration");
    await assertScope(`run r { steps 1; ${keyword} x }`, 1, keyword, "keyword.declaration");
    await assertScope(`run r {\n  steps 1\n  ${keyword} x\n}`, 3, keyword, "keyword.declaration");
    await assertScope(`loss L = mean(s,\n${keyword} x`, 2, keyword, "keyword.declaration");
    await assertScope(`param W: [1,\n${keyword} x`, 2, keyword, "keyword.declaration");
    await assertScope(`loss L = (s +\n${keyword} x`, 2, keyword, "keyword.declaration");
    // Names that merely start with a keyword are names.
    await assertNoScope(`loss L = ${keyword}_x + ${keyword}2`, 1, `${keyword}_x`, "keyword");
    await assertNoScope(`loss L = ${keyword}_x + ${keyword}2`, 1, `${keyword}2`, "keyword");
  }
});

test("a declaration keyword ends an unclosed block, call, list or parenthesis", async () => {
  for (const opening of ["run r {\n  on d.train", "loss M = mean(s,", "param V: [3,", "loss M = (s +", "run r { by random_search(tries=1,"]) {
    const source = `${opening}\nloss L = mean(X) + W1\nhyper h = 1\n`;
    const line = opening.split("\n").length + 1;
    await assertScope(source, line, "L", "entity.name.function");
    await assertScope(source, line, "mean", "support.function.builtin");
    await assertScope(source, line, "W1", "variable.other");
    await assertScope(source, line + 1, "h", "variable.other.constant.hyper");
  }
});

test("a grad used in an expression is a grad's name; with spaces around its slash it divides", async () => {
  const source = "grad dL/dh = dL/ds @ W2 + dx / dy";
  await assertScope(source, 1, "dL", "entity.name.function.gradient", 1);
  await assertScope(source, 1, "ds", "entity.name.function.gradient");
  await assertScope(source, 1, "dx", "variable.other");
  await assertScope(source, 1, "dy", "variable.other");
});

test("every declaration names what it declares", async () => {
  const cases: [string, string, string][] = [
    ["data d = toy()", "d", "entity.name.type.data"],
    ["hyper h = 1", "h", "variable.other.constant.hyper"],
    ["param W: [1] = zeros", "W", "variable.other.param"],
    ["score s = X", "s", "entity.name.function"],
    ["loss L = s", "L", "entity.name.function"],
    ["grad dL/dW = W", "dL", "entity.name.function.gradient"],
    ["grad dL/dW = W", "dW", "entity.name.function.gradient"],
    ["optimizer o = sgd { lr 1 }", "o", "entity.name.type.optimizer"],
    ...tokens.experimentKeywords.map(wordOf).map((keyword): [string, string, string] => [`${keyword} e { of L }`, "e", "entity.name.section.experiment"]),
  ];
  for (const [source, name, scope] of cases) await assertScope(source, 1, name, scope);
  assert.deepEqual(
    [...new Set(cases.map(([source]) => source.split(" ")[0]))].sort(),
    [...keywordNames].sort(),
    "a declaration kind is missing from this test",
  );
});

// ---- builtins -------------------------------------------------------------------

test("every builtin function is a builtin, called or not", async () => {
  for (const { name } of builtinFunctions) {
    await assertScope(`loss L = ${name}(s, axis=1)`, 1, name, "support.function.builtin");
    await assertScope(`loss L = mean(${name}(s))`, 1, name, "support.function.builtin");
    await assertScope(`loss L = 1 + ${name} (s)`, 1, name, "support.function.builtin");
    await assertScope(`loss L = ${name} + 1`, 1, name, "support.function.builtin");
    await assertScope(`run r { steps ${name}(1, 2) }`, 1, name, "support.function.builtin");
  }
  await assertScope("loss L = fancy(s)", 1, "fancy", "entity.name.function.call");
});

test("every initialiser is a builtin, with or without parentheses", async () => {
  for (const { name } of initialisers) {
    await assertScope(`param W: [C, D] = ${name}`, 1, name, "support.function.initialiser");
    await assertScope(`param W: [C, D] = ${name} * 0.01`, 1, name, "support.function.initialiser");
    await assertScope(`param W: [C, D] = 0.5 * ${name} # scaled`, 1, name, "support.function.initialiser");
    await assertScope(`param W: [C, D] = ${name}(1)`, 1, name, "support.function.initialiser");
  }
});

test("X y N D C are language variables", async () => {
  for (const { name } of implicitNames) {
    for (const source of [`score s = ${name} @ W^T`, `param W: [${name}, 3] = zeros`, `loss L = s[${name}]`, `loss L = mean(${name}, axis=1)`, `run r { steps ${name} }`]) {
      assert.ok((await scopesOf(source, 1, name)).includes("variable.language.optim"), `${name} in ${source}`);
    }
  }
  // Declared, as a named argument or as a member, it is not the implicit name.
  await assertNoScope("param X: [2, 2] = zeros", 1, "X", "variable.language");
  await assertNoScope('data d = inline(X=[[1.0]], y=[0])', 1, "y", "variable.language");
  await assertNoScope("run r { on d.X }", 1, "X", "variable.language");
});

test("data sources, schedules, strategies and optimizer rules are builtins where they are used", async () => {
  for (const { name } of dataSources) await assertScope(`data d = ${name}("x")`, 1, name, "support.function.data-source");
  for (const { name } of schedules) await assertScope(`optimizer o = sgd { lr 1, schedule ${name}(gamma=0.5) }`, 1, name, "support.function.schedule");
  for (const { name } of strategies) await assertScope(`run r { by ${name}(tries=10) }`, 1, name, "support.function.strategy");
  for (const { name } of optimizerRules) await assertScope(`optimizer o = ${name} { lr 1 }`, 1, name, "support.function.optimizer");
  // Elsewhere they are ordinary names.
  await assertNoScope("loss L = step * sgd", 1, "step", "support");
  await assertNoScope("loss L = step * sgd", 1, "sgd", "support");
});

// ---- settings ---------------------------------------------------------------------

test("every setting key is a setting, after '{', ',' or ';' and at the start of a line", async () => {
  for (const key of settingKeys) {
    const oneLine = `run r { ${key} 1, ${key} 2; ${key} 3 }`;
    for (const nth of [0, 1, 2]) await assertScope(oneLine, 1, key, "variable.parameter.setting", nth);
    const lines = `run r {\n  minimize L\n  ${key} 1\n${key}\n  on d.x; ${key} d.x\n}`;
    await assertScope(lines, 3, key, "variable.parameter.setting");
    await assertScope(lines, 4, key, "variable.parameter.setting");
    await assertScope(lines, 5, key, "variable.parameter.setting");
  }
});

test("named arguments inside a block are arguments, not settings, even across lines", async () => {
  const source = "optimizer o = sgd {\n  schedule step(every=500,\n    gamma=0.5)\n  lr 1e-3, batch max(1, N)\n  eps 1\n}";
  await assertScope(source, 2, "schedule", "variable.parameter.setting");
  await assertScope(source, 2, "every", "variable.parameter.argument");
  await assertScope(source, 3, "gamma", "variable.parameter.argument");
  await assertScope(source, 4, "lr", "variable.parameter.setting");
  await assertScope(source, 4, "batch", "variable.parameter.setting");
  await assertScope(source, 4, "N", "variable.language");
  await assertScope(source, 5, "eps", "variable.parameter.setting");
  await assertScope(source, 6, "}", "punctuation.section.block.end");
  await assertScope("loss L = sum(s, axis=1)", 1, "axis", "variable.parameter.argument");
  await assertNoScope("loss L = sum(s, axis == 1)", 1, "axis", "variable.parameter");
});

test("a split such as fmnist.train is a member", async () => {
  await assertScope("run r { on fmnist.train }", 1, "fmnist", "variable.other");
  await assertScope("run r { on fmnist.train }", 1, ".", "punctuation.accessor");
  await assertScope("run r { on fmnist.train }", 1, "train", "variable.other.property");
});

// ---- comments and strings -------------------------------------------------------------

/** Asserts that the text from `offset` to the end of its line is exactly a comment, and nothing after it is. */
async function assertCommentAt(source: string, offset: number): Promise<void> {
  const all = await tokenize(source);
  const start = all.find((token) => token.offset === offset);
  assert.ok(start, `no token starts at the '#' of ${JSON.stringify(source)}:\n${renderTokens(all)}`);
  const comment = all.filter((token) => token.line === start.line && token.offset >= offset);
  assert.equal(comment.map((token) => token.text).join(""), source.slice(offset).split("\n")[0]);
  for (const token of comment) {
    assert.ok(token.scopes.includes("comment.line.number-sign.optim"), `'${token.text}' in ${JSON.stringify(source)} has [${token.scopes.join(", ")}]`);
  }
  assert.ok(!all.some((token) => token.line > start.line && token.scopes.some((scope) => scope.startsWith("comment"))), "the comment goes on");
}

test("a comment after code is a comment, in every context", async () => {
  for (const source of [
    "hyper reg = 1 # why",
    "run r { steps 10 } # why",
    "run r {\n  steps 10 # why\n}",
    "run r { steps 10 # why\n}",
    "loss L = mean(s, # why\n  axis=1)",
    "param W: [1, # why\n  2]",
    'data d = csv("a#b") # why\nhyper h = 1',
    "# why",
  ]) {
    await assertCommentAt(source, source.lastIndexOf("# why"));
  }
  // A '#' inside a string is not a comment.
  await assertNoScope('data d = csv("a#b")', 1, "a#b", "comment");
});

test("an unterminated string ends with its line", async () => {
  for (const opening of ['loss L = "abc', 'data d = csv("abc', 'run r { on "abc', 'run r {\n  test "abc', 'loss L = mean("abc\\', 'loss L = "abc\\"']) {
    const source = `${opening}\n  steps 10\nhyper h = 1 # done\n`;
    const all = await tokenize(source);
    const stringLine = opening.split("\n").length;
    assert.ok(
      all.some((token) => token.line === stringLine && token.text.startsWith("abc") && token.scopes.includes("string.quoted.double.optim")),
      `${JSON.stringify(opening)}:\n${renderTokens(all)}`,
    );
    const after = all.filter((token) => token.line > stringLine);
    for (const token of after) assert.ok(!token.scopes.some((scope) => scope.startsWith("string")), `'${token.text}' after ${JSON.stringify(opening)} is in a string`);
    await assertScope(source, stringLine + 2, "hyper", "keyword.declaration.hyper");
    await assertCommentAt(source, source.lastIndexOf("# done"));
    if (opening.includes("{")) await assertScope(source, stringLine + 1, "steps", "variable.parameter.setting");
  }
});

test("escapes stay inside their string", async () => {
  const all = await tokenize('data d = csv("a\\"b # c\\\\", label="x")');
  assert.deepEqual(
    all.filter((token) => token.scopes.includes("constant.character.escape.optim")).map((token) => token.text),
    ['\\"', "\\\\"],
  );
  await assertScope('data d = csv("a\\"b # c\\\\", label="x")', 1, "label", "variable.parameter.argument");
});

// ---- operators and numbers -----------------------------------------------------------

test("every operator and punctuation token of the lexer is scoped", async () => {
  const literal = (type: TokenType) => (type.PATTERN instanceof RegExp ? type.PATTERN.source.replace(/\\/g, "") : "");
  const symbols = tokens.allTokens.map(literal).filter((text) => text !== "" && /^[^A-Za-z0-9_\s[]+$|^[[\]]$/.test(text));
  assert.ok(symbols.length >= 20, `too few operators found: ${symbols.join(" ")}`);
  for (const symbol of symbols) {
    const source = `loss L = a ${symbol} b`;
    const scopes = await scopesOf(source, 1, symbol);
    assert.ok(
      scopes.some((scope) => scope.startsWith("keyword.operator.") || scope.startsWith("punctuation.")),
      `'${symbol}' in ${source} has [${scopes.join(", ")}]`,
    );
  }
  await assertScope("loss L = s >= 1", 1, ">=", "keyword.operator.comparison");
  await assertScope("score s = X @ W", 1, "@", "keyword.operator.matmul");
  await assertScope("run r { lr 1e-10..1e-1 }", 1, "..", "keyword.operator.range");
  await assertScope("grad dL/dW = W", 1, "/", "keyword.operator.arithmetic");
});

test("^T is a transpose and ^2 a power", async () => {
  for (const source of ["score s = X @ W^T", "score s = W ^ T", "score s = (X @ W)^T"]) {
    await assertScope(source, 1, "^", "keyword.operator.transpose");
    await assertScope(source, 1, "T", "keyword.operator.transpose");
  }
  await assertScope("loss L = W^2", 1, "^", "keyword.operator.arithmetic");
  await assertScope("loss L = W^Tx", 1, "Tx", "variable.other");
});

test("numbers in every form are one numeric token", async () => {
  for (const number of ["1", "1.5", ".5", "1e-7", "2.5E+4", "1.", "0.0001", "1e-10", "59000"]) {
    await assertScope(`hyper h = ${number}`, 1, number, "constant.numeric");
  }
  const range = await tokenize("run r { range 1..5 }");
  assert.deepEqual(
    range.filter((token) => /\d|\./.test(token.text)).map((token) => token.text),
    ["1", "..", "5"],
  );
});

// ---- the lists in the JSON ---------------------------------------------------------

const grammarJson: unknown = JSON.parse(readFileSync(grammarPath, "utf8"));

interface RawRule {
  match?: string;
  patterns?: RawRule[];
}

function repositoryRule(name: string): RawRule {
  const rule = (grammarJson as { repository: Record<string, RawRule> }).repository[name];
  assert.ok(rule, `the grammar has no repository rule '${name}'`);
  return rule;
}

/** Every regular expression in the grammar. */
function allRegexes(value: unknown = grammarJson): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => allRegexes(item));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => (["match", "begin", "end"].includes(key) && typeof item === "string" ? [item] : allRegexes(item)));
  }
  return [];
}

/** The alternations of plain words in a regular expression: `(?:a|b|c)` or `(a|b)`. */
function wordLists(regex: string): string[][] {
  return [...regex.matchAll(/\((?:\?:)?((?:[A-Za-z_][A-Za-z0-9_]*\|)+[A-Za-z_][A-Za-z0-9_]*)\)/g)].map((match) => match[1].split("|"));
}

function onlyList(regex: string | undefined): string[] {
  const lists = wordLists(regex ?? "");
  assert.equal(lists.length, 1, `expected one list of names in ${regex}`);
  return [...lists[0]].sort();
}

const sortedNames = (items: { name: string }[]) => items.map((item) => item.name).sort();

test("the grammar's lists of names are those of builtins.ts and settings.ts", () => {
  assert.deepEqual(onlyList(repositoryRule("builtin-function").match), sortedNames(builtinFunctions));
  assert.deepEqual(onlyList(repositoryRule("initialiser").match), sortedNames(initialisers));
  assert.deepEqual(onlyList(repositoryRule("implicit-name").match), sortedNames(implicitNames));
  assert.deepEqual(onlyList(repositoryRule("data-source").match), sortedNames(dataSources));
  assert.deepEqual(onlyList(repositoryRule("schedule").match), sortedNames(schedules));
  assert.deepEqual(onlyList(repositoryRule("strategy").match), sortedNames(strategies));
  const ruleLists = allRegexes().flatMap(wordLists).filter((list) => list.includes("sgd"));
  assert.equal(ruleLists.length, 1, "one list of optimizer rules");
  assert.deepEqual([...ruleLists[0]].sort(), sortedNames(optimizerRules));
});

test("every list of declaration keywords in the grammar is that of tokens.ts", () => {
  const lists = allRegexes().flatMap(wordLists);
  const full = lists.filter((list) => list.includes("hyper"));
  assert.ok(full.length >= 5, "the keyword list is used by the keyword rule and by every region's end");
  for (const list of full) assert.deepEqual([...list].sort(), [...keywordNames].sort());
  const experiments = lists.filter((list) => list.includes("landscape") && !list.includes("hyper"));
  assert.equal(experiments.length, 1);
  assert.deepEqual([...experiments[0]].sort(), tokens.experimentKeywords.map(wordOf).sort());
  assert.deepEqual(onlyList(repositoryRule("keyword").match), [...keywordNames].sort());
});

test("every scope name is conventional and ends in .optim", () => {
  const names: string[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if ((key === "name" || key === "contentName") && typeof item === "string") names.push(item);
        else collect(item);
      }
    }
  };
  collect((grammarJson as { repository: unknown }).repository);
  assert.ok(names.length > 20);
  const roots = ["comment.", "constant.", "entity.name.", "invalid.illegal.", "keyword.", "punctuation.", "string.", "support.function.", "variable."];
  for (const name of names) {
    assert.ok(name.endsWith(".optim") && roots.some((root) => name.startsWith(root)), `unconventional scope ${name}`);
  }
});
