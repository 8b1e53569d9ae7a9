export * from "./status/index.ts";
