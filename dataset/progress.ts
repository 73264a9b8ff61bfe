/** Where progress goes: process.stderr, or anything with write() in tests. */
export interface ProgressStream {
    write(text: string): unknown;
    isTTY?: boolean;
    columns?: number;
}

export function formatBytes(bytes: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export interface ProgressState {
    label: string;
    bytesDone: number;
    /** Unknown for a download without Content-Length. */
    bytesTotal?: number;
    filesDone?: number;
    filesTotal?: number;
    elapsedMs: number;
}

/** One line: `upload [#####.....] 50% 10/20 files 1.0/2.0 MiB 512.0 KiB/s`. */
export function renderProgress(s: ProgressState, barWidth = 24): string {
    const parts = [s.label];
    if (s.bytesTotal !== undefined) {
        const ratio = s.bytesTotal > 0 ? Math.min(1, s.bytesDone / s.bytesTotal) : 1;
        const filled = Math.round(ratio * barWidth);
        parts.push(`[${"#".repeat(filled)}${".".repeat(barWidth - filled)}]`, `${Math.floor(ratio * 100)}%`);
    }
    if (s.filesTotal !== undefined) parts.push(`${s.filesDone ?? 0}/${s.filesTotal} files`);
    parts.push(s.bytesTotal !== undefined ? `${formatBytes(s.bytesDone)}/${formatBytes(s.bytesTotal)}` : formatBytes(s.bytesDone));
    const seconds = s.elapsedMs / 1000;
    parts.push(seconds > 0 ? `${formatBytes(Math.round(s.bytesDone / seconds))}/s` : "-/s");
    return parts.join(" ");
}

export interface ProgressBarOptions {
    label: string;
    bytesTotal?: number;
    filesTotal?: number;
    /** Clock, injectable so tests need no waiting. */
    now?: () => number;
    /** Minimum time between redraws on a terminal (default 100 ms). */
    ttyIntervalMs?: number;
    /** Minimum time between plain lines when not a terminal, e.g. in CI logs (default 10 s). */
    plainIntervalMs?: number;
}

/**
 * A progress bar on a terminal (one line redrawn in place), periodic plain lines otherwise, so
 * logs stay readable. finish() always prints the final state.
 */
export class ProgressBar {
    private readonly now: () => number;
    private readonly start: number;
    private lastDraw = -Infinity;
    private bytesDone = 0;
    private filesDone = 0;
    private finished = false;

    constructor(private readonly out: ProgressStream, private readonly options: ProgressBarOptions) {
        this.now = options.now ?? Date.now;
        this.start = this.now();
    }

    update(bytesDone: number, filesDone = this.filesDone, bytesTotal = this.options.bytesTotal): void {
        this.bytesDone = bytesDone;
        this.filesDone = filesDone;
        this.options.bytesTotal = bytesTotal;
        const t = this.now();
        const interval = this.out.isTTY ? (this.options.ttyIntervalMs ?? 100) : (this.options.plainIntervalMs ?? 10_000);
        if (t - this.lastDraw >= interval) {
            this.lastDraw = t;
            this.draw(false);
        }
    }

    finish(): void {
        if (this.finished) return;
        this.finished = true;
        this.draw(true);
    }

    private draw(final: boolean): void {
        const line = renderProgress({
            label: this.options.label,
            bytesDone: this.bytesDone,
            bytesTotal: this.options.bytesTotal,
            filesDone: this.options.filesTotal !== undefined ? this.filesDone : undefined,
            filesTotal: this.options.filesTotal,
            elapsedMs: this.now() - this.start,
        });
        if (this.out.isTTY) {
            // \r + erase-line redraws in place; the newline only once finished.
            const width = this.out.columns ?? 120;
            this.out.write(`\r\x1b[2K${line.slice(0, Math.max(20, width - 1))}${final ? "\n" : ""}`);
        } else {
            this.out.write(line + "\n");
        }
    }
}
