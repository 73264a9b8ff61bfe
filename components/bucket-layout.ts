/**
 * Where everything lives in the stack's data bucket. Roles are granted prefixes from here, jobs
 * write under them, and the dataset tool uploads to the dataset prefix: one map, no stray paths.
 */
export const BUCKET_PREFIXES = {
    code: "code/",
    training: "training/",
    checkpoints: "checkpoints/",
    tuning: "tuning/",
    debugger: "debugger/",
    gpuTrainer: "gpu-trainer/",
    /** The notebook's scratch space: the only prefix it may write or delete. */
    notebook: "notebook/",
} as const;

export const s3Uri = (bucket: string, key: string) => `s3://${bucket}/${key}`;

/** SageMaker's convention for a job's artifact: `<S3OutputPath>/<job>/output/model.tar.gz`. */
export function modelArtifactUri(bucket: string, jobName: string): string {
    return s3Uri(bucket, `${BUCKET_PREFIXES.training}${jobName}/output/model.tar.gz`);
}
