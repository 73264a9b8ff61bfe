// The policy pack's contents, side-effect free: tests, the offline plan and benchmarks import this
// module; only index.ts constructs the PolicyPack (which starts a gRPC server).

import type { Policies } from "@pulumi/policy";
import { iamRules } from "./rules/iam";
import { instanceRules } from "./rules/instances";
import { sagemakerRules } from "./rules/sagemaker";
import { s3Rules } from "./rules/s3";
import { ec2Rules } from "./rules/ec2";
import { lambdaRules } from "./rules/lambda";
import { kmsRules } from "./rules/kms";
import { secretRules } from "./rules/secrets";
import { tagRules } from "./rules/tags";
import { costRules } from "./rules/cost";

export const packName = "mlops-guardrails";

/** Every rule, in a stable order (grouped by service). */
export const policies: Policies = [
    ...iamRules,
    ...sagemakerRules,
    ...instanceRules,
    ...s3Rules,
    ...ec2Rules,
    ...lambdaRules,
    ...secretRules,
    ...kmsRules,
    ...tagRules,
    ...costRules,
];
