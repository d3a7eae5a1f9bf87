// Lowers chevrotain's concrete syntax tree to the typed tree of ast.ts.
// Recovery can leave any child absent; every absent piece becomes a
// `missing` expression at the place it was expected, never an exception.
import type { CstElement, CstNode, IToken } from "chevrotain";
import type * as ast from "./ast";
import { heightOf, maxExpressionDepth, tooDeepMessage } from "./nesting";

type Children = Record<string, CstElement[] | undefined>;

function isToken(element: CstElement): element is IToken {
  return (element as IToken).image !== undefined;
}

function tokenSpan(token: IToken): ast.Span {
  return { start: token.startOffset, end: token.startOffset + token.image.length };
}

/** Tokens that recovery inserted have no place in the text. */
function isRealToken(token: IToken | undefined): token is IToken {
  return token !== undefined && !token.isInsertedInRecovery && Number.isFinite(token.startOffset);
}

function firstToken(children: Children, label: string): IToken | undefined {
  const element = children[label]?.[0];
  return element && isToken(element) && isRealToken(element) ? element : undefined;
}

function nodes(children: Children, label: string): CstNode[] {
  return (children[label] ?? []).filter((element): element is CstNode => !isToken(element));
}

function tokens(children: Children, label: string): IToken[] {
  return (children[label] ?? []).filter((element): element is IToken => isToken(element) && isRealToken(element));
}

function nodeSpan(node: CstNode, fallback: number): ast.Span {
  const location = node.location;
  if (location && Number.isFinite(location.startOffset) && Number.isFinite(location.endOffset)) {
    return { start: location.startOffset, end: (location.endOffset as number) + 1 };
  }
  return { start: fallback, end: fallback };
}

function missing(at: number): ast.Expr {
  return { kind: "missing", span: { start: at, end: at } };
}

function toName(token: IToken | undefined, fallback: number): ast.Name {
  return token ? { text: token.image, span: tokenSpan(token) } : { text: "", span: { start: fallback, end: fallback } };
}

/** Lowers the expression-like node under `label`, or a `missing` placed at `at`. */
function childExpr(children: Children, label: string, at: number, errors: ast.SyntaxError[]): ast.Expr {
  const node = nodes(children, label)[0];
  return node ? lowerExpr(node, at, errors) : missing(at);
}

/**
 * A chain that grows the tree past maxExpressionDepth becomes one `missing`
 * expression over the whole chain, with the error on the link that went too
 * deep; the links after it are not lowered at all.
 */
function tooDeepChain(first: ast.Span, last: ast.Span, link: ast.Span, errors: ast.SyntaxError[]): ast.Expr {
  errors.push({ message: tooDeepMessage, span: link });
  return { kind: "missing", span: { start: first.start, end: Math.max(first.end, last.end) } };
}

function operatorChain(node: CstNode, fallback: number, errors: ast.SyntaxError[]): ast.Expr {
  const operands = nodes(node.children, "operands");
  const operators = tokens(node.children, "operators");
  if (operands.length === 0) return missing(fallback);
  let result = lowerExpr(operands[0], fallback, errors);
  for (let i = 1; i < operands.length; i++) {
    const operator = operators[i - 1];
    const right = lowerExpr(operands[i], result.span.end, errors);
    if (1 + Math.max(heightOf(result), heightOf(right)) > maxExpressionDepth) {
      return tooDeepChain(result.span, nodeSpan(operands[operands.length - 1], right.span.end), operator ? tokenSpan(operator) : right.span, errors);
    }
    result = {
      kind: "binary",
      op: (operator?.image ?? "+") as ast.BinaryOperator,
      left: result,
      right,
      opSpan: operator ? tokenSpan(operator) : { start: result.span.end, end: result.span.end },
      span: { start: result.span.start, end: Math.max(right.span.end, result.span.end) },
    };
  }
  return result;
}

function unescapeString(image: string, terminated: boolean): string {
  const body = image.slice(1, terminated ? -1 : undefined);
  return body.replace(/\\(.)/g, (_, character: string) => (character === "n" ? "\n" : character === "t" ? "\t" : character));
}

function lowerArguments(node: CstNode, fallback: number, errors: ast.SyntaxError[]): ast.Argument[] {
  return nodes(node.children, "arguments").map((argument) => {
    const span = nodeSpan(argument, fallback);
    const nameToken = firstToken(argument.children, "name");
    return {
      name: nameToken ? toName(nameToken, span.start) : undefined,
      value: childExpr(argument.children, "value", span.end, errors),
      span,
    };
  });
}

