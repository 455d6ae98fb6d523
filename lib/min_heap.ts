/**
 * An intrusive binary min-heap (Linux has lib/min_heap.c for the same job). Nodes carry their own
 * key, tie-break sequence and heap index, so pushing, re-keying and removing allocate nothing and
 * removal by node is O(log n). Equal keys pop in push order.
 *
 * Shared by the machine's clock (hw/) and the kernel's timers (kernel/): plain data-structure code
 * with no knowledge of either side.
 */
export interface HeapNode {
  /** Sort key (a time in nanoseconds for both users). */
  key: number;
  /** Push order, for FIFO among equal keys. */
  seq: number;
  /** Position in the heap; -1 when not in any heap. */
  index: number;
}

export class MinHeap<T extends HeapNode> {
  private readonly a: T[] = [];
  private next_seq = 0;

  get size(): number {
    return this.a.length;
  }

  peek(): T | undefined {
    return this.a[0];
  }

  /** Insert `node` with `key`, removing it first if it is already queued. */
  push(node: T, key: number): void {
    if (node.index >= 0) this.remove(node);
    node.key = key;
    node.seq = this.next_seq++;
    node.index = this.a.length;
    this.a.push(node);
    this.sift_up(node.index);
  }

  pop(): T | undefined {
    const top = this.a[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Remove `node` if queued; returns whether it was. */
  remove(node: T): boolean {
    const i = node.index;
    const a = this.a;
    if (i < 0 || a[i] !== node) return false;
    const last = a.pop()!;
    node.index = -1;
    if (last !== node) {
      a[i] = last;
      last.index = i;
      this.sift_down(i);
      this.sift_up(last.index);
    }
    return true;
  }

  private less(x: T, y: T): boolean {
    return x.key < y.key || (x.key === y.key && x.seq < y.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.a;
    const x = a[i]!;
    const y = a[j]!;
    a[i] = y;
    a[j] = x;
    y.index = i;
    x.index = j;
  }

  private sift_up(i: number): void {
    const a = this.a;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private sift_down(i: number): void {
    const a = this.a;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(a[l]!, a[m]!)) m = l;
      if (r < n && this.less(a[r]!, a[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
