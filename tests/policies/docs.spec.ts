// docs/policies.md ("Policy pack", "Rules") lists every rule with its level per stack: it must not drift
// from the pack or the config files.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { packName, policies } from "../../policies/pack";
import { evaluatePack } from "./helpers";

const ROOT = path.join(__dirname, "..", "..");

describe("policies: the rule table in docs/policies.md", () => {
    it("has one row per rule with its category and resolved dev and prod levels", async () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "policies.md"), "utf8");
        const levels = async (stack: string) =>
            (await evaluatePack(policies, [], JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "config", `${stack}.json`), "utf8")), { packName })).config.policies;
        const dev = await levels("dev");
        const prod = await levels("prod");
        const rows = doc.split("\n").filter((l) => /^\| `[a-z0-9-]+` \| (security|cost|governance) \|/.test(l));
        assert.strictEqual(rows.length, policies.length, "one table row per rule");
        for (const p of policies) {
            const row = rows.find((r) => r.startsWith(`| \`${p.name}\` |`));
            assert.ok(row, `docs/policies.md has no row for ${p.name}`);
            const cells = row!.split(" | ");
            assert.strictEqual(cells[1], p.tags![0], `${p.name} category`);
            assert.strictEqual(cells[2], dev.get(p.name)!.enforcementLevel, `${p.name} dev level`);
            assert.strictEqual(cells[3], prod.get(p.name)!.enforcementLevel, `${p.name} prod level`);
            const [, what, anchors] = /^(.*?)(?: \(anchors: (.*)\))?$/.exec(p.description)!;
            assert.strictEqual(cells[4], what.replace(/\|/g, "\\|"), `${p.name} description`);
            assert.strictEqual(cells[5], anchors ?? "none", `${p.name} anchors`);
        }
    });
});
