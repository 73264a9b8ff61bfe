import * as crypto from "crypto";

/** Image-shaped payloads: the real magic numbers followed by deterministic filler. */
export function jpegBytes(size = 2048, seed = "dog"): Buffer {
    const filler = Buffer.alloc(Math.max(0, size - 4));
    crypto.createHash("sha256").update(seed).digest().copy(filler);
    return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), filler]);
}
export const pngBytes = () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
export const gifBytes = () => Buffer.concat([Buffer.from("GIF89a"), Buffer.alloc(64, 2)]);
export const webpBytes = () => Buffer.concat([Buffer.from("RIFF"), Buffer.from([0, 1, 0, 0]), Buffer.from("WEBPVP8 "), Buffer.alloc(64, 3)]);

/** Environment that points the real SDK at the fake endpoint with fake credentials. */
export function sdkEnv(fakeUrl: string): Record<string, string> {
    return {
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: fakeUrl,
        // Keep the SDK from looking for shared config files or the instance metadata service.
        AWS_CONFIG_FILE: "/nonexistent/aws-config",
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
        AWS_EC2_METADATA_DISABLED: "true",
    };
}

/** Sets variables for the duration of a suite; returns the function that restores them. */
export function withEnv(vars: Record<string, string>): () => void {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    return () => {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    };
}
