import * as assert from "assert";
import * as net from "net";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { HttpResponse, InvocationContext, createHandler } from "../../lambda/handler";
import { FakeSageMakerRuntime, NUM_CLASSES, classify, refusedByModel, startFakeSageMakerRuntime } from "./support/fake-sagemaker-runtime";
import { gifBytes, jpegBytes, pngBytes, sdkEnv, webpBytes, withEnv } from "./support/fixtures";

const ENDPOINT = "dog-breeds";
const b64 = (b: Buffer | string) => Buffer.from(b).toString("base64");
/** The handler's JSON answer: predictions, or an error. */
interface ResponseBody { predictions: unknown[]; error?: { code?: string; message?: unknown } }
/** One JSON log line of the handler. */
interface LogLine { requestId: string; timestamp: string; status: number; outcome: string; imageBytes: number; variant: string; latencyMs: unknown; level: string; detail: string; code: string; attempts: number }
const body = (r: HttpResponse) => JSON.parse(r.body) as ResponseBody;
const logLine = (line: string) => JSON.parse(line) as LogLine;
const errorCode = (r: HttpResponse) => body(r).error?.code;

/** An API Gateway HTTP API (payload 2.0) / function URL event. */
function httpEvent(payload: string | undefined, opts: { method?: string; base64?: boolean } = {}): Record<string, unknown> {
    return {
        version: "2.0",
        routeKey: "$default",
        rawPath: "/",
        headers: { "content-type": "application/json" },
        requestContext: { http: { method: opts.method ?? "POST", path: "/" }, requestId: "api-req" },
        ...(payload === undefined ? {} : { body: opts.base64 ? b64(payload) : payload }),
        isBase64Encoded: opts.base64 ?? false,
    };
}

