// The program the plan hands to @pulumi/pulumi/cmd/run-policy-pack instead of the pack's folder:
// `node run-policy-pack <engine> plan/pack-entry.js <pack dir>` in the pack's folder. It swaps the
// ts-node loader run-policy-pack registered (with type checking, seconds for a pack that imports
// @pulumi/aws) for esbuild's, then loads the pack as run-policy-pack loads a program:
// `require(<pack dir>)`, whose `new PolicyPack(...)` starts @pulumi/policy's server.
"use strict";

const path = require("path");
const { registerFastTypeScript } = require("./typescript-loader");

const packDir = process.argv[2];
if (!packDir) {
    console.error("usage: run-policy-pack <engine> pack-entry.js <pack dir>");
    process.exit(2);
}
registerFastTypeScript();
require(path.resolve(packDir));
