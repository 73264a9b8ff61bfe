import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as esbuild from "esbuild";
import { ContentCache, contentKey } from "../lib/content-cache";

/** The Lambda runtime the bundle targets; the InferenceFunction component deploys on the same one. */
export const LAMBDA_RUNTIME = "nodejs24.x";
const ESBUILD_TARGET = "node24";

export interface HandlerBundle {
    /** The whole function as one CommonJS file (SDK included), to be deployed as `index.js`. */
    code: string;
    /** sha256 of `code`, hex: identical sources give an identical hash. */
    sha256: string;
}

const PROJECT_DIR = path.join(__dirname, "..");

/** A bundle kept in the build cache with the files it was built from and their hashes. */
interface CachedBundle {
    /** [path relative to the project, sha256 of its content] for every file esbuild read. */
    inputs: [string, string][];
    code: string;
}

function fileHash(relative: string): string | undefined {
    try {
        return crypto.createHash("sha256").update(fs.readFileSync(path.join(PROJECT_DIR, relative))).digest("hex");
    } catch {
        return undefined;
    }
}

function isCachedBundle(value: unknown): value is CachedBundle {
    const v = value as Partial<CachedBundle> | undefined;
    return typeof v?.code === "string" && Array.isArray(v.inputs);
}

/**
 * Bundles `lambda/handler.ts` and everything it imports (the AWS SDK included) into one minified
 * file, synchronously, so that `pulumi up` on a fresh clone needs no separate build step.
 *
 * The bundle is kept in the build cache (lib/content-cache.js) with the hash of every file it was
 * built from (about 500, mostly the SDK): when none changed, the cached bundle is the one esbuild
 * would produce again, and every plan and preview after the first skips the build.
 */
export function bundleHandler(entry: string = path.join(__dirname, "handler.ts")): HandlerBundle {
    const options: esbuild.BuildOptions & { write: false; metafile: true } = {
        entryPoints: [path.relative(PROJECT_DIR, entry)],
        bundle: true,
        minify: true,
        platform: "node",
        target: ESBUILD_TARGET,
        format: "cjs",
        write: false,
        metafile: true,
        legalComments: "none",
        // Keep the bundle byte-identical across machines: no absolute paths, no source maps.
        sourcemap: false,
        absWorkingDir: PROJECT_DIR,
        logLevel: "silent",
    };
    const cache = new ContentCache("lambda-bundle");
    // The lock file is in the key: an install that changes how an import resolves (a package's
    // `main` or `exports`) may leave every file the last build read unchanged.
    const key = contentKey(esbuild.version, JSON.stringify(options), fileHash("package-lock.json") ?? "");
    const cached = cache.get(key);
    let code: string;
    if (isCachedBundle(cached) && cached.inputs.every(([file, hash]) => fileHash(file) === hash)) {
        code = cached.code;
    } else {
        const result = esbuild.buildSync(options);
        code = result.outputFiles[0].text;
        const inputs = Object.keys(result.metafile.inputs).map((file): [string, string] => [file, fileHash(file) ?? ""]);
        cache.set(key, { inputs, code } satisfies CachedBundle);
    }
    return { code, sha256: crypto.createHash("sha256").update(code).digest("hex") };
}
