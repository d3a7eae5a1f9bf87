// Semantic analysis: names and scopes, static shapes with a symbolic batch
// dimension, settings against their schemas, grads against their targets,
// and curvature. Runs the passes in order over one shared context; produces
// the checked model and findings, and never throws.
import type * as ast from "../syntax/ast";
import { CheckContext } from "./check-context";
import { ConstantFolder } from "./constant-folding";
import { bindDataDims, checkData } from "./data-declarations";
import type { Finding } from "./diagnostic";
import { checkGrad } from "./grad-declarations";
import { checkCurvature } from "./loss-curvature";
import type { CheckedModel, DataFactsProvider } from "./model";
import { checkUnused, declareNames, dropRepeatedReferences } from "./name-resolution";
import { checkSearch, type SearchDeclaration } from "./search-declarations";
import { SettingsValidator } from "./settings-validation";
import { ShapeInference } from "./shape-inference";
import { checkExperiment, checkOptimizer } from "./training-declarations";
import { checkHyper, checkParam, checkScoreOrLoss } from "./value-declarations";

/** The most entries a param, or a value computed from it, may have unless told otherwise: 100 million float32s take 400 MB. */
export const defaultMaxTensorEntries = 100_000_000;

export function check(document: ast.Document, dataFacts?: DataFactsProvider, maxTensorEntries = defaultMaxTensorEntries): { model: CheckedModel; findings: Finding[] } {
  const context = new CheckContext(document, maxTensorEntries);
  const constants = new ConstantFolder(context);
  const shapes = new ShapeInference(context, constants);
  const settings = new SettingsValidator(context, constants);
  declareNames(context);
  bindDataDims(context, constants, dataFacts);
  for (const declaration of document.declarations) {
    switch (declaration.kind) {
      case "data":
        checkData(context, settings, declaration);
        break;
      case "hyper":
        checkHyper(context, constants, declaration);
        break;
      case "param":
        checkParam(context, constants, declaration);
        break;
      case "score":
      case "loss":
        checkScoreOrLoss(context, shapes, declaration);
        break;
      case "grad":
        checkGrad(context, shapes, declaration);
        break;
      case "optimizer":
        checkOptimizer(context, settings, declaration);
        break;
      case "search":
        checkSearch(context, settings, constants, declaration as SearchDeclaration);
        break;
      default:
        checkExperiment(context, settings, declaration);
    }
  }
  checkCurvature(context);
  checkUnused(context);
  dropRepeatedReferences(context.model);
  return { model: context.model, findings: context.findings };
}
