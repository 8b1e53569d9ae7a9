import type { Network } from "../client/network.ts";
import { HTTPRequest } from "../request-node/http-request.ts";
import type { SceneTree } from "../request-node/scene-tree.ts";

/**
 * Where a fetch gets the `HTTPRequest` node that carries it, and gives it back. The one place that
 * decides how requests are launched: a request pool can take its place (queueing, priorities,
 * per-origin limits) without the rest of the facade changing.
 */
export interface RequestLauncher {
  /**
   * A node inside the tree, with no request running, for a request to `origin`.
   *
   * @param origin - `scheme://host:port` of the URL.
   * @returns The node.
   */
  acquire(origin: string): HTTPRequest;
  /**
   * Takes a node back once its request ended or was cancelled (its listeners disconnected).
   *
   * @param node - The node.
   * @param origin - The origin it was acquired for.
   */
  release(node: HTTPRequest, origin: string): void;
}

/** Default most idle nodes kept by a {@link TreeLauncher}. */
const DEFAULT_MAX_IDLE = 128;

/**
 * A {@link RequestLauncher} that adds nodes under a tree's root and keeps released ones idle, by
 * origin, so the next fetch to the same origin reuses the node's kept-alive connection. Beyond
 * `maxIdle` idle nodes, a released node is freed (its connection closed).
 */
export class TreeLauncher implements RequestLauncher {
  readonly #tree: SceneTree;
  readonly #network: Network | undefined;
  readonly #maxIdle: number;
  readonly #idle = new Map<string, HTTPRequest[]>();
  #idleCount = 0;

  /**
   * @param tree - The tree the nodes live in.
   * @param network - The network of new nodes; undefined for Node's.
   * @param maxIdle - Most idle nodes kept (default 128).
   */
  constructor(tree: SceneTree, network?: Network, maxIdle: number = DEFAULT_MAX_IDLE) {
    this.#tree = tree;
    this.#network = network;
    this.#maxIdle = maxIdle;
  }

  /**
   * Takes an idle node, preferring one last used for `origin` (its connection may be reused).
   *
   * @param origin - The origin.
   * @returns An idle node last used for `origin`, another idle node, or a new one.
   */
  acquire(origin: string): HTTPRequest {
    const same = this.#idle.get(origin);
    let node = same?.pop();
    if (same !== undefined && same.length === 0) this.#idle.delete(origin);
    if (node === undefined) {
      for (const [key, list] of this.#idle) {
        node = list.pop();
        if (list.length === 0) this.#idle.delete(key);
        if (node !== undefined) break;
      }
    }
    if (node !== undefined && node.getTree() === this.#tree) {
      this.#idleCount--;
      return node;
    }
    if (node !== undefined) this.#idleCount--;
    const created = new HTTPRequest(this.#network === undefined ? { name: "fetch" } : { network: this.#network, name: "fetch" });
    this.#tree.root.addChild(created);
    return created;
  }

  /**
   * Keeps a node idle for a later fetch to `origin`, or frees it when `maxIdle` nodes are idle.
   *
   * @param node - The node.
   * @param origin - Its origin.
   */
  release(node: HTTPRequest, origin: string): void {
    if (node.getTree() !== this.#tree) return;
    if (this.#idleCount >= this.#maxIdle) {
      node.queueFree();
      return;
    }
    let list = this.#idle.get(origin);
    if (list === undefined) {
      list = [];
      this.#idle.set(origin, list);
    }
    list.push(node);
    this.#idleCount++;
  }
}
