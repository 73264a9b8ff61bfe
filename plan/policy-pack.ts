// Starts a policy pack the way the Pulumi CLI starts it for `pulumi preview --policy-pack <dir>`:
// the Node.js language host runs `node <@pulumi/pulumi/cmd/run-policy-pack> <engine> <pack dir>`
// in the pack's folder, with the stack's identity and config in the environment, and reads the
// gRPC port @pulumi/policy's server prints (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs,
// `RunPlugin`). The plan then speaks to it as the CLI does (analyzer-client.ts).
//
// One difference, chosen for speed and stated here: run-policy-pack compiles a TypeScript pack with
// ts-node and full type checking, which takes seconds for a pack that imports @pulumi/aws. By
// default the plan hands run-policy-pack `plan/pack-entry.js` as the program, which swaps in the
// esbuild loader (types stripped, no checking) and then loads the pack folder as run-policy-pack
// would; the pack's files, the @pulumi/policy server that serves them and the protocol are the
// same. `PLAN_PACK_LOADER=cli` starts the folder itself, exactly as the CLI does; the fidelity test
// checks that both give the same verdicts.

import { spawn } from "child_process";
import * as os from "os";
import * as path from "path";
import type * as AnalyzerClientModule from "./analyzer-client";
import type { AnalyzerClient, AnalyzerInfo, StackConfiguration } from "./analyzer-client";

export type PackLoader = "esbuild" | "cli";

export interface LaunchOptions {
    packDir: string;
    /** Default: `PLAN_PACK_LOADER`, else "esbuild". */
    loader?: PackLoader;
    /** What the language host puts in the pack's environment (project, stack, dry run, config). */
    stack?: StackConfiguration;
    timeoutMs?: number;
}

/** The pack could not start (its dependencies are missing, it does not compile, it exits). */
export class PackLaunchError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PackLaunchError";
    }
}

export function packLoaderFromEnv(): PackLoader {
    const value = process.env.PLAN_PACK_LOADER;
    if (value === undefined || value === "" || value === "esbuild") return "esbuild";
    if (value === "cli") return "cli";
    throw new PackLaunchError(`PLAN_PACK_LOADER=${JSON.stringify(value)} is not one of "esbuild", "cli"`);
}

/** The environment the Node.js language host gives a policy pack (`RunPlugin`). */
function packEnvironment(stack: StackConfiguration | undefined): NodeJS.ProcessEnv {
    // Node 22.1+ (ignored before): keep the compiled code of run-policy-pack, TypeScript and the
    // packages the pack loads on disk, as the plan's own process does (plan/main.js).
    const env: NodeJS.ProcessEnv = { NODE_COMPILE_CACHE: path.join(os.tmpdir(), "node-compile-cache"), ...process.env };
    if (!stack) return env;
    const set = (k: string, v: string | undefined) => {
        if (v) env[k] = v;
    };
    set("PULUMI_NODEJS_ORGANIZATION", stack.organization);
    set("PULUMI_NODEJS_PROJECT", stack.project);
    set("PULUMI_NODEJS_STACK", stack.stack);
    set("PULUMI_NODEJS_DRY_RUN", String(stack.dryRun));
    if (stack.config) set("PULUMI_CONFIG", JSON.stringify(stack.config));
    return env;
}

/** A running policy pack and the connection to it. */
export class PolicyPackProcess {
    private constructor(
        readonly client: AnalyzerClient,
        /** `GetAnalyzerInfo`: the pack's name, version and policies with their levels and schemas. */
        readonly info: AnalyzerInfo,
        readonly loader: PackLoader,
        /** The pack process's id (for measuring it). */
        readonly pid: number,
        private readonly cleanup: () => void,
    ) {}

    static async launch(opts: LaunchOptions): Promise<PolicyPackProcess> {
        const packDir = path.resolve(opts.packDir);
        const loader = opts.loader ?? packLoaderFromEnv();
        const timeoutMs = opts.timeoutMs ?? 120000;
        let runPolicyPack: string;
        try {
            runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
        } catch {
            // The CLI's own words for this case.
            throw new PackLaunchError(`it looks like the policy pack's dependencies are not installed; try running npm install or yarn install in "${packDir}"`);
        }
        // The engine address comes first (the pack does not use it here: it is never called back),
        // then the program: the pack folder, or the entry that loads it with esbuild.
        const program = loader === "cli" ? [packDir] : [path.join(__dirname, "pack-entry.js"), packDir];
        const child = spawn(process.execPath, [runPolicyPack, "127.0.0.1:0", ...program], {
            cwd: packDir,
            env: packEnvironment(opts.stack),
            stdio: ["ignore", "pipe", "pipe"],
        });
        const kill = () => {
            if (child.exitCode === null && child.signalCode === null) child.kill();
        };
        // Never outlive the plan, however it ends.
        process.once("exit", kill);
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        let port: number;
        try {
            port = await new Promise<number>((resolve, reject) => {
                let stdout = "";
                const timer = setTimeout(() => reject(new PackLaunchError(`the policy pack in ${packDir} printed no port within ${timeoutMs / 1000} s; its stderr:\n${stderr}`)), timeoutMs);
                child.stdout.setEncoding("utf8").on("data", (d: string) => {
                    stdout += d;
                    const line = stdout.split("\n").find((l) => /^\d+$/.test(l.trim()));
                    if (line) {
                        clearTimeout(timer);
                        resolve(Number(line.trim()));
                    }
                });
                child.on("error", (e) => {
                    clearTimeout(timer);
                    reject(new PackLaunchError(`the policy pack in ${packDir} could not start: ${e.message}`));
                });
                child.on("exit", (code, signal) => {
                    clearTimeout(timer);
                    reject(new PackLaunchError(`the policy pack in ${packDir} exited (${signal ?? `code ${code}`}) before serving:\n${stderr.trim()}`));
                });
            });
        } catch (e) {
            kill();
            throw e;
        }
        // It is served: its output no longer matters, nor to the plan's own lifetime. (A policy
        // that throws is reported in the failed request's answer.)
        for (const s of [child.stdout, child.stderr]) s.removeAllListeners("data").resume();
        child.removeAllListeners("exit");
        for (const s of [child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
        child.unref();
        const close = () => {
            process.off("exit", kill);
            kill();
        };
        // Loaded only now: the pack starts first, while gRPC and the stubs load here.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose, see above
        const { AnalyzerClient: Client } = require("./analyzer-client") as typeof AnalyzerClientModule;
        const client = new Client(`127.0.0.1:${port}`);
        try {
            // What the CLI sends once the pack serves, before any analysis.
            await client.handshake(packDir);
            if (opts.stack) await client.configureStack(opts.stack);
            const info = await client.getAnalyzerInfo();
            return new PolicyPackProcess(client, info, loader, child.pid!, close);
        } catch (e) {
            client.close();
            close();
            throw e;
        }
    }

    close(): void {
        this.client.close();
        this.cleanup();
    }
}
