import * as http from "http";
import { AddressInfo } from "net";

/**
 * A SageMaker control-plane API on loopback, speaking its wire protocol (AWS JSON 1.1: POST /,
 * `X-Amz-Target: SageMaker.<Operation>`, errors as HTTP 400 with `__type`), so the real SDK client
 * in the dynamic providers is what the tests exercise. Each operation answers from a handler.
 */

export class SageMakerError extends Error {
    constructor(readonly type: string, message: string) {
        super(message);
    }
}

/** A request's JSON body. */
export type RequestBody = Record<string, unknown>;
export type Handler = (body: RequestBody) => unknown;

export interface FakeSageMaker {
    url: string;
    requests: { operation: string; body: RequestBody }[];
    handlers: Record<string, Handler>;
    close(): Promise<void>;
}

export async function startFakeSageMaker(handlers: Record<string, Handler> = {}): Promise<FakeSageMaker> {
    const fake = { requests: [] as FakeSageMaker["requests"], handlers } as FakeSageMaker;
    const server = http.createServer((req, res) => {
        let raw = "";
        req.on("data", c => (raw += c));
        req.on("end", () => {
            const operation = String(req.headers["x-amz-target"] ?? "").replace(/^SageMaker\./, "");
            const body = (raw === "" ? {} : JSON.parse(raw)) as RequestBody;
            fake.requests.push({ operation, body });
            const handler = fake.handlers[operation];
            let status = 200;
            let answer: unknown;
            try {
                if (!handler) throw new SageMakerError("UnknownOperationException", `the fake has no answer for ${operation}`);
                answer = handler(body);
            } catch (e) {
                if (!(e instanceof SageMakerError)) throw e;
                status = 400;
                answer = { __type: e.type, message: e.message };
            }
            res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
            res.end(JSON.stringify(answer));
        });
    });
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fake.close = () => new Promise(resolve => server.close(() => resolve()));
    return fake;
}

/** The environment that points the SDK at the fake, with throwaway credentials. */
export function fakeSageMakerEnv(fake: FakeSageMaker): Record<string, string> {
    return { AWS_ENDPOINT_URL_SAGEMAKER: fake.url, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1" };
}
