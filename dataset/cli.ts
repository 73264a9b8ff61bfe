import * as fs from "fs";
import { Readable } from "stream";
import { CliOptions, USAGE, parseArgs } from "./args";
import { DatasetError, InterruptedError, UsageError, describe, signalName } from "./errors";
import { DownloadOptions, checkDownloadUrl, downloadToTempFile } from "./download";
import { openDirectorySource } from "./dir-source";
import { openZipSource } from "./zip-source";
import { DatasetSource } from "./source";
import { SPLITS, checkSameClasses } from "./layout";
import { MANIFEST_NAME, buildManifest, manifestKey, serializeManifest } from "./manifest";
import { forEachLimited } from "./pool";
import { ProgressBar, ProgressStream, formatBytes } from "./progress";
import { createS3Client, credentialsFromEnv, deleteObject, endpointFromEnv, listObjectSizes, readStoredSha256 } from "./s3";
import { findExtraneous, planUploads, readRemoteObjects, uploadFiles, uploadObject } from "./upload";
import { sha256Hex } from "./integrity";
import { VerifiedFile, verifyFiles } from "./verify";
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
    /**
     * Aborted (reason "SIGINT" or "SIGTERM") to stop the run: it stops at the next safe point and
     * says how far it got (cli-main.ts aborts it on Ctrl-C).
     */
    signal?: AbortSignal;
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
        if (err instanceof UsageError || err instanceof DatasetError || err instanceof InterruptedError) {
            say(`dataset:upload: ${err.message}`);
            return err.exitCode;
        }
        say(`dataset:upload: unexpected failure: ${describe(err)}`);
        return 1;
    }
}

const sample = (keys: readonly string[]) => `e.g. ${keys.slice(0, 3).join(", ")}${keys.length > 3 ? ", ..." : ""}`;

/**
 * Resolve, list, open the source, check its classes, verify every file (nothing is sent before
 * that), compare with the bucket by SHA-256, upload, prune, and write the manifest last.
 */
async function run(options: CliOptions, deps: MainDeps, say: (line: string) => void): Promise<void> {
    const { signal } = deps;
    // Cheap checks first, so a typo fails before a 1 GB download or any request.
    const spec = classifySource(options.source, deps.download ?? {});
    const target = await resolveTarget(options, {
        loadStackConfig: stack => deps.loadStackConfig(stack),
        readBucketOutput: stack => readBucketWithPulumi(stack, deps.env),
    });
    const destination = `s3://${target.bucket}/${target.prefix}`;
    const endpoint = endpointFromEnv(deps.env);
    const client = createS3Client({ region: target.region, endpoint, credentials: credentialsFromEnv(deps.env) });
    const s3 = { client, bucket: target.bucket, prefix: target.prefix, concurrency: options.concurrency, signal, partSizeBytes: options.partSizeMiB * 1024 * 1024 };
    const cleanups: (() => Promise<void>)[] = [];
    // What an interrupt that surfaces as some other error (a download cut off) reports.
    let stage = "before anything was uploaded";
    try {
        say(`target: ${destination} (${target.region}${endpoint ? `, endpoint ${endpoint}` : ""})`);
        // Listing first also proves the bucket exists and the credentials work.
        const existing = await listObjectSizes(client, target.bucket, target.prefix);

        const source = await openSource(spec, deps, cleanups);
        cleanups.push(() => source.close());
        const keys = source.files.map(f => f.key);
        const total = source.files.reduce((n, f) => n + f.size, 0);
        const classes = checkSameClasses(keys, source.label);
        say(`source: ${source.label}: ${source.files.length} files (${formatBytes(total)}) in ${SPLITS.join("/, ")}/, ` +
            `${classes.train.length} classes in train/ (the same in valid/ and test/)`);
        if (source.ignored.length > 0) {
            say(`ignored ${source.ignored.length} files outside ${SPLITS.join("/, ")}/: ${source.ignored.slice(0, 5).join(", ")}${source.ignored.length > 5 ? ", ..." : ""}`);
        }

        const extraneous = findExtraneous(keys, existing.keys(), target.prefix);
        if (extraneous.inSplits.length > 0 && !options.prune) {
            throw new DatasetError(`${destination} holds ${extraneous.inSplits.length} objects under ${SPLITS.join("/, ")}/ that the source lacks ` +
                `(${sample(extraneous.inSplits)}); the training jobs read everything there, so pass --prune to delete them ` +
                "(or choose another --prefix); nothing was uploaded");
        }
        if (extraneous.elsewhere.length > 0) {
            say(`note: ${extraneous.elsewhere.length} objects under ${destination} are not in the source; left as they are (${sample(extraneous.elsewhere)})`);
        }

        const verified = await withBar(deps, { label: "verify", filesTotal: source.files.length, bytesTotal: total },
            bar => verifyFiles(source.files, { concurrency: options.concurrency, signal, onProgress: (files, bytes) => bar.update(bytes, files) }));

        const sameSize = verified.filter(f => existing.get(target.prefix + f.key) === f.size).length;
        if (sameSize > 0 && !options.force) say(`compare: reading the SHA-256 of ${sameSize} objects already there with the same size`);
        const remote = options.force ? new Map() : await readRemoteObjects(verified, existing, s3);
        const plan = planUploads(verified, remote, target.prefix, options.force);
        const toDelete = options.prune ? extraneous.inSplits : [];
        say(`plan: upload ${plan.toUpload.length} (${formatBytes(plan.bytesToUpload)}), ` +
            `skip ${plan.skipped.length} already there with the same SHA-256 (${formatBytes(plan.bytesSkipped)})` +
            (options.prune ? `, delete ${toDelete.length} not in the source` : "") +
            (options.force ? " [--force: nothing skipped]" : ""));
        if (options.dryRun) {
            deps.stdout.write(`dry run: would upload ${plan.toUpload.length} files (${formatBytes(plan.bytesToUpload)}) and skip ${plan.skipped.length} ` +
                `(${formatBytes(plan.bytesSkipped)})${options.prune ? `, delete ${toDelete.length}` : ""} to ${destination}\n`);
            return;
        }

        // A manifest describes a complete dataset: the old one goes before the first change, and
        // the new one is written after the last, so a run cut off in between leaves none.
        const manifestAt = manifestKey(target.prefix);
        const changing = plan.toUpload.length > 0 || toDelete.length > 0;
        if (changing && existing.has(manifestAt)) {
            await deleteObject(client, target.bucket, manifestAt);
            say(`manifest: removed s3://${target.bucket}/${manifestAt} while the dataset changes; a new one is written once every object is in place`);
        }

        const started = (deps.now ?? Date.now)();
        const result = await withBar(deps, { label: "upload", filesTotal: plan.toUpload.length, bytesTotal: plan.bytesToUpload },
            bar => uploadFiles(plan.toUpload, { ...s3, onProgress: (files, bytes) => bar.update(bytes, files) }));
        const seconds = Math.max(0.001, ((deps.now ?? Date.now)() - started) / 1000);
        stage = `after all ${plan.toUpload.length} files were uploaded, before the manifest was written; ` +
            "run the same command again to finish (nothing is uploaded again)";
        await forEachLimited(toDelete, options.concurrency, key => deleteObject(client, target.bucket, key), signal);
        if (signal?.aborted) throw interrupted(signal, stage);

        const written = await writeManifest(verified, s3, changing ? undefined : existing.get(manifestAt));
        deps.stdout.write(
            `uploaded ${result.files} files (${formatBytes(result.bytes)}, ${result.multipart} by multipart) in ${seconds.toFixed(1)} s, ` +
            `skipped ${plan.skipped.length} already there (${formatBytes(plan.bytesSkipped)})` +
            (options.prune ? `, deleted ${toDelete.length} not in the source` : "") +
            `; ${destination} holds train/, valid/, test/\n`);
        deps.stdout.write(`manifest: s3://${target.bucket}/${manifestAt} ${written.unchanged ? "unchanged" : "written"}: ` +
            `contentHash ${written.contentHash} (${verified.length} objects, ${classes.train.length} classes)\n`);
    } catch (err) {
        if (signal?.aborted && !(err instanceof InterruptedError)) throw interrupted(signal, stage);
        throw err;
    } finally {
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        client.destroy();
    }
}

