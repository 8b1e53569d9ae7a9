export * from "./status/index.ts";
export * from "./client/index.ts";
export * from "./request-node/index.ts";
export * from "./session/index.ts";
export { useCassette, type UseCassetteOptions, type CassetteSession } from "./request-node/use-cassette.ts";
export * from "./fetch/index.ts";
