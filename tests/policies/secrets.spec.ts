import * as assert from "assert";
import { RESOURCE_TYPES as K } from "../../policies/lib/resource-types";
import { SecretDetector, DEFAULT_SECRET_PATTERNS } from "../../policies/lib/secrets";
import { UNKNOWN_STRING, assertNone, assertViolation, check, res } from "./helpers";

const RULE = "no-plaintext-secrets";
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("policies: no-plaintext-secrets in every environment and script", () => {
    it("names the secret-looking variables of a model's containers, a training job's environment and hyperparameters, and a tuning job's definitions", async () => {
        const v = await check(RULE, [
            res(K.model.tokens[0], "model", { primaryContainer: { environment: { SAGEMAKER_PROGRAM: "inference.py", DATABASE_URL: "postgres://app:hunter2@db.internal:5432/app" } }, containers: [{ environment: { DB_PASS: "hunter2" } }] }),
            res(K.trainingJob.tokens[0], "train", { environment: { WANDB_API_KEY: "0123456789abcdef" }, hyperParameters: { epochs: "3", "hf-token": "hf_abcdefghijklmnopqrstuvwxyz" } }),
            res(K.tuningJob.tokens[0], "tune", { config: {}, trainingJobDefinitions: [{ environment: { LOG_LEVEL: "info" } }, { staticHyperParameters: { "db-password": "hunter2" } }] }),
        ]);
        assertViolation(v, "primaryContainer.environment DATABASE_URL holds a value that looks like a credential");
        assertViolation(v, "containers[0].environment DB_PASS looks like it holds a secret");
        assertViolation(v, "environment WANDB_API_KEY looks like it holds a secret");
        assertViolation(v, "hyperParameters hf-token looks like it holds a secret");
        assertViolation(v, "trainingJobDefinitions[1].staticHyperParameters db-password looks like it holds a secret");
        assert.strictEqual(v.length, 5);
    });

    it("finds literals and credential-shaped values in EC2 user data, launch-template user data and notebook lifecycle scripts", async () => {
        const script = ["#!/bin/bash", "export AWS_SECRET_ACCESS_KEY=abcdefghijklmnopqrstuvwxyzABCD0123456789", "TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token)", "aws s3 cp s3://b/k ."].join("\n");
        const v = await check(RULE, [
            res(K.ec2Instance.tokens[0], "trainer", { userData: script }),
            res(K.launchTemplate.tokens[0], "lt", { userData: b64("#!/bin/bash\npsql postgres://app:hunter2@db:5432/app\n") }),
            res(K.notebookLifecycle.tokens[0], "nb", { onStart: b64("#!/bin/bash\nexport GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n") }),
        ]);
        assertViolation(v, "userData: line 2 assigns a literal to AWS_SECRET_ACCESS_KEY");
        assertViolation(v, "userData: line 2 holds a value that looks like a credential");
        assertViolation(v, "userData: line 2 holds a value that looks like a credential.");
        assertViolation(v, "onStart: line 2 assigns a literal to GITHUB_TOKEN");
        assert.strictEqual(v.filter((x) => x.resourceName === "lt").length, 1, "the launch template's decoded script");
        assert.ok(!v.some((x) => x.message.includes("line 3")), "a $(...) lookup is not a literal");
    });

    it("accepts references, lookups and the pipeline's own scripts and settings", async () => {
        assertNone(await check(RULE, [
            res(K.model.tokens[0], "model", { primaryContainer: { environment: { SAGEMAKER_PROGRAM: "inference.py", SAGEMAKER_SUBMIT_DIRECTORY: "/opt/ml/model/code", DB_PASSWORD_SECRET_ID: "prod/db" } } }),
            res(K.trainingJob.tokens[0], "train", { hyperParameters: { "learning-rate": "0.001", "max-tokens": "512", sagemaker_program: "train.py" } }),
            res(K.ec2Instance.tokens[0], "trainer", { userData: "#!/bin/bash\nset -euo pipefail\nexport AWS_DEFAULT_REGION=us-east-1\nDB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id prod/db --query SecretString --output text)\nstatus=$?\n" }),
            res(K.notebookLifecycle.tokens[0], "nb", { onStart: b64("IDLE_SECONDS = 3600\nSTATE = \"/var/tmp/x\"\nctx.check_hostname = False\n") }),
        ]));
    });

    it("in preview: an unknown value is judged by its name, an unknown script or environment defers", async () => {
        assertViolation(await check(RULE, [res(K.model.tokens[0], "m", { primaryContainer: { environment: { API_TOKEN: UNKNOWN_STRING, REGION: UNKNOWN_STRING } } })]), "API_TOKEN looks like it holds a secret", 1);
        const v = await check(RULE, [res(K.ec2Instance.tokens[0], "trainer", { userData: UNKNOWN_STRING })]);
        assert.strictEqual(v.length, 1);
        assert.strictEqual(v[0].enforcementLevel, "advisory");
    });

    it("the patterns are configurable", async () => {
        const r = [res(K.lambdaFunction.tokens[0], "fn", { environment: { variables: { LICENSE: "abc-123" } } })];
        assertNone(await check(RULE, r));
        assertViolation(await check(RULE, r, { secretNamePattern: "license" }), "LICENSE looks like it holds a secret", 1);
        assert.ok(new SecretDetector(DEFAULT_SECRET_PATTERNS).looksLikeCredential("mysql://root:pw@localhost/db"));
    });
});
