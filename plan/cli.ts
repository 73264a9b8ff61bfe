// npm run plan -- --stack <name> [--program <file.ts>] [--policy-config <file>] [--dataset-manifest <file>] [--json | --markdown]
//
// The credential-free plan: runs a Pulumi program under Pulumi's mock runtime with the stack's
// config, evaluates the policy pack as `pulumi preview --policy-pack policies` would, and prints
// the resource tree, every violation, what was not applicable and the cost estimate.
// Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 usage error (bad flag, unknown
// stack, unreadable or invalid policy config), 3 the program or a policy failed to run.

import { UsageError } from "./errors";
import { registerFastTypeScript } from "./fast-typescript";
import type * as MakePlan from "./make-plan";
import type * as Report from "./report";
import type * as RunProgram from "./run-program";

export const USAGE = "usage: npm run plan -- --stack <name> [--program <file.ts>] [--policy-config <file>] [--dataset-manifest <file>] [--json | --markdown]";

export interface PlanArgs {
    stack: string;
    program?: string;
    policyConfig?: string;
    /** A dataset manifest the stack's bucket is assumed to hold (default: none, as on a new stack). */
    datasetManifest?: string;
    format: "text" | "json" | "markdown";
}

/** Parses the command line; throws UsageError naming the bad argument. */
export function parseArgs(argv: string[]): PlanArgs {
    let stack: string | undefined;
    let program: string | undefined;
    let policyConfig: string | undefined;
    let datasetManifest: string | undefined;
    let format: PlanArgs["format"] | undefined;
    const value = (i: number, flag: string): string => {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
        return v;
    };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
        const take = () => (inline !== undefined ? inline : value(i++, flag));
        switch (flag) {
            case "--stack":
            case "-s":
                stack = take();
                break;
            case "--program":
                program = take();
                break;
            case "--policy-config":
                policyConfig = take();
                break;
            case "--dataset-manifest":
                datasetManifest = take();
                break;
            case "--json":
            case "--markdown": {
                const f = flag === "--json" ? "json" : "markdown";
                if (format && format !== f) throw new UsageError("--json and --markdown exclude each other");
                format = f;
                break;
            }
            case "--help":
            case "-h":
                throw new UsageError("help");
            default:
                throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
        }
    }
    if (!stack) throw new UsageError("--stack is required");
    return { stack, program, policyConfig, datasetManifest, format: format ?? "text" };
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
    return new Promise((resolve) => stream.write(text, () => resolve()));
}

export async function main(argv: string[]): Promise<number> {
    let args: PlanArgs;
    try {
        args = parseArgs(argv);
    } catch (e) {
        const help = (e as Error).message === "help";
        await write(help ? process.stdout : process.stderr, help ? `${USAGE}\n` : `error: ${(e as Error).message}\n${USAGE}\n`);
        return help ? 0 : 2;
    }
    try {
        // Loaded only now, so that they and the program go through the fast TypeScript loader.
        registerFastTypeScript();
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const { makePlan }: typeof MakePlan = require("./make-plan");
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const { renderMarkdown, renderText }: typeof Report = require("./report");
        const report = await makePlan(args);
        const text = args.format === "json"
            ? JSON.stringify(report, null, 2) + "\n"
            : args.format === "markdown"
                ? renderMarkdown(report)
                : renderText(report);
        await write(process.stdout, text);
        return report.summary.passed ? 0 : 1;
    } catch (e) {
        if (e instanceof UsageError) {
            await write(process.stderr, `error: ${e.message}\n`);
            return 2;
        }
        // A RunError (the program's config errors) is the user's mistake, not the program's: as
        // `pulumi preview` does, print its message without a stack.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed, like the modules above
        const { RunError } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        const detail = RunError.isInstance(e) ? e.message : e instanceof Error ? e.stack ?? e.message : String(e);
        await write(process.stderr, `error: the plan could not run: ${detail}\n`);
        return 3;
    }
}

if (require.main === module) {
    // Last resort for a rejection that arrives after the program run was collected: a failed run.
    let failed = false;
    process.on("unhandledRejection", (e) => {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const { collectingProgramFailures }: typeof RunProgram = require("./run-program");
        if (failed || collectingProgramFailures()) return;
        failed = true;
        process.stderr.write(`error: the program failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`, () => process.exit(3));
    });
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`error: ${String(e)}\n`, () => process.exit(3));
        },
    );
}
