/**
 * How a node callback's error is reported.
 *
 * @module
 */
import type { Node } from "./node.ts";
import type { NodeCallback, SceneTree } from "./scene-tree.ts";

/**
 * Reports an error a node callback threw: emitted on `tree.nodeError` when anything is connected
 * to it, otherwise logged with `console.error`.
 *
 * @param tree - The tree the node is in, or null.
 * @param node - The node.
 * @param callback - The callback that threw.
 * @param error - What it threw.
 * @internal
 */
export function reportNodeError(tree: SceneTree | null, node: Node, callback: NodeCallback, error: unknown): void {
  if (tree !== null && tree.nodeError.getConnectionCount() > 0) {
    tree.nodeError.emit(error, node, callback);
    return;
  }
  console.error(`poll-http: ${callback}() of node "${node.name}" threw`, error);
}
