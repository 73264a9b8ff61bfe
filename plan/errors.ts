import * as path from "path";
import { originalPosition } from "./typescript-loader";

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
 * The SDK's user errors (`pulumi.RunError`, a `ResourceError` that hides its stack): as `pulumi
 * preview` does, their message is all there is to show. The SDK is loaded by then whenever one
 * could have been thrown, so asking it costs nothing.
 */
function isPulumiUserError(e: Error): boolean {
    if (!require.cache[require.resolve("@pulumi/pulumi")]) return false;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- only once the SDK is loaded, see above
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    return pulumi.RunError.isInstance(e) || (pulumi.ResourceError.isInstance(e) && (e as { hideStack?: boolean }).hideStack === true);
}

/**
 * An error as a person reads it: its message, and for an unexpected one, where in the user's own
 * files it was thrown (`at tests/fixtures/failing/index.ts:10:11`), without the JavaScript stack.
 * PLAN_DEBUG=1 keeps the whole stack.
 */
export function describeError(e: unknown): string {
    if (!(e instanceof Error)) return String(e);
    if (process.env.PLAN_DEBUG === "1" && e.stack) return e.stack;
    if (SELF_EXPLAINING.has(e.name) || isPulumiUserError(e)) return e.message;
    const text = e.name === "Error" ? e.message : `${e.name}: ${e.message}`;
    const planDir = __dirname + path.sep;
    const frame = (e.stack ?? "")
        .split("\n")
        .map((l) => /^\s+at (?:.* \()?(\/[^)]+?):(\d+):(\d+)\)?$/.exec(l))
        .find((m) => m && !m[1].includes(`${path.sep}node_modules${path.sep}`) && !m[1].startsWith(planDir));
    if (!frame) return text;
    const [file, line, column] = [frame[1], Number(frame[2]), Number(frame[3])];
    const where = originalPosition(file, line, column) ?? { line, column };
    return `${text}\n    at ${path.relative(process.cwd(), file)}:${where.line}:${where.column}`;
}

/**
 * A stack trace that came as text (a crashing policy's, from the pack process) without the frames
 * of packages and of Node itself: what remains points into the user's own files.
 */
export function withoutLibraryFrames(text: string): string {
    return text
        .split("\n")
        .filter((line) => !/^\s+at /.test(line) || !(/node_modules|\(node:|\(<anonymous>\)|^\s+at <anonymous>$|^\s+at new Promise/.test(line)))
        .join("\n");
}
