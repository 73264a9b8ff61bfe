// Runs the offline plan the way `npm run plan` does (ts-node --transpile-only plan/cli.ts), in a
// child process: every plan needs a fresh Pulumi runtime, and the exit code is part of the contract.
import { spawn } from "child_process";
import * as path from "path";

export const REPO = path.resolve(__dirname, "..", "..");
export const INSECURE = path.join("tests", "fixtures", "insecure", "index.ts");
export const FAILING = path.join("tests", "fixtures", "failing", "index.ts");
export const FAILING_ASYNC = path.join("tests", "fixtures", "failing", "async.ts");

export interface PlanRun {
    code: number | null;
    stdout: string;
    stderr: string;
}

export function runPlan(args: string[], env: Record<string, string> = {}): Promise<PlanRun> {
    const tsNode = require.resolve("ts-node/dist/bin.js");
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [tsNode, "--transpile-only", "plan/cli.ts", ...args], { cwd: REPO, env: { ...process.env, ...env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** Runs the plan with --json and parses its report; fails with stderr when the output is not JSON. */
export async function planJson(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; report: any; stderr: string }> {
    const run = await runPlan([...args, "--json"], env);
    try {
        return { code: run.code, report: JSON.parse(run.stdout), stderr: run.stderr };
    } catch {
        throw new Error(`plan ${args.join(" ")} exited ${run.code} without JSON:\n${run.stderr}\n${run.stdout.slice(0, 2000)}`);
    }
}
