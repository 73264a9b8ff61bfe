import { DatasetError } from "./errors";

/** The folders train.py reads (`<data>/{train,valid,test}`); the prefix must hold them directly. */
export const SPLITS = ["train", "valid", "test"] as const;
export type Split = typeof SPLITS[number];

/**
 * Order by Unicode code point (the order of the strings' UTF-8 bytes): Python's sorted(), so class
 * lists come out in train.py's label order, and an order any language can reproduce.
 */
export function byCodePoint(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The split a key belongs to (`train/...` -> train), if any. */
export function splitOf(key: string): Split | undefined {
    return SPLITS.find(s => key.startsWith(`${s}/`));
}

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
    located.sort((a, b) => byCodePoint(a.key, b.key));
    return { root, files: located, ignored };
}

/**
 * The class folders of each split (`<split>/<class>/<file>`), sorted by code point. A file directly
 * under a split belongs to no class (torchvision's ImageFolder, which train.py uses, ignores it).
 */
export function classesBySplit(keys: readonly string[]): Record<Split, string[]> {
    const found: Record<Split, Set<string>> = { train: new Set(), valid: new Set(), test: new Set() };
    for (const key of keys) {
        const parts = key.split("/");
        const split = splitOf(key);
        if (split !== undefined && parts.length >= 3) found[split].add(parts[1]);
    }
    const sorted = (set: Set<string>) => [...set].sort(byCodePoint);
    return { train: sorted(found.train), valid: sorted(found.valid), test: sorted(found.test) };
}

/**
 * train.py refuses splits whose classes differ (labels would not line up) and a train/ with fewer
 * than 2 classes, but only once a paid job runs: checked here before anything is sent. Throws naming
 * each split that differs from train/ and its missing and extra classes.
 */
export function checkSameClasses(keys: readonly string[], sourceLabel: string): Record<Split, string[]> {
    const classes = classesBySplit(keys);
    const list = (names: string[]) => names.length <= 5 ? names.join(", ") : `${names.slice(0, 5).join(", ")}, ... (${names.length} in all)`;
    const problems: string[] = [];
    for (const split of SPLITS.filter(s => s !== "train")) {
        const missing = classes.train.filter(c => !classes[split].includes(c));
        const extra = classes[split].filter(c => !classes.train.includes(c));
        if (missing.length > 0) problems.push(`${split}/ lacks ${list(missing)}`);
        if (extra.length > 0) problems.push(`${split}/ has ${list(extra)} that train/ lacks`);
    }
    if (problems.length > 0) {
        throw new DatasetError(`${sourceLabel}: the splits have different classes (${problems.join("; ")}): ` +
            "train.py would refuse them, labels would not line up; nothing was uploaded");
    }
    if (classes.train.length < 2) {
        throw new DatasetError(`${sourceLabel}: train/ has ${classes.train.length} class folder(s)` +
            `${classes.train.length ? ` (${classes.train.join(", ")})` : ""}; train.py needs at least 2; nothing was uploaded`);
    }
    return classes;
}
