/** One step of a trace: a frame's script and its position in it (V8's source offset). */
type Step = Map<string, Map<number | string, TraceNode>>;

interface TraceNode {
  value: unknown;
  next: Step | undefined;
}

/**
 * Values cached by a sequence of call positions (script, offset): a trie walked with the strings
 * and numbers V8 already has, so a lookup that hits allocates nothing — no key is built per
 * enqueue. Bounded: past `maxNodes` it starts afresh.
 *
 * @example
 * ```ts
 * const cache = new TraceCache(5_000);
 * const path = cache.walk(root);             // then .step(file, position) per frame
 * ```
 */
export class TraceCache {
  private roots = new WeakMap<object, Map<unknown, TraceNode>>();
  private nodes = 0;

  constructor(private readonly maxNodes: number) {}

  /** The start of a walk for one formatting context (its options and the formatter in use). */
  root(options: object, formatter: unknown): TraceNode {
    let byFormatter = this.roots.get(options);
    if (byFormatter === undefined) this.roots.set(options, (byFormatter = new Map()));
    let root = byFormatter.get(formatter);
    if (root === undefined) byFormatter.set(formatter, (root = { value: undefined, next: undefined }));
    return root;
  }

  /** The node after `node` for a frame at `position` of `file`; `undefined` when not seen (and `create` is false). */
  step(node: TraceNode, file: string, position: number | string, create: boolean): TraceNode | undefined {
    let byPosition = node.next?.get(file);
    const known = byPosition?.get(position);
    if (known !== undefined || !create) return known;
    if (this.nodes >= this.maxNodes) this.clear();
    this.nodes += 1;
    const child: TraceNode = { value: undefined, next: undefined };
    if (byPosition === undefined) (node.next ??= new Map()).set(file, (byPosition = new Map()));
    byPosition.set(position, child);
    return child;
  }

  private clear(): void {
    // Nodes already handed out stay usable; they are just no longer reachable from a root.
    this.roots = new WeakMap();
    this.nodes = 0;
  }
}

export type { TraceNode };
