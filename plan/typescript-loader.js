// Loads TypeScript modules with esbuild instead of ts-node's per-file TypeScript compiler.
//
// Why: the plan runs a whole program (about 50 TypeScript files here) and a policy pack, and
// ts-node's `transpileModule` costs tens of milliseconds per file (with type checking, as the
// Pulumi CLI runs a pack, seconds); esbuild strips the types in about a millisecond. Types are not
// checked here: `npm test` (tsc --noEmit) and `pulumi preview` check them. Plain JavaScript, so
// that it can be the first thing a process loads (plan/main.js, plan/pack-entry.js) and replace
// whatever `.ts` loader was registered before it.
//
// Source maps are kept per file and read only when an error is shown (`originalPosition`), not
// enabled for the whole process: Node would then map every frame of the stack trace the Pulumi SDK
// captures for each resource it registers, which costs a quarter of a plan.
// The JavaScript of each file is kept in the build cache (lib/content-cache.js), keyed by the
// file's path and content, esbuild's version and the options: a plan then starts no esbuild at all
// for files it has seen, in the plan's process and in the pack's alike.
// Set PLAN_TS_LOADER=ts-node to keep ts-node's loader in the plan (for comparison or debugging).
"use strict";

const fs = require("fs");
const Module = require("module");
const { ContentCache, contentKey } = require("../lib/content-cache");

/** TypeScript file -> the source map of the JavaScript it was compiled to. */
const sourceMaps = new Map();

/**
 * Makes every `.ts` module loaded from now on go through esbuild. Returns false (and changes
 * nothing) when PLAN_TS_LOADER=ts-node asks for ts-node's loader.
 * @returns {boolean}
 */
function registerFastTypeScript() {
    if (process.env.PLAN_TS_LOADER === "ts-node") return false;
    const cache = new ContentCache("typescript");
    // esbuild starts a service process on first use: only load it on a cache miss.
    const esbuildVersion = require("esbuild/package.json").version;
    const optionsText = JSON.stringify(TRANSFORM_OPTIONS);
    Module._extensions[".ts"] = (module, filename) => {
        const source = fs.readFileSync(filename, "utf8");
        const key = contentKey(esbuildVersion, optionsText, filename, source);
        let compiled = cache.get(key);
        if (!isCompiled(compiled)) {
            const { code, map } = require("esbuild").transformSync(source, { ...TRANSFORM_OPTIONS, sourcefile: filename });
            compiled = { code, map };
            cache.set(key, compiled);
        }
        sourceMaps.set(filename, compiled.map);
        module._compile(compiled.code, filename);
    };
    return true;
}

const TRANSFORM_OPTIONS = {
    loader: "ts",
    format: "cjs",
    target: "es2022",
    sourcemap: "external",
    // Matches tsconfig.json: CommonJS interop as with esModuleInterop.
    tsconfigRaw: { compilerOptions: { esModuleInterop: true, useDefineForClassFields: true } },
};

/** @returns {value is { code: string, map: string }} */
function isCompiled(value) {
    return typeof value === "object" && value !== null && typeof value.code === "string" && typeof value.map === "string";
}

/** The source map of a TypeScript file this loader compiled, as JSON text. */
function sourceMapOf(filename) {
    return sourceMaps.get(filename);
}

/**
 * Where a 1-based `line`:`column` of the code compiled from `filename` is in the TypeScript file,
 * or undefined when this loader did not compile it.
 * @returns {{ line: number, column: number } | undefined}
 */
function originalPosition(filename, line, column) {
    const map = sourceMaps.get(filename);
    if (!map) return undefined;
    const entry = new Module.SourceMap(JSON.parse(map)).findEntry(line - 1, column - 1);
    if (!entry || entry.originalLine === undefined) return undefined;
    return { line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}

module.exports = { registerFastTypeScript, sourceMapOf, originalPosition };
