/**
 * TCP from the shell: nc (connect, listen, -z, -w, standard input sent and output printed),
 * ss -tan, netstat -tan, and /proc/net/tcp and /proc/net/snmp in Linux's layouts.
 */
import { describe, expect, it } from "vitest";
import { task_list } from "../../kernel/sched/core.ts";
import { tcp_pair } from "./tcp_harness.ts";

describe("nc", () => {
  it("connects, sends each side's standard input and prints what arrives; ^D ends the session", async () => {
    const p = await tcp_pair({ cmd_y: "nc -l -p 5000; echo y-rc=$?; sleep 1000", cmd_x: "sleep 0.2; nc 10.0.0.2 5000; echo x-rc=$?; sleep 1000" });
    await p.step(0.5e9);
    p.x.m.machine.uart.receive("hello from x\n");
    await p.step(0.1e9);
    p.y.m.machine.uart.receive("hello from y\nand more\n");
    await p.step(0.1e9);
    // A -c run's console input is data, not typing (init turns ECHO off, as `ssh host cmd` has no
    // tty): each console shows only what nc prints, the other side's lines.
    expect(p.y.m.machine.console_output).toBe("hello from x\n");
    expect(p.x.m.machine.console_output).toBe("hello from y\nand more\n");
    // ^D on x: its sending side shuts (a FIN); y's nc sees the end and exits, closing; x's then too.
    p.x.m.machine.uart.receive("\x04");
    await p.step(0.2e9);
    expect(p.y.m.machine.console_output).toBe("hello from x\ny-rc=0\n");
    expect(p.x.m.machine.console_output).toBe("hello from y\nand more\nx-rc=0\n");
    expect(p.x.mib().ActiveOpens).toBe(1);
    expect(p.y.mib().PassiveOpens).toBe(1);
    // nc's standard-input reader (poll on fd 0) went with it: later input goes to the shell.
    for (const h of [p.x, p.y]) expect(h.k(() => task_list().map((t) => t.comm))).not.toContain("stdin_reader");
  });

  it("nc -l PORT takes the port as an operand; -p sets the client's port; a message operand is sent in place of standard input", async () => {
    const p = await tcp_pair({ cmd_y: "nc -l -v 5000; echo y-rc=$?; sleep 1000", cmd_x: "sleep 0.2; nc -p 4321 10.0.0.2 5000 hi there; echo x-rc=$?; sleep 1000" });
    await p.step(1e9);
    expect(p.y.m.machine.console_output).toBe("listening on 0.0.0.0:5000 ...\nconnect to 0.0.0.0:5000 from 10.0.0.1:4321\nhi there\ny-rc=0\n");
    expect(p.x.m.machine.console_output).toBe("x-rc=0\n");
  });

  it("reports a refused connection, scans ports with -z -v (exit 0 if one is open), and -w bounds the connect", async () => {
    const p = await tcp_pair({
      cmd_y: "nc -l -k -p 5000; sleep 1000",
      cmd_x: "sleep 0.2; nc 10.0.0.2 5001; echo rc=$?; nc -z -v 10.0.0.2 4999-5001; echo rc=$?; nc -z 10.0.0.2 7000; echo rc=$?; nc -w 2 10.0.0.9 80; echo rc=$?; nc 10.0.0.9 80; echo rc=$?; sleep 1000",
    });
    await p.step(10e9);
    expect(p.x.m.machine.console_output).toBe(
      [
        "nc: can't connect to remote host (10.0.0.2): Connection refused",
        "rc=1",
        "nc: 10.0.0.2 (10.0.0.2:4999): Connection refused",
        "10.0.0.2 (10.0.0.2:5000) open",
        "nc: 10.0.0.2 (10.0.0.2:5001): Connection refused",
        "rc=0",
        "rc=1",
        // Nobody at 10.0.0.9: -w 2 gives up first; without it ARP's failure reports no route.
        "nc: can't connect to remote host (10.0.0.9): Connection timed out",
        "rc=1",
        "nc: can't connect to remote host (10.0.0.9): No route to host",
        "rc=1",
        "",
      ].join("\n"),
    );
  });
});

describe("sysctl", () => {
  it("net.ipv4.tcp_* read with Linux's defaults, and are written with sysctl -w", async () => {
    const p = await tcp_pair({ cmd_x: "sysctl net.ipv4.tcp_rmem net.ipv4.tcp_wmem net.ipv4.tcp_syn_retries net.ipv4.tcp_keepalive_time net.ipv4.tcp_sack; sysctl -w net.ipv4.tcp_syn_retries=2; sysctl net.ipv4.tcp_syn_retries; sleep 1000" });
    await p.step(1e9);
    expect(p.x.m.machine.console_output).toBe(
      "net.ipv4.tcp_rmem = 4096\t131072\t6291456\nnet.ipv4.tcp_wmem = 4096\t16384\t4194304\nnet.ipv4.tcp_syn_retries = 6\nnet.ipv4.tcp_keepalive_time = 7200\nnet.ipv4.tcp_sack = 1\n" +
        "net.ipv4.tcp_syn_retries = 2\nnet.ipv4.tcp_syn_retries = 2\n",
    );
  });

  it("tcp_syn_retries bounds the SYNs sent to a host that does not answer", async () => {
    const p = await tcp_pair({ cmd_x: "sysctl -q net.ipv4.tcp_syn_retries=2; sleep 1; nc 10.0.0.2 80; echo rc=$?; sleep 1000" });
    p.wire.filter = (f, len) => (f[12] === 0x08 && f[13] === 0 && f[23] === 6 && len > 0 ? "drop" : "pass");
    await p.step(20e9);
    expect(p.x.m.machine.console_output).toBe("nc: can't connect to remote host (10.0.0.2): Connection timed out\nrc=1\n");
    const syns = p.segs.filter((s) => s.flags === 0x02).map((s) => Math.round(s.t / 1e9));
    expect(syns.length).toBe(3); // at 0, 1 and 3 s; it gives up at 7 s
    expect(syns[2]! - syns[0]!).toBe(3);
  });
});

