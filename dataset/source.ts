import { Readable } from "stream";

/** One file of the dataset, wherever it lives (a directory, a zip). */
export interface DatasetFile {
    /** Key relative to the dataset root: `train/001.Affenpinscher/Affenpinscher_00001.jpg`. */
    key: string;
    /** Bytes; compared with the size of the object already in S3 to decide whether to skip it. */
    size: number;
    /** A fresh stream of the file's bytes (called once per upload attempt). */
    open(): Promise<Readable>;
}

export interface DatasetSource {
    /** How messages name the source (a path or URL). */
    label: string;
    files: DatasetFile[];
    /** Files outside train/, valid/, test/ that are not uploaded. */
    ignored: string[];
    /** Releases file handles; safe to call twice. */
    close(): Promise<void>;
}
