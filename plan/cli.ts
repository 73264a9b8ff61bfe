// mlops-plan --stack <name> [--program <file.ts>] [--policy-pack <dir>] [--policy-config <file>] [--dataset-manifest <file>] [--json | --markdown]
//
// The credential-free plan: runs a Pulumi program under Pulumi's mock runtime with the stack's
// config, evaluates the policy pack with @pulumi/policy's own analyzer as `pulumi preview
// --policy-pack policies` would, and prints the resource tree, every violation, what was not
// applicable and the cost estimate. Started by plan/main.js (the package's `bin`, `npm run plan`).
//
// Output: stdout carries only the report (with --json or --markdown, only that document); every
// diagnostic, including what the program itself prints, goes to stderr.
// Exit codes: 0 no mandatory violation; 1 mandatory violations; 2 usage error (bad flag, unknown
// stack, missing or invalid policy config, a typo in it); 3 the program, the pack or a policy
// failed to run.

import { parseArgs as parseNodeArgs } from "util";
import { describeError, UsageError } from "./errors";
import type * as MakePlan from "./make-plan";
import type * as Report from "./report";
import type * as RunProgram from "./run-program";

export const USAGE =
    "usage: npm run -s plan -- --stack <name> [--program <file.ts>] [--policy-pack <dir>] [--policy-config <file>] [--dataset-manifest <file>] [--json | --markdown]";

export const EXIT = { passed: 0, mandatoryViolations: 1, usage: 2, failed: 3 } as const;

export interface PlanArgs {
    stack: string;
    program?: string;
    policyPack?: string;
    policyConfig?: string;
    /** A dataset manifest the stack's bucket is assumed to hold (default: none, as on a new stack). */
    datasetManifest?: string;
    format: "text" | "json" | "markdown";
    help: boolean;
}

/** Parses the command line; throws UsageError naming the bad argument. */
export function parseArgs(argv: string[]): PlanArgs {
    let values;
    try {
        ({ values } = parseNodeArgs({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                stack: { type: "string", short: "s" },
                program: { type: "string" },
                "policy-pack": { type: "string" },
                "policy-config": { type: "string" },
                "dataset-manifest": { type: "string" },
                json: { type: "boolean" },
                markdown: { type: "boolean" },
                help: { type: "boolean", short: "h" },
            },
        }));
    } catch (e) {
        // util.parseArgs names the argument in its first quotes: '--verbose', '-s, --stack <value>'.
        const err = e as Error & { code?: string };
        const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? "";
        const option = /--?[A-Za-z][\w-]*/g.exec(quoted.replace(/^-\w, /, ""))?.[0] ?? quoted;
        if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown option ${option}`);
        if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw new UsageError(`unexpected argument ${JSON.stringify(quoted)}`);
        if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw new UsageError(`${option} needs a value`);
        throw new UsageError(err.message);
    }
    if (values.json && values.markdown) throw new UsageError("--json and --markdown exclude each other");
    const help = values.help === true;
    if (!values.stack && !help) throw new UsageError("--stack is required");
    return {
        stack: values.stack ?? "",
        program: values.program,
        policyPack: values["policy-pack"],
        policyConfig: values["policy-config"],
        datasetManifest: values["dataset-manifest"],
        format: values.json ? "json" : values.markdown ? "markdown" : "text",
        help,
    };
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
    return new Promise((resolve) => stream.write(text, () => resolve()));
}

/**
 * Sends everything written to stdout from now on (the Pulumi runtime's messages, the program's
 * console.log) to stderr, and returns a writer for the one thing stdout is for: the report.
 */
function reserveStdoutForTheReport(): (text: string) => Promise<void> {
    const stdoutWrite = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
        (process.stderr.write as (...a: unknown[]) => boolean)(chunk, ...rest));
    return (text) => new Promise((resolve) => stdoutWrite(text, () => resolve()));
}

export async function main(argv: string[]): Promise<number> {
    let args: PlanArgs;
    try {
        args = parseArgs(argv);
    } catch (e) {
        await write(process.stderr, `error: ${(e as Error).message}\n${USAGE}\n`);
        return EXIT.usage;
    }
    if (args.help) {
        await write(process.stdout, `${USAGE}\n`);
        return EXIT.passed;
    }
    const writeReport = reserveStdoutForTheReport();
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the arguments are checked: a bad command line answers at once
        const { makePlan } = require("./make-plan") as typeof MakePlan;
        const report = await makePlan(args);
        // Only now: the report's modules load the stack config schema and the SDK, which would
        // otherwise delay the start of the policy pack, the first thing makePlan does.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
        const { renderMarkdown, renderText } = require("./report") as typeof Report;
        const text = args.format === "json"
            ? JSON.stringify(report, null, 2) + "\n"
            : args.format === "markdown"
                ? renderMarkdown(report)
                : renderText(report);
        await writeReport(text);
        return report.summary.passed ? EXIT.passed : EXIT.mandatoryViolations;
    } catch (e) {
        if (e instanceof UsageError) {
            await write(process.stderr, `error: ${e.message}\n`);
            return EXIT.usage;
        }
        await write(process.stderr, `error: the plan could not run: ${describeError(e)}\n`);
        return EXIT.failed;
    }
}

/** Runs the command and exits with its code (plan/main.js). */
export function run(argv: string[]): void {
    // Last resort for a rejection that arrives after the program run was collected: a failed run.
    let failed = false;
    process.on("unhandledRejection", (e) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- only needed on this path
        const { collectingProgramFailures } = require("./run-program") as typeof RunProgram;
        if (failed || collectingProgramFailures()) return;
        failed = true;
        process.stderr.write(`error: the program failed: ${describeError(e)}\n`, () => process.exit(EXIT.failed));
    });
    main(argv).then(
        (code) => process.exit(code),
        (e) => process.stderr.write(`error: ${describeError(e)}\n`, () => process.exit(EXIT.failed)),
    );
}
