/**
 * The one error type the handler turns into an HTTP response. Everything the caller may see is in
 * `status`, `code` and `message`; `detail` goes to the log only (never to the caller).
 */
export class RequestError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
        readonly detail?: string,
    ) {
        super(message);
        this.name = "RequestError";
    }
}

export const badRequest = (code: string, message: string): RequestError => new RequestError(400, code, message);
