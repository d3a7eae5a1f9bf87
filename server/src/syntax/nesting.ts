// How deep a declaration may nest, so that nothing downstream of the parser
// can run out of stack, or of time, on what a user types.
//
// The parser recurses once per bracket and once per prefix operator (`-x`,
// the exponent of `^`), nine or ten chevrotain rules per bracket. On the
// default stack of Node's main thread it overflows near 165 nested brackets,
// and near 60 when it meets an error that deep: its recovery walks the
// grammar again along the whole rule stack.
// Chains (`a + b + c`, `x[1][2]`, `d.train.rows`) are loops in the grammar
// but left-deep in the tree, as deep as they are long. So before a
// declaration is parsed its tokens are scanned once: a stretch nested deeper
// than `maxNesting`, and a chain longer than `maxExpressionDepth`, become a
// single TooDeep token, which lowers to a `missing` expression; the parser
// never reads what was cut. Lowering bounds the tree's height as well, for
// chains inside chains (lower.ts). With both, every walk over a tree may
// recurse.
import type { IToken, TokenType } from "chevrotain";
import type * as ast from "./ast";
import * as t from "./tokens";
import { pushChildren } from "./walk";

/** Brackets and prefix operators open at once: far beyond any formula, and half the depth recovery survives. */
export const maxNesting = 32;

/** The height of an expression tree: a sum of 1,000 terms is 1,000 levels. */
export const maxExpressionDepth = 1_000;

export const tooDeepMessage = "this expression is nested deeper than 1,000 levels (a sum of n terms is n levels): split it into smaller declarations";

const openers = new Set([t.LParen, t.LBracket, t.LCurly]);
const closers = new Set([t.RParen, t.RBracket, t.RCurly]);
const operandStarts = new Set([t.Identifier, t.GradName, t.NumberLiteral, t.StringLiteral, t.UnterminatedString]);
const operandEnds = new Set([...operandStarts, t.RParen, t.RBracket, t.TooDeep]);
const separators = new Set([t.Comma, t.Semicolon, t.DotDot, t.Equals, t.Colon, t.LCurly, t.RCurly]);

/** Binds looser than a prefix operator, so the operand before it has ended (a binary `-` among them). */
function isInfixOperator(type: TokenType): boolean {
  return [t.AdditiveOperator, t.MultiplicativeOperator, t.ComparisonOperator].some((category) => type.CATEGORIES?.includes(category) ?? false);
}

function isBracket(token: IToken): boolean {
  return token.tokenType === t.LParen || token.tokenType === t.LBracket;
}

function spanOfToken(token: IToken): ast.Span {
  return { start: token.startOffset, end: token.startOffset + token.image.length };
}

/** One bracket level of the scan: the chain being read at it and the prefix operators still open in it. */
interface Level {
  pending: number;
  links: number;
  /** Where the chain began, in the input and in the output. */
  chainToken: number;
  chainKept: number;
}

/**
 * The chunk's tokens with every stretch nested deeper than `maxNesting`, and
 * every chain longer than `maxExpressionDepth`, replaced by one TooDeep token,
 * and an error on the bracket or operator that went too far. Linear in the
 * number of tokens.
 */
