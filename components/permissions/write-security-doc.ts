// `npm run docs:security`: rewrites the generated permission tables in docs/security.md.
import * as fs from "fs";
import * as path from "path";
import { renderPermissionDocs, replaceGeneratedSection } from "./docs";

const file = path.join(__dirname, "..", "..", "docs", "security.md");
try {
    fs.writeFileSync(file, replaceGeneratedSection(fs.readFileSync(file, "utf8"), renderPermissionDocs()));
    console.log(`updated ${path.relative(process.cwd(), file)}`);
} catch (e) {
    console.error(`docs:security: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
}
