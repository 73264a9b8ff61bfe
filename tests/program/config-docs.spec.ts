import * as assert from "assert";
import * as fs from "fs";
import { CONFIGURATION_DOC, DOC_FILE, renderTable } from "../../config/reference";
import { regenerate } from "../../lib/generated-docs";

describe("configuration reference (docs/configuration.md)", () => {
    const doc = fs.readFileSync(DOC_FILE, "utf8");

    it("is what the schema generates: run `npm run docs:config` after changing config/", () => {
        assert.ok(regenerate(CONFIGURATION_DOC, doc) === doc, "docs/configuration.md is stale: run `npm run docs:config`");
    });

    it("notices a hand edit of a generated row", () => {
        const edited = doc.replace("| `mlops:endpoint.maxInstances` | `4` |", "| `mlops:endpoint.maxInstances` | `5` |");
        assert.notStrictEqual(edited, doc, "the row exists");
        assert.notStrictEqual(regenerate(CONFIGURATION_DOC, edited), edited);
    });

    it("lists every key with its default and what is allowed", () => {
        const table = renderTable();
        for (const row of [
            "| `aws:region` | (required) | one of the regions @pulumi/aws knows (",
            "| `mlops:endpoint.maxInstances` | `4` | a whole number >= 1 | autoscaling ceiling |",
            "| `mlops:training.hyperparameters.learningRate` | `0.001` | a number > 0 and <= 1 | `--learning-rate`: optimizer step size |",
            "| `mlops:tuning.batchSizes` | `[32,64,128,256,512]` |",
            "| `mlops:training.debugger.tensorRules` | `[]` |",
            "| `mlops:tags.<key>` | none |",
        ]) {
            assert.ok(table.includes(row), `missing: ${row}`);
        }
    });
});
