// The formatter: rewrites whitespace between tokens and nothing else, so it
// can never change what a document means, and formatting twice changes
// nothing the second time. Line breaks are the user's; blank lines are kept
// but never more than one in a row; indentation follows bracket depth.
import type { IToken } from "chevrotain";
import type { TextEdit } from "../analysis/diagnostic";
import { optimLexer } from "../syntax/tokens";

const opening = new Set(["LParen", "LBracket", "LCurly"]);
const closing = new Set(["RParen", "RBracket", "RCurly"]);
const standalone = new Set([...opening, ...closing, "Comma", "Semicolon", "Colon"]);
const spacedOperators = new Set(["Plus", "Minus", "Star", "Slash", "At", "GreaterEqual", "LessEqual", "EqualEqual", "NotEqual", "Greater", "Less", "DotDot", "Equals"]);

function isKeyword(token: IToken): boolean {
  return token.tokenType.CATEGORIES?.some((category) => category.name === "DeclarationKeyword") ?? false;
}

/** Is this `-` a sign rather than a subtraction? */
function isUnaryMinus(previous: IToken | undefined): boolean {
  if (!previous) return true;
  const kind = previous.tokenType.name;
  return spacedOperators.has(kind) || opening.has(kind) || kind === "Comma" || kind === "Semicolon" || kind === "Colon" || kind === "Caret" || isKeyword(previous);
}

/** The text between two tokens on the same line. */
function gap(previous: IToken, token: IToken, parenDepth: number, previousIsUnary: boolean): string {
  const left = previous.tokenType.name;
  const right = token.tokenType.name;
  if (right === "Comment") return "  ";
  if (right === "Comma" || right === "Semicolon" || right === "Colon" || right === "Dot") return "";
  if (left === "Dot" || left === "Caret" || right === "Caret") return "";
  if (left === "LParen" || left === "LBracket") return "";
  if (right === "RParen" || right === "RBracket") return "";
  if (left === "LCurly" || right === "RCurly") return " ";
  // Named arguments are written axis=1.
  if ((right === "Equals" || left === "Equals") && parenDepth > 0) return "";
  if (previousIsUnary) return "";
  if (right === "LParen" && left === "Identifier") return "";
  if (right === "LBracket" && (left === "Identifier" || left === "RParen" || left === "RBracket")) return "";
  return " ";
}

