import * as assert from "assert";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { RequestError } from "../../lambda/errors";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, MIN_ATTEMPT_MS, invokeEndpoint } from "../../lambda/inference";
import { FAKE_CREDENTIALS, FAKE_REGION, FakeSageMakerRuntime, startFakeSageMakerRuntime } from "./support/fake-sagemaker-runtime";
import { jpegBytes } from "./support/fixtures";

/**
 * Retry policy of the endpoint call, with the real SDK against the fake runtime and a virtual clock:
 * the backoff is full jitter on an exponential ceiling, and no retry starts that the deadline
 * could not accommodate.
 */
describe("lambda/inference: jittered retries within the deadline", () => {
    let fake: FakeSageMakerRuntime;
    let client: SageMakerRuntimeClient;
    before(async () => {
        fake = await startFakeSageMakerRuntime({ endpoints: ["dog-breeds"] });
        client = new SageMakerRuntimeClient({ endpoint: fake.url, region: FAKE_REGION, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
    });
    after(async () => {
        client.destroy();
        await fake.close();
    });
    beforeEach(() => (fake.invocations.length = 0));

    /** A clock that only moves when the code under test sleeps. */
    function virtualTime(start = 1_000_000) {
        const sleeps: number[] = [];
        let t = start;
        return { sleeps, now: () => t, sleep: (ms: number) => Promise.resolve(void (sleeps.push(ms), (t += ms))) };
    }
    const call = (opts: { deadlineIn: number; maxAttempts: number; random: () => number; clock: ReturnType<typeof virtualTime> }) =>
        invokeEndpoint({
            client,
            endpointName: "dog-breeds",
            body: jpegBytes(512),
            contentType: "image/jpeg",
            topK: 5,
            deadline: opts.clock.now() + opts.deadlineIn,
            maxAttempts: opts.maxAttempts,
            now: opts.clock.now,
            sleep: opts.clock.sleep,
            random: opts.random,
        });

    it("backs off exponentially under the cap, scaled by the jitter draw", async () => {
        fake.setScript(() => ({ kind: "ThrottlingException" }));
        const clock = virtualTime();
        await assert.rejects(call({ deadlineIn: 60000, maxAttempts: 7, random: () => 1, clock }), (e: RequestError) => e.code === "THROTTLED");
        const ceilings = [1, 2, 4, 8, 16, 32].map((m) => Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * m));
        assert.deepStrictEqual(clock.sleeps, ceilings);
        assert.strictEqual(fake.invocations.length, 7);

        const half = virtualTime();
        await assert.rejects(call({ deadlineIn: 60000, maxAttempts: 3, random: () => 0.5, clock: half }));
        assert.deepStrictEqual(half.sleeps, [BACKOFF_BASE_MS * 0.5, BACKOFF_BASE_MS]);
    });

    it("stops retrying when the next backoff plus a minimal attempt would pass the deadline", async () => {
        fake.setScript(() => ({ kind: "ServiceUnavailable" }));
        const clock = virtualTime();
        // Room for the first backoff (50) but not the second (100): 50 + 100 + MIN_ATTEMPT_MS > deadline.
        const deadlineIn = BACKOFF_BASE_MS + 2 * BACKOFF_BASE_MS + MIN_ATTEMPT_MS - 1;
        await assert.rejects(call({ deadlineIn, maxAttempts: 10, random: () => 1, clock }), (e: RequestError) => e.status === 503 && e.code === "ENDPOINT_UNAVAILABLE");
        assert.deepStrictEqual(clock.sleeps, [BACKOFF_BASE_MS]);
        assert.strictEqual(fake.invocations.length, 2);
    });

    it("does not retry errors that another attempt cannot fix", async () => {
        fake.setScript(() => ({ kind: "ModelError", originalStatus: 500 }));
        const clock = virtualTime();
        await assert.rejects(call({ deadlineIn: 60000, maxAttempts: 5, random: () => 1, clock }), (e: RequestError) => e.code === "MODEL_ERROR");
        assert.deepStrictEqual(clock.sleeps, []);
        assert.strictEqual(fake.invocations.length, 1);
    });

    it("returns the predictions, the attempt count and the answering variant once the endpoint recovers", async () => {
        fake.setScript((_, n) => (n < 2 ? { kind: "InternalFailure" } : { kind: "classify" }));
        const clock = virtualTime();
        const result = await call({ deadlineIn: 60000, maxAttempts: 3, random: () => 0, clock });
        assert.strictEqual(result.attempts, 3);
        assert.strictEqual(result.variant, "AllTraffic");
        assert.strictEqual(result.predictions.length, 5);
    });
});
