import { constants } from "os";

/**
 * The ways the dataset tool can stop early. Each carries a one-line message meant for the user; the CLI
 * prints the message and exits with the code, never a stack trace.
 */

/** The invocation is wrong (flags, values, a source that does not exist): exit code 2. */
export class UsageError extends Error {
    readonly exitCode = 2;
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** The invocation was fine but the work failed (network, S3, a dataset of the wrong shape): exit code 1. */
export class DatasetError extends Error {
    readonly exitCode = 1;
    constructor(message: string) {
        super(message);
        this.name = "DatasetError";
    }
}

/**
 * The run was stopped by a signal (Ctrl-C is SIGINT): exit code 128 + the signal's number, as a
 * shell reports it (130 for SIGINT, 143 for SIGTERM). The message says how far the run got.
 */
export class InterruptedError extends Error {
    readonly exitCode: number;
    constructor(readonly signal: string, message: string) {
        super(message);
        this.name = "InterruptedError";
        this.exitCode = 128 + (constants.signals[signal as NodeJS.Signals] ?? 2);
    }
}

/** The signal an AbortSignal was aborted for (its reason, when a signal name), else SIGINT. */
export function signalName(signal: AbortSignal): string {
    return typeof signal.reason === "string" && /^SIG[A-Z]+$/.test(signal.reason) ? signal.reason : "SIGINT";
}

/** A one-line description of anything thrown, for messages that wrap a lower-level failure. */
export function describe(err: unknown): string {
    if (err instanceof Error) {
        const code = (err as NodeJS.ErrnoException).code;
        const text = err.message || err.name;
        const line = text.split("\n")[0].trim();
        return code && !line.includes(code) ? `${line} (${code})` : line;
    }
    return String(err);
}
