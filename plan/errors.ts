/** A problem with what the user asked for (exit code 2), as opposed to a failure to run (3). */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}
