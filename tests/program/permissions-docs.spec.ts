// docs/security.md lists every workload's permissions from the contracts the IAM tests prove; the
// generated section must be exactly what `npm run docs:security` writes.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { AWS_DOCS } from "../../components/permissions/aws-docs";
import { renderPermissionDocs, SECURITY_DOC } from "../../components/permissions/docs";
import { regenerate } from "../../lib/generated-docs";
import { roleContracts } from "../../components/permissions/contracts";
import { placeholderFacts } from "../../components/permissions/docs";

const DOC = path.join(__dirname, "..", "..", "docs", "security.md");

describe("docs/security.md: permissions per workload", () => {
    it("is the section `npm run docs:security` generates from the contracts", () => {
        const doc = fs.readFileSync(DOC, "utf8");
        assert.ok(regenerate(SECURITY_DOC, doc) === doc, "docs/security.md is stale: run `npm run docs:security`");
    });

    it("lists every role with each action it is granted, and cites only AWS pages", () => {
        const generated = renderPermissionDocs();
        for (const c of roleContracts(placeholderFacts())) {
            assert.ok(generated.includes(`### ${c.workload}`), c.workload);
            for (const r of c.requests) assert.ok(generated.includes(`\`${r.action}\``), `${c.workload}: ${r.action}`);
        }
        for (const { url } of Object.values(AWS_DOCS)) assert.match(url, /^https:\/\/docs\.aws\.amazon\.com\//);
    });

    it("refuses a page without the markers, naming them", () => {
        assert.throws(() => regenerate(SECURITY_DOC, "# Security\n"), /generated:permissions \(npm run docs:security\)/);
    });
});
