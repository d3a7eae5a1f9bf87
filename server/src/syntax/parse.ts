// text -> tokens -> declarations. Never throws: every problem becomes a
// SyntaxError with a range, and the tree holds whatever could be recovered.
//
// Declaration keywords are reserved, so the token stream is cut before each
// one and every piece is parsed on its own. A broken declaration therefore
// never swallows the ones after it.
import type { IRecognitionException, IToken, TokenType } from "chevrotain";
import type * as ast from "./ast";
import { lowerDeclaration } from "./lower";
import { limitNesting } from "./nesting";
import { optimParser } from "./parser";
import { DeclarationKeyword, declarationKeywords, Identifier, optimLexer } from "./tokens";

const declarationList = declarationKeywords.map((keyword) => keyword.LABEL?.replace(/'/g, "")).join(", ");

function isDeclarationKeyword(token: IToken): boolean {
  return token.tokenType.CATEGORIES?.includes(DeclarationKeyword) ?? false;
}

function tokenEnd(token: IToken): number {
  return token.startOffset + token.image.length;
}

function describe(token: IToken): string {
  if (token.tokenType.name === "EOF") return "the end of the declaration";
  return `'${token.image}'`;
}

export function labelOf(type: TokenType): string {
  return type.LABEL ?? type.name;
}

/** Places an error on the offending token, or just after the previous one when the token starts a new line. */
function errorSpan(token: IToken, previous: IToken | undefined, chunkEnd: number): ast.Span {
  const real = Number.isFinite(token.startOffset) && token.tokenType.name !== "EOF";
  if (previous && Number.isFinite(previous.startOffset) && (!real || token.startLine !== previous.endLine)) {
    const end = tokenEnd(previous);
    return { start: end, end };
  }
  if (real) return { start: token.startOffset, end: tokenEnd(token) };
  return { start: chunkEnd, end: chunkEnd };
}

function messageFor(error: IRecognitionException): string {
  const found = describe(error.token);
  switch (error.name) {
    case "MismatchedTokenException": {
      const expected = /Expecting (?:token of type )?--> (.+?) <--/.exec(error.message)?.[1];
      return expected ? `expected ${expected} but found ${found}` : `unexpected ${found}`;
    }
    case "NotAllInputParsedException":
      return `unexpected ${found}: expected a new declaration (${declarationList})`;
    case "NoViableAltException":
    case "EarlyExitException":
      return `expected ${ruleDescription(error.context.ruleStack)} but found ${found}`;
    default:
      return `unexpected ${found}`;
  }
}


function ruleDescription(ruleStack: string[]): string {
  const rule = ruleStack[ruleStack.length - 1];
  if (rule === "declaration") return `a declaration (${declarationList})`;
  if (rule === "experimentDecl") return "run, sweep, search, landscape or gradcheck";
  if (rule === "block") return "a setting or '}'";
  return "an expression";
}

/**
 * Lines that begin with a declaration keyword start a paragraph. No token
 * spans lines, so each paragraph lexes and parses on its own, and after an
 * edit every paragraph but the edited one comes from the cache, moved to its
 * new offset: a keystroke costs one paragraph's work, not the document's.
 * The cache forgets the paragraphs least recently used, so what every open
 * document is made of stays while the edits' leftovers go. Each paragraph is
 * kept where it was last placed: the paragraphs before an edit have not
 * moved, so they cost nothing at all.
 */
const paragraphStart = new RegExp(`^[ \\t]*(?:${declarationKeywords.map((keyword) => keyword.LABEL?.replace(/'/g, "")).join("|")})(?![A-Za-z0-9_])`, "gm");
const paragraphCache = new Map<string, { placedAt: number; placed: ast.ParseResult }>();
const paragraphCacheLimit = 5_000;

export function parse(text: string): ast.ParseResult {
  const starts = [0];
  for (const match of text.matchAll(paragraphStart)) if (match.index !== undefined && match.index > 0) starts.push(match.index);
  const result: ast.ParseResult = { document: { declarations: [], comments: [] }, errors: [] };
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i];
    const paragraph = text.slice(start, i + 1 < starts.length ? starts[i + 1] : text.length);
    let cached = paragraphCache.get(paragraph);
    // A Map keeps insertion order: setting an entry again makes it the newest, and the first is the oldest.
    if (cached) paragraphCache.delete(paragraph);
    else {
      cached = { placedAt: 0, placed: parseParagraph(paragraph) };
      if (paragraphCache.size >= paragraphCacheLimit) paragraphCache.delete(paragraphCache.keys().next().value as string);
    }
    if (cached.placedAt !== start) {
      cached.placed = shifted(cached.placed, start - cached.placedAt);
      cached.placedAt = start;
    }
    paragraphCache.set(paragraph, cached);
    const placed = cached.placed;
    result.document.declarations.push(...placed.document.declarations);
    result.document.comments.push(...placed.document.comments);
    result.errors.push(...placed.errors);
  }
  return result;
}

