/** Makes every `.ts` module loaded from now on go through esbuild (false: PLAN_TS_LOADER=ts-node kept ts-node's). */
export declare function registerFastTypeScript(): boolean;
/** The source map of a TypeScript file this loader compiled, as JSON text. */
export declare function sourceMapOf(filename: string): string | undefined;
/** Where a 1-based line:column of the code compiled from `filename` is in the TypeScript file. */
export declare function originalPosition(filename: string, line: number, column: number): { line: number; column: number } | undefined;
