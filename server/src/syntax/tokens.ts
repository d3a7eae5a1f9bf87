// The token vocabulary of .optim, in the order the lexer tries it:
// keywords before identifiers, longer operators before their prefixes.
import { createToken, Lexer, type TokenType } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: "comments" });

export const Identifier = createToken({ name: "Identifier", label: "a name", pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

/**
 * `dL/ds` without spaces names a grad, in a grad's header and in an
 * expression; with spaces, `dL / ds` divides. Lexed before the keywords, so a
 * `d` followed by a keyword's other letters is still one grad's name.
 */
export const GradName = createToken({ name: "GradName", label: "a grad such as dL/dW", pattern: /d[A-Za-z_][A-Za-z0-9_]*\/d[A-Za-z_][A-Za-z0-9_]*/ });

/** Every declaration starts with one of these; they are reserved words. */
export const DeclarationKeyword = createToken({ name: "DeclarationKeyword", pattern: Lexer.NA });

function keyword(word: string): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    label: `'${word}'`,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [DeclarationKeyword],
  });
}

export const Data = keyword("data");
export const Hyper = keyword("hyper");
export const Param = keyword("param");
export const Score = keyword("score");
export const Loss = keyword("loss");
export const Grad = keyword("grad");
export const Optimizer = keyword("optimizer");
export const Run = keyword("run");
export const Sweep = keyword("sweep");
export const Search = keyword("search");
export const Landscape = keyword("landscape");
export const Gradcheck = keyword("gradcheck");

export const declarationKeywords = [Data, Hyper, Param, Score, Loss, Grad, Optimizer, Run, Sweep, Search, Landscape, Gradcheck];
export const experimentKeywords = [Run, Sweep, Search, Landscape, Gradcheck];

export const NumberLiteral = createToken({ name: "NumberLiteral", label: "a number", pattern: /(?:\d+(?:\.(?!\.)\d*)?|\.\d+)(?:[eE][+-]?\d+)?/ });
export const StringLiteral = createToken({ name: "StringLiteral", label: "a string", pattern: /"(?:[^"\\\r\n]|\\.)*"/ });
/** A string that reaches the end of its line; the parser accepts it and analysis reports it. */
export const UnterminatedString = createToken({ name: "UnterminatedString", label: "a string", pattern: /"(?:[^"\\\r\n]|\\.)*/ });

export const ComparisonOperator = createToken({ name: "ComparisonOperator", pattern: Lexer.NA });
export const AdditiveOperator = createToken({ name: "AdditiveOperator", pattern: Lexer.NA });
export const MultiplicativeOperator = createToken({ name: "MultiplicativeOperator", pattern: Lexer.NA });

export const GreaterEqual = createToken({ name: "GreaterEqual", label: "'>='", pattern: />=/, categories: [ComparisonOperator] });
export const LessEqual = createToken({ name: "LessEqual", label: "'<='", pattern: /<=/, categories: [ComparisonOperator] });
export const EqualEqual = createToken({ name: "EqualEqual", label: "'=='", pattern: /==/, categories: [ComparisonOperator] });
export const NotEqual = createToken({ name: "NotEqual", label: "'!='", pattern: /!=/, categories: [ComparisonOperator] });
export const Greater = createToken({ name: "Greater", label: "'>'", pattern: />/, categories: [ComparisonOperator] });
export const Less = createToken({ name: "Less", label: "'<'", pattern: /</, categories: [ComparisonOperator] });

export const Plus = createToken({ name: "Plus", label: "'+'", pattern: /\+/, categories: [AdditiveOperator] });
export const Minus = createToken({ name: "Minus", label: "'-'", pattern: /-/, categories: [AdditiveOperator] });
export const Star = createToken({ name: "Star", label: "'*'", pattern: /\*/, categories: [MultiplicativeOperator] });
export const Slash = createToken({ name: "Slash", label: "'/'", pattern: /\//, categories: [MultiplicativeOperator] });
export const At = createToken({ name: "At", label: "'@'", pattern: /@/, categories: [MultiplicativeOperator] });
export const Caret = createToken({ name: "Caret", label: "'^'", pattern: /\^/ });

export const DotDot = createToken({ name: "DotDot", label: "'..'", pattern: /\.\./ });
export const Dot = createToken({ name: "Dot", label: "'.'", pattern: /\./ });
export const Equals = createToken({ name: "Equals", label: "'='", pattern: /=/ });
export const Colon = createToken({ name: "Colon", label: "':'", pattern: /:/ });
export const Comma = createToken({ name: "Comma", label: "','", pattern: /,/ });
export const Semicolon = createToken({ name: "Semicolon", label: "';'", pattern: /;/ });
export const LParen = createToken({ name: "LParen", label: "'('", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", label: "')'", pattern: /\)/ });
export const LBracket = createToken({ name: "LBracket", label: "'['", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", label: "']'", pattern: /]/ });
export const LCurly = createToken({ name: "LCurly", label: "'{'", pattern: /{/ });
export const RCurly = createToken({ name: "RCurly", label: "'}'", pattern: /}/ });

/**
 * Never lexed: the parser puts one in place of a stretch nested deeper than
 * it may recurse (nesting.ts), and the stretch becomes a `missing` expression.
 */
export const TooDeep = createToken({ name: "TooDeep", label: "an expression", pattern: Lexer.NA });

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  GradName,
  // Longest first, so `gradcheck` is not read as `grad` followed by `check`.
  ...[...declarationKeywords].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
  StringLiteral,
  UnterminatedString,
  GreaterEqual,
  LessEqual,
  EqualEqual,
  NotEqual,
  Greater,
  Less,
  Plus,
  Minus,
  Star,
  Slash,
  At,
  Caret,
  DotDot,
  NumberLiteral,
  Dot,
  Equals,
  Colon,
  Comma,
  Semicolon,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LCurly,
  RCurly,
  DeclarationKeyword,
  TooDeep,
  ComparisonOperator,
  AdditiveOperator,
  MultiplicativeOperator,
];

export const optimLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: true });
