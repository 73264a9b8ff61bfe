// A content-addressed cache of build outputs on disk (`.build/cache/<name>/`): an entry is found by
// the hash of everything that produced it, so a changed input, option or tool version simply
// misses and nothing is ever invalidated by hand. Used where the offline plan and `pulumi preview`
// would otherwise redo the same deterministic build on every run: stripping the types of each
// TypeScript file (plan/typescript-loader.js) and bundling the Lambda handler (lambda/bundle.ts).
//
// Best effort by design: an unreadable, corrupt or unwritable cache is a miss, never an error, and
// MLOPS_BUILD_CACHE=off turns it off. Plain JavaScript, because the TypeScript loader needs it
// before any `.ts` file can be loaded.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..", ".build", "cache");

/**
 * The sha256 of `parts`, hex; each part is length-prefixed so that ("ab", "c") and ("a", "bc")
 * differ.
 * @param {...(string | Buffer)} parts
 * @returns {string}
 */
function contentKey(...parts) {
    const hash = crypto.createHash("sha256");
    for (const part of parts) {
        hash.update(String(Buffer.byteLength(part)));
        hash.update(":");
        hash.update(part);
    }
    return hash.digest("hex");
}

class ContentCache {
    /** @param {string} name a folder under .build/cache */
    constructor(name) {
        this.dir = path.join(ROOT, name);
        this.enabled = process.env.MLOPS_BUILD_CACHE !== "off";
    }

    /**
     * The entry stored under `key`, or undefined.
     * @param {string} key
     * @returns {unknown}
     */
    get(key) {
        if (!this.enabled) return undefined;
        try {
            return JSON.parse(fs.readFileSync(path.join(this.dir, `${key}.json`), "utf8"));
        } catch {
            return undefined;
        }
    }

    /**
     * Stores `value` under `key`. Written to a temporary file and renamed, so that a reader in
     * another process (the plan and its policy pack load the same files at once) sees the whole
     * entry or none.
     * @param {string} key
     * @param {unknown} value
     */
    set(key, value) {
        if (!this.enabled) return;
        const file = path.join(this.dir, `${key}.json`);
        const temporary = `${file}.${process.pid}.tmp`;
        try {
            fs.mkdirSync(this.dir, { recursive: true });
            fs.writeFileSync(temporary, JSON.stringify(value));
            fs.renameSync(temporary, file);
        } catch {
            fs.rmSync(temporary, { force: true });
        }
    }
}

module.exports = { ContentCache, contentKey };
