export { Status, statusName } from "./status.ts";
export { Method, methodName, methodVerb } from "./method.ts";
export { Result, resultName } from "./result.ts";
export { Err, errName } from "./err.ts";
export { ResponseCode, responseCodeName } from "./response-code.ts";
export { VERSION } from "./version.ts";
