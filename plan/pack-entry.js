// The program the plan hands to @pulumi/pulumi/cmd/run-policy-pack instead of the pack's folder:
// `node run-policy-pack <engine> plan/pack-entry.js <pack dir>` in the pack's folder. It swaps the
// ts-node loader run-policy-pack registered (with type checking, seconds for a pack that imports
// @pulumi/aws) for esbuild's, then loads the pack as run-policy-pack loads a program:
// `require(<pack dir>)`, whose `new PolicyPack(...)` starts @pulumi/policy's server.
"use strict";

const path = require("path");
const { registerFastTypeScript, sourceMapOf } = require("./typescript-loader");

const packDir = process.argv[2];
if (!packDir) {
    console.error("usage: run-policy-pack <engine> pack-entry.js <pack dir>");
    process.exit(2);
}
const fast = registerFastTypeScript();
if (fast) {
    // @pulumi/policy's server formats a crashing policy's stack with source-map-support, which
    // would look for a source map in the .ts file itself: hand it the ones esbuild made.
    try {
        const policyDir = path.dirname(require.resolve("@pulumi/policy", { paths: [path.resolve(packDir)] }));
        const sourceMapSupport = require(require.resolve("source-map-support", { paths: [policyDir] }));
        sourceMapSupport.install({
            retrieveSourceMap: (source) => {
                const map = sourceMapOf(source);
                return map ? { url: source, map } : null;
            },
        });
    } catch {
        // Without it, stacks point at the compiled lines; nothing else changes.
    }
}
require(path.resolve(packDir));
