import * as path from "path";
import { type GeneratedDoc } from "../../lib/generated-docs";
import { AWS_DOCS, DocKey } from "./aws-docs";
import { stackContracts, StackFacts, WorkloadContract, WorkloadRequest } from "./contracts";

/**
 * docs/security.md's permission tables, generated from the contracts with placeholder facts, so
 * that the page lists exactly what the tests prove. `npm run docs:security` rewrites the section
 * between the markers; a test fails when it is stale.
 */

/** A stack with every feature on (KMS, Debugger, spot, X-Ray), its names as placeholders. */
export function placeholderFacts(): StackFacts {
    const image = (repository: string) => `<dlc-account>.dkr.ecr.<region>.amazonaws.com/${repository}:<tag>`;
    return {
        partition: "aws",
        region: "<region>",
        accountId: "<account>",
        namePrefix: "<prefix>",
        bucketArn: "arn:aws:s3:::<bucket>",
        codeKey: "code/sourcedir-<hash>.tar.gz",
        datasetPrefix: "<dataset>/",
        kmsKeyArn: "arn:aws:kms:<region>:<account>:key/<key-id>",
        roleNames: {
            training: "<training-role>", tuning: "<tuning-role>", notebook: "<notebook-role>",
            model: "<model-role>", inference: "<inference-role>", gpuTrainer: "<gpu-trainer-role>",
        },
        runs: [{
            jobName: "<prefix>-<run>-<hash>",
            outputPrefix: "training/",
            checkpointPrefix: "checkpoints/<run>/<job>/",
            debuggerPrefix: "debugger/<run>/<job>/",
            trainingImage: image("pytorch-training"),
            ruleImage: "<rules-account>.dkr.ecr.<region>.amazonaws.com/sagemaker-debugger-rules:latest",
        }],
        tuning: { jobName: "<prefix>-hpo-<hash>", outputPrefix: "tuning/", checkpointPrefix: "checkpoints/tuning/", trainingImage: image("pytorch-training") },
        endpoint: {
            name: "<prefix>-endpoint",
            arn: "arn:aws:sagemaker:<region>:<account>:endpoint/<prefix>-endpoint",
            variantName: "primary",
            modelName: "<model>",
            artifactKey: "training/<job>/output/model.tar.gz",
            image: image("pytorch-inference"),
        },
        inference: { functionName: "<prefix>-inference", logGroupName: "/aws/lambda/<prefix>-inference", xray: true },
        notebook: { name: "<prefix>-notebook" },
        gpuTrainer: { outputPrefix: "gpu-trainer/<spec-hash>/" },
        neighbour: { namePrefix: "<other-prefix>", bucketArn: "arn:aws:s3:::<other-bucket>", endpointName: "<other-prefix>-endpoint" },
    };
}

const WHEN: Record<NonNullable<WorkloadRequest["when"]>, string> = {
    kms: "with KMS (prod)",
    debugger: "with Debugger rules",
    spot: "with spot training",
    xray: "with X-Ray tracing (prod)",
};

/** Table-cell text: pipes escaped, and `<placeholders>` kept visible (not read as HTML tags). */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;");
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;
const links = (docs: DocKey[]) => [...new Set(docs)].map(d => `[${cell(AWS_DOCS[d].title)}](${AWS_DOCS[d].url})`).join("<br>");
const who = (r: WorkloadRequest) => ("role" in r.principal ? "" : "service" in r.principal ? `${r.principal.service}: ` : "another account: ");
const context = (r: WorkloadRequest) =>
    Object.entries(r.context).map(([k, v]) => code(`${k}=${Array.isArray(v) ? v.join(",") : v}`)).join(" ") || "";

/** Rows of a workload: consecutive requests that differ only in their action share a row. */
function rows(requests: WorkloadRequest[]): string[] {
    const merged: { r: WorkloadRequest; actions: string[] }[] = [];
    for (const r of requests) {
        const last = merged[merged.length - 1];
        const same = last && last.r.does === r.does && last.r.resource === r.resource
            && JSON.stringify(last.r.context) === JSON.stringify(r.context) && JSON.stringify(last.r.principal) === JSON.stringify(r.principal);
        if (same) {
            if (!last.actions.includes(r.action)) last.actions.push(r.action);
            last.r = { ...last.r, docs: [...last.r.docs, ...r.docs] };
        } else {
            merged.push({ r, actions: [r.action] });
        }
    }
    return merged.map(({ r, actions }) =>
        `| ${cell(who(r) + r.does)}${r.when ? ` (${WHEN[r.when]})` : ""} | ${actions.map(code).join(" ")} | ${code(r.resource)} | ${context(r)} | ${links(r.docs)} |`);
}

function section(c: WorkloadContract): string {
    const lines = [`### ${c.workload}`, ""];
    if (c.role) lines.push(`Role: the ${c.role} role. Trust: ${c.trust!.note} (${links(c.trust!.docs).replace(/<br>/g, ", ")}).`, "");
    if (c.requests.length > 0) {
        lines.push("| What it does (the reason) | Actions | Resource | Request context | AWS page |", "|---|---|---|---|---|", ...rows(c.requests), "");
    }
    const denied = c.mustDeny.filter(r => !(c.workload.startsWith("Data bucket") && r.context["aws:SecureTransport"] === "false"));
    if (c.workload.startsWith("Data bucket")) {
        lines.push("Every S3 request above, made without TLS (`aws:SecureTransport=false`), is denied by the bucket policy's explicit deny.", "");
    }
    lines.push("Must be denied:", "", ...denied.map(r => `- ${cell(who(r) + r.does)}: ${code(r.action)} on ${code(r.resource)}${context(r) ? ` with ${context(r)}` : ""}`), "");
    return lines.join("\n");
}

/** The generated section of docs/security.md. */
export function renderPermissionDocs(): string {
    return ["", ...stackContracts(placeholderFacts()).map(section)].join("\n");
}

/** docs/security.md and its generated section. */
export const SECURITY_DOC: GeneratedDoc = {
    file: path.join(__dirname, "..", "..", "docs", "security.md"),
    command: "npm run docs:security",
    sections: { permissions: renderPermissionDocs },
};

