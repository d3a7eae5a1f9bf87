// The typed syntax tree of a .optim document. Plain data: offsets, names and
// values, no parser or editor types. Nodes that recovery could not build are
// `missing` expressions, so every consumer sees a complete tree.

/** Half-open character range [start, end) in the document text. */
export interface Span {
  start: number;
  end: number;
}

export interface Name {
  text: string;
  span: Span;
}

export type BinaryOperator = "+" | "-" | "*" | "/" | "@" | "^" | ">" | "<" | ">=" | "<=" | "==" | "!=";

export type Expr =
  | { kind: "number"; value: number; text: string; span: Span }
  | { kind: "string"; value: string; terminated: boolean; span: Span }
  | { kind: "name"; name: string; span: Span }
  /** `dL/ds` written without spaces: the grad of L with respect to s, by its `name`; `loss` and `wrt` are L and s. */
  | { kind: "gradRef"; name: string; loss: Name; wrt: Name; span: Span }
  | { kind: "list"; items: Expr[]; span: Span }
  | { kind: "call"; callee: Name; args: Argument[]; span: Span }
  | { kind: "binary"; op: BinaryOperator; left: Expr; right: Expr; opSpan: Span; span: Span }
  | { kind: "negate"; operand: Expr; span: Span }
  | { kind: "transpose"; operand: Expr; span: Span }
  | { kind: "index"; target: Expr; indices: Expr[]; span: Span }
  | { kind: "member"; target: Expr; member: Name; span: Span }
  /** `a .. b`, with the scale a search spaces it on where one is written after it (`log`, `linear`). */
  | { kind: "range"; from: Expr; to: Expr; scale?: Name; span: Span }
  | { kind: "missing"; span: Span };

export interface Argument {
  name?: Name;
  value: Expr;
  span: Span;
}

export interface Setting {
  key: Name;
  value?: Expr;
  span: Span;
}

export interface Block {
  settings: Setting[];
  span: Span;
}

interface DeclarationBase {
  /** The whole declaration, keyword to last token. */
  span: Span;
  /** The declaration keyword. */
  keywordSpan: Span;
}

export type Declaration =
  | (DeclarationBase & { kind: "data"; name: Name; source: Expr; block?: Block })
  | (DeclarationBase & { kind: "hyper"; name: Name; value: Expr })
  | (DeclarationBase & { kind: "param"; name: Name; shape: Expr; init?: Expr })
  | (DeclarationBase & { kind: "score"; name: Name; value: Expr })
  | (DeclarationBase & { kind: "loss"; name: Name; value: Expr })
  | (DeclarationBase & { kind: "grad"; name: Name; numerator: Expr; denominator: Expr; value: Expr })
  | (DeclarationBase & { kind: "optimizer"; name: Name; rule: Expr; block?: Block })
  | (DeclarationBase & { kind: ExperimentKind; name: Name; block: Block });

export type ExperimentKind = "run" | "sweep" | "search" | "landscape" | "gradcheck";
export type DeclarationKind = Declaration["kind"];

export interface Comment {
  text: string;
  span: Span;
}

export interface SyntaxError {
  message: string;
  span: Span;
}

export interface Document {
  declarations: Declaration[];
  comments: Comment[];
}

export interface ParseResult {
  document: Document;
  errors: SyntaxError[];
}

export function spanOf(first: Span, last: Span): Span {
  return { start: first.start, end: last.end };
}
