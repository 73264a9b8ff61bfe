import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "../../dataset/s3";
import { loadStackConfig } from "../../plan/stack-config";
import { MainDeps } from "../../dataset/cli";

/** s3rver's built-in account. */
export const S3RVER_KEYS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const BUCKET = "mlops-test-data";
export const REGION = "us-east-1";

export function tempDir(label: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `mlops-${label}-`));
}

export interface LocalS3 {
    endpoint: string;
    client: S3Client;
    /** Every object the server created since the last reset, in order: PutObject gives "ObjectCreated:Put", a completed multipart upload "ObjectCreated:Post". */
    created(): { event: string; key: string }[];
    resetCreated(): void;
    close(): Promise<void>;
}

/** s3rver on 127.0.0.1, a random port, a temp directory, with BUCKET created (see s3rver-process.js). */
export async function startLocalS3(): Promise<LocalS3> {
    const directory = tempDir("s3rver");
    const eventsFile = path.join(directory, "..", `${path.basename(directory)}.events`);
    fs.writeFileSync(eventsFile, "");
    const child = spawn(process.execPath, ["--openssl-legacy-provider", path.join(__dirname, "s3rver-process.js"), directory, BUCKET, eventsFile], {
        stdio: ["pipe", "pipe", "inherit"],
    });
    const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            const line = out.split("\n")[0];
            if (out.includes("\n")) resolve((JSON.parse(line) as { port: number }).port);
        });
        child.on("exit", code => reject(new Error(`s3rver exited with ${code} before listening`)));
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const client = createS3Client({ region: REGION, endpoint, credentials: S3RVER_KEYS });
    return {
        endpoint,
        client,
        created: () => fs.readFileSync(eventsFile, "utf8").split("\n").filter(Boolean).map(l => JSON.parse(l) as { event: string; key: string }),
        resetCreated: () => fs.writeFileSync(eventsFile, ""),
        close: async () => {
            client.destroy();
            const exited = new Promise(resolve => child.once("exit", resolve));
            child.stdin.end();
            await exited;
            fs.rmSync(directory, { recursive: true, force: true });
            fs.rmSync(eventsFile, { force: true });
        },
    };
}

/** A tiny dogImages-shaped dataset: relative path -> bytes (random, so sizes and content vary). */
export function tinyDataset(root = "dogImages/"): Map<string, Buffer> {
    const files = new Map<string, Buffer>();
    const classes = ["001.Affenpinscher", "002.Afghan_hound", "003.Airedale_terrier"];
    const perSplit = { train: 3, valid: 1, test: 1 };
    let n = 0;
    for (const [split, count] of Object.entries(perSplit)) {
        for (const cls of classes) {
            for (let i = 1; i <= count; i++) {
                n++;
                const name = `${cls.split(".")[1]}_${String(n).padStart(5, "0")}.jpg`;
                files.set(`${root}${split}/${cls}/${name}`, crypto.randomBytes(200 + n * 37));
            }
        }
    }
    return files;
}

/** Junk a zip made on a Mac carries: resource forks, Finder files. */
export function macJunk(root = "dogImages/"): Map<string, Buffer> {
    return new Map([
        [`__MACOSX/${root}train/._001.Affenpinscher`, Buffer.from("fork")],
        [`${root}.DS_Store`, Buffer.from("finder")],
        [`${root}train/.DS_Store`, Buffer.from("finder")],
    ]);
}

export function writeTree(dir: string, files: Map<string, Buffer>): void {
    for (const [rel, data] of files) {
        const abs = path.join(dir, ...rel.split("/"));
        fs.mkdirSync(path.dirname(abs), { recursive: true });
        fs.writeFileSync(abs, data);
    }
}

/**
 * A standard zip (deflate, with directory entries) written by hand, so tests need no zip tool:
 * local headers, data, central directory, end record (APPNOTE 4.3).
 */
