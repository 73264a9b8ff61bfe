import * as crypto from "crypto";
import * as path from "path";
import * as esbuild from "esbuild";

/** The Lambda runtime the bundle targets; the InferenceFunction component deploys on the same one. */
export const LAMBDA_RUNTIME = "nodejs24.x";
const ESBUILD_TARGET = "node24";

export interface HandlerBundle {
    /** The whole function as one CommonJS file (SDK included), to be deployed as `index.js`. */
    code: string;
    /** sha256 of `code`, hex: identical sources give an identical hash. */
    sha256: string;
}

/**
 * Bundles `lambda/handler.ts` and everything it imports (the AWS SDK included) into one minified
 * file, synchronously, so that `pulumi up` on a fresh clone needs no separate build step.
 */
export function bundleHandler(entry: string = path.join(__dirname, "handler.ts")): HandlerBundle {
    const result = esbuild.buildSync({
        entryPoints: [entry],
        bundle: true,
        minify: true,
        platform: "node",
        target: ESBUILD_TARGET,
        format: "cjs",
        write: false,
        legalComments: "none",
        // Keep the bundle byte-identical across machines: no absolute paths, no source maps.
        sourcemap: false,
        absWorkingDir: path.join(__dirname, ".."),
        logLevel: "silent",
    });
    const code = result.outputFiles[0].text;
    return { code, sha256: crypto.createHash("sha256").update(code).digest("hex") };
}
