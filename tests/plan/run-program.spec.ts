import * as assert from "assert";
import { durationSeconds, engineUrn, toAnalyzerValue } from "../../plan/run-program";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e";
const ASSET = "c44067f5952c0a294b673a41bacd8c17";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("plan: resources as the engine hands them to analyzers", () => {
    it("makes URNs like the engine: the parent's type chain, never the root stack's type", () => {
        const stack = engineUrn("dev", "mlops", "", "pulumi:pulumi:Stack", "mlops-dev");
        assert.strictEqual(stack, "urn:pulumi:dev::mlops::pulumi:pulumi:Stack::mlops-dev");
        const component = engineUrn("dev", "mlops", stack, "mlops:notebook:Notebook", "nb");
        assert.strictEqual(component, "urn:pulumi:dev::mlops::mlops:notebook:Notebook::nb");
        const role = engineUrn("dev", "mlops", component, "mlops:iam:ServiceRole", "nb-role");
        assert.strictEqual(role, "urn:pulumi:dev::mlops::mlops:notebook:Notebook$mlops:iam:ServiceRole::nb-role");
        assert.strictEqual(
            engineUrn("dev", "mlops", role, "aws:iam/role:Role", "nb-role"),
            "urn:pulumi:dev::mlops::mlops:notebook:Notebook$mlops:iam:ServiceRole$aws:iam/role:Role::nb-role",
        );
    });

    it("unwraps secrets, downgrades resource references, drops internal keys, keeps unknowns and assets", () => {
        const ids = new Map([["urn:pulumi:dev::mlops::aws:iam/role:Role::r", "r-123"]]);
        const value = toAnalyzerValue(
            {
                password: { [SIG]: SECRET, value: "s3cr3t" },
                nested: [{ [SIG]: SECRET, value: { a: 1 } }],
                role: { [SIG]: RESOURCE, urn: "urn:pulumi:dev::mlops::aws:iam/role:Role::r", id: "" },
                roleKnown: { [SIG]: RESOURCE, urn: "urn:pulumi:dev::mlops::aws:iam/role:Role::x", id: "x-9" },
                roleUnknown: { [SIG]: RESOURCE, urn: "urn:pulumi:dev::mlops::aws:iam/role:Role::y", id: "" },
                component: { [SIG]: RESOURCE, urn: "urn:pulumi:dev::mlops::mlops:iam:ServiceRole::c" },
                __provider: "serialized closure",
                inner: { __defaults: [], keep: UNKNOWN },
                code: { [SIG]: ASSET, text: "exports.handler = 1" },
            },
            (urn) => ids.get(urn),
        );
        assert.deepStrictEqual(value, {
            password: "s3cr3t",
            nested: [{ a: 1 }],
            role: "r-123",
            roleKnown: "x-9",
            roleUnknown: UNKNOWN,
            component: "urn:pulumi:dev::mlops::mlops:iam:ServiceRole::c",
            inner: { keep: UNKNOWN },
            code: { [SIG]: ASSET, text: "exports.handler = 1" },
        });
    });

    it("converts custom timeouts like Go's time.ParseDuration, naming a bad one", () => {
        assert.strictEqual(durationSeconds(""), 0);
        assert.strictEqual(durationSeconds("0"), 0);
        assert.strictEqual(durationSeconds("90s"), 90);
        assert.strictEqual(durationSeconds("1h30m"), 5400);
        assert.strictEqual(durationSeconds("1.5h"), 5400);
        assert.strictEqual(durationSeconds("250ms"), 0.25);
        assert.throws(() => durationSeconds("ten minutes"), /custom timeout "ten minutes" is not a duration like "30s", "10m" or "1h30m"/);
    });
});
