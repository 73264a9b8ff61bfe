// Loads the program's TypeScript with esbuild instead of ts-node's per-file TypeScript compiler.
//
// Why: the plan runs a whole program (about 50 TypeScript files here) and ts-node's
// `transpileModule` costs tens of milliseconds per file, most of the plan's wall time; esbuild
// strips the types in about a millisecond. Types are not checked here: `npm test` (tsc --noEmit)
// and `pulumi preview` check them. Registered by plan/cli.ts before it loads anything else, so
// every .ts module the plan, the pack and the program load afterwards goes through it.
// Set PLAN_TS_LOADER=ts-node to keep ts-node's loader (for comparison or debugging).

import * as esbuild from "esbuild";
import * as fs from "fs";
import Module = require("module");

type Loader = (module: NodeJS.Module, filename: string) => void;

export function registerFastTypeScript(): boolean {
    if (process.env.PLAN_TS_LOADER === "ts-node") return false;
    const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
    // Error stacks point at the TypeScript lines through the inline source maps: Node's own
    // source-map support reads them, once ts-node's stack formatter (which only knows the files
    // ts-node compiled) steps aside.
    process.setSourceMapsEnabled(true);
    delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
    extensions[".ts"] = (module, filename) => {
        const source = fs.readFileSync(filename, "utf8");
        const { code } = esbuild.transformSync(source, {
            loader: "ts",
            format: "cjs",
            target: "es2022",
            sourcemap: "inline",
            sourcefile: filename,
            // Matches tsconfig.json: CommonJS interop as with esModuleInterop.
            tsconfigRaw: { compilerOptions: { esModuleInterop: true, useDefineForClassFields: true } },
        });
        (module as unknown as { _compile(code: string, filename: string): void })._compile(code, filename);
    };
    return true;
}
