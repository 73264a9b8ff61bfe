/**
 * `npm run dataset:upload -- --stack <stack> [--source <url|zip|dir>] ...`: puts the dogImages
 * dataset under the stack's dataset prefix. See docs/dataset.md; the logic lives in tools/dataset/.
 */
import { main } from "./dataset/cli";
import { loadStackConfig } from "./stack-config";

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
