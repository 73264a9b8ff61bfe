import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

/**
 * A deterministic `sourcedir.tar.gz` of the training code: the same files give the same bytes
 * (sorted entries, zeroed timestamps and owners, normalised modes, fixed gzip header), so the
 * archive's hash identifies the code and drives the content-addressed job names.
 */

/** What never belongs in the archive SageMaker unpacks: tests, caches, editor litter. */
const EXCLUDED = [/^tests(\/|$)/, /(^|\/)__pycache__(\/|$)/, /\.pyc$/, /(^|\/)\.pytest_cache(\/|$)/, /(^|\/)\.DS_Store$/, /(^|\/)\.[^/]*\.swp$/];

export interface SourceArchive {
    bytes: Buffer;
    sha256: string;
    files: string[];
}

export function listSourceFiles(root: string): string[] {
    const files: string[] = [];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
            const rel = dir ? `${dir}/${entry.name}` : entry.name;
            if (EXCLUDED.some(re => re.test(rel))) continue;
            if (entry.isDirectory()) walk(rel);
            else if (entry.isFile()) files.push(rel);
        }
    };
    walk("");
    return files.sort();
}

export function buildSourceArchive(root: string): SourceArchive {
    const files = listSourceFiles(root);
    if (!files.includes("train.py")) {
        throw new Error(`the training code folder ${root} has no train.py, which SageMaker runs (sagemaker_program)`);
    }
    const blocks: Buffer[] = [];
    for (const rel of files) {
        const full = path.join(root, rel);
        const content = fs.readFileSync(full);
        const executable = (fs.statSync(full).mode & 0o111) !== 0;
        blocks.push(tarHeader(rel, content.length, executable ? 0o755 : 0o644));
        blocks.push(content);
        const padding = (512 - (content.length % 512)) % 512;
        if (padding) blocks.push(Buffer.alloc(padding));
    }
    blocks.push(Buffer.alloc(1024)); // two zero blocks end a tar stream
    // Node writes gzip headers with mtime 0 and a fixed OS byte, so the output depends on content only.
    const bytes = zlib.gzipSync(Buffer.concat(blocks), { level: 9 });
    return { bytes, sha256: crypto.createHash("sha256").update(bytes).digest("hex"), files };
}

/** A POSIX ustar header with every varying field (time, owner) fixed. */
function tarHeader(name: string, size: number, mode: number): Buffer {
    const header = Buffer.alloc(512);
    let prefix = "";
    let base = name;
    if (Buffer.byteLength(name) > 100) {
        const cut = name.lastIndexOf("/", 155);
        if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) {
            throw new Error(`path too long for a tar header: ${name}`);
        }
        prefix = name.slice(0, cut);
        base = name.slice(cut + 1);
    }
    const write = (value: string, offset: number, length: number) => header.write(value, offset, length, "utf8");
    const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, "0") + "\0";
    write(base, 0, 100);
    write(octal(mode, 8), 100, 8);
    write(octal(0, 8), 108, 8); // uid
    write(octal(0, 8), 116, 8); // gid
    write(octal(size, 12), 124, 12);
    write(octal(0, 12), 136, 12); // mtime
    write("        ", 148, 8); // checksum is computed with this field as spaces
    write("0", 156, 1); // regular file
    write("ustar\0", 257, 6);
    write("00", 263, 2);
    write(prefix, 345, 155);
    let checksum = 0;
    for (const byte of header) checksum += byte;
    write(checksum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
    return header;
}
