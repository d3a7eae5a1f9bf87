// Each loss's curvature in each param it depends on (and in all of them
// jointly), as facts for hover, and a note on an objective that is not known
// to be convex. The rules themselves are curvature.ts's.
import type * as ast from "../syntax/ast";
import { forEachSubexpression } from "../syntax/walk";
import type { CheckContext } from "./check-context";
import { CurvatureAnalysis, isConvexLike } from "./curvature";
import { dependencyOrder, namedDeclarations } from "./dependencies";
import type { CheckedModel, CurvatureFact } from "./model";

export function checkCurvature(context: CheckContext): void {
  const model = context.model;
  const params = [...model.symbols.values()].filter((symbol) => symbol.kind === "param").map((symbol) => symbol.name);
  const losses = [...model.symbols.values()].filter((symbol) => symbol.kind === "loss");
  // An objective is a loss that no other loss builds on.
  const usedByOtherLoss = new Set<string>();
  for (const loss of losses) {
    const value = (loss.declaration as Extract<ast.Declaration, { kind: "loss" }>).value;
    forEachSubexpression(value, (expr) => {
      if (expr.kind === "name" && model.symbols.get(expr.name)?.kind === "loss") usedByOtherLoss.add(expr.name);
    });
  }
  const lookup = (name: string) => model.symbols.get(name);
  const hyperValue = (declaration: ast.Declaration) => model.facts.get(declaration)?.value;
  const dependencies = new Map<ast.Declaration, Set<string>>();
  for (const loss of losses) {
    const declaration = loss.declaration;
    if (!context.facts(declaration).shape) continue;
    const dependsOn = params.filter((param) => parametersOf(model, declaration, dependencies).has(param));
    const facts: CurvatureFact[] = dependsOn.map((param) => {
      const judgement = new CurvatureAnalysis({ lookup, hyperValue, variables: new Set([param]) }).judgeDeclaration(declaration, dependencyOrder(model, declaration));
      return { wrt: param, curvature: judgement.curvature, reason: judgement.reason };
    });
    let joint: CurvatureFact | undefined;
    if (dependsOn.length > 1) {
      const judgement = new CurvatureAnalysis({ lookup, hyperValue, variables: new Set(dependsOn) }).judgeDeclaration(declaration, dependencyOrder(model, declaration));
      joint = { wrt: "all", curvature: judgement.curvature, reason: judgement.reason };
      facts.push(joint);
    }
    context.facts(declaration).curvature = facts;
    const objective = joint ?? facts[0];
    const isObjective = !usedByOtherLoss.has(loss.name);
    if (objective && isObjective && !isConvexLike(objective.curvature)) {
      const variables = dependsOn.length > 1 ? `(${dependsOn.join(", ")}) jointly` : dependsOn[0];
      context.report("information", "not-convex", declaration.name.span, `${loss.name} is not known to be convex in ${variables}: ${objective.reason}. Gradient descent may stop in a local minimum, and the landscape is not a bowl.`);
    }
  }
}

/** The params a declaration depends on, through the scores and losses it names; `memo` holds those already known. */
function parametersOf(model: CheckedModel, declaration: ast.Declaration, memo: Map<ast.Declaration, Set<string>>): Set<string> {
  for (const each of dependencyOrder(model, declaration)) {
    if (memo.has(each)) continue;
    const result = new Set<string>();
    if (each.kind === "param") result.add(each.name.text);
    if (each.kind === "score" || each.kind === "loss") {
      for (const named of namedDeclarations(model, each)) for (const param of memo.get(named) ?? []) result.add(param);
    }
    memo.set(each, result);
  }
  return memo.get(declaration) ?? new Set();
}
