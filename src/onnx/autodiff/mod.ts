/**
 * Reverse-mode autodiff for actpat graphs: `gradients(graph, y, wrt, { seed })` appends the backward pass
 * (standard ONNX ops only) to the graph. Rules live in one table (`gradient_rules.ts`); the walker
 * (`gradients.ts`) does broadcasting, accumulation and checks.
 *
 * @module
 */
export { type GradientOptions, gradients } from "./gradients.ts";
export {
  type GradContext,
  GRADIENT_RULES,
  type GradMap,
  type GradRule,
  type OpType,
} from "./gradient_rules.ts";
