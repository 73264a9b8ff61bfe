import * as yauzl from "yauzl";
import { DatasetFile, DatasetSource } from "./source";
import { locateSplits } from "./layout";
import { DatasetError, describe } from "./errors";
import { checkSizeAndCrc32 } from "./integrity";

/**
 * A zip file read in place, without unpacking it to disk: the central directory gives every
 * entry's name, size and CRC-32, and entries are streamed (inflated) one by one. Every stream is
 * checked against the entry's size and CRC-32 as it flows, and fails before its end when they do not
 * match, naming the entry. yauzl reads by offset, so several entries can stream at once.
 */
export async function openZipSource(zipPath: string, label: string = zipPath): Promise<DatasetSource> {
    let zip: yauzl.ZipFile;
    try {
        // autoClose off: entries are opened long after the directory has been read.
        zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false });
    } catch (err) {
        throw new DatasetError(`${label} is not a readable zip file: ${describe(err)}`);
    }
    let closed = false;
    const close = () => {
        if (!closed) {
            closed = true;
            zip.close();
        }
        return Promise.resolve();
    };

    try {
        const entries = await readEntries(zip, label);
        const layout = locateSplits(entries.map(e => ({ path: e.fileName, item: e })), label);
        const files: DatasetFile[] = layout.files.map(({ key, item }) => ({
            key,
            size: item.uncompressedSize,
            open: async () => {
                if (item.isEncrypted()) throw new DatasetError(`${label}: ${item.fileName} is encrypted; zip encryption is not supported`);
                const damaged = (problem: string) => new DatasetError(`${label}: entry ${item.fileName} is damaged: ${problem}`);
                let stream;
                try {
                    stream = await zip.openReadStreamPromise(item);
                } catch (err) {
                    throw damaged(describe(err));
                }
                return checkSizeAndCrc32(stream, { size: item.uncompressedSize, crc32: item.crc32 }, damaged);
            },
        }));
        return { label, files, ignored: layout.ignored, close };
    } catch (err) {
        await close();
        throw err;
    }
}

function readEntries(zip: yauzl.ZipFile, label: string): Promise<yauzl.Entry[]> {
    return new Promise((resolve, reject) => {
        const entries: yauzl.Entry[] = [];
        zip.on("entry", (entry: yauzl.Entry) => {
            entries.push(entry);
            zip.readEntry();
        });
        zip.on("end", () => resolve(entries));
        // yauzl rejects absolute paths and ".." segments here, so keys can never escape the prefix.
        zip.on("error", err => reject(new DatasetError(`${label} is not a readable zip file: ${describe(err)}`)));
        zip.readEntry();
    });
}
