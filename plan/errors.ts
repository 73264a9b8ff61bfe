import * as path from "path";

/** A problem with what the user asked for (exit code 2), as opposed to a failure to run (3). */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** Errors whose message is the whole story (the SDK's user errors, the plan's own). */
const SELF_EXPLAINING = new Set(["RunError", "ResourceError", "InputPropertyError", "InputPropertiesError", "UsageError", "ProgramError", "PolicyEvaluationError", "PackLaunchError", "UnsupportedDataSourceError"]);

/**
 * An error as a person reads it: its message, and for an unexpected one, where in the user's own
 * files it was thrown (`at tests/fixtures/failing/index.ts:10:11`), without the JavaScript stack.
 * PLAN_DEBUG=1 keeps the whole stack.
 */
export function describeError(e: unknown): string {
    if (!(e instanceof Error)) return String(e);
    if (process.env.PLAN_DEBUG === "1" && e.stack) return e.stack;
    const text = e.name === "Error" || SELF_EXPLAINING.has(e.name) ? e.message : `${e.name}: ${e.message}`;
    if (SELF_EXPLAINING.has(e.name)) return text;
    const planDir = __dirname + path.sep;
    const frame = (e.stack ?? "")
        .split("\n")
        .map((l) => /^\s+at (?:.* \()?(\/[^)]+?):(\d+):(\d+)\)?$/.exec(l))
        .find((m) => m && !m[1].includes(`${path.sep}node_modules${path.sep}`) && !m[1].startsWith(planDir));
    return frame ? `${text}\n    at ${path.relative(process.cwd(), frame[1])}:${frame[2]}:${frame[3]}` : text;
}
