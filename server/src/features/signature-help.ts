// Signature help inside a call's parentheses: builtins, data sources,
// schedules and strategies, with the active parameter.
import { optimLexer } from "../syntax/tokens";
import { builtinFunctionsByName } from "../language/builtins";
import { callSpecFor } from "../language/lookup";

export interface SignatureHelpResult {
  label: string;
  documentation: string;
  parameters: { label: string; documentation: string }[];
  activeParameter: number;
}

/** The innermost unclosed call before `offset`: its name and how many commas precede the cursor. */
export function enclosingCall(text: string, offset: number): { name: string; argumentIndex: number; namedArgument?: string } | undefined {
  const tokens = optimLexer.tokenize(text.slice(0, offset)).tokens;
  const stack: { name?: string; commas: number; lastNamed?: string }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const kind = tokens[i].tokenType.name;
    if (kind === "LParen") stack.push({ name: tokens[i - 1]?.tokenType.name === "Identifier" ? tokens[i - 1].image : undefined, commas: 0 });
    else if (kind === "LBracket" || kind === "LCurly") stack.push({ commas: 0 });
    else if (kind === "RParen" || kind === "RBracket" || kind === "RCurly") stack.pop();
    else if (kind === "Comma" && stack.length > 0) {
      stack[stack.length - 1].commas++;
      stack[stack.length - 1].lastNamed = undefined;
    } else if (kind === "Equals" && stack.length > 0 && tokens[i - 1]?.tokenType.name === "Identifier") stack[stack.length - 1].lastNamed = tokens[i - 1].image;
    else if (tokens[i].tokenType.CATEGORIES?.some((category) => category.name === "DeclarationKeyword")) stack.length = 0;
  }
  const top = stack[stack.length - 1];
  if (!top?.name) return undefined;
  return { name: top.name, argumentIndex: top.commas, namedArgument: top.lastNamed };
}

export function signatureHelpAt(text: string, offset: number): SignatureHelpResult | undefined {
  const call = enclosingCall(text, offset);
  if (!call) return undefined;
  const builtin = builtinFunctionsByName.get(call.name);
  if (builtin) {
    const named = call.namedArgument ? builtin.parameters.findIndex((parameter) => parameter.name === call.namedArgument) : -1;
    return {
      label: builtin.signature,
      documentation: `${builtin.doc}\n\n${builtin.formula}`,
      parameters: builtin.parameters.map((parameter) => ({ label: parameter.named ? `${parameter.name}=` : parameter.name, documentation: parameter.doc })),
      activeParameter: named >= 0 ? named : Math.min(call.argumentIndex, builtin.parameters.length - 1),
    };
  }
  const spec = callSpecFor("any", call.name);
  if (!spec) return undefined;
  const parameters = [...spec.positional.map((parameter) => ({ label: parameter.name, documentation: parameter.doc })), ...spec.named.map((parameter) => ({ label: `${parameter.name}=${parameter.defaultText ?? "…"}`, documentation: parameter.doc }))];
  const namedIndex = call.namedArgument ? spec.named.findIndex((parameter) => parameter.name === call.namedArgument) : -1;
  return {
    label: `${spec.name}(${parameters.map((parameter) => parameter.label).join(", ")})`,
    documentation: spec.doc,
    parameters,
    activeParameter: namedIndex >= 0 ? spec.positional.length + namedIndex : Math.min(call.argumentIndex, Math.max(0, parameters.length - 1)),
  };
}
