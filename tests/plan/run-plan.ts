// Runs the offline plan the way a user does, in a child process: every plan needs a fresh Pulumi
// runtime, and the exit code and what goes to stdout and stderr are part of the contract.
import { spawn } from "child_process";
import * as path from "path";
import type { PlanReport } from "../../plan/make-plan";

export const REPO = path.resolve(__dirname, "..", "..");
export const INSECURE = path.join("tests", "fixtures", "insecure", "index.ts");
export const FAILING = path.join("tests", "fixtures", "failing", "index.ts");
export const FAILING_ASYNC = path.join("tests", "fixtures", "failing", "async.ts");
export const DATA_SOURCES = path.join("tests", "plan", "fixtures", "data-sources", "index.ts");
export const PROBE_PACK = path.join("tests", "plan", "fixtures", "probe-pack");

export interface PlanRun {
    code: number | null;
    stdout: string;
    stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<PlanRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** The package's `mlops-plan` command (its `bin`), as `npx mlops-plan` runs it. */
export function runPlan(args: string[], env: Record<string, string> = {}): Promise<PlanRun> {
    return run(process.execPath, [path.join(REPO, "plan", "main.js"), ...args], env);
}

/** `npm run -s plan -- <args>`, the command the docs give. */
export function runNpmPlan(args: string[], env: Record<string, string> = {}): Promise<PlanRun> {
    return run("npm", ["run", "-s", "plan", "--", ...args], env);
}

/** Runs the plan with --json and parses its report; fails with stderr when the output is not JSON. */
export async function planJson(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; report: PlanReport; stderr: string }> {
    const run = await runPlan([...args, "--json"], env);
    try {
        return { code: run.code, report: JSON.parse(run.stdout) as PlanReport, stderr: run.stderr };
    } catch {
        throw new Error(`plan ${args.join(" ")} exited ${run.code} without JSON:\n${run.stderr}\n${run.stdout.slice(0, 2000)}`);
    }
}
