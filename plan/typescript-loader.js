// Loads TypeScript modules with esbuild instead of ts-node's per-file TypeScript compiler.
//
// Why: the plan runs a whole program (about 50 TypeScript files here) and a policy pack, and
// ts-node's `transpileModule` costs tens of milliseconds per file (with type checking, as the
// Pulumi CLI runs a pack, seconds); esbuild strips the types in about a millisecond. Types are not
// checked here: `npm test` (tsc --noEmit) and `pulumi preview` check them. Plain JavaScript, so
// that it can be the first thing a process loads (plan/main.js, plan/pack-entry.js) and replace
// whatever `.ts` loader was registered before it.
// Set PLAN_TS_LOADER=ts-node to keep ts-node's loader in the plan (for comparison or debugging).
"use strict";

const fs = require("fs");
const Module = require("module");

/**
 * Makes every `.ts` module loaded from now on go through esbuild. Returns false (and changes
 * nothing) when PLAN_TS_LOADER=ts-node asks for ts-node's loader.
 * @returns {boolean}
 */
function registerFastTypeScript() {
    if (process.env.PLAN_TS_LOADER === "ts-node") return false;
    const esbuild = require("esbuild");
    // Error stacks point at the TypeScript lines through the inline source maps: Node's own
    // source-map support reads them, once any stack formatter installed before (ts-node's, which
    // only knows the files it compiled) steps aside.
    process.setSourceMapsEnabled(true);
    delete Error.prepareStackTrace;
    Module._extensions[".ts"] = (module, filename) => {
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
        module._compile(code, filename);
    };
    return true;
}

module.exports = { registerFastTypeScript };
