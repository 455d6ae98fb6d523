/**
 * Redirections (POSIX.1-2017 XCU 2.7): < > >> >| <> N>&M N>&- <&, made ready once and applied
 * either way a command runs:
 *
 * - for a child, as posix_spawn file actions: the shell opens each file itself (close-on-exec, so
 *   it cannot leak into anything else) and a dup2 action puts it in place in the child, in the
 *   order written, so `cmd 2>&1 >f` and `cmd >f 2>&1` differ as in sh;
 * - for a builtin or compound command in the shell's own process, to the shell's descriptors: each
 *   descriptor touched is first saved with fcntl(F_DUPFD) (close-on-exec, at 10 or above, as sh
 *   does), then restored with dup2 and the copy closed.
 *
 * Messages are ash's: "sh: can't create /nodir/x: nonexistent directory".
 */
import { ENOENT, ENOTDIR, strerror } from "../../include/linux/errno.ts";
import { F_DUPFD, F_GETFD, F_SETFD, FD_CLOEXEC, O_APPEND, O_CLOEXEC, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from "../../include/uapi/fcntl.ts";
import type { SpawnFileAction } from "../../include/uapi/syscalls.ts";
import { expand_string } from "./expand.ts";
import type { Redir } from "./parse.ts";
import { ExpandError, type ShellState } from "./state.ts";

/** Saved copies of the shell's descriptors go at or above this (sh uses 10). */
const SAVE_FD_BASE = 10;

/** ash's errmsg(): what a redirection's open failure says. */
function open_error(err: number, creating: boolean): string {
  if (err === -ENOENT || err === -ENOTDIR) return creating ? "nonexistent directory" : "no such file";
  return strerror(err);
}

/** A redirection made ready: a descriptor the shell opened (to close later), and the dup2/close actions. */
export interface Prepared {
  readonly actions: SpawnFileAction[];
  readonly opened: number[];
}

/**
 * Expand and open the targets of `redirs`; null after an error message (nothing stays open).
 * Files are opened O_CLOEXEC by the shell; the actions put them (and N>&M copies) in place.
 */
export async function prepare_redirs(sh: ShellState, redirs: readonly Redir[]): Promise<Prepared | null> {
  const p: Prepared = { actions: [], opened: [] };
  const fail = async (msg: string): Promise<null> => {
    for (const fd of p.opened) sh.sys.close(fd);
    await sh.err(msg);
    return null;
  };
  for (const r of redirs) {
    let target: string;
    try {
      target = expand_string(sh, r.target);
    } catch (e) {
      if (e instanceof ExpandError) return fail(e.msg);
      throw e;
    }
    if (r.op === "<&" || r.op === ">&") {
      if (target === "-") {
        p.actions.push({ action: "close", fd: r.fd });
        continue;
      }
      if (!/^[0-9]+$/.test(target)) return fail(`${target}: Bad file descriptor`);
      const from = Number(target);
      // The source must be open by the time the action runs: one of ours, or an earlier action's.
      const made = p.actions.some((a) => a.action === "dup2" && a.newfd === from);
      if (!made && sh.sys.fcntl(from, F_GETFD) < 0) return fail(`${from}: Bad file descriptor`);
      p.actions.push({ action: "dup2", fd: from, newfd: r.fd });
      continue;
    }
    const creating = r.op !== "<";
    const flags =
      r.op === "<" ? O_RDONLY : r.op === "<>" ? O_RDWR | O_CREAT : r.op === ">>" ? O_WRONLY | O_CREAT | O_APPEND : O_WRONLY | O_CREAT | O_TRUNC;
    let fd = sh.sys.open(target, flags | O_CLOEXEC, 0o666);
    if (fd < 0) return fail(`can't ${creating ? "create" : "open"} ${target}: ${open_error(fd, creating)}`);
    // Out of the way of the descriptors a redirection names (`>f 3>g` must not find f at 3).
    if (fd < SAVE_FD_BASE) {
      const high = sh.sys.fcntl(fd, F_DUPFD, SAVE_FD_BASE);
      if (high >= 0) {
        sh.sys.fcntl(high, F_SETFD, FD_CLOEXEC);
        sh.sys.close(fd);
        fd = high;
      }
    }
    p.opened.push(fd);
    p.actions.push({ action: "dup2", fd, newfd: r.fd });
  }
  return p;
}

/**
 * Apply prepared actions to the shell's own descriptors, returning how to undo them. Each target
 * descriptor is saved once (before its first change) and restored in reverse order.
 */
function apply_in_shell(sh: ShellState, p: Prepared): () => void {
  const sys = sh.sys;
  const saved: { fd: number; copy: number }[] = [];
  const save = (fd: number): void => {
    if (saved.some((s) => s.fd === fd)) return;
    const copy = sys.fcntl(fd, F_DUPFD, SAVE_FD_BASE);
    if (copy >= 0) sys.fcntl(copy, F_SETFD, FD_CLOEXEC);
    saved.push({ fd, copy: copy >= 0 ? copy : -1 });
  };
  for (const a of p.actions) {
    if (a.action === "dup2") {
      if (a.fd === a.newfd) continue;
      save(a.newfd);
      sys.dup2(a.fd, a.newfd);
    } else if (a.action === "close") {
      save(a.fd);
      sys.close(a.fd);
    }
  }
  for (const fd of p.opened) if (!p.actions.some((a) => a.action === "dup2" && a.newfd === fd)) sys.close(fd);
  return () => {
    for (const s of saved.reverse()) {
      if (s.copy >= 0) {
        sys.dup2(s.copy, s.fd);
        sys.close(s.copy);
      } else sys.close(s.fd);
    }
  };
}

/** Run `body` with `redirs` applied to the shell's descriptors; status 1 if a redirection fails. */
export async function with_redirs(sh: ShellState, redirs: readonly Redir[], body: () => Promise<number>): Promise<number> {
  if (redirs.length === 0) return body();
  const p = await prepare_redirs(sh, redirs);
  if (p === null) return 1;
  const undo = apply_in_shell(sh, p);
  try {
    return await body();
  } finally {
    undo();
  }
}
