import * as fs from "fs";
import * as path from "path";
import { DatasetFile, DatasetSource } from "./source";
import { locateSplits } from "./layout";
import { DatasetError, describe } from "./errors";

/**
 * A local directory holding train/, valid/, test/ directly or inside one top folder. Symbolic links
 * to files are followed; links to directories are not (they could loop).
 */
export async function openDirectorySource(dir: string): Promise<DatasetSource> {
    const entries: { path: string; item: { abs: string; size: number } }[] = [];
    const walk = async (rel: string): Promise<void> => {
        const abs = path.join(dir, rel);
        let dirents: fs.Dirent[];
        try {
            dirents = await fs.promises.readdir(abs, { withFileTypes: true });
        } catch (err) {
            throw new DatasetError(`cannot read directory ${abs}: ${describe(err)}`);
        }
        for (const d of dirents) {
            const childRel = rel ? `${rel}/${d.name}` : d.name;
            const childAbs = path.join(abs, d.name);
            if (d.isDirectory()) {
                await walk(childRel);
            } else if (d.isFile() || d.isSymbolicLink()) {
                const st = await fs.promises.stat(childAbs).catch(() => undefined);
                if (st?.isFile()) entries.push({ path: childRel, item: { abs: childAbs, size: st.size } });
            }
        }
    };
    await walk("");

    const layout = locateSplits(entries, dir);
    const files: DatasetFile[] = layout.files.map(({ key, item }) => ({
        key,
        size: item.size,
        open: () => Promise.resolve(fs.createReadStream(item.abs)),
    }));
    return { label: dir, files, ignored: layout.ignored, close: () => Promise.resolve() };
}
