import * as pulumi from "@pulumi/pulumi";
import { PipelineMocks } from "../../plan/mocks";

/**
 * What a component asks the engine for, options included (delete-before-replace, replacement
 * triggers, retain-on-delete), which a plan's resource list does not carry: the component is
 * built under the mocks and every registration request is recorded as the engine receives it.
 */
export interface Registered {
    type: string;
    name: string;
    urn?: string;
    inputs: Record<string, unknown>;
    dependencies: string[];
    deleteBeforeReplace: boolean;
    retainOnDelete: boolean;
    /** The replacement trigger as sent; undefined when the resource has none. */
    replacementTrigger: unknown;
}

/** The parts of the engine's RegisterResourceRequest (a generated protobuf class) read here. */
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getDependenciesList(): string[];
    getDeletebeforereplace(): boolean;
    getRetainondelete(): boolean | undefined;
    getReplacementTrigger(): { toJavaScript(): unknown } | undefined;
}
interface RegisterResponse { getUrn(): string }
type RegisterCallback = (err: unknown, resp?: RegisterResponse) => void;
interface Monitor { registerResource(req: RegisterRequest, callback: RegisterCallback): void }

/**
 * Builds resources under fresh mocks and returns their registrations once every resource that
 * `build` returns is registered (children included: list the ones to wait for).
 */
export async function registrationsOf(build: () => pulumi.Resource[]): Promise<Registered[]> {
    await pulumi.runtime.setMocks(new PipelineMocks(), "mlops", "dev", true);
    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const register = monitor.registerResource.bind(monitor);
    const recorded: Registered[] = [];
    monitor.registerResource = (req: RegisterRequest, callback: RegisterCallback) => {
        const entry: Registered = {
            type: req.getType(),
            name: req.getName(),
            inputs: req.getObject()?.toJavaScript() ?? {},
            dependencies: req.getDependenciesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            retainOnDelete: req.getRetainondelete() ?? false,
            replacementTrigger: req.getReplacementTrigger()?.toJavaScript(),
        };
        recorded.push(entry);
        register(req, (err: unknown, resp?: RegisterResponse) => {
            if (resp) entry.urn = resp.getUrn();
            callback(err, resp);
        });
    };
    const resources = build();
    await new Promise<void>(resolve => pulumi.all(resources.map(r => r.urn)).apply(() => resolve()));
    return recorded;
}

export function registered(all: Registered[], type: string, nameIncludes = ""): Registered {
    const found = all.filter(r => r.type === type && r.name.includes(nameIncludes));
    if (found.length !== 1) throw new Error(`expected one ${type} *${nameIncludes}*, found ${found.map(r => r.name).join(", ") || "none"}`);
    return found[0];
}
