// Entry point for `pulumi preview --policy-pack policies`: constructing the PolicyPack starts the
// analyzer's gRPC server, so this file does nothing else (rules live in pack.ts and rules/).
import { PolicyPack } from "@pulumi/policy";
import { packName, policies } from "./pack";

new PolicyPack(packName, { policies });