export function limitNesting(tokens: IToken[], text: string): { tokens: IToken[]; errors: ast.SyntaxError[] } {
  const kept: IToken[] = [];
  const errors: ast.SyntaxError[] = [];
  const levels: Level[] = [{ pending: 0, links: 0, chainToken: 0, chainKept: 0 }];
  let pendingTotal = 0;
  const closePending = (level: Level) => {
    pendingTotal -= level.pending;
    level.pending = 0;
  };
  /** An operand has ended and another begins: a new chain, from `token` in the input and `keptAt` in the output. */
  const newChain = (level: Level, token: number, keptAt: number) => {
    closePending(level);
    Object.assign(level, { links: 0, chainToken: token, chainKept: keptAt });
  };
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i];
    const type = token.tokenType;
    const level = levels[levels.length - 1];
    const afterOperand = kept.length > 0 && operandEnds.has(kept[kept.length - 1].tokenType);
    const prefix = type === t.Caret || (type === t.Minus && !afterOperand);
    const link = afterOperand && (isInfixOperator(type) || type === t.Dot || type === t.LBracket);
    if (link && level.links + 1 >= maxExpressionDepth) {
      // The whole chain goes, so that nothing is left of it to parse.
      errors.push({ message: tooDeepMessage, span: spanOfToken(token) });
      kept.length = level.chainKept;
      const end = stretchEnd(tokens, level.chainToken, false);
      kept.push(tooDeepToken(tokens[level.chainToken], tokens[end - 1], text));
      newChain(level, end, kept.length);
      i = end;
      continue;
    }
    if ((isBracket(token) || prefix) && levels.length - 1 + pendingTotal + 1 > maxNesting) {
      errors.push({ message: `nested deeper than ${maxNesting} levels: split it into smaller declarations`, span: spanOfToken(token) });
      // The exponent after a `^` is cut, the caret kept; a call or an index goes with the chain it is part of;
      // anything else is cut from itself. What is left parses without an error of its own.
      let from = i;
      if (type === t.Caret) {
        kept.push(token);
        from = i + 1;
      } else if (afterOperand) {
        kept.length = level.chainKept;
        from = level.chainToken;
      }
      const end = stretchEnd(tokens, from, from === i && isBracket(token));
      if (end > from) kept.push(tooDeepToken(tokens[from], tokens[end - 1], text));
      if (from === level.chainToken) newChain(level, end, kept.length);
      i = end;
      continue;
    }
    kept.push(token);
    if (link) level.links++;
    if (prefix) {
      level.pending++;
      pendingTotal++;
    } else if (isInfixOperator(type)) closePending(level);
    else if (separators.has(type)) newChain(level, i + 1, kept.length);
    else if (afterOperand && operandStarts.has(type)) newChain(level, i, kept.length - 1);
    if (isBracket(token)) levels.push({ pending: 0, links: 0, chainToken: i + 1, chainKept: kept.length });
    else if ((type === t.RParen || type === t.RBracket) && levels.length > 1) pendingTotal -= (levels.pop() as Level).pending;
    i++;
  }
  return { tokens: kept, errors };
}

/**
 * Where a stretch cut from `from` ends (exclusive): after the bracket that
 * closes the one it starts with when `bracketed`, or else before a separator
 * or a bracket it did not open, or at the end of the chunk.
 */
function stretchEnd(tokens: IToken[], from: number, bracketed: boolean): number {
  let balance = 0;
  for (let j = from; j < tokens.length; j++) {
    const type = tokens[j].tokenType;
    if (openers.has(type)) balance++;
    else if (closers.has(type)) {
      if (balance === 0) return j;
      balance--;
      if (balance === 0 && bracketed) return j + 1;
    } else if (balance === 0 && (type === t.Comma || type === t.Semicolon || type === t.DotDot)) return j;
  }
  return tokens.length;
}

function tooDeepToken(first: IToken, last: IToken, text: string): IToken {
  const end = last.startOffset + last.image.length;
  return {
    image: text.slice(first.startOffset, end),
    startOffset: first.startOffset,
    endOffset: end - 1,
    startLine: first.startLine,
    startColumn: first.startColumn,
    endLine: last.endLine,
    endColumn: last.endColumn,
    tokenType: t.TooDeep,
    tokenTypeIdx: t.TooDeep.tokenTypeIdx as number,
  };
}

const heights = new WeakMap<ast.Expr, number>();

/**
 * The height of an expression (a leaf is 1), by an explicit stack; heights
 * are remembered, so lowering a chain link by link stays linear.
 */
export function heightOf(root: ast.Expr): number {
  const known = heights.get(root);
  if (known !== undefined) return known;
  const stack: { expr: ast.Expr; expanded: boolean }[] = [{ expr: root, expanded: false }];
  const children: ast.Expr[] = [];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (heights.has(top.expr)) {
      stack.pop();
      continue;
    }
    children.length = 0;
    pushChildren(top.expr, children);
    if (!top.expanded) {
      top.expanded = true;
      for (const child of children) if (!heights.has(child)) stack.push({ expr: child, expanded: false });
      continue;
    }
    let height = 1;
    for (const child of children) height = Math.max(height, 1 + (heights.get(child) as number));
    heights.set(top.expr, height);
    stack.pop();
  }
  return heights.get(root) as number;
}
