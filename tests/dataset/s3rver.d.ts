// s3rver ships no types; only what the dataset tests use.
declare module "s3rver" {
    import { AddressInfo } from "net";
    interface S3rverOptions {
        address?: string;
        port?: number;
        silent?: boolean;
        directory?: string;
        resetOnClose?: boolean;
        configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
    }
    class S3rver {
        constructor(options?: S3rverOptions);
        run(): Promise<AddressInfo>;
        close(): Promise<void>;
        /** S3 event notifications: ObjectCreated:Put (PutObject), ObjectCreated:Post (multipart completed), ... */
        on(event: "event", listener: (e: { Records: { eventName: string; s3: { object: { key: string } } }[] }) => void): this;
    }
    export = S3rver;
}
