// Plaintext secrets: a credential written into an environment, a hyperparameter or a script ends up
// in the state file, the console, describe-* API answers and logs. Every place a workload of this
// pipeline receives such values is read (lib/secrets.ts), by variable name and by value pattern.

import { cfg, resourceRule } from "../lib/rule";
import { Unknown } from "../lib/preview";
import { DEFAULT_SECRET_PATTERNS, SECRET_CARRIER_KINDS, SecretDetector, secretCarriers } from "../lib/secrets";

export const noPlaintextSecrets = resourceRule({
    name: "no-plaintext-secrets",
    description: "No environment, hyperparameter or script holds a secret: Lambda and SageMaker model/training/tuning environments, training hyperparameters, EC2 and launch-template user data, notebook lifecycle scripts; judged by variable name (a literal where the name says secret) and by value pattern (AWS keys, private keys, tokens, URLs with credentials).",
    anchors: ["CKV_AWS_45", "CKV_AWS_46"],
    enforcementLevel: "mandatory",
    severity: "critical",
    remediation: "store the secret in AWS Secrets Manager or SSM Parameter Store and pass only its name/ARN (or fetch it at start-up with the workload's role).",
    config: {
        secretNamePattern: cfg.string("Variable names that must not carry literal values (regex, case-insensitive).", DEFAULT_SECRET_PATTERNS.secretNamePattern),
        secretValuePatterns: cfg.strings("Value regexes that look like credentials.", DEFAULT_SECRET_PATTERNS.secretValuePatterns),
        allowedNameSuffixes: cfg.strings("Name suffixes that carry references, not secrets.", DEFAULT_SECRET_PATTERNS.allowedNameSuffixes),
    },
    kinds: SECRET_CARRIER_KINDS,
    validate(_, { config, args, report, undecided }) {
        const detector = new SecretDetector(config);
        const { variables, scripts } = secretCarriers(args.type, args.props);
        for (const v of variables) {
            if (v instanceof Unknown) {
                undecided(v);
                continue;
            }
            // Unknown during preview: the name alone can still give a secret away.
            if (typeof v.value === "string" && v.value !== "" && detector.looksLikeCredential(v.value)) report(`${v.where} ${v.name} holds a value that looks like a credential.`);
            else if (detector.namesASecret(v.name, v.value)) report(`${v.where} ${v.name} looks like it holds a secret.`);
        }
        for (const s of scripts) {
            if (s.text instanceof Unknown) {
                undecided(s.text);
                continue;
            }
            if (typeof s.text !== "string") continue;
            for (const finding of detector.scanScript(s.text)) report(`${s.where}: ${finding}.`);
        }
    },
});

export const secretRules = [noPlaintextSecrets];
