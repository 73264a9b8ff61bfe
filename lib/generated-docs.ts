// Docs that restate what the code knows (the configuration reference, the pack's rule tables, the
// permissions of each workload) hold generated sections between markers:
//
//   <!-- generated:NAME (npm run docs:X) -->
//   ...written by the generator...
//   <!-- end:NAME -->
//
// The text around them is written by hand. `npm run docs:X` rewrites the sections, `--check` only
// says whether they are stale, and each doc's test fails while they are. One marker format and one
// command line for every generated doc.

import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";

export interface GeneratedDoc {
    /** The markdown file. */
    file: string;
    /** The command that rewrites it: named in its markers and in every "stale" message. */
    command: string;
    /** Each section's name and what it holds now. */
    sections: Record<string, () => string>;
}

function beginMarker(doc: GeneratedDoc, section: string): string {
    return `<!-- generated:${section} (${doc.command}) -->`;
}

function endMarker(section: string): string {
    return `<!-- end:${section} -->`;
}

const shown = (file: string) => path.relative(process.cwd(), file) || file;

/** `text` (the doc's content) with every generated section rewritten; throws naming missing markers. */
export function regenerate(doc: GeneratedDoc, text: string): string {
    let out = text;
    for (const [section, render] of Object.entries(doc.sections)) {
        const begin = beginMarker(doc, section);
        const end = endMarker(section);
        const from = out.indexOf(begin);
        const to = out.indexOf(end);
        if (from < 0 || to < from) throw new Error(`${shown(doc.file)} lacks the markers ${begin} ... ${end}`);
        out = `${out.slice(0, from + begin.length)}\n${render()}\n${out.slice(to)}`;
    }
    return out;
}

/**
 * The generator's command line: rewrites the doc, or with `--check` exits 1 while it is stale.
 * Returns the exit code; problems are one line on stderr, never a stack trace.
 */
export function runGenerator(doc: GeneratedDoc, argv: string[]): number {
    try {
        const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { check: { type: "boolean" } } });
        const current = fs.readFileSync(doc.file, "utf8");
        const fresh = regenerate(doc, current);
        if (values.check) {
            if (fresh === current) return 0;
            console.error(`${shown(doc.file)} is stale: run \`${doc.command}\``);
            return 1;
        }
        if (fresh !== current) fs.writeFileSync(doc.file, fresh);
        console.log(`${shown(doc.file)} ${fresh === current ? "is up to date" : "regenerated"}`);
        return 0;
    } catch (e) {
        console.error(`${doc.command}: ${e instanceof Error ? e.message : String(e)} (usage: ${doc.command} [-- --check])`);
        return 2;
    }
}
