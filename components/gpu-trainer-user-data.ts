/**
 * The EC2 trainer's boot script: fetch the same training archive SageMaker runs, sync the dataset,
 * run train.py on the GPU (resuming from checkpoints a previous, interrupted instance left in S3),
 * upload model.tar.gz and the log, then power off; shutdown behaviour "terminate" ends the
 * instance, so a finished trainer costs nothing.
 */
export interface TrainerScriptArgs {
    region: string;
    bucket: string;
    codeKey: string;
    datasetPrefix: string;
    /** Key prefix this run writes: model.tar.gz, train.log, exit-status, checkpoints/. */
    outputPrefix: string;
    /** train.py flags by name (`batch-size` -> `--batch-size`); booleans become `--x` / `--no-x`. */
    trainArgs: Record<string, string | number | boolean>;
}

const SAFE_VALUE = /^[A-Za-z0-9._\-/]+$/;

export function trainerUserData(a: TrainerScriptArgs): string {
    for (const [k, v] of Object.entries({ region: a.region, bucket: a.bucket, codeKey: a.codeKey, datasetPrefix: a.datasetPrefix, outputPrefix: a.outputPrefix })) {
        if (!SAFE_VALUE.test(v)) throw new Error(`trainer user data: ${k} ${JSON.stringify(v)} has characters that are unsafe in a shell script`);
    }
    const flags = Object.entries(a.trainArgs).map(([name, value]) => {
        if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`trainer user data: flag name ${JSON.stringify(name)} is invalid`);
        if (typeof value === "boolean") return value ? `--${name}` : `--no-${name}`;
        if (!SAFE_VALUE.test(String(value))) throw new Error(`trainer user data: --${name} value ${JSON.stringify(value)} is unsafe in a shell script`);
        return `--${name} ${value}`;
    });
    const out = `s3://${a.bucket}/${a.outputPrefix}`;
    return `#!/bin/bash
# mlops GPU trainer (components/gpu-trainer-user-data.ts): one training run, then power off.
set -uo pipefail
export AWS_DEFAULT_REGION=${a.region}
WORK=/opt/mlops
LOG=/var/log/mlops-trainer.log
OUT=${out}
mkdir -p "$WORK/code" "$WORK/data" "$WORK/model" "$WORK/checkpoints"
exec > >(tee -a "$LOG") 2>&1

finish() {
  status=$?
  [ -n "\${SYNC_PID:-}" ] && kill "$SYNC_PID" 2>/dev/null
  aws s3 sync "$WORK/checkpoints/" "$OUT/checkpoints/" --only-show-errors || true
  echo "trainer finished with status $status"
  echo "$status" > "$WORK/exit-status"
  aws s3 cp "$WORK/exit-status" "$OUT/exit-status" --only-show-errors || true
  aws s3 cp "$LOG" "$OUT/train.log" --only-show-errors || true
  shutdown -h now
}
trap finish EXIT
set -e

if [ -f /opt/pytorch/bin/activate ]; then source /opt/pytorch/bin/activate; else source /opt/conda/bin/activate pytorch; fi
nvidia-smi || echo "warning: no GPU visible; train.py will run on the CPU"

aws s3 cp "s3://${a.bucket}/${a.codeKey}" "$WORK/sourcedir.tar.gz" --only-show-errors
tar -xzf "$WORK/sourcedir.tar.gz" -C "$WORK/code"
aws s3 sync "s3://${a.bucket}/${a.datasetPrefix}" "$WORK/data/" --only-show-errors
# Checkpoints of an earlier, interrupted instance of this same run: train.py resumes from them.
aws s3 sync "$OUT/checkpoints/" "$WORK/checkpoints/" --only-show-errors
( while sleep 120; do aws s3 sync "$WORK/checkpoints/" "$OUT/checkpoints/" --only-show-errors; done ) &
SYNC_PID=$!

python "$WORK/code/train.py" --data "$WORK/data" --model-dir "$WORK/model" --checkpoint-dir "$WORK/checkpoints" ${flags.join(" ")}

tar -czf "$WORK/model.tar.gz" -C "$WORK/model" .
aws s3 cp "$WORK/model.tar.gz" "$OUT/model.tar.gz" --only-show-errors
`;
}
