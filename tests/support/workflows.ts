// The repository's GitHub Actions workflows, read with the shape the tests rely on: a step, a job,
// a workflow. YAML gives untyped data; these say what the tests expect to find in it.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

const WORKFLOWS = path.join(__dirname, "..", "..", ".github", "workflows");

/** `with:` inputs are scalars: text, a number (`node-version: 22`) or a flag (`upsert: true`). */
export type StepInputs = Record<string, string | number | boolean>;

export interface WorkflowStep {
    id?: string;
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    with?: StepInputs;
    env?: Record<string, string>;
}

export interface WorkflowJob {
    if?: string;
    permissions?: Record<string, string>;
    strategy?: { matrix: Record<string, unknown[]> };
    steps: WorkflowStep[];
}

export interface Workflow {
    on: Record<string, unknown>;
    jobs: Record<string, WorkflowJob>;
}

/** `.github/workflows/<file>`, parsed. */
export function loadWorkflow(file: string): Workflow {
    return YAML.parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
}

/** The job's first step that `matches`; throws, naming `what`, when there is none. */
export function stepOf(job: WorkflowJob, matches: (s: WorkflowStep) => boolean, what: string): WorkflowStep {
    const step = job.steps.find(matches);
    if (!step) throw new Error(`no ${what} step`);
    return step;
}

/** The step whose `uses:` is `action` (any version). */
export function stepUsing(job: WorkflowJob, action: string): WorkflowStep {
    return stepOf(job, (s) => String(s.uses).startsWith(`${action}@`), `uses: ${action}`);
}

/** A text input of a step (`with: { key: ... }`); throws when it is absent or not text. */
export function inputOf(step: WorkflowStep, key: string): string {
    const value = step.with?.[key];
    if (typeof value !== "string") throw new Error(`step ${step.name ?? step.uses ?? step.id ?? "?"} has no text input "${key}" (got ${JSON.stringify(value)})`);
    return value;
}
