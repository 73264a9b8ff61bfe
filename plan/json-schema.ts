// A small JSON Schema validator for policy `configSchema`s.
//
// The Pulumi CLI validates the reconciled policy config of every policy against its schema (with
// gojsonschema) before it sends `Configure` to the pack, and refuses to run with an invalid config.
// The offline plan must refuse the same configs, so it validates the keywords policy schemas use.
// Keywords outside this list are ignored (as a lenient validator would), never guessed at.

export type JsonSchema = Record<string, any>;

const SUPPORTED_TYPES = ["string", "number", "integer", "boolean", "array", "object", "null"];

function typeOf(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
    const actual = typeOf(value);
    if (type === "number") return actual === "number" || actual === "integer";
    return actual === type;
}

function deepEqual(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

function show(value: unknown): string {
    return JSON.stringify(value);
}

/**
 * Validates `value` against `schema` and returns the errors, each prefixed with the path of the
 * offending value (`(root)` for the document itself, as gojsonschema names it).
 */
export function validateJsonSchema(schema: JsonSchema, value: unknown, path = "(root)"): string[] {
    const errors: string[] = [];
    if (!schema || typeof schema !== "object") return errors;

    if (schema.type !== undefined) {
        const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
        for (const t of types) {
            if (!SUPPORTED_TYPES.includes(t)) {
                errors.push(`${path}: schema type ${show(t)} is not one of ${SUPPORTED_TYPES.join(", ")}`);
                return errors;
            }
        }
        if (!types.some((t) => matchesType(value, t))) {
            errors.push(`${path}: Invalid type. Expected: ${types.join(" or ")}, given: ${typeOf(value)}`);
            // Further keywords would only repeat the type error.
            return errors;
        }
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((e: unknown) => deepEqual(e, value))) {
        errors.push(`${path}: must be one of the following: ${schema.enum.map(show).join(", ")} (got ${show(value)})`);
    }
    if ("const" in schema && !deepEqual(schema.const, value)) {
        errors.push(`${path}: does not match: ${show(schema.const)} (got ${show(value)})`);
    }

    if (typeof value === "number") {
        if (typeof schema.minimum === "number") {
            const exclusive = schema.exclusiveMinimum === true;
            if (exclusive ? value <= schema.minimum : value < schema.minimum) {
                errors.push(`${path}: Must be greater than ${exclusive ? "" : "or equal to "}${schema.minimum} (got ${value})`);
            }
        }
        if (typeof schema.maximum === "number") {
            const exclusive = schema.exclusiveMaximum === true;
            if (exclusive ? value >= schema.maximum : value > schema.maximum) {
                errors.push(`${path}: Must be less than ${exclusive ? "" : "or equal to "}${schema.maximum} (got ${value})`);
            }
        }
        if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum) {
            errors.push(`${path}: Must be greater than ${schema.exclusiveMinimum} (got ${value})`);
        }
        if (typeof schema.exclusiveMaximum === "number" && value >= schema.exclusiveMaximum) {
            errors.push(`${path}: Must be less than ${schema.exclusiveMaximum} (got ${value})`);
        }
        if (typeof schema.multipleOf === "number" && schema.multipleOf > 0) {
            const q = value / schema.multipleOf;
            if (Math.abs(q - Math.round(q)) > 1e-9) {
                errors.push(`${path}: Must be a multiple of ${schema.multipleOf} (got ${value})`);
            }
        }
    }

    if (typeof value === "string") {
        if (typeof schema.minLength === "number" && [...value].length < schema.minLength) {
            errors.push(`${path}: String length must be greater than or equal to ${schema.minLength}`);
        }
        if (typeof schema.maxLength === "number" && [...value].length > schema.maxLength) {
            errors.push(`${path}: String length must be less than or equal to ${schema.maxLength}`);
        }
        if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) {
            errors.push(`${path}: Does not match pattern '${schema.pattern}' (got ${show(value)})`);
        }
    }

    if (Array.isArray(value)) {
        if (typeof schema.minItems === "number" && value.length < schema.minItems) {
            errors.push(`${path}: Array must have at least ${schema.minItems} items`);
        }
        if (typeof schema.maxItems === "number" && value.length > schema.maxItems) {
            errors.push(`${path}: Array must have at most ${schema.maxItems} items`);
        }
        if (schema.uniqueItems === true) {
            const seen = new Set<string>();
            for (const item of value) {
                const key = JSON.stringify(item);
                if (seen.has(key)) {
                    errors.push(`${path}: array items must be unique (${key} repeats)`);
                    break;
                }
                seen.add(key);
            }
        }
        if (schema.items && typeof schema.items === "object" && !Array.isArray(schema.items)) {
            value.forEach((item, i) => errors.push(...validateJsonSchema(schema.items, item, `${path}.${i}`)));
        }
    }

    if (typeOf(value) === "object") {
        const obj = value as Record<string, unknown>;
        const properties: Record<string, JsonSchema> = schema.properties ?? {};
        for (const req of Array.isArray(schema.required) ? schema.required : []) {
            if (!(req in obj)) errors.push(`${path}: ${req} is required`);
        }
        for (const [key, child] of Object.entries(obj)) {
            const childPath = path === "(root)" ? key : `${path}.${key}`;
            if (key in properties) {
                errors.push(...validateJsonSchema(properties[key], child, childPath));
            } else if (schema.additionalProperties === false) {
                errors.push(`${path}: Additional property ${key} is not allowed`);
            } else if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
                errors.push(...validateJsonSchema(schema.additionalProperties, child, childPath));
            }
        }
        if (typeof schema.minProperties === "number" && Object.keys(obj).length < schema.minProperties) {
            errors.push(`${path}: Must have at least ${schema.minProperties} properties`);
        }
        if (typeof schema.maxProperties === "number" && Object.keys(obj).length > schema.maxProperties) {
            errors.push(`${path}: Must have at most ${schema.maxProperties} properties`);
        }
    }
    return errors;
}
