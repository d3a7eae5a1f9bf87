// The .optim grammar as a chevrotain CST parser. One declaration is parsed at
// a time (see parse.ts), so an error never costs more than its declaration.
import { CstParser, type IToken, type TokenType } from "chevrotain";
import * as t from "./tokens";

/** Tokens that can begin an expression; a setting takes a value only if one follows on its line. */
const expressionStarts: TokenType[] = [
  t.NumberLiteral,
  t.StringLiteral,
  t.UnterminatedString,
  t.Identifier,
  t.GradName,
  t.LParen,
  t.LBracket,
  t.Minus,
  t.TooDeep,
];

function startsExpression(token: IToken): boolean {
  return expressionStarts.some((type) => token.tokenType === type);
}

export class OptimParser extends CstParser {
  constructor() {
    super(t.allTokens, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: "full" });
    this.performSelfAnalysis();
  }

  declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.dataDecl) },
      { ALT: () => this.SUBRULE(this.hyperDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.scoreDecl) },
      { ALT: () => this.SUBRULE(this.lossDecl) },
      { ALT: () => this.SUBRULE(this.gradDecl) },
      { ALT: () => this.SUBRULE(this.optimizerDecl) },
      { ALT: () => this.SUBRULE(this.experimentDecl) },
    ]);
  });

  // data fmnist = idx("fashion-mnist/") { train 59000, val 1000; scale 1/255 }
  dataDecl = this.RULE("dataDecl", () => {
    this.CONSUME(t.Data);
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: "source" });
    this.OPTION(() => this.SUBRULE(this.block));
  });

  // hyper reg = 2.5e4
  hyperDecl = this.RULE("hyperDecl", () => {
    this.CONSUME(t.Hyper);
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  // param W: [10, 785] = randn * 0.0001
  paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(t.Param);
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.CONSUME(t.Colon);
    this.SUBRULE(this.expression, { LABEL: "shape" });
    this.OPTION(() => {
      this.CONSUME(t.Equals);
      this.SUBRULE2(this.expression, { LABEL: "init" });
    });
  });

  scoreDecl = this.RULE("scoreDecl", () => {
    this.CONSUME(t.Score);
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  lossDecl = this.RULE("lossDecl", () => {
    this.CONSUME(t.Loss);
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  // grad dL/dW = ...: one GradName; anything else before the `=` is read as a
  // quotient of two expressions, so analysis can say what a grad is written as.
  gradDecl = this.RULE("gradDecl", () => {
    this.CONSUME(t.Grad);
    this.OR([
      { GATE: () => this.LA(2).tokenType === t.Equals, ALT: () => this.CONSUME(t.GradName, { LABEL: "target" }) },
      {
        ALT: () => {
          this.SUBRULE(this.postfix, { LABEL: "numerator" });
          this.CONSUME(t.Slash);
          this.SUBRULE2(this.postfix, { LABEL: "denominator" });
        },
      },
    ]);
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  // optimizer fast = sgd { lr 1e-7, batch 256 }
  optimizerDecl = this.RULE("optimizerDecl", () => {
    this.CONSUME(t.Optimizer);
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression, { LABEL: "rule" });
    this.OPTION(() => this.SUBRULE(this.block));
  });

  // run train { minimize L; on fmnist.train; by fast; steps 1500 }
  experimentDecl = this.RULE("experimentDecl", () => {
    this.OR(t.experimentKeywords.map((keyword) => ({ ALT: () => this.CONSUME(keyword, { LABEL: "keyword" }) })));
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.SUBRULE(this.block);
  });

  block = this.RULE("block", () => {
    this.CONSUME(t.LCurly);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.setting) },
        { ALT: () => this.CONSUME(t.Comma) },
        { ALT: () => this.CONSUME(t.Semicolon) },
      ]);
    });
    this.CONSUME(t.RCurly);
  });

  // A setting is a key and at most one value on the same line: `steps 1500`, `center`.
  setting = this.RULE("setting", () => {
    const key = this.CONSUME(t.Identifier, { LABEL: "key" });
    this.OPTION({
      GATE: () => {
        const next = this.LA(1);
        return next.startLine === key.startLine && startsExpression(next);
      },
      DEF: () => this.SUBRULE(this.rangeExpression, { LABEL: "value" }),
    });
  });

  rangeExpression = this.RULE("rangeExpression", () => {
    this.SUBRULE(this.expression, { LABEL: "from" });
    this.OPTION(() => {
      this.CONSUME(t.DotDot);
      this.SUBRULE2(this.expression, { LABEL: "to" });
      // A search's scale: `1e-6 .. 1e-2 log`. Only these two words, and not a call such as log(x).
      this.OPTION2({
        GATE: () => {
          const next = this.LA(1);
          return next.tokenType === t.Identifier && (next.image === "log" || next.image === "linear") && this.LA(2).tokenType !== t.LParen;
        },
        DEF: () => this.CONSUME(t.Identifier, { LABEL: "scale" }),
      });
    });
  });

  expression = this.RULE("expression", () => {
    this.SUBRULE(this.comparison);
  });

  comparison = this.RULE("comparison", () => {
    this.SUBRULE(this.additive, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(t.ComparisonOperator, { LABEL: "operators" });
      this.SUBRULE2(this.additive, { LABEL: "operands" });
    });
  });

  additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(t.AdditiveOperator, { LABEL: "operators" });
      this.SUBRULE2(this.multiplicative, { LABEL: "operands" });
    });
  });

  multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(t.MultiplicativeOperator, { LABEL: "operators" });
      this.SUBRULE2(this.unary, { LABEL: "operands" });
    });
  });

  unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Minus, { LABEL: "minus" });
          this.SUBRULE(this.unary, { LABEL: "operand" });
        },
      },
      { ALT: () => this.SUBRULE(this.power, { LABEL: "operand" }) },
    ]);
  });

  // Right-associative; `W^T` is a transpose, decided when lowering.
  power = this.RULE("power", () => {
    this.SUBRULE(this.postfix, { LABEL: "base" });
    this.OPTION(() => {
      this.CONSUME(t.Caret);
      this.SUBRULE(this.unary, { LABEL: "exponent" });
    });
  });

  postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.primary, { LABEL: "target" });
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(t.LBracket, { LABEL: "index" });
            this.SUBRULE(this.expressionList, { LABEL: "indices" });
            this.CONSUME(t.RBracket, { LABEL: "indexEnd" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(t.Dot, { LABEL: "dot" });
            this.CONSUME(t.Identifier, { LABEL: "member" });
          },
        },
      ]);
    });
  });

  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(t.NumberLiteral) },
      { ALT: () => this.CONSUME(t.StringLiteral) },
      { ALT: () => this.CONSUME(t.UnterminatedString) },
      { ALT: () => this.CONSUME(t.TooDeep) },
      { ALT: () => this.CONSUME(t.GradName) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
      { ALT: () => this.SUBRULE(this.parenthesized) },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  nameOrCall = this.RULE("nameOrCall", () => {
    this.CONSUME(t.Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(t.LParen);
      this.OPTION2(() => {
        this.SUBRULE(this.argument, { LABEL: "arguments" });
        this.MANY(() => {
          this.CONSUME(t.Comma);
          this.SUBRULE2(this.argument, { LABEL: "arguments" });
        });
      });
      this.CONSUME(t.RParen);
    });
  });

  // Positional `x`, or named `axis=1`.
  argument = this.RULE("argument", () => {
    this.OPTION({
      GATE: () => this.LA(1).tokenType === t.Identifier && this.LA(2).tokenType === t.Equals,
      DEF: () => {
        this.CONSUME(t.Identifier, { LABEL: "name" });
        this.CONSUME(t.Equals);
      },
    });
    this.SUBRULE(this.rangeExpression, { LABEL: "value" });
  });

  parenthesized = this.RULE("parenthesized", () => {
    this.CONSUME(t.LParen);
    this.SUBRULE(this.expression, { LABEL: "inner" });
    this.CONSUME(t.RParen);
  });

  list = this.RULE("list", () => {
    this.CONSUME(t.LBracket);
    this.OPTION(() => this.SUBRULE(this.expressionList, { LABEL: "items" }));
    this.CONSUME(t.RBracket);
  });

  expressionList = this.RULE("expressionList", () => {
    this.SUBRULE(this.expression, { LABEL: "items" });
    this.MANY(() => {
      this.CONSUME(t.Comma);
      this.SUBRULE2(this.expression, { LABEL: "items" });
    });
  });
}

/** One shared instance: chevrotain parsers are reusable and costly to build. */
export const optimParser = new OptimParser();
