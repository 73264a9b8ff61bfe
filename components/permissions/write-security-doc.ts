// `npm run docs:security`: rewrites the generated permission tables in docs/security.md.
import { runGenerator } from "../../lib/generated-docs";
import { SECURITY_DOC } from "./docs";

process.exitCode = runGenerator(SECURITY_DOC, process.argv.slice(2));
