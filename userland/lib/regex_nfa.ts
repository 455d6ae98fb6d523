/**
 * A Thompson NFA for a POSIX regular expression's tree (regex_tree.ts) and a search that finds the
 * leftmost-longest match, POSIX's rule (regexec's rm_so/rm_eo), in time linear in the subject
 * (states × bytes): the set of live states advances one byte at a time, each thread remembering
 * where its match began; of two threads reaching one state the earlier start wins. Back-references
 * cannot be expressed (the caller falls back to JavaScript's matcher).
 */
import { is_word, type Assertion, type ReNode } from "./regex_tree.ts";

const CHAR = 0;
const SPLIT = 1;
const ASSERT = 2;
const MATCH = 3;

/** Largest NFA built; a bigger one (large intervals) is left to JavaScript's matcher. */
const MAX_STATES = 20000;

export interface Nfa {
  readonly start: number;
  readonly kind: Int8Array;
  readonly out1: Int32Array;
  readonly out2: Int32Array;
  readonly sets: (Uint8Array | null)[];
  readonly asserts: (Assertion | null)[];
}

class TooBig {}

class Builder {
  kind: number[] = [];
  out1: number[] = [];
  out2: number[] = [];
  sets: (Uint8Array | null)[] = [];
  asserts: (Assertion | null)[] = [];

  add(kind: number, out1: number, out2 = -1, set: Uint8Array | null = null, a: Assertion | null = null): number {
    if (this.kind.length >= MAX_STATES) throw new TooBig();
    this.kind.push(kind);
    this.out1.push(out1);
    this.out2.push(out2);
    this.sets.push(set);
    this.asserts.push(a);
    return this.kind.length - 1;
  }

  /** States for `node` that continue to `next`; returns its entry state. */
  build(node: ReNode, next: number): number {
    switch (node.t) {
      case "set":
        return this.add(CHAR, next, -1, node.set);
      case "assert":
        return this.add(ASSERT, next, -1, null, node.kind);
      case "group":
        return this.build(node.body, next);
      case "cat": {
        let s = next;
        for (let i = node.items.length - 1; i >= 0; i--) s = this.build(node.items[i]!, s);
        return s;
      }
      case "alt": {
        let s = this.build(node.items[node.items.length - 1]!, next);
        for (let i = node.items.length - 2; i >= 0; i--) s = this.add(SPLIT, this.build(node.items[i]!, next), s);
        return s;
      }
      case "rep": {
        let s = next;
        if (node.max === -1) {
          const loop = this.add(SPLIT, -1, next);
          this.out1[loop] = this.build(node.body, loop);
          s = loop;
        } else {
          for (let k = node.min; k < node.max; k++) s = this.add(SPLIT, this.build(node.body, s), next);
        }
        for (let k = 0; k < node.min; k++) s = this.build(node.body, s);
        return s;
      }
      case "backref":
        throw new TooBig();
    }
  }
}

/** The NFA for a tree, or null (back-references, or too many states). */
export function nfa_compile(node: ReNode): Nfa | null {
  const b = new Builder();
  try {
    const match = b.add(MATCH, -1);
    const start = b.build(node, match);
    return {
      start,
      kind: Int8Array.from(b.kind),
      out1: Int32Array.from(b.out1),
      out2: Int32Array.from(b.out2),
      sets: b.sets,
      asserts: b.asserts,
    };
  } catch (e) {
    if (e instanceof TooBig) return null;
    throw e;
  }
}

function word_at(s: string, i: number): boolean {
  return i >= 0 && i < s.length && is_word(s.charCodeAt(i));
}

/** Does assertion `a` hold between s[pos-1] and s[pos]? */
function holds(a: Assertion, s: string, pos: number): boolean {
  switch (a) {
    case "bol":
      return pos === 0;
    case "eol":
      return pos === s.length;
    case "wordb":
      return word_at(s, pos - 1) !== word_at(s, pos);
    case "nwordb":
      return word_at(s, pos - 1) === word_at(s, pos);
    case "wstart":
      return !word_at(s, pos - 1) && word_at(s, pos);
    case "wend":
      return word_at(s, pos - 1) && !word_at(s, pos);
  }
}

/** Threads at one position: states (CHAR or MATCH) with the start of their match, in start order. */
class ThreadList {
  readonly state: Int32Array;
  readonly start: Int32Array;
  n = 0;
  constructor(size: number) {
    this.state = new Int32Array(size);
    this.start = new Int32Array(size);
  }
}

/** The leftmost-longest match of `nfa` in `s` beginning at or after `from`, or null. */
export function nfa_search(nfa: Nfa, s: string, from: number): { start: number; end: number } | null {
  const size = nfa.kind.length;
  let clist = new ThreadList(size);
  let nlist = new ThreadList(size);
  const mark = new Int32Array(size).fill(-1);
  let gen = 0;
  const stack: number[] = [];

  /** Add `state` and what it reaches without reading a byte at `pos` (first come, earliest start). */
  const add = (list: ThreadList, state: number, start: number, pos: number): void => {
    stack.push(state);
    while (stack.length > 0) {
      const st = stack.pop()!;
      if (st < 0 || mark[st] === gen) continue;
      mark[st] = gen;
      const k = nfa.kind[st]!;
      if (k === SPLIT) {
        stack.push(nfa.out2[st]!, nfa.out1[st]!); // out1 first
      } else if (k === ASSERT) {
        if (holds(nfa.asserts[st]!, s, pos)) stack.push(nfa.out1[st]!);
      } else {
        list.state[list.n] = st;
        list.start[list.n] = start;
        list.n++;
      }
    }
  };

  let best_start = -1;
  let best_end = -1;
  gen++;
  for (let pos = from; pos <= s.length; pos++) {
    if (best_start < 0) add(clist, nfa.start, pos, pos);
    if (clist.n === 0) {
      if (best_start >= 0) break;
      gen++;
      continue;
    }
    for (let i = 0; i < clist.n; i++) {
      const st = clist.state[i]!;
      const start = clist.start[i]!;
      if (nfa.kind[st] === MATCH && (best_start < 0 || start < best_start || (start === best_start && pos > best_end))) {
        best_start = start;
        best_end = pos;
      }
    }
    if (pos === s.length) break;
    const c = s.charCodeAt(pos) & 0xff;
    gen++;
    nlist.n = 0;
    for (let i = 0; i < clist.n; i++) {
      const st = clist.state[i]!;
      const start = clist.start[i]!;
      if (best_start >= 0 && start > best_start) continue;
      if (nfa.kind[st] === CHAR && nfa.sets[st]![c] === 1) add(nlist, nfa.out1[st]!, start, pos + 1);
    }
    [clist, nlist] = [nlist, clist];
  }
  return best_start < 0 ? null : { start: best_start, end: best_end };
}
