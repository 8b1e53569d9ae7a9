export { HTTPRequest, type HTTPRequestOptions, type RequestOptions } from "./http-request.ts";
export type { RequestCompletedArgs } from "./tick-emissions.ts";
export { HTTPRequestSettings, type RedirectMode } from "./request-settings.ts";
export { HTTPRequestSignals } from "./request-signals.ts";
export { Signal, type ConnectOptions, type SignalListener, type ListenerErrorHandler } from "./signal.ts";
export { Node } from "./node.ts";
export { SceneTree, type NodeCallback } from "./scene-tree.ts";
export { TreeRunner, type TreeRunnerOptions, type RunMode } from "./runner.ts";
