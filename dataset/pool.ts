/**
 * Runs `work` on every item, at most `concurrency` at once, starting them in the items' order. The
 * first failure stops new work (work in flight finishes) and is rethrown; an abort of `signal` also
 * stops new work. Returns how many items completed.
 */
export async function forEachLimited<T>(
    items: readonly T[],
    concurrency: number,
    work: (item: T, index: number) => Promise<void>,
    signal?: AbortSignal,
): Promise<number> {
    let next = 0;
    let completed = 0;
    let failure: { error: unknown } | undefined;
    const worker = async () => {
        while (failure === undefined && !signal?.aborted && next < items.length) {
            const index = next++;
            try {
                await work(items[index], index);
                completed++;
            } catch (error) {
                failure ??= { error };
            }
        }
    };
    const workers = Math.max(1, Math.min(concurrency, items.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (failure !== undefined) throw failure.error;
    return completed;
}
