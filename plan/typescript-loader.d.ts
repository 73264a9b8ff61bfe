/** Makes every `.ts` module loaded from now on go through esbuild (false: PLAN_TS_LOADER=ts-node kept ts-node's). */
export declare function registerFastTypeScript(): boolean;
