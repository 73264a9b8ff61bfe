import { DatasetError } from "./errors";

/** The folders train.py reads (`<data>/{train,valid,test}`); the prefix must hold them directly. */
export const SPLITS = ["train", "valid", "test"] as const;

/**
 * Files that are never part of the dataset: directory entries, macOS resource forks (`__MACOSX/`,
 * `._name`), Finder's `.DS_Store` and any other hidden file or folder. `path` uses "/" separators.
 */
export function isJunk(path: string): boolean {
    if (path.endsWith("/")) return true;
    return path.split("/").some(segment => segment === "__MACOSX" || segment.startsWith(".") || segment === "Thumbs.db");
}

export interface Located<T> {
    /** Key relative to the dataset root, e.g. `train/001.Affenpinscher/Affenpinscher_00001.jpg`. */
    key: string;
    item: T;
}

export interface Layout<T> {
    /** The folder that holds train/, valid/, test/ ("" or e.g. "dogImages/"). */
    root: string;
    files: Located<T>[];
    /** Non-junk files outside the three splits; not uploaded, reported. */
    ignored: string[];
}

/**
 * Finds train/, valid/ and test/ among a source's paths, either at its top or inside one top folder
 * (the public zip holds `dogImages/train/...`), and maps every file under them to its key relative
 * to that root. Fails, naming the source and what it found, when a split is missing.
 */
export function locateSplits<T>(entries: readonly { path: string; item: T }[], sourceLabel: string): Layout<T> {
    const files = entries.filter(e => !isJunk(e.path));
    if (files.length === 0) {
        throw new DatasetError(`${sourceLabel} holds no files (expected train/, valid/ and test/ folders of images)`);
    }
    const hasSplitUnder = (root: string) => files.some(f => SPLITS.some(s => f.path.startsWith(`${root}${s}/`)));

    let root: string;
    if (hasSplitUnder("")) {
        root = "";
    } else {
        const tops = new Set(files.map(f => (f.path.includes("/") ? f.path.split("/")[0] + "/" : f.path)));
        const only = tops.size === 1 ? [...tops][0] : undefined;
        if (only === undefined || !only.endsWith("/") || !hasSplitUnder(only)) {
            const shown = [...tops].sort().slice(0, 8).join(", ") + (tops.size > 8 ? ", ..." : "");
            throw new DatasetError(
                `${sourceLabel} has no train/, valid/ and test/ folders at its top or inside a single top folder (top level: ${shown})`);
        }
        root = only;
    }

    const located: Located<T>[] = [];
    const ignored: string[] = [];
    for (const f of files) {
        const key = f.path.startsWith(root) ? f.path.slice(root.length) : undefined;
        if (key !== undefined && SPLITS.some(s => key.startsWith(`${s}/`))) {
            located.push({ key, item: f.item });
        } else {
            ignored.push(f.path);
        }
    }
    const missing = SPLITS.filter(s => !located.some(f => f.key.startsWith(`${s}/`)));
    if (missing.length > 0) {
        throw new DatasetError(
            `${sourceLabel} has no files under ${missing.map(s => `${root}${s}/`).join(", ")} (train.py needs train/, valid/ and test/)`);
    }
    located.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { root, files: located, ignored };
}