export function formatText(text: string): string | undefined {
  const lexed = optimLexer.tokenize(text);
  // Unknown characters and unterminated strings are left for the user to mend first.
  if (lexed.errors.length > 0 || lexed.tokens.some((token) => token.tokenType.name === "UnterminatedString")) return undefined;
  const tokens = [...lexed.tokens, ...(lexed.groups.comments ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  const topLevelComment = topLevelComments(tokens);
  const out: string[] = [];
  let line = "";
  let depth = 0;
  let parenDepth = 0;
  let previous: IToken | undefined;
  let previousIsUnary = false;
  let curlyDepth = 0;
  let previousStartedLine = false;
  const finishLine = () => {
    out.push(line.trimEnd());
    line = "";
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const kind = token.tokenType.name;
    if (previous && token.startLine !== previous.endLine) {
      finishLine();
      // One blank line at most, and one before each declaration that had any.
      const blankLines = (token.startLine ?? 0) - (previous.endLine ?? 0) - 1;
      if (blankLines > 0) out.push("");
    }
    const startsLine = line === "";
    if (startsLine) {
      if (isKeyword(token)) {
        depth = 0;
        parenDepth = 0;
        curlyDepth = 0;
      }
      const continuation = previous !== undefined && !isKeyword(token) && !(kind === "Comment" && depth === 0 && topLevelComment[i]);
      // A closing bracket lines up with its declaration; other continuation lines are indented.
      const indent = closing.has(kind) ? depth - 1 : continuation ? Math.max(depth, 1) : 0;
      line = "  ".repeat(Math.max(0, indent));
      line += token.image;
    } else if (previous) {
      // A grad's dL/dW is one token; a target written `dL / dW` keeps its spaces, which joined would make it that token.
      const space = compactDivision(tokens, i) || compactDivision(tokens, i - 1) ? "" : gap(previous, token, parenDepth, previousIsUnary);
      line += (space === "" && wouldMerge(previous, token) ? " " : space) + token.image;
    }
    // In a block, `key -2` is a key and a negative value.
    const before = i >= 2 ? tokens[i - 2] : undefined;
    const previousIsSettingKey =
      previous?.tokenType.name === "Identifier" && curlyDepth > 0 && parenDepth === 0 && (previousStartedLine || (before !== undefined && ["LCurly", "Comma", "Semicolon"].includes(before.tokenType.name)));
    previousIsUnary = kind === "Minus" && (previousIsSettingKey || isUnaryMinus(previous));
    previousStartedLine = startsLine;
    if (kind === "LCurly") curlyDepth++;
    if (kind === "RCurly") curlyDepth = Math.max(0, curlyDepth - 1);
    if (opening.has(kind)) depth++;
    if (closing.has(kind)) depth = Math.max(0, depth - 1);
    if (kind === "LParen") parenDepth++;
    if (kind === "RParen") parenDepth = Math.max(0, parenDepth - 1);
    if (kind !== "Comment") previous = token;
    else previous = { ...token, endLine: token.startLine } as IToken;
  }
  if (line !== "" || out.length > 0) finishLine();
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out.length === 0 ? "" : out.join("\n") + "\n";
}

/**
 * Is tokens[i] a `/` between two numbers written without spaces (`scale 1/255`)?
 * Such a quotient reads as one number and stays as the user wrote it.
 */
function compactDivision(tokens: IToken[], i: number): boolean {
  const [left, slash, right] = [tokens[i - 1], tokens[i], tokens[i + 1]];
  if (!left || !slash || !right || slash.tokenType.name !== "Slash") return false;
  if (left.tokenType.name !== "NumberLiteral" || right.tokenType.name !== "NumberLiteral") return false;
  return left.startOffset + left.image.length === slash.startOffset && slash.startOffset + slash.image.length === right.startOffset;
}

/** Tokens and comments in document order. */
function allTokens(text: string): IToken[] {
  const lexed = optimLexer.tokenize(text);
  return [...lexed.tokens, ...(lexed.groups.comments ?? [])].sort((a, b) => a.startOffset - b.startOffset);
}

/**
 * The formatting as small edits: one per stretch of whitespace that changes,
 * so an editor keeps its cursor, folds and marks elsewhere. Undefined when
 * the text is left for the user to mend first.
 */
export function formatEdits(text: string): TextEdit[] | undefined {
  const formatted = formatText(text);
  if (formatted === undefined) return undefined;
  if (formatted === text) return [];
  const before = allTokens(text);
  const after = allTokens(formatted);
  // Formatting changes whitespace only, so both have the same tokens; if not, replace the whole text.
  if (before.length !== after.length || before.some((token, k) => token.image !== after[k].image)) return [{ span: { start: 0, end: text.length }, newText: formatted }];
  const edits: TextEdit[] = [];
  let fromBefore = 0;
  let fromAfter = 0;
  const compare = (endBefore: number, endAfter: number) => {
    const old = text.slice(fromBefore, endBefore);
    const replacement = formatted.slice(fromAfter, endAfter);
    if (old === replacement) return;
    let head = 0;
    while (head < old.length && head < replacement.length && old[head] === replacement[head]) head++;
    let tail = 0;
    while (tail < old.length - head && tail < replacement.length - head && old[old.length - 1 - tail] === replacement[replacement.length - 1 - tail]) tail++;
    edits.push({ span: { start: fromBefore + head, end: endBefore - tail }, newText: replacement.slice(head, replacement.length - tail) });
  };
  for (let k = 0; k < before.length; k++) {
    compare(before[k].startOffset, after[k].startOffset);
    fromBefore = before[k].startOffset + before[k].image.length;
    fromAfter = after[k].startOffset + after[k].image.length;
  }
  compare(text.length, formatted.length);
  return edits;
}

/** Would two tokens written without a space read as different tokens (`.` `.` as `..`)? */
function wouldMerge(left: IToken, right: IToken): boolean {
  // Brackets and separators are tokens of one character that no other token contains.
  if (standalone.has(left.tokenType.name) || standalone.has(right.tokenType.name)) return false;
  const tokens = optimLexer.tokenize(left.image + right.image).tokens;
  return tokens.length !== 2 || tokens[0].image !== left.image;
}

/**
 * A comment line between declarations stays in column 0; inside a declaration
 * it is indented. Whether the next token that is not a comment is a keyword,
 * for every token, in one pass from the end, so a run of comments stays linear.
 */
function topLevelComments(tokens: IToken[]): boolean[] {
  const topLevel = new Array<boolean>(tokens.length);
  let nextIsKeyword = true;
  for (let j = tokens.length - 1; j >= 0; j--) {
    topLevel[j] = nextIsKeyword;
    if (tokens[j].tokenType.name !== "Comment") nextIsKeyword = isKeyword(tokens[j]);
  }
  return topLevel;
}