describe("ss, netstat and /proc/net", () => {
  it("list a listener and a connection in iproute2's and net-tools' columns, and /proc/net/tcp in Linux's", async () => {
    const p = await tcp_pair({
      cmd_y: "nc -l -k -p 5000 & sleep 0.5; ss -tan; ss -tln; ss -tn; netstat -tan; netstat -tn; cat /proc/net/tcp; sleep 1000",
      cmd_x: "sleep 0.2; nc 10.0.0.2 5000; sleep 1000",
    });
    await p.step(1e9);
    const port = p.y.socks().find((s) => s.sport === 5000 && s.dport !== 0)!.dport;
    const hex = port.toString(16).toUpperCase().padStart(4, "0");
    const out = p.y.m.machine.console_output;
    const ino = p.y.socks().map((s) => s.ino);
    const line = (s: string): string => s.padEnd(149) + "\n";
    // No "[1] PID" for the background nc: a non-interactive shell (sh -c) reports no jobs, as bash -c.
    expect(out).toBe(
      // ss -tan
      "State  Recv-Q Send-Q Local Address:Port Peer Address:Port  Process\n" +
        "LISTEN 0      16           0.0.0.0:5000      0.0.0.0:*\n" +
        `ESTAB  0      0           10.0.0.2:5000     10.0.0.1:${port}\n` +
        // ss -tln
        "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n" +
        "LISTEN 0      16           0.0.0.0:5000      0.0.0.0:*\n" +
        // ss -tn
        "State Recv-Q Send-Q Local Address:Port Peer Address:Port  Process\n" +
        `ESTAB 0      0           10.0.0.2:5000     10.0.0.1:${port}\n` +
        // netstat -tan
        "Active Internet connections (servers and established)\n" +
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n" +
        "tcp        0      0 0.0.0.0:5000            0.0.0.0:*               LISTEN     \n" +
        `tcp        0      0 10.0.0.2:5000           ${`10.0.0.1:${port}`.padEnd(23)} ESTABLISHED\n` +
        // netstat -tn
        "Active Internet connections (w/o servers)\n" +
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n" +
        `tcp        0      0 10.0.0.2:5000           ${`10.0.0.1:${port}`.padEnd(23)} ESTABLISHED\n` +
        // /proc/net/tcp
        line("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode") +
        line(`   0: 00000000:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${ino[0]} 1 0000000000000000 100 0 0 10 0`) +
        line(`   1: 0200000A:1388 0100000A:${hex} 01 00000000:00000000 00:00000000 00000000     0        0 ${ino[1]} 1 0000000000000000 20 0 0 10 -1`),
    );
  });

  it("/proc/net/snmp has Linux's Tcp group between Icmp and Udp; /proc/net/netstat the TcpExt counters", async () => {
    const p = await tcp_pair({ cmd_y: "nc -l -p 5000; cat /proc/net/snmp; cat /proc/net/netstat; netstat -s; sleep 1000", cmd_x: "sleep 0.2; nc 10.0.0.2 5000 x; sleep 1000" });
    await p.step(1e9);
    const out = p.y.m.machine.console_output;
    const snmp = out.split("\n").filter((l) => /^(Icmp|Tcp|Udp): \S/.test(l));
    expect(snmp.map((l) => l.split(":")[0])).toEqual(["Icmp", "Icmp", "Tcp", "Tcp", "Udp", "Udp"]);
    expect(snmp[2]).toBe("Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors");
    const v = snmp[3]!.split(" ").slice(1).map(Number);
    const mib = p.y.mib();
    expect(v).toEqual([1, 200, 120000, -1, 0, 1, 0, 0, 0, v[9], v[10], 0, 0, 0, 0]);
    expect(v[9]).toBeGreaterThan(0);
    expect(mib.PassiveOpens).toBe(1);
    // Linux 6.1's snmp4_net_list, then IpExt.
    expect(out).toMatch(/^TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW /m);
    expect(out).toMatch(/^IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets /m);
    // netstat -s in net-tools' prose: RtoAlgorithm, RtoMin … are not printed; opt_number entries only when non-zero.
    expect(out).toMatch(/^Tcp:\n {4}0 active connection openings\n {4}1 passive connection openings\n {4}0 failed connection attempts\n/m);
    expect(out).toMatch(/^TcpExt:\n {4}0 packet headers predicted\n/m);
    expect(out).not.toMatch(/EmbryonicRsts: 0|Arp:/);
  });
});
