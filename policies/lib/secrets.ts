// Where a workload of this pipeline can carry a plaintext secret, and how one is recognised.
// Places: environments (Lambda, a SageMaker model's containers, training jobs and the training
// definitions of a tuning job), hyperparameters (passed to the training script as arguments), and
// scripts (EC2 and launch-template user data, notebook lifecycle scripts). A secret is a variable
// whose name says it is one and whose value is a literal (not a reference such as an ARN, a
// `*_SECRET_ID` name or a `$(aws secretsmanager ...)` lookup), or any value shaped like a credential.

import { type Read, Unknown, peek, readString } from "./preview";
import { type ArgsOf, RESOURCE_TYPES as T, isKind } from "./resource-types";

export interface SecretPatterns {
    secretNamePattern: string;
    secretValuePatterns: string[];
    allowedNameSuffixes: string[];
}

export const DEFAULT_SECRET_PATTERNS: SecretPatterns = {
    secretNamePattern:
        "(secret|passw(or)?d|(^|[_.-])pass($|[_.-])|pwd|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|credential|database[_.-]?url|db[_.-]?(url|uri)|(^|[_.-])dsn($|[_.-])|conn(ection)?[_.-]?str(ing)?)",
    secretValuePatterns: [
        "^(AKIA|ASIA)[0-9A-Z]{16}$",
        "-----BEGIN [A-Z ]*PRIVATE KEY-----",
        "^gh[pousr]_[A-Za-z0-9]{36,}$",
        "^xox[abpr]-[A-Za-z0-9-]{10,}$",
        "^(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])[A-Za-z0-9/+]{40}$",
        "^[a-z][a-z0-9+.-]*://[^/\\s:@]+:[^/\\s@]+@",
        "(^|[;&?])(password|pwd)=[^;&\\s]+",
        "^eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}$",
    ],
    allowedNameSuffixes: ["_ARN", "_NAME", "_ID", "_PARAMETER", "_SECRET_ID"],
};

/** A variable a workload receives: `where` says where, for messages. */
export interface Variable {
    where: string;
    name: string;
    value: Read<string>;
}

/** A script a workload runs, decoded. */
export interface Script {
    where: string;
    text: Read<string>;
}

function variables(where: string, read: () => Record<string, string> | undefined): (Variable | Unknown)[] {
    const vars = peek(read);
    if (vars instanceof Unknown) return [vars];
    if (vars === undefined || vars === null) return [];
    return Object.keys(vars).map((name) => ({ where, name, value: readString(() => vars[name]) }));
}

function decodeBase64(encoded: Read<string>): Read<string> {
    if (typeof encoded !== "string") return encoded;
    const text = Buffer.from(encoded, "base64").toString("utf8");
    // Not base64 after all (some programs pass the script itself): keep what was given.
    return Buffer.from(text, "utf8").toString("base64").replace(/=+$/, "") === encoded.replace(/\s/g, "").replace(/=+$/, "") ? text : encoded;
}

type Props = Record<string, unknown>;