describe("lambda/handler against a local SageMaker Runtime", function () {
    let fake: FakeSageMakerRuntime;
    let restoreEnv: () => void;
    let env: Record<string, string>;
    let logs: string[];
    const image = jpegBytes(4096);

    const makeHandler = (extra: Record<string, string | undefined> = {}) =>
        createHandler({
            env: { ...env, ...extra },
            log: (l) => logs.push(l),
            resolve: () => Promise.reject(new Error("no test in this file may resolve a host name")),
        });

    before(async () => {
        fake = await startFakeSageMakerRuntime({ endpoints: [ENDPOINT] });
        // The SDK's default credential chain reads the process environment.
        restoreEnv = withEnv(sdkEnv(fake.url));
        env = { ...sdkEnv(fake.url), ENDPOINT_NAME: ENDPOINT };
    });
    after(async () => {
        restoreEnv();
        await fake.close();
    });
    beforeEach(() => {
        logs = [];
        fake.invocations.length = 0;
        fake.setScript(() => ({ kind: "classify" }));
    });

    describe("successful predictions", () => {
        it("answers the direct {image} event with the endpoint's top 5, sending the bytes as the SageMaker contract says", async () => {
            const res = await makeHandler()({ image: b64(image) });
            assert.strictEqual(res.statusCode, 200, res.body);
            assert.deepStrictEqual(body(res), { predictions: classify(image, 5) });
            assert.strictEqual(res.headers["Content-Type"], "application/json");
            const [inv] = fake.invocations;
            assert.deepStrictEqual(
                { name: inv.endpointName, type: inv.contentType, accept: inv.accept, attrs: inv.customAttributes, bytes: inv.bodyBytes },
                { name: ENDPOINT, type: "image/jpeg", accept: "application/json", attrs: "top_k=5", bytes: image.length },
            );
            assert.deepStrictEqual(fake.badSignatures, [], "every request must carry a valid SigV4 signature");
        });

        it("passes topK through as CustomAttributes top_k=N, from 1 to the number of classes", async () => {
            for (const topK of [1, 3, NUM_CLASSES]) {
                const res = await makeHandler()({ image: b64(image), topK });
                assert.strictEqual(body(res).predictions.length, topK);
                assert.strictEqual(fake.invocations.at(-1)!.customAttributes, `top_k=${topK}`);
            }
        });

        it("sends PNG as image/png and GIF/WebP as application/x-image, decided by the bytes", async () => {
            for (const [bytes, type] of [[pngBytes(), "image/png"], [gifBytes(), "application/x-image"], [webpBytes(), "application/x-image"]] as const) {
                const res = await makeHandler()({ image: b64(bytes) });
                assert.strictEqual(res.statusCode, 200, res.body);
                assert.strictEqual(fake.invocations.at(-1)!.contentType, type);
            }
        });

        it("accepts the same request as an HTTP API body, plain or base64-encoded, and as a REST API (v1) event", async () => {
            const payload = JSON.stringify({ image: b64(image), topK: 2 });
            const v1 = { resource: "/", httpMethod: "POST", requestContext: { requestId: "r" }, body: payload, isBase64Encoded: false };
            for (const event of [httpEvent(payload), httpEvent(payload, { base64: true }), v1]) {
                const res = await makeHandler()(event);
                assert.strictEqual(res.statusCode, 200, res.body);
                assert.deepStrictEqual(body(res), { predictions: classify(image, 2) });
            }
        });

        it("sends no CORS headers unless an origin is configured, then exactly that origin, and answers preflight", async () => {
            const plain = await makeHandler()(httpEvent(JSON.stringify({ image: b64(image) })));
            assert.ok(!Object.keys(plain.headers).some((h) => h.toLowerCase().startsWith("access-control-")), JSON.stringify(plain.headers));
            const withCors = makeHandler({ CORS_ALLOW_ORIGIN: "https://app.example.com" });
            const res = await withCors(httpEvent(JSON.stringify({ image: b64(image) })));
            assert.strictEqual(res.headers["Access-Control-Allow-Origin"], "https://app.example.com");
            const preflight = await withCors(httpEvent(undefined, { method: "OPTIONS" }));
            assert.strictEqual(preflight.statusCode, 204);
            assert.strictEqual(preflight.headers["Access-Control-Allow-Methods"], "POST, OPTIONS");
            assert.strictEqual(fake.invocations.length, 2, "a preflight must not call the endpoint");
        });

        it("never returns the Lambda context, and logs one JSON line without image bytes", async () => {
            const context = {
                awsRequestId: "req-123",
                functionName: "secret-function-name",
                invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:secret-function-name",
                logGroupName: "/aws/lambda/secret-function-name",
                getRemainingTimeInMillis: () => 10000,
            } as InvocationContext;
            const res = await makeHandler()({ image: b64(image) }, context);
            assert.ok(!JSON.stringify(res).includes("secret-function-name"));
            assert.deepStrictEqual(Object.keys(res).sort(), ["body", "headers", "statusCode"]);
            assert.strictEqual(logs.length, 1);
            const line = logLine(logs[0]);
            assert.strictEqual(line.requestId, "req-123");
            assert.ok(!Number.isNaN(Date.parse(line.timestamp)), "an RFC 3339 timestamp for Lambda's JSON log format");
            assert.strictEqual(line.status, 200);
            assert.strictEqual(line.outcome, "ok");
            assert.strictEqual(line.imageBytes, image.length);
            assert.strictEqual(line.variant, "AllTraffic", "the answering production variant is logged");
            assert.strictEqual(typeof line.latencyMs, "number");
            assert.ok(!logs[0].includes(b64(image).slice(0, 40)), "the log must not carry image bytes");
        });
    });

    describe("malformed and hostile events: a 4xx with a code, never a throw", () => {
        const big = "A".repeat(4 * 1024); // 3 KB decoded: over the 1 KB limit used below
        const cases: Array<[string, unknown, number, string, Record<string, string>?]> = [
            ["null", null, 400, "INVALID_BODY"],
            ["a string", "https://example.com/dog.jpg", 400, "INVALID_BODY"],
            ["a number", 42, 400, "INVALID_BODY"],
            ["an array", [{ image: "x" }], 400, "INVALID_BODY"],
            ["an empty object", {}, 400, "MISSING_FIELD"],
            ["only topK", { topK: 3 }, 400, "MISSING_FIELD"],
            ["url and image together", { url: "https://a.example/x.jpg", image: "AAAA" }, 400, "CONFLICTING_FIELDS"],
            ["an unknown field", { image: "AAAA", endpoint_name: "other-endpoint" }, 400, "UNKNOWN_FIELD"],
            ["a __proto__ field", JSON.parse('{"__proto__": {"polluted": true}, "image": "AAAA"}'), 400, "UNKNOWN_FIELD"],
            ["a numeric url", { url: 42 }, 400, "INVALID_URL"],
            ["an empty url", { url: "" }, 400, "INVALID_URL"],
            ["a relative url", { url: "/latest/meta-data" }, 400, "INVALID_URL"],
            ["a 3000-character url", { url: `https://a.example/${"a".repeat(3000)}` }, 400, "INVALID_URL"],
            ["a file: url", { url: "file:///etc/passwd" }, 422, "URL_REFUSED"],
            ["a gopher: url", { url: "gopher://a.example:70/_stats" }, 422, "URL_REFUSED"],
            ["an http url by default", { url: "http://a.example/dog.jpg" }, 422, "URL_REFUSED"],
            ["a url with credentials", { url: "https://user:secret@a.example/dog.jpg" }, 422, "URL_REFUSED"],
            ["localhost by name", { url: "https://localhost/dog.jpg" }, 422, "URL_REFUSED"],
            ["a numeric image", { image: 42 }, 400, "INVALID_IMAGE"],
            ["an empty image", { image: "" }, 400, "EMPTY_IMAGE"],
            ["image with non-base64 characters", { image: "!!!!not-base64" }, 400, "INVALID_BASE64"],
            ["image with impossible base64 length", { image: "AAAAA" }, 400, "INVALID_BASE64"],
            ["image with padding in the middle", { image: "AA==AAAA" }, 400, "INVALID_BASE64"],
            ["image that is text", { image: b64("just some text, not a picture") }, 415, "UNSUPPORTED_MEDIA_TYPE"],
            ["image that is SVG", { image: b64('<svg xmlns="http://www.w3.org/2000/svg"/>') }, 415, "UNSUPPORTED_MEDIA_TYPE"],
            ["image that is a PDF", { image: b64("%PDF-1.7\n...") }, 415, "UNSUPPORTED_MEDIA_TYPE"],
            ["image over MAX_IMAGE_BYTES", { image: big }, 413, "IMAGE_TOO_LARGE", { MAX_IMAGE_BYTES: "1024" }],
            ["topK 0", { image: b64(image), topK: 0 }, 400, "INVALID_TOP_K"],
            ["topK -1", { image: b64(image), topK: -1 }, 400, "INVALID_TOP_K"],
            ["topK above the number of classes", { image: b64(image), topK: NUM_CLASSES + 1 }, 400, "INVALID_TOP_K"],
            ["fractional topK", { image: b64(image), topK: 2.5 }, 400, "INVALID_TOP_K"],
            ["topK as a string", { image: b64(image), topK: "5" }, 400, "INVALID_TOP_K"],
            ["topK as null", { image: b64(image), topK: null }, 400, "INVALID_TOP_K"],
            ["HTTP event without body", httpEvent(undefined), 400, "MISSING_BODY"],
            ["HTTP event with a non-JSON body", httpEvent("url=https://a.example/x.jpg"), 400, "INVALID_JSON"],
            ["HTTP event with a JSON array body", httpEvent("[1,2]"), 400, "INVALID_BODY"],
            ["HTTP event with a null body", httpEvent("null"), 400, "INVALID_BODY"],
            ["HTTP event with bad base64 body", { ...httpEvent("x"), body: "%%%%", isBase64Encoded: true }, 400, "INVALID_BASE64"],
            ["HTTP event with a base64 body that is not UTF-8", { ...httpEvent("x"), body: b64(Buffer.from([0xff, 0xfe, 0xfd])), isBase64Encoded: true }, 400, "INVALID_JSON"],
            ["HTTP event with a GET", httpEvent(undefined, { method: "GET" }), 405, "METHOD_NOT_ALLOWED"],
            ["HTTP event with a DELETE", httpEvent("{}", { method: "DELETE" }), 405, "METHOD_NOT_ALLOWED"],
            ["HTTP event with an oversized body", httpEvent(JSON.stringify({ image: "A".repeat(80000) })), 413, "BODY_TOO_LARGE", { MAX_IMAGE_BYTES: "1024" }],
        ];
        for (const [name, event, status, code, extraEnv] of cases) {
            it(`${name} -> ${status} ${code}`, async () => {
                const res = await makeHandler(extraEnv)(event);
                assert.strictEqual(res.statusCode, status, res.body);
                assert.strictEqual(errorCode(res), code, res.body);
                assert.strictEqual(typeof body(res).error?.message, "string");
                assert.ok(!/\n\s+at /.test(res.body), "no stack trace in responses");
                assert.strictEqual(fake.invocations.length, 0, "a refused request never reaches the endpoint");
                assert.strictEqual(logs.length, 1);
                assert.strictEqual(logLine(logs[0]).code, code);
            });
        }
        it("has at least 30 hostile cases", () => assert.ok(cases.length >= 30, String(cases.length)));
    });

    describe("configuration errors: 500 CONFIGURATION_ERROR naming the variable in the log, no crash", () => {
        const bad: Array<[Record<string, string | undefined>, RegExp]> = [
            [{ ENDPOINT_NAME: undefined }, /ENDPOINT_NAME is not set/],
            [{ ENDPOINT_NAME: "bad name!" }, /ENDPOINT_NAME must be a SageMaker endpoint name.*"bad name!"/],
            [{ MAX_IMAGE_BYTES: "lots" }, /MAX_IMAGE_BYTES must be an integer from 1 to \d+ \(got "lots"\)/],
            [{ MAX_IMAGE_BYTES: "0" }, /MAX_IMAGE_BYTES must be an integer/],
            [{ ALLOW_HTTP_URLS: "yes" }, /ALLOW_HTTP_URLS must be "true" or "false" \(got "yes"\)/],
            [{ CORS_ALLOW_ORIGIN: "*" }, /CORS_ALLOW_ORIGIN must be one origin.*\(got "\*"\)/],
            [{ CORS_ALLOW_ORIGIN: "https://app.example.com/path" }, /CORS_ALLOW_ORIGIN must be one origin/],
            [{ URL_FETCH_ALLOWED_CIDRS: "127.0.0.1/32,10.0.0.0/33" }, /URL_FETCH_ALLOWED_CIDRS: "10.0.0.0\/33" is not a CIDR block/],
            [{ MODEL_NUM_CLASSES: "-3" }, /MODEL_NUM_CLASSES must be an integer/],
            [{ ENDPOINT_MAX_ATTEMPTS: "100" }, /ENDPOINT_MAX_ATTEMPTS must be an integer from 1 to 10/],
        ];
        for (const [vars, message] of bad) {
            it(`${JSON.stringify(vars)}`, async () => {
                const res = await makeHandler(vars)({ image: b64(image) });
                assert.strictEqual(res.statusCode, 500);
                assert.strictEqual(errorCode(res), "CONFIGURATION_ERROR");
                assert.ok(!Object.keys(res.headers).some((h) => h.startsWith("Access-Control")));
                const line = logLine(logs[0]);
                assert.strictEqual(line.level, "error");
                assert.match(line.detail, message);
                assert.strictEqual(fake.invocations.length, 0);
            });
        }
    });

    describe("endpoint errors, retries and deadlines", () => {
        const call = (extra: Record<string, string> = {}, context?: InvocationContext) => makeHandler(extra)({ image: b64(image) }, context);

        it("an image the model refuses -> the model's 4xx, code and reason, not retried", async () => {
            const refusals: Array<[number, string, string]> = [
                [400, "INVALID_IMAGE", "body could not be decoded as an image (image file is truncated (19 bytes not processed))"],
                [415, "UNSUPPORTED_IMAGE_FORMAT", "image format ICO is not accepted (allowed: JPEG, PNG, GIF, BMP, WEBP, TIFF)"],
                [413, "IMAGE_TOO_LARGE", "image is 8000x6000 pixels; at most 40000000 pixels are accepted"],
            ];
            for (const [status, code, reason] of refusals) {
                fake.invocations.length = 0;
                logs = [];
                fake.setScript(() => refusedByModel(status, code, reason));
                const res = await call();
                assert.deepStrictEqual(body(res), { error: { code, message: `the model refused the image: ${reason}` } });
                assert.strictEqual(res.statusCode, status);
                assert.strictEqual(fake.invocations.length, 1);
                const line = logLine(logs[0]) as { status: number; code: string; outcome: string; level: string; detail: string };
                assert.deepStrictEqual([line.status, line.code, line.outcome, line.level], [status, code, "rejected", "info"]);
                assert.match(line.detail, new RegExp(`ModelError \\(HTTP 424\\): Received client error \\(${status}\\)`));
            }
        });

        it("the model's reason reaches the caller as one bounded line", async () => {
            fake.setScript(() => refusedByModel(400, "INVALID_IMAGE", `bad\r\nX-Injected: 1\u0000 ${"x".repeat(2000)}`));
            const res = await call();
            const { message } = (body(res) as { error: { message: string } }).error;
            assert.strictEqual(res.statusCode, 400);
            assert.ok(message.startsWith("the model refused the image: bad X-Injected: 1 xxx"), message);
            assert.ok(!/[\u0000-\u001f]/.test(message) && message.length <= "the model refused the image: ".length + 500, message);
        });

        it("ModelError with a 5xx, or a 4xx without the model's error body -> 502 MODEL_ERROR carrying the status, not retried", async () => {
            const failures: Array<[number, string | undefined]> = [
                [500, JSON.stringify({ error: { code: "INTERNAL_ERROR", message: "the model failed to classify the image" } })],
                [500, "Traceback (most recent call last): secret internals"],
                [503, JSON.stringify({ code: 503, type: "ServiceUnavailableException", message: "Model \"model\" has no worker to serve inference request." })],
                // 4xx answers of the serving stack itself, or bodies outside the contract: no verdict on the image.
                [400, "Traceback (most recent call last): secret internals"],
                [404, JSON.stringify({ code: 404, type: "ModelNotFoundException", message: "Model not found: model" })],
                [400, JSON.stringify({ error: { code: "lower case", message: "x" } })],
                [400, JSON.stringify({ error: { code: "INVALID_IMAGE", message: 7 } })],
                [400, undefined],
            ];
            for (const [original, originalMessage] of failures) {
                fake.invocations.length = 0;
                fake.setScript(() => ({ kind: "ModelError", originalStatus: original, originalMessage }));
                const res = await call();
                assert.deepStrictEqual([res.statusCode, errorCode(res)], [502, "MODEL_ERROR"], `${original} ${originalMessage}`);
                assert.match((body(res) as { error: { message: string } }).error.message, new RegExp(`status ${original}`));
                assert.ok(!res.body.includes("Traceback") && !res.body.includes("secret"), "the model's own message stays in the log");
                assert.strictEqual(fake.invocations.length, 1);
            }
        });

        it("throttling is retried with backoff and succeeds when the endpoint recovers", async () => {
            fake.setScript((_, n) => (n < 2 ? { kind: "ThrottlingException" } : { kind: "classify" }));
            const res = await call();
            assert.strictEqual(res.statusCode, 200, res.body);
            assert.strictEqual(fake.invocations.length, 3);
            assert.strictEqual(logLine(logs[0]).attempts, 3);
        });

        it("persistent throttling -> 503 THROTTLED after ENDPOINT_MAX_ATTEMPTS attempts", async () => {
            fake.setScript(() => ({ kind: "ThrottlingException" }));
            const res = await call({ ENDPOINT_MAX_ATTEMPTS: "4" });
            assert.strictEqual(res.statusCode, 503);
            assert.strictEqual(errorCode(res), "THROTTLED");
            assert.strictEqual(fake.invocations.length, 4);
        });

        it("ServiceUnavailable -> retried, then 503 ENDPOINT_UNAVAILABLE; ModelNotReady -> 503 ENDPOINT_NOT_READY", async () => {
            fake.setScript(() => ({ kind: "ServiceUnavailable" }));
            const res = await call();
            assert.deepStrictEqual([res.statusCode, errorCode(res), fake.invocations.length], [503, "ENDPOINT_UNAVAILABLE", 3]);
            fake.setScript(() => ({ kind: "ModelNotReadyException" }));
            const notReady = await call();
            assert.deepStrictEqual([notReady.statusCode, errorCode(notReady)], [503, "ENDPOINT_NOT_READY"]);
        });

        it("InternalFailure (500) is retried; a recovered endpoint answers 200", async () => {
            fake.setScript((_, n) => (n === 0 ? { kind: "InternalFailure" } : { kind: "classify" }));
            const res = await call();
            assert.strictEqual(res.statusCode, 200, res.body);
            assert.strictEqual(fake.invocations.length, 2);
            fake.setScript(() => ({ kind: "InternalFailure" }));
            const failed = await call();
            assert.deepStrictEqual([failed.statusCode, errorCode(failed)], [502, "ENDPOINT_ERROR"]);
        });

        it("an endpoint that does not exist (ValidationError ... not found) -> 503 ENDPOINT_NOT_IN_SERVICE, not retried", async () => {
            const res = await call({ ENDPOINT_NAME: "no-such-endpoint" });
            assert.deepStrictEqual([res.statusCode, errorCode(res), fake.invocations.length], [503, "ENDPOINT_NOT_IN_SERVICE", 1]);
        });

        it("any other ValidationError -> 502 ENDPOINT_REJECTED", async () => {
            fake.setScript(() => ({ kind: "ValidationError", message: "1 validation error detected: Value at 'body' failed to satisfy constraint" }));
            const res = await call();
            assert.deepStrictEqual([res.statusCode, errorCode(res)], [502, "ENDPOINT_REJECTED"]);
        });

        it("an answer outside the contract -> 502 MODEL_RESPONSE_INVALID", async () => {
            const answers = ["[[0.1, 0.2]]", "not json", '{"predictions":[{"label":"x","index":0,"probability":7}]}', '{"predictions":[{"index":0,"probability":0.5}]}'];
            for (const answer of answers) {
                fake.setScript(() => ({ kind: "raw", status: 200, body: answer }));
                const res = await call();
                assert.deepStrictEqual([res.statusCode, errorCode(res)], [502, "MODEL_RESPONSE_INVALID"], answer);
            }
        });

        it("an endpoint that never answers -> 504 DEADLINE_EXCEEDED within the function's remaining time", async () => {
            fake.setScript(() => ({ kind: "hang" }));
            const res = await call({}, { awsRequestId: "slow", getRemainingTimeInMillis: () => 800 });
            assert.deepStrictEqual([res.statusCode, errorCode(res)], [504, "DEADLINE_EXCEEDED"]);
        });

        it("no time left at all -> 504 without calling the endpoint", async () => {
            const res = await call({}, { getRemainingTimeInMillis: () => 100 });
            assert.deepStrictEqual([res.statusCode, errorCode(res), fake.invocations.length], [504, "DEADLINE_EXCEEDED", 0]);
        });

        it("an unreachable endpoint -> retried, then 502 ENDPOINT_UNREACHABLE", async () => {
            const closed = net.createServer();
            await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
            const port = (closed.address() as net.AddressInfo).port;
            await new Promise<void>((r) => closed.close(() => r()));
            const client = new SageMakerRuntimeClient({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
            const handler = createHandler({ env, client, log: (l) => logs.push(l) });
            const res = await handler({ image: b64(image) });
            assert.deepStrictEqual([res.statusCode, errorCode(res)], [502, "ENDPOINT_UNREACHABLE"]);
            assert.strictEqual(logLine(logs[0]).level, "error");
        });

        it("the fake endpoint really checks SigV4: a wrong secret is refused (and reported as 502 ENDPOINT_CALL_FAILED)", async () => {
            const client = new SageMakerRuntimeClient({ endpoint: fake.url, credentials: { accessKeyId: "test", secretAccessKey: "wrong" }, maxAttempts: 1 });
            const before = fake.badSignatures.length;
            const res = await createHandler({ env, client, log: () => undefined })({ image: b64(image) });
            assert.deepStrictEqual([res.statusCode, errorCode(res)], [502, "ENDPOINT_CALL_FAILED"]);
            assert.strictEqual(fake.badSignatures.length, before + 1);
            assert.match(fake.badSignatures.at(-1)!, /signature does not match/);
            fake.badSignatures.length = before;
        });
    });
});
