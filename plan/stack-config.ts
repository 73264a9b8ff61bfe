import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI hands it to a program: a flat map from
 * fully-qualified key (`mlops:endpoint`, `aws:region`) to a string, with structured values
 * JSON-encoded. Used by the offline plan, the tests and the dataset tool, so all three see
 * exactly what `pulumi up` would.
 */
export function loadStackConfig(stack: string, projectDir: string = path.join(__dirname, "..")): Record<string, string> {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new Error(`stack name "${stack}" is invalid: use letters, digits, '.', '_' or '-'`);
    }
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = fs.readdirSync(projectDir)
            .map(f => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => !!s);
        throw new Error(`no stack "${stack}": ${file} does not exist (stacks here: ${known.join(", ") || "none"})`);
    }
    const doc = (YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null) ?? {};
    const config = doc.config ?? {};
    const projectName = readProjectName(projectDir);
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        // Pulumi lets the project's own namespace be omitted in stack files.
        const fullKey = key.includes(":") ? key : `${projectName}:${key}`;
        if (value !== null && typeof value === "object" && "secure" in (value)) {
            throw new Error(`${fullKey} is a secret; the offline tools cannot decrypt secrets, pass it another way`);
        }
        flat[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return flat;
}

/** The project name from `Pulumi.yaml` in `projectDir`. */
export function readProjectName(projectDir: string): string {
    const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { name: string };
    return project.name;
}

/** Finds the Pulumi project that holds `file`: the nearest folder upwards with a Pulumi.yaml. */
export function findProjectDir(file: string): string {
    let dir = path.dirname(path.resolve(file));
    for (;;) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        const up = path.dirname(dir);
        if (up === dir) throw new Error(`no Pulumi.yaml in any folder above ${file}: a program must belong to a Pulumi project`);
        dir = up;
    }
}
