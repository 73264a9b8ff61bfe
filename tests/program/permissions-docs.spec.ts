// docs/security.md lists every workload's permissions from the contracts the IAM tests prove; the
// generated section must be exactly what `npm run docs:security` writes.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { AWS_DOCS } from "../../components/permissions/aws-docs";
import { BEGIN_MARKER, END_MARKER, renderPermissionDocs, replaceGeneratedSection } from "../../components/permissions/docs";
import { roleContracts } from "../../components/permissions/contracts";
import { placeholderFacts } from "../../components/permissions/docs";

const DOC = path.join(__dirname, "..", "..", "docs", "security.md");

describe("docs/security.md: permissions per workload", () => {
    it("is the section `npm run docs:security` generates from the contracts", () => {
        const doc = fs.readFileSync(DOC, "utf8");
        const current = doc.slice(doc.indexOf(BEGIN_MARKER), doc.indexOf(END_MARKER) + END_MARKER.length);
        assert.ok(doc.includes(BEGIN_MARKER) && doc.includes(END_MARKER), "the generated section's markers are missing");
        assert.ok(current === renderPermissionDocs(), "docs/security.md is stale: run `npm run docs:security`");
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
        assert.throws(() => replaceGeneratedSection("# Security\n", "x"), /permissions:begin/);
    });
});
