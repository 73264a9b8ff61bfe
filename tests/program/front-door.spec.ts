import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import { ALIAS_NAME } from "../../components/inference-function";
import { corsFor, SIGNED_REQUEST_HEADERS } from "../../components/front-door";
import { createHandler } from "../../lambda/handler";
import type { Prediction } from "../../lambda/inference";
import { readPolicyConfig } from "../../plan/make-plan";
import type { PlanResource } from "../../plan/policy-engine";
import { evaluatePack } from "../policies/helpers";
import type { ProgramRun } from "../../plan/run-program";
import { policies } from "../../policies/pack";
import { startFakeSageMakerRuntime } from "../lambda/support/fake-sagemaker-runtime";
import { jpegBytes, sdkEnv, withEnv } from "../lambda/support/fixtures";
import { verifySigV4 } from "../lambda/support/sigv4";
import { defined, ofType, one, oneOf, outputsOf, parseJson, PROJECT_DIR, runStack } from "../support/program";

const URL_TYPE = "aws:lambda/functionUrl:FunctionUrl";
const ORIGINS = ["https://app.example.com", "https://admin.example.com"];

describe("front door (function URL)", () => {
    describe("off by default", () => {
        for (const stack of ["dev", "prod"] as const) {
            it(`${stack}: no URL, no permission, no output and no CORS anywhere`, async () => {
                const run = await runStack(stack);
                assert.deepStrictEqual(ofType(run, URL_TYPE), []);
                assert.deepStrictEqual(ofType(run, "aws:lambda/permission:Permission"), []);
                assert.deepStrictEqual(Object.keys(run.outputs).filter(k => /door|functionUrl|cors/i.test(k)), []);
                assert.ok(!JSON.stringify(run.outputs).includes(".lambda-url."), "no output holds a function URL");
                const env = defined(oneOf(run, aws.lambda.Function).props.environment?.variables, "the function's environment");
                assert.ok(!Object.keys(env).some(k => /CORS/.test(k)), `no CORS in the function's environment: ${Object.keys(env).join(", ")}`);
            });
        }
    });

    describe("enabled", () => {
        let dev: ProgramRun;
        let prod: ProgramRun;
        const enabled = { "mlops:lambda": { url: { enabled: true, allowOrigins: ORIGINS, allowCredentials: true, maxAgeSeconds: 600 } } };
        before(async () => {
            dev = await runStack("dev", enabled);
            prod = await runStack("prod", enabled);
        });

        it("is a function URL that only SigV4-signed requests pass (AWS_IAM), with CORS for the configured origins only", () => {
            const url = one(dev, URL_TYPE).props;
            assert.strictEqual(url.authorizationType, "AWS_IAM");
            assert.strictEqual(url.functionName, outputsOf(one(dev, "aws:lambda/function:Function")).name);
            assert.strictEqual(url.qualifier, undefined);
            assert.deepStrictEqual(url.cors, {
                allowOrigins: ORIGINS, allowMethods: ["POST"], allowHeaders: SIGNED_REQUEST_HEADERS, exposeHeaders: ["x-request-id"],
                allowCredentials: true, maxAge: 600,
            });
            assert.deepStrictEqual(ofType(dev, "aws:lambda/permission:Permission"), [], "no resource policy: callers need their own IAM permission");
            assert.strictEqual(dev.outputs.frontDoorUrl, outputsOf(one(dev, URL_TYPE)).functionUrl);
            assert.match(String(dev.outputs.frontDoorUrl), /^https:\/\/[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws\/$/);
        });

        it("serves prod's warm alias, the one with provisioned concurrency", () => {
            assert.strictEqual(one(prod, URL_TYPE).props.qualifier, ALIAS_NAME);
        });

        it("has no CORS block without origins", async () => {
            const plain = await runStack("dev", { "mlops:lambda": { url: { enabled: true } } });
            assert.strictEqual(one(plain, URL_TYPE).props.cors, undefined);
        });

        it("is covered by the pack: it passes every rule in dev and prod, and the URL rules catch an open one", async () => {
            for (const [run, stack] of [[dev, "dev"], [prod, "prod"]] as const) {
                const config = readPolicyConfig(path.join(PROJECT_DIR, "policies", "config", `${stack}.json`));
                const result = await evaluatePack(policies, run.resources, config, { packName: "mlops-guardrails", packVersion: "0.1.0" });
                const urn = one(run, URL_TYPE).urn;
                assert.deepStrictEqual(result.violations.filter(v => v.urn === urn), []);
                const skipped = result.notApplicable.filter(n => n.urn === urn).map(n => n.policyName);
                for (const rule of ["lambda-function-url-auth", "lambda-function-url-cors"]) assert.ok(!skipped.includes(rule), `${rule} applies to the URL`);
            }
            const open: PlanResource = { ...one(dev, URL_TYPE), props: { ...one(dev, URL_TYPE).props, authorizationType: "NONE", cors: { allowOrigins: ["*"] } } };
            // The URL with the provider it names (its default tags come from there), as the engine sends them.
            const providers = dev.resources.filter(r => r.type.startsWith("pulumi:providers:"));
            const result = await evaluatePack(policies, [open, ...providers], undefined, { packName: "mlops-guardrails", packVersion: "0.1.0" });
            assert.deepStrictEqual(result.violations.map(v => v.policyName).sort(), ["lambda-function-url-auth", "lambda-function-url-cors"]);
        });

        it("refuses CORS for everyone and credentials for no named origin", () => {
            assert.throws(() => corsFor({ allowOrigins: ["*"], allowCredentials: true, maxAgeSeconds: 0 }), /must name origins, never "\*"/);
            assert.throws(() => corsFor({ allowOrigins: [], allowCredentials: true, maxAgeSeconds: 0 }), /allowCredentials needs at least one origin/);
        });
    });

    describe("the signed request docs/lambda.md shows", () => {
        /** The curl command of the docs' front-door example, exactly as written there. */
        function documentedCurl(): string {
            const doc = fs.readFileSync(path.join(PROJECT_DIR, "docs", "lambda.md"), "utf8");
            const block = [...doc.matchAll(/```bash\n([\s\S]*?)```/g)].map(m => m[1]).find(b => b.includes("--aws-sigv4"));
            assert.ok(block, "docs/lambda.md has a bash block with the signed curl request");
            const start = block.indexOf("curl ");
            return block.slice(start).trim();
        }

        it("is signed for Lambda in the stack's region, carries the session token, and gets predictions", async function () {
            const runtime = await startFakeSageMakerRuntime({ endpoints: ["mlops-dev-endpoint"] });
            const restore = withEnv(sdkEnv(runtime.url));
            const handler = createHandler({ env: { ...sdkEnv(runtime.url), ENDPOINT_NAME: "mlops-dev-endpoint" }, log: () => undefined });
            const creds = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
            const sessionToken = "FwoGZXIvYXdzEXAMPLETOKEN";
            const seen: string[] = [];
            // Plays the function URL: checks the signature as AWS_IAM auth does, then hands the
            // request to the handler as the function URL event (payload 2.0) Lambda builds.
            const playFunctionUrl = async (req: http.IncomingMessage, res: http.ServerResponse) => {
                const chunks: Buffer[] = [];
                for await (const chunk of req) chunks.push(chunk as Buffer);
                const body = Buffer.concat(chunks);
                const problem = verifySigV4({ method: req.method!, rawUrl: req.url!, headers: req.headers, body }, creds, "us-east-1", "lambda");
                const signed = /SignedHeaders=([^,]+)/.exec(String(req.headers.authorization))?.[1].split(";") ?? [];
                seen.push(`signature: ${problem ?? "valid"}; token: ${req.headers["x-amz-security-token"] === sessionToken ? "sent" : "missing"}; signed: ${signed.join(";")}`);
                if (problem) {
                    res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ Message: "Forbidden" }));
                    return;
                }
                const event = {
                    version: "2.0", routeKey: "$default", rawPath: req.url, rawQueryString: "",
                    headers: req.headers, requestContext: { http: { method: req.method, path: req.url } },
                    body: body.toString("utf8"), isBase64Encoded: false,
                };
                const answer = await handler(event);
                res.writeHead(answer.statusCode, answer.headers).end(answer.body);
            };
            const server = http.createServer((req, res) => void playFunctionUrl(req, res));
            await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "front-door-"));
            try {
                fs.writeFileSync(path.join(dir, "request.json"), JSON.stringify({ image: jpegBytes(2048).toString("base64"), topK: 3 }));
                const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
                const out = await new Promise<string>((resolve, reject) => execFile("bash", ["-c", documentedCurl()], {
                    cwd: dir,
                    env: { PATH: process.env.PATH, URL: url, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_SESSION_TOKEN: sessionToken },
                }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}\n${stdout}`)) : resolve(stdout))));
                assert.match(seen[0], /^signature: valid; token: sent; signed: .*x-amz-security-token/);
                const predictions = parseJson<{ predictions: Prediction[] }>(out, "the function's answer").predictions;
                assert.strictEqual(predictions.length, 3);
                assert.ok(predictions.every(p => typeof p.label === "string" && p.probability >= 0 && p.probability <= 1));
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
                await new Promise(resolve => server.close(resolve));
                restore();
                await runtime.close();
            }
        });
    });
});
