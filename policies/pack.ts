// The policy pack's contents, side-effect free: tests, the offline plan and benchmarks import this
// module; only index.ts constructs the PolicyPack (which starts a gRPC server).

import type { Policies } from "@pulumi/policy";
import { iamRules } from "./rules/iam";
import { sagemakerRules } from "./rules/sagemaker";

export const packName = "mlops-guardrails";

/** Every rule, in a stable order (grouped by service). */
export const policies: Policies = [...iamRules, ...sagemakerRules];