/** Every variable and script a resource of a secret-carrying kind declares (inputs or outputs). */
export function secretCarriers(type: string, props: Props): { variables: (Variable | Unknown)[]; scripts: Script[] } {
    if (isKind(type, T.lambdaFunction)) {
        const fn = props as ArgsOf<typeof T.lambdaFunction>;
        return { variables: variables("environment variable", () => fn.environment?.variables), scripts: [] };
    }
    if (isKind(type, T.model)) {
        const model = props as ArgsOf<typeof T.model>;
        const containers = peek(() => model.containers ?? []);
        return {
            variables: [
                ...variables("primaryContainer.environment", () => model.primaryContainer?.environment),
                ...(containers instanceof Unknown ? [containers] : containers.flatMap((_, i) => variables(`containers[${i}].environment`, () => containers[i].environment))),
            ],
            scripts: [],
        };
    }
    if (isKind(type, T.trainingJob)) {
        const job = props as ArgsOf<typeof T.trainingJob>;
        return { variables: [...variables("environment", () => job.environment), ...variables("hyperParameters", () => job.hyperParameters)], scripts: [] };
    }
    if (isKind(type, T.tuningJob)) {
        const job = props as ArgsOf<typeof T.tuningJob>;
        const out: (Variable | Unknown)[] = [];
        const one = (where: string, read: () => ArgsOf<typeof T.tuningJob>["trainingJobDefinition"]) => {
            out.push(...variables(`${where}.environment`, () => read()?.environment), ...variables(`${where}.staticHyperParameters`, () => read()?.staticHyperParameters));
        };
        one("trainingJobDefinition", () => job.trainingJobDefinition);
        const many = peek(() => job.trainingJobDefinitions ?? []);
        if (many instanceof Unknown) out.push(many);
        else many.forEach((_, i) => one(`trainingJobDefinitions[${i}]`, () => many[i]));
        return { variables: out, scripts: [] };
    }
    if (isKind(type, T.ec2Instance)) {
        const instance = props as ArgsOf<typeof T.ec2Instance> & { userDataBase64?: string };
        return {
            variables: [],
            scripts: [
                { where: "userData", text: readString(() => instance.userData) },
                { where: "userDataBase64", text: decodeBase64(readString(() => instance.userDataBase64)) },
            ],
        };
    }
    if (isKind(type, T.launchTemplate)) {
        const template = props as ArgsOf<typeof T.launchTemplate>;
        return { variables: [], scripts: [{ where: "userData", text: decodeBase64(readString(() => template.userData)) }] };
    }
    if (isKind(type, T.notebookLifecycle)) {
        const lifecycle = props as ArgsOf<typeof T.notebookLifecycle>;
        return {
            variables: [],
            scripts: [
                { where: "onCreate", text: decodeBase64(readString(() => lifecycle.onCreate)) },
                { where: "onStart", text: decodeBase64(readString(() => lifecycle.onStart)) },
            ],
        };
    }
    return { variables: [], scripts: [] };
}

export const SECRET_CARRIER_KINDS = [T.lambdaFunction, T.model, T.trainingJob, T.tuningJob, T.ec2Instance, T.launchTemplate, T.notebookLifecycle] as const;

export class SecretDetector {
    private readonly name: RegExp;
    private readonly values: RegExp[];

    constructor(private readonly patterns: SecretPatterns) {
        this.name = new RegExp(patterns.secretNamePattern, "i");
        this.values = patterns.secretValuePatterns.map((p) => new RegExp(p));
    }

    /** The value is a credential by its shape. */
    looksLikeCredential(value: string): boolean {
        return this.values.some((re) => re.test(value));
    }

    /** The name says "secret" and the value is not a reference to one. */
    namesASecret(name: string, value: Read<string>): boolean {
        if (!this.name.test(name)) return false;
        if (this.patterns.allowedNameSuffixes.some((s) => name.toUpperCase().endsWith(s))) return false;
        if (value instanceof Unknown) return true;
        // A number or a flag is a setting whatever its name says ("max-tokens": "512").
        return typeof value === "string" && value !== "" && !value.startsWith("arn:") && !/^(\d+(\.\d+)?|true|false)$/i.test(value);
    }

    /** Findings in a script: assignments of literals to secret names, and credential-shaped values. */
    scanScript(text: string): string[] {
        const findings = new Set<string>();
        const anchored = this.values.filter((re) => re.source.startsWith("^"));
        const loose = this.values.filter((re) => !re.source.startsWith("^"));
        text.split("\n").forEach((line, i) => {
            const assignment = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
            if (assignment) {
                const [, name, raw] = assignment;
                const value = raw.trim().replace(/^(["'])(.*)\1;?$/, "$2");
                // A lookup ($VAR, $(command), `command`) or an empty value is not a literal secret.
                const literal = value !== "" && !/^[$`]/.test(value) && !/^(None|null)$/.test(value);
                if (literal && this.namesASecret(name, value)) findings.add(`line ${i + 1} assigns a literal to ${name}`);
            }
            const tokens = line.split(/[\s"'`]+/).flatMap((t) => [t, t.slice(t.indexOf("=") + 1)]).filter((t) => t !== "");
            if (loose.some((re) => re.test(line)) || tokens.some((t) => anchored.some((re) => re.test(t)))) {
                findings.add(`line ${i + 1} holds a value that looks like a credential`);
            }
        });
        return [...findings];
    }
}