export function writeZip(file: string, files: Map<string, Buffer>, options: { directoryEntries?: boolean; wrongSizeFor?: string; wrongCrcFor?: string } = {}): void {
    const entries: [string, Buffer][] = [];
    if (options.directoryEntries ?? true) {
        const dirs = new Set<string>();
        for (const name of files.keys()) {
            const parts = name.split("/");
            for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/") + "/");
        }
        for (const d of [...dirs].sort()) entries.push([d, Buffer.alloc(0)]);
    }
    entries.push(...files);

    const chunks: Buffer[] = [];
    const central: Buffer[] = [];
    let offset = 0;
    for (const [name, data] of entries) {
        const nameBytes = Buffer.from(name, "utf8");
        const isDir = name.endsWith("/");
        const compressed = isDir ? data : zlib.deflateRawSync(data);
        const method = isDir ? 0 : 8;
        // A damaged entry: its data does not match the CRC-32 its headers give (one bit of it flipped).
        const crc = (zlib.crc32(data) ^ (name === options.wrongCrcFor ? 1 : 0)) >>> 0;
        // A damaged entry: its headers promise one byte more than it inflates to.
        const declared = data.length + (name === options.wrongSizeFor ? 1 : 0);
        const local = Buffer.alloc(30);
        local.writeUInt32LE(0x04034b50, 0);
        local.writeUInt16LE(20, 4);
        local.writeUInt16LE(0x0800, 6); // UTF-8 names
        local.writeUInt16LE(method, 8);
        local.writeUInt16LE(0, 10);
        local.writeUInt16LE(0x21, 12); // 1980-01-01
        local.writeUInt32LE(crc, 14);
        local.writeUInt32LE(compressed.length, 18);
        local.writeUInt32LE(declared, 22);
        local.writeUInt16LE(nameBytes.length, 26);
        local.writeUInt16LE(0, 28);
        chunks.push(local, nameBytes, compressed);

        const cd = Buffer.alloc(46);
        cd.writeUInt32LE(0x02014b50, 0);
        cd.writeUInt16LE(20, 4);
        cd.writeUInt16LE(20, 6);
        cd.writeUInt16LE(0x0800, 8);
        cd.writeUInt16LE(method, 10);
        cd.writeUInt16LE(0, 12);
        cd.writeUInt16LE(0x21, 14);
        cd.writeUInt32LE(crc, 16);
        cd.writeUInt32LE(compressed.length, 20);
        cd.writeUInt32LE(declared, 24);
        cd.writeUInt16LE(nameBytes.length, 28);
        cd.writeUInt32LE(isDir ? 0x10 : 0, 38);
        cd.writeUInt32LE(offset, 42);
        central.push(cd, nameBytes);
        offset += local.length + nameBytes.length + compressed.length;
    }
    const centralBytes = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(centralBytes.length, 12);
    end.writeUInt32LE(offset, 16);
    fs.writeFileSync(file, Buffer.concat([...chunks, centralBytes, end]));
}

/** A project folder with Pulumi.yaml (project mlops) and Pulumi.<stack>.yaml holding `config`. */
export function writeProject(dir: string, stacks: Record<string, Record<string, unknown>>): void {
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: mlops\nruntime: nodejs\n");
    for (const [stack, config] of Object.entries(stacks)) {
        fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), JSON.stringify({ config }, null, 2)); // JSON is YAML
    }
}

/** Captures what main() writes. */
export class Capture {
    text = "";
    isTTY = false;
    write(s: string): boolean {
        this.text += s;
        return true;
    }
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Deps for main(): a temp project's stack config, s3rver's endpoint and keys, nothing from process.env. */
export function mainDeps(projectDir: string, endpoint: string | undefined, extra: Partial<MainDeps> = {}): MainDeps & { out: Capture; err: Capture } {
    const out = new Capture();
    const err = new Capture();
    const env: NodeJS.ProcessEnv = { PATH: "", AWS_ACCESS_KEY_ID: S3RVER_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_KEYS.secretAccessKey };
    if (endpoint) env.AWS_ENDPOINT_URL_S3 = endpoint;
    return { env, stdout: out, stderr: err, loadStackConfig: stack => loadStackConfig(stack, projectDir), out, err, ...extra };
}

/** A plain-http server on 127.0.0.1 with the given handler; resolves to its origin. */
export async function startHttpServer(handler: http.RequestListener): Promise<{ origin: string; close(): Promise<void> }> {
    const server = http.createServer(handler);
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        origin: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>(resolve => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>(resolve => server.close(() => resolve()));
    return port;
}
