// npm run bench:plan [-- --runs N --stack dev]
//
// Wall time of the offline plan of a stack (the program under mocks in one process, the policy
// pack served by @pulumi/policy in another, as the CLI runs it), next to the floor any such tool
// pays: starting Node and loading @pulumi/aws and @pulumi/policy. All run as fresh child processes
// (as a user or CI runs them), several times, interleaved, and the medians and their ratio are
// printed in one run. The parts: the program alone under the mocks, this pack starting alone, and
// a pack with no policy started the same way (what any pack costs through run-policy-pack).

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";

const REPO = path.resolve(__dirname, "..");

/** The whole pipeline is planned (jobs included), as pull requests plan it. */
const SAMPLE_MANIFEST = "plan/sample-dataset-manifest.json";

/** Runs the program under the mocks as the plan does, without the pack: the plan's own process, alone. */
const PROGRAM_ALONE = (stack: string) => `require("module").enableCompileCache?.(); require("./plan/typescript-loader").registerFastTypeScript();
const datasetManifest = require("fs").readFileSync(${JSON.stringify(SAMPLE_MANIFEST)}, "utf8");
require("./plan/run-program.ts").runProgram({ stack: ${JSON.stringify(stack)}, program: "index.ts", datasetManifest }).then(() => process.exit(0));`;

/** Starts a pack as the plan does and exits once it serves: the plan's other process, alone. */
const PACK_ALONE = (packDir: string, loader: string) => `require("./plan/typescript-loader").registerFastTypeScript();
require("./plan/policy-pack.ts").PolicyPackProcess.launch({ packDir: ${JSON.stringify(packDir)}, loader: ${JSON.stringify(loader)} }).then((p) => { p.close(); process.exit(0); });`;

/**
 * A policy pack with no policy, in plain JavaScript, in a temporary folder that sees this
 * repository's node_modules: what starting any pack through run-policy-pack costs.
 */
function emptyPack(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-empty-pack-"));
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "empty-pack", version: "0.0.0", main: "index.js" }));
    fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
    fs.writeFileSync(path.join(dir, "index.js"), 'const { PolicyPack } = require("@pulumi/policy");\nnew PolicyPack("empty", { policies: [] });\n');
    return dir;
}

interface Sample {
    label: string;
    command: string[];
    ms: number[];
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function time(command: string[], acceptCodes: number[]): number {
    const start = process.hrtime.bigint();
    const run = spawnSync(command[0], command.slice(1), {
        cwd: REPO,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (run.error) throw run.error;
    if (!acceptCodes.includes(run.status ?? -1)) {
        throw new Error(`${command.join(" ")} exited ${run.status}:\n${run.stderr}`);
    }
    return ms;
}

const USAGE = "usage: npm run bench:plan -- [--runs N] [--stack name]";

function parse(argv: string[]): { runs: number; stack: string } {
    let values: { runs?: string; stack?: string };
    try {
        ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { runs: { type: "string" }, stack: { type: "string" } } }));
    } catch (e) {
        throw new Error(`${(e as Error).message} (${USAGE})`);
    }
    const runs = Number(values.runs ?? "5");
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number >= 1 (got ${values.runs})`);
    return { runs, stack: values.stack ?? "dev" };
}

function main(): void {
    const { runs, stack } = parse(process.argv.slice(2));
    const node = process.execPath;
    const empty = emptyPack();
    process.on("exit", () => fs.rmSync(empty, { recursive: true, force: true }));
    const samples: Sample[] = [
        {
            label: "floor: node, require @pulumi/aws + @pulumi/policy",
            command: [node, "-e", "require('@pulumi/aws'); require('@pulumi/policy')"],
            ms: [],
        },
        {
            label: `offline plan: npm run -s plan -- --stack ${stack} --json (sample dataset)`,
            command: [node, "plan/main.js", "--stack", stack, "--dataset-manifest", SAMPLE_MANIFEST, "--json"],
            ms: [],
        },
        {
            label: "  part: the program alone under the mocks (no pack)",
            command: [node, "-e", PROGRAM_ALONE(stack)],
            ms: [],
        },
        {
            label: "  part: the policy pack starting alone, until it serves",
            command: [node, "-e", PACK_ALONE("policies", "esbuild")],
            ms: [],
        },
        {
            label: "  baseline: a pack with no policy, started the same way",
            command: [node, "-e", PACK_ALONE(empty, "cli")],
            ms: [],
        },
    ];
    // Warm the file cache once so the first sample does not pay for the disk.
    for (const s of samples) time(s.command, [0, 1]);
    // Interleave the commands so background load affects them alike.
    for (let i = 0; i < runs; i++) {
        for (const s of samples) s.ms.push(time(s.command, [0, 1]));
    }

    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    console.log(`bench:plan: ${runs} runs each (interleaved, after one warm-up), median wall time`);
    console.log(`  node ${process.version}, ${os.cpus().length} CPUs (${cpu}), ${os.platform()} ${os.release()}, load average ${os.loadavg()[0].toFixed(1)}`);
    for (const s of samples) {
        const min = Math.min(...s.ms);
        const max = Math.max(...s.ms);
        console.log(`  ${s.label.padEnd(58)} ${median(s.ms).toFixed(0).padStart(6)} ms  (min ${min.toFixed(0)}, max ${max.toFixed(0)})`);
    }
    const floor = median(samples[0].ms);
    const plan = median(samples[1].ms);
    console.log(`  ratio plan / floor: ${(plan / floor).toFixed(2)}x  (target <= 2)`);
}

try {
    main();
} catch (e) {
    console.error(`bench:plan: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
}
