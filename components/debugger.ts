/**
 * What SageMaker Debugger can do for a training job, and where. Two different things share the
 * name: the profiler (system metrics the platform collects itself, summarised by the
 * ProfilerReport rule; any image) and the tensor rules (they read tensors that the `smdebug`
 * hook inside the training container saves; only images that ship smdebug can feed them).
 */

/** Built-in rules that evaluate saved tensors; they need smdebug in the training image. */
export const TENSOR_RULES = ["VanishingGradient", "Overfit", "Overtraining", "PoorWeightInitialization"] as const;
export type TensorRule = typeof TENSOR_RULES[number];

/** The built-in profiler rule: it reads the system metrics, so every image can feed it. */
export const PROFILER_RULE = "ProfilerReport";

/**
 * The newest PyTorch Deep Learning Container release that still ships smdebug. From 1.13 on,
 * and in every 2.x image, the hook is absent: tensor rules would run on no data.
 */
export const LAST_PYTORCH_WITH_SMDEBUG = "1.12";

/** Whether the PyTorch training image of this framework version can feed the tensor rules. */
export function imageFeedsTensorRules(frameworkVersion: string): boolean {
    const [major, minor] = frameworkVersion.split(".").map(Number);
    const [lastMajor, lastMinor] = LAST_PYTORCH_WITH_SMDEBUG.split(".").map(Number);
    return major < lastMajor || (major === lastMajor && minor <= lastMinor);
}

/**
 * Accounts that publish the SageMaker Debugger built-in rule images, per region (AWS docs,
 * "Amazon SageMaker Debugger Registry URLs for Built-in Rule Evaluators").
 */
const RULE_IMAGE_ACCOUNTS: Record<string, string> = {
    "ap-east-1": "199566480951",
    "ap-northeast-1": "430734990657",
    "ap-northeast-2": "578805364391",
    "ap-south-1": "904829902805",
    "ap-southeast-1": "972752614525",
    "ap-southeast-2": "184798709955",
    "ca-central-1": "519511493484",
    "cn-north-1": "618459771430",
    "cn-northwest-1": "658757709296",
    "eu-central-1": "482524230118",
    "eu-north-1": "314864569078",
    "eu-west-1": "929884845733",
    "eu-west-2": "250201462417",
    "eu-west-3": "447278800020",
    "me-south-1": "986000313247",
    "sa-east-1": "818342061345",
    "us-east-1": "503895931360",
    "us-east-2": "915447279597",
    "us-west-1": "685455198987",
    "us-west-2": "895741380848",
};

/** Regions where the built-in rule image exists (where any Debugger rule can run). */
export const RULE_IMAGE_REGIONS = Object.keys(RULE_IMAGE_ACCOUNTS);

export function ruleImage(region: string): string {
    const account = RULE_IMAGE_ACCOUNTS[region];
    // The stack config refuses Debugger rules in other regions; this guards other callers.
    if (!account) throw new Error(`SageMaker Debugger has no built-in rule image in region ${region} (regions: ${RULE_IMAGE_REGIONS.join(", ")})`);
    const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    return `${account}.dkr.ecr.${region}.${suffix}/sagemaker-debugger-rules:latest`;
}
