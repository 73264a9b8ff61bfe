// "Did you mean ...?" for a misspelt name (a config key, a rule's property, a policy name): the
// known name nearest to it. One distance for the whole project; how near is near enough is each
// caller's to say, since a short key and a long rule name tolerate different numbers of typos.
// Here, in the pack's own folder, because the pack must load without anything outside it; the
// stack config and the offline plan import it from here.

/** Optimal string alignment distance, ignoring case: edits, with a swap of two neighbours counted as one. */
export function editDistance(a: string, b: string): number {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => [i, ...new Array<number>(y.length).fill(0)]);
    for (let j = 1; j <= y.length; j++) d[0][j] = j;
    for (let i = 1; i <= x.length; i++) {
        for (let j = 1; j <= y.length; j++) {
            const cost = x[i - 1] === y[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[x.length][y.length];
}

/** The known name nearest to `name` (the first of equals), if it is within `maxDistance` edits. */
export function nearestName(name: string, known: readonly string[], maxDistance: number): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of known) {
        const distance = editDistance(name, candidate);
        if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
    }
    return bestDistance <= maxDistance ? best : undefined;
}
