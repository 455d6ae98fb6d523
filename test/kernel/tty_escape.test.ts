/**
 * The host side of the console (boot/monitor.ts ConsoleEscape): the bytes typed at the host reach
 * the guest's tty unchanged, except a `~` at the start of a line, which begins a monitor command
 * (as ssh's escape character): on a raw terminal the host echoes and edits that line itself and
 * draws the guest's line again after the command's output; piped, it only runs the command.
 */
import { describe, expect, it } from "vitest";
import { ConsoleEscape } from "../../boot/monitor.ts";

function escape(terminal: boolean) {
  const guest: number[] = [];
  const cmds: string[] = [];
  let screen = "";
  let quit = 0;
  const e = new ConsoleEscape(
    {
      to_guest: (b) => guest.push(...b),
      run: (cmd) => {
        cmds.push(cmd);
        return `[${cmd}]\n`;
      },
      print: (t) => (screen += t),
      console_tail: () => "ringzero:/# ",
      quit: () => quit++,
    },
    terminal,
  );
  return {
    feed: (s: string) => e.feed(Buffer.from(s, "latin1")),
    guest: () => Buffer.from(guest).toString("latin1"),
    cmds,
    screen: () => screen,
    quits: () => quit,
  };
}

describe("console escape on a raw terminal", () => {
  it("a ~ at the start of a line is a monitor command, echoed by the host, followed by the guest's line", () => {
    const e = escape(true);
    e.feed("~info network\r");
    expect(e.cmds).toEqual(["info network"]);
    expect(e.guest()).toBe("");
    expect(e.screen()).toBe("~info network\n[info network]\nringzero:/# ");
  });

  it("only at the start of a line (after CR, LF, ^C, ^U): elsewhere ~ goes to the guest, in order with the rest", () => {
    const e = escape(true);
    e.feed("echo a~b\r~help\rls ~\x03~x\r\x15~y\r");
    expect(e.guest()).toBe("echo a~b\rls ~\x03\x15");
    expect(e.cmds).toEqual(["help", "x", "y"]);
  });

  it("~~ sends one ~ and the line goes on; ~. quits", () => {
    const e = escape(true);
    e.feed("~~/x\r");
    expect(e.guest()).toBe("~/x\r");
    expect(e.screen()).toBe("~\b \b");
    e.feed("~");
    e.feed(".");
    expect(e.quits()).toBe(1);
  });

  it("Backspace edits the monitor line; erasing the ~ or ^C gives the line back to the guest", () => {
    const e = escape(true);
    e.feed("~hx\x7felp\r");
    expect(e.cmds).toEqual(["help"]);
    e.feed("~\x7fls\r");
    expect(e.guest()).toBe("ls\r");
    const before = e.screen().length;
    e.feed("~tra\x03pwd\r");
    expect(e.screen().slice(before)).toBe("~tra" + "\b \b".repeat(4));
    expect(e.guest()).toBe("ls\rpwd\r");
    expect(e.cmds).toEqual(["help"]);
  });

  it("a monitor line split across reads is one command", () => {
    const e = escape(true);
    for (const c of "ab\r~info netw") e.feed(c);
    e.feed("ork\rcd\r");
    expect(e.cmds).toEqual(["info network"]);
    expect(e.guest()).toBe("ab\rcd\r");
  });
});

describe("console escape with input piped in", () => {
  it("runs ~ lines without echo or redraw; every other byte reaches the guest", () => {
    const e = escape(false);
    e.feed("echo hi\n~info network\nuptime\n");
    expect(e.guest()).toBe("echo hi\nuptime\n");
    expect(e.cmds).toEqual(["info network"]);
    expect(e.screen()).toBe("[info network]\n");
  });
});
