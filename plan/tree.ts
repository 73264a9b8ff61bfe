// The resource tree of a plan, by parent, in registration order (as `pulumi preview` lists it).

import type { PlanResource } from "./policy-engine";

export interface TreeNode {
    resource: PlanResource;
    children: TreeNode[];
}

/** Builds the forest of resources by `parent`; a resource whose parent is unknown becomes a root. */
export function buildTree(resources: PlanResource[]): TreeNode[] {
    const nodes = new Map<string, TreeNode>();
    for (const r of resources) nodes.set(r.urn, { resource: r, children: [] });
    const roots: TreeNode[] = [];
    for (const r of resources) {
        const node = nodes.get(r.urn)!;
        const parent = r.parent ? nodes.get(r.parent) : undefined;
        if (parent && parent !== node) parent.children.push(node);
        else roots.push(node);
    }
    return roots;
}

/**
 * Renders the tree with box-drawing guides, one resource per line: `type  name`, plus whatever
 * `annotate` returns for it (for example its violation count).
 */
export function renderTree(resources: PlanResource[], annotate: (r: PlanResource) => string = () => ""): string[] {
    const lines: string[] = [];
    const visit = (node: TreeNode, prefix: string, childPrefix: string) => {
        const note = annotate(node.resource);
        lines.push(`${prefix}${node.resource.type}  ${node.resource.name}${note ? `  ${note}` : ""}`);
        node.children.forEach((child, i) => {
            const last = i === node.children.length - 1;
            visit(child, `${childPrefix}${last ? "└─ " : "├─ "}`, `${childPrefix}${last ? "   " : "│  "}`);
        });
    };
    for (const root of buildTree(resources)) visit(root, "", "");
    return lines;
}