/** Parses text that starts a paragraph; offsets are relative to it. */
function parseParagraph(text: string): ast.ParseResult {
  const errors: ast.SyntaxError[] = [];
  const lexed = optimLexer.tokenize(text);
  for (const lexError of lexed.errors) {
    const character = text.slice(lexError.offset, lexError.offset + lexError.length);
    errors.push({
      message: `unexpected character${lexError.length > 1 ? "s" : ""} '${character}'`,
      span: { start: lexError.offset, end: lexError.offset + lexError.length },
    });
  }
  for (const token of lexed.tokens) {
    if (token.tokenType.name === "UnterminatedString") errors.push({ message: "unterminated string: add a closing '\"'", span: { start: token.startOffset, end: tokenEnd(token) } });
  }
  const comments: ast.Comment[] = (lexed.groups.comments ?? []).map((token) => ({
    text: token.image,
    span: { start: token.startOffset, end: tokenEnd(token) },
  }));

  const declarations: ast.Declaration[] = [];
  const tokens = lexed.tokens;
  // `hyper grad = 3`: a keyword where a name belongs is an error of its own, then read as the name.
  for (let i = 1; i < tokens.length; i++) {
    if (isDeclarationKeyword(tokens[i]) && isDeclarationKeyword(tokens[i - 1]) && tokens[i].startLine === tokens[i - 1].startLine) {
      errors.push({ message: `'${tokens[i].image}' is a keyword and cannot be a name`, span: { start: tokens[i].startOffset, end: tokenEnd(tokens[i]) } });
      tokens[i] = { ...tokens[i], tokenType: Identifier, tokenTypeIdx: Identifier.tokenTypeIdx as number };
    }
  }
  let index = 0;
  // Tokens before the first keyword, or between a declaration's recovery and the next keyword, are stray.
  if (tokens.length > 0 && !isDeclarationKeyword(tokens[0])) {
    let end = 0;
    while (end < tokens.length && !isDeclarationKeyword(tokens[end])) end++;
    const first = tokens[0];
    const last = tokens[end - 1];
    errors.push({
      message: `expected a declaration (${declarationList}) but found ${describe(first)}`,
      span: { start: first.startOffset, end: tokenEnd(last) },
    });
    index = end;
  }
  while (index < tokens.length) {
    let end = index + 1;
    while (end < tokens.length && !isDeclarationKeyword(tokens[end])) end++;
    const chunk = tokens.slice(index, end);
    const parsed = parseChunk(chunk, text);
    if (parsed.declaration) declarations.push(parsed.declaration);
    errors.push(...parsed.errors);
    index = end;
  }
  errors.sort((a, b) => a.span.start - b.span.start);
  return { document: { declarations, comments }, errors };
}

interface ChunkResult {
  declaration?: ast.Declaration;
  errors: ast.SyntaxError[];
}

/**
 * The parser's concrete tree costs about a kilobyte a token, and its time
 * grows faster than the token count once the collector works hard; a
 * declaration longer than this is reported, not parsed.
 */
export const maxDeclarationTokens = 50_000;

function parseChunk(tokens: IToken[], text: string): ChunkResult {
  const limited = limitNesting(tokens, text);
  const chunk = limited.tokens;
  const start = chunk[0].startOffset;
  if (chunk.length > maxDeclarationTokens) {
    const keyword = chunk[0];
    const message = `this declaration has ${chunk.length.toLocaleString("en-US")} tokens, more than the limit of ${maxDeclarationTokens.toLocaleString("en-US")}: split it, or read its data from a file`;
    return { errors: [{ message, span: { start, end: tokenEnd(keyword) } }, ...limited.errors] };
  }
  const chunkEnd = tokenEnd(chunk[chunk.length - 1]);
  optimParser.input = chunk;
  const cst = optimParser.declaration();
  const errors: ast.SyntaxError[] = limited.errors;
  errors.push(...optimParser.errors.map((error) => ({
    message: messageFor(error),
    // Leftover input is marked whole; anything else where the parser stopped.
    span: error.name === "NotAllInputParsedException" ? { start: error.token.startOffset, end: chunkEnd } : errorSpan(error.token, previousTokenOf(chunk, error.token), chunkEnd),
  })));
  return { declaration: cst ? lowerDeclaration(cst, start, errors) : undefined, errors };
}

/** A copy of plain syntax data with every span moved by `delta`. */
function shifted<T>(value: T, delta: number): T {
  if (Array.isArray(value)) return value.map((item) => shifted(item, delta)) as T;
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  // Only spans have a numeric `start`.
  if (typeof record.start === "number") return { start: record.start + delta, end: (record.end as number) + delta } as T;
  const copy: Record<string, unknown> = {};
  for (const key in record) copy[key] = shifted(record[key], delta);
  return copy as T;
}


function previousTokenOf(chunk: IToken[], token: IToken): IToken | undefined {
  if (!Number.isFinite(token.startOffset) || token.tokenType.name === "EOF") return chunk[chunk.length - 1];
  // The chunk is in offset order: a binary search keeps many errors in a long chunk linear-logarithmic.
  let low = 0;
  let high = chunk.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (chunk[middle].startOffset < token.startOffset) low = middle + 1;
    else high = middle;
  }
  return low > 0 ? chunk[low - 1] : undefined;
}
