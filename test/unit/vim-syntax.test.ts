// The Vim syntax file (editors/vim/syntax/optim.vim) against the language's
// tables: each of its lists of names is exactly the table it stands for, so a
// keyword, builtin or setting added to the language cannot go uncoloured in
// Vim and Neovim, and a removed one does not linger. test/lsp/neovim.test.ts
// loads the same file in a real Neovim.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { builtinFunctions, implicitNames, initialisers } from "../../server/src/language/builtins";
import { dataSettings, dataSources, experimentSettings, optimizerRules, schedules, strategies } from "../../server/src/language/settings";
import { declarationKeywords } from "../../server/src/syntax/tokens";
import { repoRoot } from "../support/fixtures";

const vimFolder = join(repoRoot, "editors", "vim");
const syntaxText = readFileSync(join(vimFolder, "syntax", "optim.vim"), "utf8");

const names = (items: { name: string }[]) => items.map((item) => item.name);
const settingKeys = [
  ...dataSettings.map((setting) => setting.name),
  ...optimizerRules.flatMap((rule) => rule.settings.map((setting) => setting.name)),
  ...Object.values(experimentSettings).flatMap((settings) => settings.map((setting) => setting.name)),
];

/** Each syntax group of optim.vim and the names the language's tables say it must hold. */
const groups: [group: string, expected: string[]][] = [
  ["optimDeclaration", declarationKeywords.map((keyword) => String(keyword.LABEL).replace(/'/g, ""))],
  ["optimBuiltin", names(builtinFunctions)],
  ["optimInitialiser", names(initialisers)],
  ["optimImplicit", names(implicitNames)],
  ["optimDataSource", names(dataSources)],
  ["optimSchedule", names(schedules)],
  ["optimStrategy", names(strategies)],
  ["optimRule", names(optimizerRules)],
  ["optimSetting", settingKeys],
];

/** Options of `syntax keyword` that are not words of the group. */
const keywordOptions = new Set(["contained", "transparent", "skipwhite", "skipnl", "skipempty", "fold", "display", "extend", "conceal"]);

/** The names each group lists: the words of its `syntax keyword` lines and the `\%(a\|b\)` lists of its `syntax match` lines. */
function namesByGroup(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (group: string, words: string[]) => found.set(group, [...(found.get(group) ?? []), ...words]);
  for (const line of text.split("\n")) {
    const keyword = /^syntax keyword (\w+)\s+(.*)$/.exec(line);
    if (keyword) add(keyword[1], keyword[2].split(/\s+/).filter((word) => word !== "" && !keywordOptions.has(word) && !word.includes("=")));
    const match = /^syntax match (\w+) "(.*)"/.exec(line);
    if (match) {
      for (const list of match[2].matchAll(/\\%\(((?:[A-Za-z_]\w*\\\|)+[A-Za-z_]\w*)\\\)/g)) add(match[1], list[1].split("\\|"));
    }
  }
  return found;
}

const listed = namesByGroup(syntaxText);
const sorted = (words: string[]) => [...new Set(words)].sort();

for (const [group, expected] of groups) {
  test(`optim.vim's ${group} lists exactly the language's names`, () => {
    assert.ok(expected.length > 0, `the language's table for ${group} is empty`);
    const words = listed.get(group) ?? [];
    assert.equal(words.length, new Set(words).size, `${group} lists a name twice`);
    assert.deepEqual(sorted(words), sorted(expected), `${group} in editors/vim/syntax/optim.vim differs from the language's table`);
  });
}

test("every syntax group of optim.vim has a colour", () => {
  const defined = [...syntaxText.matchAll(/^syntax (?:keyword|match|region) (\w+)/gm)].map((found) => found[1]);
  const linked = new Set([...syntaxText.matchAll(/^highlight default link (\w+) \w+$/gm)].map((found) => found[1]));
  assert.ok(defined.length >= groups.length);
  for (const group of new Set(defined)) assert.ok(linked.has(group), `${group} is not linked to a highlight group`);
});

test("the filetype is detected from .optim, and comments use the language's comment token", () => {
  assert.match(readFileSync(join(vimFolder, "ftdetect", "optim.vim"), "utf8"), /^autocmd BufRead,BufNewFile \*\.optim setfiletype optim$/m);
  const { comments } = JSON.parse(readFileSync(join(repoRoot, "language-configuration.json"), "utf8")) as { comments: { lineComment: string } };
  const ftplugin = readFileSync(join(vimFolder, "ftplugin", "optim.vim"), "utf8");
  assert.match(ftplugin, new RegExp(`^setlocal commentstring=${comments.lineComment}\\\\ %s$`, "m"));
  assert.match(syntaxText, new RegExp(`^syntax match optimComment "${comments.lineComment}\\.\\*\\$"`, "m"));
});
