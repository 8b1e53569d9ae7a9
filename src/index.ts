export * from "./status/index.ts";
export * from "./client/index.ts";
export * from "./request-node/index.ts";
export * from "./fetch/index.ts";
