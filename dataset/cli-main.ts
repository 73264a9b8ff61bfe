/**
 * `npm run dataset:upload -- --stack <stack> [--source <url|zip|dir>] ...`: puts the dogImages
 * dataset under the stack's dataset prefix. See docs/dataset.md; the logic lives in dataset/.
 */
import { main } from "./cli";
import { removeTempDownloadsSync } from "./download";
import { loadStackConfig } from "../plan/stack-config";

// Ctrl-C: delete the temporary zip (about 1.1 GB) before exiting. What was uploaded stays, and the
// next run skips it; a multipart upload cut off here is removed by the bucket's lifecycle rule.
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => {
        removeTempDownloadsSync();
        process.stderr.write(`\ndataset:upload: interrupted (${signal}); run the same command again to resume\n`);
        process.exit(code);
    });
}

main(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    loadStackConfig: stack => loadStackConfig(stack),
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
