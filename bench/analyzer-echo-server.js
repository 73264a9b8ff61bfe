// A server for the Analyzer service's `Analyze` method that answers every request with an empty
// `AnalyzeResponse` without decoding it: what the protocol costs on this machine before any policy
// server runs. bench/policies.ts points the plan's own Analyzer client at it, for a baseline in the
// same run. Prints its port on stdout, as a served policy pack does.
"use strict";

const grpc = require("@grpc/grpc-js");
const { AnalyzerService } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");

const raw = (bytes) => bytes;
const EMPTY = Buffer.alloc(0);
const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
server.addService(
    { analyze: { path: AnalyzerService.analyze.path, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } },
    { analyze: (_call, callback) => callback(null, EMPTY) },
);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
        console.error(err.message);
        process.exit(1);
    }
    console.log(port);
});
