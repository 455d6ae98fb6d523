/**
 * The shell's language: tokens and quoting (userland/sh/lex.ts), the grammar (parse.ts), and the
 * control structures, scripts and expansions running in a booted machine (`init -c`).
 */
import { describe, expect, it } from "vitest";
import { lex, type Token } from "../../userland/sh/lex.ts";
import { parse } from "../../userland/sh/parse.ts";
import { run_shell } from "../kernel/vfs_harness.ts";

/** Tokens as short strings: words by their text, operators as <op>, redirections as [fd op]. */
function toks(src: string): string[] | string {
  const r = lex(src);
  if ("error" in r) return `error: ${r.error}`;
  if ("incomplete" in r) return `incomplete: ${r.incomplete}`;
  return r.tokens.map((t: Token) => (t.t === "word" ? t.w.text : t.t === "op" ? `<${t.op === "\n" ? "NL" : t.op}>` : `[${t.fd ?? ""}${t.op}]`));
}

describe("sh: tokens", () => {
  it("splits words and operators; quotes and backslashes keep metacharacters in a word; # comments", () => {
    expect(toks(`echo 'a b' "c;d" e\\ f; ls && x || y # comment`)).toEqual(["echo", "'a b'", '"c;d"', "e\\ f", "<;>", "ls", "<&&>", "x", "<||>", "y"]);
    expect(toks("a&b|c\nd")).toEqual(["a", "<&>", "b", "<|>", "c", "<NL>", "d"]);
    expect(toks("a#b #c")).toEqual(["a#b"]);
  });

  it("redirections with and without a descriptor number", () => {
    expect(toks("cmd 2>&1 >f >>g <h 2>e 3<&0 <>rw 2 >x")).toEqual(["cmd", "[2>&]", "1", "[>]", "f", "[>>]", "g", "[<]", "h", "[2>]", "e", "[3<&]", "0", "[<>]", "rw", "2", "[>]", "x"]);
  });

  it("keeps quoting in the word's parts: quoted text is marked, $ expands inside double quotes only", () => {
    const r = lex(`a'$x'"$y"\\*`);
    if (!("tokens" in r)) throw new Error("lex failed");
    const w = r.tokens[0]!;
    if (w.t !== "word") throw new Error("not a word");
    expect(w.w.parts).toEqual([
      { k: "lit", s: "a", q: false },
      { k: "lit", s: "$x", q: true },
      { k: "param", name: "y", op: "", arg: null, q: true },
      { k: "lit", s: "*", q: true },
    ]);
  });

  it("an open quote, a trailing backslash or an open ${ is incomplete; $( and << are refused", () => {
    expect(toks(`echo "open`)).toBe("incomplete: unterminated quoted string");
    expect(toks(`echo 'open`)).toBe("incomplete: unterminated quoted string");
    expect(toks(`echo \\`)).toBe("incomplete: backslash at end of input");
    expect(toks("echo ${x")).toBe("incomplete: missing '}'");
    expect(toks("echo $(ls)")).toMatch(/^error: command substitution/);
    expect(toks("cat <<EOF")).toMatch(/^error: here-documents/);
    expect(toks("echo ${x!}")).toBe("error: bad substitution");
  });
});

describe("sh: grammar", () => {
  it("parses lists, and-or chains, pipelines and background jobs", () => {
    const r = parse("a | b && c || d; e &\nf");
    if (!("list" in r)) throw new Error(JSON.stringify(r));
    expect(r.list.items.map((i) => [i.src, i.bg])).toEqual([["a | b && c || d", false], ["e", true], ["f", false]]);
    expect(r.list.items[0]!.first.cmds.length).toBe(2);
    expect(r.list.items[0]!.rest.map((x) => x.op)).toEqual(["&&", "||"]);
  });

  it("parses if/elif/else, for, while, until and { } with their redirections", () => {
    const r = parse("if a; then b; elif c; then d; else e; fi >f\nfor i in 1 2; do x; done\nwhile a; do b; done\nuntil a; do b; done\n{ a; b; } 2>/dev/null");
    if (!("list" in r)) throw new Error(JSON.stringify(r));
    const cmds = r.list.items.map((i) => i.first.cmds[0]!);
    expect(cmds.map((c) => c.kind)).toEqual(["if", "for", "while", "while", "group"]);
    const c0 = cmds[0]!;
    if (c0.kind !== "if") throw new Error();
    expect(c0.clauses.length).toBe(2);
    expect(c0.else_body).not.toBeNull();
    expect(c0.redirs).toEqual([expect.objectContaining({ fd: 1, op: ">" })]);
    const c1 = cmds[1]!;
    if (c1.kind !== "for") throw new Error();
    expect([c1.name, c1.words?.map((w) => w.text)]).toEqual(["i", ["1", "2"]]);
    expect(cmds[3]!.kind === "while" && cmds[3]!.until).toBe(true);
  });

  it("reserved words count only where a command starts", () => {
    const r = parse("echo if then fi; echo done");
    expect("list" in r).toBe(true);
  });

  it("an unfinished construct is incomplete (the prompt continues with PS2)", () => {
    for (const src of ["if true", "if true; then echo", "for i in a b", "for i in a; do echo $i", "while true; do", "echo a |", "echo a &&", "{ echo", "echo a ||\n"]) {
      expect(parse(src), src).toHaveProperty("incomplete");
    }
  });

  it("misplaced tokens are syntax errors named as bash names them", () => {
    expect(parse("fi")).toEqual({ error: "syntax error near unexpected token `fi'" });
    expect(parse("echo a; ; b")).toEqual({ error: "syntax error near unexpected token `;'" });
    expect(parse("| a")).toEqual({ error: "syntax error near unexpected token `|'" });
    expect(parse("if true; then fi")).toEqual({ error: "syntax error near unexpected token `fi'" });
    expect(parse("for 1x in a; do :; done")).toEqual({ error: "syntax error: bad for loop variable `1x'" });
    expect(parse("echo >")).toEqual({ incomplete: "unexpected end of file" });
    expect(parse("echo > ;")).toEqual({ error: "syntax error near unexpected token `;'" });
  });

  it("deep nesting is refused, not a stack overflow", () => {
    expect(parse("{ ".repeat(5000) + "echo")).toEqual({ error: "syntax error: commands nested too deeply" });
    expect(parse("if ".repeat(5000))).toEqual({ error: "syntax error: commands nested too deeply" });
    expect(lex("${x:-".repeat(5000))).toEqual({ error: "${…} nested too deeply" });
  });
});

