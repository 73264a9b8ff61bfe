export declare function contentKey(...parts: (string | Buffer)[]): string;

export declare class ContentCache {
    readonly dir: string;
    readonly enabled: boolean;
    constructor(name: string);
    get(key: string): unknown;
    set(key: string, value: unknown): void;
}
