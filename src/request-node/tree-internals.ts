// Engine-internal glue between Node and SceneTree. Not part of the public API: nothing outside
// src/request-node/ imports this file and src/index.ts does not re-export it.
import type { Node } from "./node.ts";
import type { NodeCallback, SceneTree } from "./scene-tree.ts";

/** What SceneTree may do with a Node's private state. Node supplies it from a static block. */
export interface NodeAccess {
  /** Makes a parentless node the root of `tree`: it enters and becomes ready. */
  enterAsRoot(node: Node, tree: SceneTree): void;
  /** The node's live child array (read only; do not keep it across calls). */
  children(node: Node): readonly Node[];
  /** A number that changes each time the node enters a tree. */
  epoch(node: Node): number;
  /** A number that changes whenever any node enters or leaves a tree or a child list changes. */
  version(): number;
}

let access: NodeAccess | null = null;

/** Called once by node.ts when the Node class is defined. */
export function provideNodeAccess(provided: NodeAccess): void {
  access = provided;
}

/**
 * The access Node provided. scene-tree.ts imports node.ts, so Node's static block has run before
 * any SceneTree exists; the error is unreachable through the module graph.
 */
export function nodeAccess(): NodeAccess {
  if (access === null) {
    throw new Error("poll-http internal error: node.ts was not loaded before scene-tree.ts");
  }
  return access;
}

/**
 * Reports an error a node callback threw: emitted on `tree.nodeError` when anything is connected
 * to it, otherwise logged with `console.error`.
 */
export function reportNodeError(tree: SceneTree | null, node: Node, callback: NodeCallback, error: unknown): void {
  if (tree !== null && tree.nodeError.getConnectionCount() > 0) {
    tree.nodeError.emit(error, node, callback);
    return;
  }
  console.error(`poll-http: ${callback}() of node "${node.name}" threw`, error);
}
