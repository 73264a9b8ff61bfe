import * as fs from "fs";
import { CliOptions, USAGE, parseArgs } from "./args";
import { DatasetError, UsageError, describe } from "./errors";
import { DownloadOptions, checkDownloadUrl, downloadToTempFile } from "./download";
import { openDirectorySource } from "./dir-source";
import { openZipSource } from "./zip-source";
import { DatasetSource } from "./source";
import { SPLITS } from "./layout";
import { ProgressBar, ProgressStream, formatBytes } from "./progress";
import { createS3Client, credentialsFromEnv, endpointFromEnv, listObjectSizes } from "./s3";
import { planUploads, uploadFiles } from "./upload";
import { readBucketWithPulumi, resolveTarget } from "./target";

export interface MainDeps {
    env: NodeJS.ProcessEnv;
    stdout: ProgressStream;
    stderr: ProgressStream;
    /** plan/stack-config.ts loadStackConfig (injected so tests can use their own project dir). */
    loadStackConfig(stack: string): Record<string, string>;
    /** Only the programmatic API can allow plain-http origins (tests' loopback server). */
    download?: Pick<DownloadOptions, "insecureHttpOrigins">;
    /** Clock for the progress output. */
    now?: () => number;
}

type SourceSpec = { kind: "url"; url: string } | { kind: "zip"; path: string } | { kind: "dir"; path: string };

/** Runs the command; returns the exit code. Every failure is one line on stderr, never a trace. */
export async function main(argv: readonly string[], deps: MainDeps): Promise<number> {
    const say = (line: string) => deps.stderr.write(line + "\n");
    try {
        const options = parseArgs(argv);
        if (options.help) {
            deps.stdout.write(USAGE + "\n");
            return 0;
        }
        await run(options, deps, say);
        return 0;
    } catch (err) {
        if (err instanceof UsageError || err instanceof DatasetError) {
            say(`dataset:upload: ${err.message}`);
            return err.exitCode;
        }
        say(`dataset:upload: unexpected failure: ${describe(err)}`);
        return 1;
    }
}

async function run(options: CliOptions, deps: MainDeps, say: (line: string) => void): Promise<void> {
    // Cheap checks first, so a typo fails before a 1 GB download or any request.
    const spec = classifySource(options.source, deps.download ?? {});
    const target = await resolveTarget(options, {
        loadStackConfig: deps.loadStackConfig,
        readBucketOutput: stack => readBucketWithPulumi(stack, deps.env),
    });
    const destination = `s3://${target.bucket}/${target.prefix}`;
    const endpoint = endpointFromEnv(deps.env);
    const client = createS3Client({ region: target.region, endpoint, credentials: credentialsFromEnv(deps.env) });
    const cleanups: (() => Promise<void>)[] = [];
    try {
        say(`target: ${destination} (${target.region}${endpoint ? `, endpoint ${endpoint}` : ""})`);
        // Listing first also proves the bucket exists and the credentials work.
        const existing = await listObjectSizes(client, target.bucket, target.prefix);

        const source = await openSource(spec, deps, cleanups);
        cleanups.push(() => source.close());
        const classes = new Set(source.files.filter(f => f.key.startsWith("train/")).map(f => f.key.split("/")[1]));
        const total = source.files.reduce((n, f) => n + f.size, 0);
        say(`source: ${source.label}: ${source.files.length} files (${formatBytes(total)}) in ${SPLITS.join("/, ")}/, ${classes.size} classes in train/`);
        if (source.ignored.length > 0) {
            say(`ignored ${source.ignored.length} files outside ${SPLITS.join("/, ")}/: ${source.ignored.slice(0, 5).join(", ")}${source.ignored.length > 5 ? ", ..." : ""}`);
        }

        const plan = planUploads(source.files, existing, target.prefix, options.force);
        say(`plan: upload ${plan.toUpload.length} (${formatBytes(plan.bytesToUpload)}), ` +
            `skip ${plan.skipped.length} already there with the same size (${formatBytes(plan.bytesSkipped)})` +
            (options.force ? " [--force: nothing skipped]" : ""));
        if (plan.extraneous.length > 0) {
            say(`note: ${plan.extraneous.length} objects under ${destination} are not in the source; left as they are (e.g. ${plan.extraneous[0]})`);
        }
        if (options.dryRun) {
            deps.stdout.write(`dry run: would upload ${plan.toUpload.length} files (${formatBytes(plan.bytesToUpload)}) and skip ${plan.skipped.length} (${formatBytes(plan.bytesSkipped)}) to ${destination}\n`);
            return;
        }

        const bar = new ProgressBar(deps.stderr, { label: "upload", filesTotal: plan.toUpload.length, bytesTotal: plan.bytesToUpload, now: deps.now });
        const started = (deps.now ?? Date.now)();
        let result;
        try {
            result = await uploadFiles(plan.toUpload, {
                client,
                bucket: target.bucket,
                prefix: target.prefix,
                concurrency: options.concurrency,
                partSizeBytes: options.partSizeMiB * 1024 * 1024,
                onProgress: (files, bytes) => bar.update(bytes, files),
            });
        } finally {
            bar.finish();
        }
        const seconds = Math.max(0.001, ((deps.now ?? Date.now)() - started) / 1000);
        deps.stdout.write(
            `uploaded ${result.files} files (${formatBytes(result.bytes)}, ${result.multipart} by multipart) in ${seconds.toFixed(1)} s, ` +
            `skipped ${plan.skipped.length} already there (${formatBytes(plan.bytesSkipped)}); ${destination} holds train/, valid/, test/\n`);
    } finally {
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        client.destroy();
    }
}

function classifySource(source: string, download: Pick<DownloadOptions, "insecureHttpOrigins">): SourceSpec {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
        checkDownloadUrl(source, download);
        return { kind: "url", url: source };
    }
    let stat: fs.Stats;
    try {
        stat = fs.statSync(source);
    } catch {
        throw new UsageError(`source "${source}" does not exist (give an https URL, a .zip file or a directory)`);
    }
    if (stat.isDirectory()) return { kind: "dir", path: source };
    if (stat.isFile() && /\.zip$/i.test(source)) return { kind: "zip", path: source };
    throw new UsageError(`source "${source}" is neither a directory nor a .zip file`);
}

async function openSource(spec: SourceSpec, deps: MainDeps, cleanups: (() => Promise<void>)[]): Promise<DatasetSource> {
    switch (spec.kind) {
        case "dir":
            return openDirectorySource(spec.path);
        case "zip":
            return openZipSource(spec.path);
        case "url": {
            const bar = new ProgressBar(deps.stderr, { label: "download", now: deps.now });
            const downloaded = await downloadToTempFile(spec.url, {
                ...deps.download,
                onProgress: (bytes, total) => bar.update(bytes, undefined, total),
            });
            bar.finish();
            cleanups.push(downloaded.cleanup);
            return openZipSource(downloaded.file, spec.url);
        }
    }
}