export function lowerExpr(node: CstNode, fallback: number, errors: ast.SyntaxError[]): ast.Expr {
  const span = nodeSpan(node, fallback);
  const children = node.children;
  switch (node.name) {
    case "expression":
      return childExpr(children, "comparison", span.start, errors);
    case "rangeExpression": {
      const from = childExpr(children, "from", span.start, errors);
      if (!children.DotDot) return from;
      const scale = firstToken(children, "scale");
      return { kind: "range", from, to: childExpr(children, "to", span.end, errors), ...(scale ? { scale: { text: scale.image, span: tokenSpan(scale) } } : {}), span };
    }
    case "comparison":
    case "additive":
    case "multiplicative":
      return operatorChain(node, span.start, errors);
    case "unary": {
      const operand = childExpr(children, "operand", span.end, errors);
      return children.minus ? { kind: "negate", operand, span } : operand;
    }
    case "power": {
      const base = childExpr(children, "base", span.start, errors);
      if (!children.Caret) return base;
      const exponent = childExpr(children, "exponent", span.end, errors);
      if (exponent.kind === "name" && exponent.name === "T") return { kind: "transpose", operand: base, span };
      const caret = tokens(children, "Caret")[0];
      return {
        kind: "binary",
        op: "^",
        left: base,
        right: exponent,
        opSpan: caret ? tokenSpan(caret) : { start: base.span.end, end: base.span.end },
        span,
      };
    }
    case "postfix":
      return lowerPostfix(node, span, errors);
    case "primary": {
      const number = firstToken(children, "NumberLiteral");
      if (number) return { kind: "number", value: Number(number.image), text: number.image, span: tokenSpan(number) };
      // Nested too deep to parse: reported where the nesting was cut (nesting.ts).
      const tooDeep = firstToken(children, "TooDeep");
      if (tooDeep) return { kind: "missing", span: tokenSpan(tooDeep) };
      const grad = firstToken(children, "GradName");
      if (grad) return gradReference(grad);
      const string = firstToken(children, "StringLiteral") ?? firstToken(children, "UnterminatedString");
      if (string) {
        const terminated = string.tokenType.name === "StringLiteral";
        return { kind: "string", value: unescapeString(string.image, terminated), terminated, span: tokenSpan(string) };
      }
      const inner = nodes(children, "nameOrCall")[0] ?? nodes(children, "parenthesized")[0] ?? nodes(children, "list")[0];
      return inner ? lowerExpr(inner, span.start, errors) : missing(span.start);
    }
    case "nameOrCall": {
      const nameToken = firstToken(children, "name");
      if (!nameToken) return missing(span.start);
      if (!children.LParen) return { kind: "name", name: nameToken.image, span: tokenSpan(nameToken) };
      return { kind: "call", callee: toName(nameToken, span.start), args: lowerArguments(node, span.end, errors), span };
    }
    case "parenthesized": {
      const inner = childExpr(children, "inner", span.start + 1, errors);
      // Keep the parentheses in the span so diagnostics cover what the user wrote.
      return { ...inner, span } as ast.Expr;
    }
    case "list": {
      const list = nodes(children, "items")[0];
      const items = list ? nodes(list.children, "items").map((item) => lowerExpr(item, span.start, errors)) : [];
      return { kind: "list", items, span };
    }
    default:
      return missing(span.start);
  }
}

function lowerPostfix(node: CstNode, span: ast.Span, errors: ast.SyntaxError[]): ast.Expr {
  let result = childExpr(node.children, "target", span.start, errors);
  // The MANY loop's children arrive label by label; rebuild source order from offsets.
  const indexOpens = tokens(node.children, "index");
  const indexCloses = tokens(node.children, "indexEnd");
  const indexLists = nodes(node.children, "indices");
  const members = tokens(node.children, "member");
  type Suffix = { at: number; apply: (target: ast.Expr) => ast.Expr };
  const suffixes: Suffix[] = [];
  indexOpens.forEach((open, i) => {
    const list = indexLists[i];
    const close = indexCloses[i];
    suffixes.push({
      at: open.startOffset,
      apply: (target) => ({
        kind: "index",
        target,
        indices: list ? nodes(list.children, "items").map((item) => lowerExpr(item, open.startOffset + 1, errors)) : [],
        span: { start: target.span.start, end: close ? tokenSpan(close).end : open.startOffset + 1 },
      }),
    });
  });
  members.forEach((member) => {
    suffixes.push({
      at: member.startOffset,
      apply: (target) => ({
        kind: "member",
        target,
        member: toName(member, member.startOffset),
        span: { start: target.span.start, end: tokenSpan(member).end },
      }),
    });
  });
  suffixes.sort((a, b) => a.at - b.at);
  for (const suffix of suffixes) {
    const target = result;
    result = suffix.apply(target);
    if (heightOf(result) > maxExpressionDepth) return tooDeepChain(target.span, span, { start: suffix.at, end: suffix.at + 1 }, errors);
  }
  return result;
}