describe("sh: control structures and scripts", () => {
  it("if/elif/else, for, while, until, break and continue", async () => {
    const r = await run_shell(
      "if false; then echo 1; elif true; then echo 2; else echo 3; fi; for i in a b c; do if [ $i = b ]; then continue; fi; echo $i; done; " +
        "n=; while true; do n=${n}x; if [ $n = xxx ]; then break; fi; done; echo $n; until [ ${#n} = 5 ]; do n=${n}y; done; echo $n; " +
        "for i in 1 2; do for j in a b; do if [ $j = b ]; then continue 2; fi; echo $i$j; done; done; for x; do echo never; done; echo end",
    );
    expect(r.out).toBe("2\na\nc\nxxx\nxxxyy\n1a\n2a\nend\n");
  });

  it("sh FILE ARGS: $0 $1 $# $@ and shift; a syntax error names the file and line", async () => {
    const script = [
      'echo "0=$0 #=$# 1=$1 2=$2"',
      'for a in "$@"; do echo "[$a]"; done',
      "shift",
      'echo "after shift: $# $*"',
      "if [ $# = 1 ]",
      "then",
      "  echo one left",
      "fi",
      "set -- x y z",
      'echo "$#: $3"',
    ].join("\n");
    const r = await run_shell(`echo '${script}' > /tmp/s.sh; sh /tmp/s.sh a 'b c'; echo s=$?; echo 'echo ok\nfi\necho no' > /tmp/bad.sh; sh /tmp/bad.sh; echo s=$?; sh /tmp/none.sh; echo s=$?`);
    expect(r.out).toBe(
      "0=/tmp/s.sh #=2 1=a 2=b c\n[a]\n[b c]\nafter shift: 1 b c\none left\n3: z\ns=0\nok\nsh: /tmp/bad.sh: line 2: syntax error near unexpected token `fi'\ns=2\nsh: /tmp/none.sh: No such file or directory\ns=127\n",
    );
  });

  it("sh -c CMDS ARG0 ARGS, . FILE, eval, and commands spread over lines", async () => {
    const r = await run_shell("sh -c 'echo $0 $1 $#' zero one; echo 'v=sourced' > /tmp/v; . /tmp/v; echo $v; eval 'echo a; echo b' ; x='if true\nthen echo multi\nfi'; echo \"$x\" > /tmp/m; sh /tmp/m");
    expect(r.out).toBe("zero one 1\nsourced\na\nb\nmulti\n");
  });

  it("commands from standard input when it is not a terminal: sh, sh -s ARGS, sh -", async () => {
    const r = await run_shell("echo 'echo from stdin $# $1' | sh -s a b; echo 'for i in 1 2\ndo echo $i; done' > /tmp/in; sh < /tmp/in; cat /tmp/in | sh -; echo 'echo $(x)' | sh; echo s=$?");
    expect(r.out).toBe("from stdin 2 a\n1\n2\n1\n2\nsh: syntax error: command substitution $(…) is not supported\ns=2\n");
  });

  it("an incomplete command at the end of -c is a syntax error; a line with an error does not run at all", async () => {
    const r = await run_shell("echo before\necho no; fi\necho not reached either");
    expect(r.out).toBe("before\nsh: -c: line 2: syntax error near unexpected token `fi'\n");
    const r2 = await run_shell("echo before\nif true");
    expect(r2.out).toBe("before\nsh: -c: line 2: syntax error: unexpected end of file\n");
    expect(r.status).toBe(2);
  });

  it("${x:=v} assigns, ${x:?msg} stops a script, ~ is $HOME", async () => {
    const r = await run_shell("echo ${a:=one} $a; HOME=/root; echo ~ ~/x '~'; sh -c 'echo ${nope:?is required}; echo not reached'; echo s=$?");
    expect(r.out).toBe("one one\n/root /root/x ~\nsh: nope: is required\ns=1\n");
  });
});