function interrupted(signal: AbortSignal, stage: string): InterruptedError {
    const name = signalName(signal);
    return new InterruptedError(name, `interrupted (${name}) ${stage}`);
}

/** A progress bar around one phase, finished (its final state printed) however the phase ends. */
async function withBar<T>(deps: MainDeps, options: { label: string; filesTotal?: number; bytesTotal?: number }, phase: (bar: ProgressBar) => Promise<T>): Promise<T> {
    const bar = new ProgressBar(deps.stderr, { ...options, now: deps.now });
    try {
        return await phase(bar);
    } finally {
        bar.finish();
    }
}

/**
 * Builds the manifest of the verified files and stores it as `<prefix>manifest.json`, unless the
 * one there (its size given as `existingSize`) already has these exact bytes.
 */
async function writeManifest(
    files: readonly VerifiedFile[],
    s3: Parameters<typeof uploadObject>[1],
    existingSize: number | undefined,
): Promise<{ contentHash: string; unchanged: boolean }> {
    const manifest = buildManifest(files.map(f => ({ key: f.key, size: f.size, sha256: f.sha256 })));
    const bytes = Buffer.from(serializeManifest(manifest), "utf8");
    const file: VerifiedFile = { key: MANIFEST_NAME, size: bytes.length, sha256: sha256Hex(bytes), open: () => Promise.resolve(Readable.from([bytes])) };
    const unchanged = existingSize === bytes.length
        && await readStoredSha256(s3.client, s3.bucket, manifestKey(s3.prefix)) === file.sha256;
    if (!unchanged) {
        try {
            await uploadObject(file, s3);
        } catch (err) {
            throw err instanceof DatasetError ? err : new DatasetError(`cannot write s3://${s3.bucket}/${manifestKey(s3.prefix)}: ${describe(err)}`);
        }
    }
    return { contentHash: manifest.contentHash, unchanged };
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
            const downloaded = await withBar(deps, { label: "download" }, bar =>
                downloadToTempFile(spec.url, {
                    ...deps.download,
                    signal: deps.signal,
                    onProgress: (bytes, total) => bar.update(bytes, undefined, total),
                }));
            cleanups.push(() => downloaded.cleanup());
            return openZipSource(downloaded.file, spec.url);
        }
    }
}