function lowerBlock(node: CstNode | undefined, fallback: number, errors: ast.SyntaxError[]): ast.Block | undefined {
  if (!node) return undefined;
  const span = nodeSpan(node, fallback);
  const settings = nodes(node.children, "setting").map((setting): ast.Setting => {
    const settingSpan = nodeSpan(setting, span.start);
    const valueNode = nodes(setting.children, "value")[0];
    return {
      key: toName(firstToken(setting.children, "key"), settingSpan.start),
      value: valueNode ? lowerExpr(valueNode, settingSpan.end, errors) : undefined,
      span: settingSpan,
    };
  });
  return { settings, span };
}

/** Lowers one `declaration` node; undefined when recovery left nothing usable. */
export function lowerDeclaration(declaration: CstNode, fallback: number, errors: ast.SyntaxError[]): ast.Declaration | undefined {
  const inner = Object.values(declaration.children)
    .flat()
    .find((element): element is CstNode => element !== undefined && !isToken(element));
  if (!inner) return undefined;
  const span = nodeSpan(inner, fallback);
  const children = inner.children;
  const keywordToken = (Object.values(children).flat() as CstElement[]).find(
    (element): element is IToken => isToken(element) && isRealToken(element),
  );
  const keywordSpan = keywordToken ? tokenSpan(keywordToken) : { start: span.start, end: span.start };
  const name = toName(firstToken(children, "name"), keywordSpan.end);
  const base = { span, keywordSpan };
  const at = name.span.end;
  switch (inner.name) {
    case "dataDecl":
      return { ...base, kind: "data", name, source: childExpr(children, "source", at, errors), block: lowerBlock(nodes(children, "block")[0], span.end, errors) };
    case "hyperDecl":
      return { ...base, kind: "hyper", name, value: childExpr(children, "value", at, errors) };
    case "paramDecl": {
      const init = nodes(children, "init")[0];
      return { ...base, kind: "param", name, shape: childExpr(children, "shape", at, errors), init: init ? lowerExpr(init, span.end, errors) : undefined };
    }
    case "scoreDecl":
      return { ...base, kind: "score", name, value: childExpr(children, "value", at, errors) };
    case "lossDecl":
      return { ...base, kind: "loss", name, value: childExpr(children, "value", at, errors) };
    case "gradDecl": {
      const target = firstToken(children, "target");
      const parts = target ? gradTargetParts(gradReference(target)) : undefined;
      const numerator = parts?.numerator ?? childExpr(children, "numerator", keywordSpan.end, errors);
      const denominator = parts?.denominator ?? childExpr(children, "denominator", numerator.span.end, errors);
      const targetSpan = { start: numerator.span.start, end: Math.max(numerator.span.end, denominator.span.end) };
      return {
        ...base,
        kind: "grad",
        name: { text: gradTargetText(numerator, denominator), span: targetSpan },
        numerator,
        denominator,
        value: childExpr(children, "value", targetSpan.end, errors),
      };
    }
    case "optimizerDecl":
      return { ...base, kind: "optimizer", name, rule: childExpr(children, "rule", at, errors), block: lowerBlock(nodes(children, "block")[0], span.end, errors) };
    case "experimentDecl": {
      const keyword = (firstToken(children, "keyword")?.image ?? "run") as ast.ExperimentKind;
      const block = lowerBlock(nodes(children, "block")[0], span.end, errors) ?? { settings: [], span: { start: span.end, end: span.end } };
      return { ...base, kind: keyword, name, block };
    }
    default:
      return undefined;
  }
}

function gradTargetText(numerator: ast.Expr, denominator: ast.Expr): string {
  const text = (expr: ast.Expr) => (expr.kind === "name" ? expr.name : "?");
  return `${text(numerator)}/${text(denominator)}`;
}

/** `dL/ds` as one token: the grad of L with respect to s. */
function gradReference(token: IToken): Extract<ast.Expr, { kind: "gradRef" }> {
  const span = tokenSpan(token);
  const slash = token.image.indexOf("/");
  return {
    kind: "gradRef",
    name: token.image,
    loss: { text: token.image.slice(1, slash), span: { start: span.start + 1, end: span.start + slash } },
    wrt: { text: token.image.slice(slash + 2), span: { start: span.start + slash + 2, end: span.end } },
    span,
  };
}

/** A grad header's `dL` and `dW` as the names the legacy quotient form lowers to. */
function gradTargetParts(reference: Extract<ast.Expr, { kind: "gradRef" }>): { numerator: ast.Expr; denominator: ast.Expr } {
  const { loss, wrt } = reference;
  return {
    numerator: { kind: "name", name: `d${loss.text}`, span: { start: loss.span.start - 1, end: loss.span.end } },
    denominator: { kind: "name", name: `d${wrt.text}`, span: { start: wrt.span.start - 1, end: wrt.span.end } },
  };
}
