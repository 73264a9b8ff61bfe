/**
 * `npm run dataset:upload -- --stack <stack> [--source <url|zip|dir>] ...`: puts the dogImages
 * dataset under the stack's dataset prefix. See docs/dataset.md; the logic lives in dataset/.
 */
import { main } from "./cli";
import { removeTempDownloadsSync } from "./download";
import { InterruptedError } from "./errors";
import { loadStackConfig } from "../plan/stack-config";

// Ctrl-C (or SIGTERM) stops the run at the next safe point: uploads in flight finish, the temporary
// download is deleted, and main() says how many files were done and how many remain. A second one
// exits at once; a multipart upload cut off then is removed by the bucket's lifecycle rule.
const interrupt = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
        if (!interrupt.signal.aborted) {
            process.stderr.write(`${process.stderr.isTTY ? "\n" : ""}dataset:upload: ${signal}: stopping after the uploads in flight (again to stop at once)\n`);
            interrupt.abort(signal);
            return;
        }
        removeTempDownloadsSync();
        process.stderr.write(`dataset:upload: ${signal} again: stopped at once; run the same command again to resume\n`);
        process.exit(new InterruptedError(signal, "").exitCode);
    });
}

main(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    loadStackConfig: stack => loadStackConfig(stack),
    signal: interrupt.signal,
}).then(
    code => {
        process.exitCode = code;
    },
    err => {
        // main() already turns every error into a message; this is the last line of defence.
        process.stderr.write(`dataset:upload: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
    },
);
