// A readable, stable rendering of the syntax tree, one node per line, for
// snapshot tests and debugging: `kind text @start..end`.
import type * as ast from "./ast";

function at(span: ast.Span): string {
  return `@${span.start}..${span.end}`;
}

function printExpr(expr: ast.Expr, depth: number, lines: string[], label = ""): void {
  const pad = "  ".repeat(depth) + label;
  switch (expr.kind) {
    case "number":
      lines.push(`${pad}number ${expr.text} ${at(expr.span)}`);
      return;
    case "string":
      lines.push(`${pad}string ${JSON.stringify(expr.value)}${expr.terminated ? "" : " (unterminated)"} ${at(expr.span)}`);
      return;
    case "name":
      lines.push(`${pad}name ${expr.name} ${at(expr.span)}`);
      return;
    case "gradRef":
      lines.push(`${pad}gradRef ${expr.name} ${at(expr.span)}`);
      return;
    case "missing":
      lines.push(`${pad}missing ${at(expr.span)}`);
      return;
    case "list":
      lines.push(`${pad}list ${at(expr.span)}`);
      for (const item of expr.items) printExpr(item, depth + 1, lines);
      return;
    case "call":
      lines.push(`${pad}call ${expr.callee.text} ${at(expr.span)}`);
      for (const argument of expr.args) printExpr(argument.value, depth + 1, lines, argument.name ? `${argument.name.text}= ` : "");
      return;
    case "binary":
      lines.push(`${pad}binary ${expr.op} ${at(expr.span)}`);
      printExpr(expr.left, depth + 1, lines);
      printExpr(expr.right, depth + 1, lines);
      return;
    case "negate":
    case "transpose":
      lines.push(`${pad}${expr.kind} ${at(expr.span)}`);
      printExpr(expr.operand, depth + 1, lines);
      return;
    case "index":
      lines.push(`${pad}index ${at(expr.span)}`);
      printExpr(expr.target, depth + 1, lines);
      for (const index of expr.indices) printExpr(index, depth + 1, lines, "[] ");
      return;
    case "member":
      lines.push(`${pad}member .${expr.member.text} ${at(expr.span)}`);
      printExpr(expr.target, depth + 1, lines);
      return;
    case "range":
      lines.push(`${pad}range ${at(expr.span)}`);
      printExpr(expr.from, depth + 1, lines);
      printExpr(expr.to, depth + 1, lines);
      return;
  }
}

function printBlock(block: ast.Block | undefined, lines: string[]): void {
  if (!block) return;
  lines.push(`  block ${at(block.span)}`);
  for (const setting of block.settings) {
    lines.push(`    setting ${setting.key.text} ${at(setting.span)}`);
    if (setting.value) printExpr(setting.value, 3, lines);
  }
}

export function printTree(result: ast.ParseResult): string {
  const lines: string[] = [];
  for (const declaration of result.document.declarations) {
    lines.push(`${declaration.kind} ${declaration.name.text || "<missing name>"} ${at(declaration.span)}`);
    switch (declaration.kind) {
      case "data":
        printExpr(declaration.source, 1, lines, "source: ");
        printBlock(declaration.block, lines);
        break;
      case "param":
        printExpr(declaration.shape, 1, lines, "shape: ");
        if (declaration.init) printExpr(declaration.init, 1, lines, "init: ");
        break;
      case "grad":
        printExpr(declaration.numerator, 1, lines, "of: ");
        printExpr(declaration.denominator, 1, lines, "wrt: ");
        printExpr(declaration.value, 1, lines, "value: ");
        break;
      case "optimizer":
        printExpr(declaration.rule, 1, lines, "rule: ");
        printBlock(declaration.block, lines);
        break;
      case "hyper":
      case "score":
      case "loss":
        printExpr(declaration.value, 1, lines, "value: ");
        break;
      default:
        printBlock(declaration.block, lines);
    }
  }
  for (const comment of result.document.comments) lines.push(`comment ${JSON.stringify(comment.text)} ${at(comment.span)}`);
  for (const error of result.errors) lines.push(`error ${JSON.stringify(error.message)} ${at(error.span)}`);
  return lines.join("\n") + "\n";
}
