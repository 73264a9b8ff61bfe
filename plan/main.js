#!/usr/bin/env node
// The `mlops-plan` command (package.json "bin", and `npm run plan`): registers the esbuild
// TypeScript loader before anything else, then runs plan/cli.ts. Without ts-node, so starting the
// plan costs no TypeScript compiler.
"use strict";

// Node 22.1+ keeps the V8 code of the modules it compiles on disk: compiling @pulumi/pulumi,
// @pulumi/aws and TypeScript (which the SDK loads to serialize closures) is most of a plan's time.
require("module").enableCompileCache?.();
require("./typescript-loader").registerFastTypeScript() || require("ts-node").register({ transpileOnly: true });
require("./cli.ts").run(process.argv.slice(2));
