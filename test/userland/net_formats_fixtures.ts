/**
 * Real tools' output on this Debian 12 machine (net-tools 2.10), captured by running them over
 * given /proc/net files (a private mount namespace with a fake /proc): the files, and what
 * `netstat -s` and `arp` printed for them. *_RINGZERO are the files a ringzero guest wrote after
 * pings, UDP and a TCP exchange; *_HOST are the host's own (Linux 6.18: OutTransmits,
 * MPTcpExt …); PROC_NET_ARP is Linux's /proc/net/arp with reachable, incomplete, permanent and
 * stale entries.
 */

export const SNMP_RINGZERO = `Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates
Ip: 2 64 19 0 0 0 0 0 19 19 0 0 0 0 0 0 0 0 0
Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps
Icmp: 4 0 0 0 0 0 0 0 1 3 0 0 0 0 5 0 0 0 0 0 0 4 1 0 0 0 0
IcmpMsg: InType0 InType8 OutType0 OutType8
IcmpMsg: 3 1 1 4
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 2 1 1 0 0 12 12 0 0 1 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 3 0 0 2 0 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
`;

export const NETSTAT_RINGZERO = `TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks TCPHPAcks TCPRenoRecovery TCPSackRecovery TCPSACKReneging TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures TCPSackFailures TCPLossFailures TCPFastRetrans TCPSlowStartRetrans TCPTimeouts TCPLossProbes TCPLossProbeRecovery TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPSackShifted TCPSackMerged TCPSackShiftFallback TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq TCPACKSkippedFinWait2 TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive TCPMTUPFail TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop TCPRcvQDrop TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash TcpDuplicateDataRehash TCPDSACKRecvSegs TCPDSACKIgnoredDubious TCPMigrateReqSuccess TCPMigrateReqFailure
TcpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 4 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 6 0 0 0 0 0 0 0 0 0 0 0 0
IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps
IpExt: 0 0 0 0 2 0 1918 1358 0 0 656 0 0 19 0 0 0 0
`;

export const NETSTAT_S_RINGZERO = `Ip:
    Forwarding: 2
    19 total packets received
    0 forwarded
    0 incoming packets discarded
    19 incoming packets delivered
    19 requests sent out
Icmp:
    4 ICMP messages received
    0 input ICMP message failed
    ICMP input histogram:
        echo requests: 1
        echo replies: 3
    5 ICMP messages sent
    0 ICMP messages failed
    ICMP output histogram:
        echo requests: 4
        echo replies: 1
IcmpMsg:
        InType0: 3
        InType8: 1
        OutType0: 1
        OutType8: 4
Tcp:
    2 active connection openings
    1 passive connection openings
    1 failed connection attempts
    0 connection resets received
    0 connections established
    12 segments received
    12 segments sent out
    0 segments retransmitted
    0 bad segments received
    1 resets sent
Udp:
    3 packets received
    0 packets to unknown port received
    0 packet receive errors
    2 packets sent
    0 receive buffer errors
    0 send buffer errors
UdpLite:
TcpExt:
    0 packet headers predicted
    4 acknowledgments not containing data payload received
    TCPOrigDataSent: 2
    TCPDelivered: 6
IpExt:
    InBcastPkts: 2
    InOctets: 1918
    OutOctets: 1358
    InBcastOctets: 656
    InNoECTPkts: 19
`;

export const SNMP_HOST = `Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits
Ip: 2 64 6923 0 0 0 0 0 6923 4966 0 0 0 0 0 0 0 0 0 4966
Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps
Icmp: 29 0 0 3 0 0 0 0 13 13 0 0 0 0 29 0 0 0 2 0 0 0 0 14 13 0 0 0 0
IcmpMsg: InType0 InType3 InType8 OutType0 OutType3 OutType8
IcmpMsg: 13 3 13 13 2 14
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 113 14 70 3 0 6798 4870 16 0 108 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 95 1 0 97 0 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
`;

export const NETSTAT_HOST = `TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks TCPHPAcks TCPRenoRecovery TCPSackRecovery TCPSACKReneging TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures TCPSackFailures TCPLossFailures TCPFastRetrans TCPSlowStartRetrans TCPTimeouts TCPLossProbes TCPLossProbeRecovery TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPSackShifted TCPSackMerged TCPSackShiftFallback TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq TCPACKSkippedFinWait2 TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive TCPMTUPFail TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop TCPRcvQDrop TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash TcpDuplicateDataRehash TCPDSACKRecvSegs TCPDSACKIgnoredDubious TCPMigrateReqSuccess TCPMigrateReqFailure TCPPLBRehash TCPAORequired TCPAOBad TCPAOKeyNotFound TCPAOGood TCPAODroppedIcmps
TcpExt: 0 0 0 0 0 0 0 0 0 0 22 0 0 0 0 0 0 0 0 13 0 64 0 0 279 364 71 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2 20 2 0 0 0 55 64 0 14 0 18 2 0 0 0 0 0 0 0 0 13 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 3992 0 0 0 0 0 0 0 0 0 0 0 0 2 0 1 386 386 93 0 1295 0 0 0 0 0 0 0 0 0 0 0 38 0 0 1337 0 0 0 0 0 0 2 0 14 0 0 0 0 0 0 0 0 0
IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps
IpExt: 0 0 0 0 0 0 226019827 9517551 0 0 0 0 0 6927 0 0 0 0
MPTcpExt: MPCapableSYNRX MPCapableSYNTX MPCapableSYNACKRX MPCapableACKRX MPCapableFallbackACK MPCapableFallbackSYNACK MPCapableSYNTXDrop MPCapableSYNTXDisabled MPCapableEndpAttempt MPFallbackTokenInit MPTCPRetrans MPJoinNoTokenFound MPJoinSynRx MPJoinSynBackupRx MPJoinSynAckRx MPJoinSynAckBackupRx MPJoinSynAckHMacFailure MPJoinAckRx MPJoinAckHMacFailure MPJoinRejected MPJoinSynTx MPJoinSynTxCreatSkErr MPJoinSynTxBindErr MPJoinSynTxConnectErr DSSNotMatching DSSCorruptionFallback DSSCorruptionReset InfiniteMapTx InfiniteMapRx DSSNoMatchTCP DataCsumErr OFOQueueTail OFOQueue OFOMerge NoDSSInWindow DuplicateData AddAddr AddAddrTx AddAddrTxDrop EchoAdd EchoAddTx EchoAddTxDrop PortAdd AddAddrDrop MPJoinPortSynRx MPJoinPortSynAckRx MPJoinPortAckRx MismatchPortSynRx MismatchPortAckRx RmAddr RmAddrDrop RmAddrTx RmAddrTxDrop RmSubflow MPPrioTx MPPrioRx MPFailTx MPFailRx MPFastcloseTx MPFastcloseRx MPRstTx MPRstRx SubflowStale SubflowRecover SndWndShared RcvWndShared RcvWndConflictUpdate RcvWndConflict MPCurrEstab Blackhole MPCapableDataFallback MD5SigFallback DssFallback SimultConnectFallback FallbackFailed WinProbe
MPTcpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
`;

export const NETSTAT_S_HOST = `Ip:
    Forwarding: 2
    6923 total packets received
    0 forwarded
    0 incoming packets discarded
    6923 incoming packets delivered
    4966 requests sent out
    OutTransmits: 4966
Icmp:
    29 ICMP messages received
    0 input ICMP message failed
    ICMP input histogram:
        destination unreachable: 3
        echo requests: 13
        echo replies: 13
    29 ICMP messages sent
    0 ICMP messages failed
    ICMP output histogram:
        destination unreachable: 2
        echo requests: 14
        echo replies: 13
IcmpMsg:
        InType0: 13
        InType3: 3
        InType8: 13
        OutType0: 13
        OutType3: 2
        OutType8: 14
Tcp:
    113 active connection openings
    14 passive connection openings
    70 failed connection attempts
    3 connection resets received
    0 connections established
    6798 segments received
    4870 segments sent out
    16 segments retransmitted
    0 bad segments received
    108 resets sent
Udp:
    95 packets received
    1 packets to unknown port received
    0 packet receive errors
    97 packets sent
    0 receive buffer errors
    0 send buffer errors
UdpLite:
TcpExt:
    22 TCP sockets finished time wait in fast timer
    13 delayed acks sent
    Quick ack mode was activated 64 times
    279 packet headers predicted
    364 acknowledgments not containing data payload received
    71 predicted acknowledgments
    TCPTimeouts: 2
    TCPLossProbes: 20
    TCPLossProbeRecovery: 2
    TCPBacklogCoalesce: 55
    TCPDSACKOldSent: 64
    TCPDSACKRecv: 14
    18 connections reset due to unexpected data
    2 connections reset due to early user close
    TCPDSACKIgnoredNoUndo: 13
    TCPRcvCoalesce: 3992
    TCPSpuriousRtxHostQueues: 2
    TCPAutoCorking: 1
    TCPFromZeroWindowAdv: 386
    TCPToZeroWindowAdv: 386
    TCPWantZeroWindowAdv: 93
    TCPOrigDataSent: 1295
    TCPKeepAlive: 38
    TCPDelivered: 1337
    TcpTimeoutRehash: 2
    TCPDSACKRecvSegs: 14
IpExt:
    InOctets: 226019827
    OutOctets: 9517551
    InNoECTPkts: 6927
MPTcpExt:
`;

export const NETSTAT_ST_HOST = `IcmpMsg:
    InType0: 13
    InType3: 3
    InType8: 13
    OutType0: 13
    OutType3: 2
    OutType8: 14
Tcp:
    113 active connection openings
    14 passive connection openings
    70 failed connection attempts
    3 connection resets received
    0 connections established
    6798 segments received
    4870 segments sent out
    16 segments retransmitted
    0 bad segments received
    108 resets sent
UdpLite:
TcpExt:
    22 TCP sockets finished time wait in fast timer
    13 delayed acks sent
    Quick ack mode was activated 64 times
    279 packet headers predicted
    364 acknowledgments not containing data payload received
    71 predicted acknowledgments
    TCPTimeouts: 2
    TCPLossProbes: 20
    TCPLossProbeRecovery: 2
    TCPBacklogCoalesce: 55
    TCPDSACKOldSent: 64
    TCPDSACKRecv: 14
    18 connections reset due to unexpected data
    2 connections reset due to early user close
    TCPDSACKIgnoredNoUndo: 13
    TCPRcvCoalesce: 3992
    TCPSpuriousRtxHostQueues: 2
    TCPAutoCorking: 1
    TCPFromZeroWindowAdv: 386
    TCPToZeroWindowAdv: 386
    TCPWantZeroWindowAdv: 93
    TCPOrigDataSent: 1295
    TCPKeepAlive: 38
    TCPDelivered: 1337
    TcpTimeoutRehash: 2
    TCPDSACKRecvSegs: 14
IpExt:
    InOctets: 226019827
    OutOctets: 9517551
    InNoECTPkts: 6927
MPTcpExt:
`;

export const NETSTAT_SU_HOST = `IcmpMsg:
    InType0: 13
    InType3: 3
    InType8: 13
    OutType0: 13
    OutType3: 2
    OutType8: 14
Udp:
    95 packets received
    1 packets to unknown port received
    0 packet receive errors
    97 packets sent
    0 receive buffer errors
    0 send buffer errors
UdpLite:
IpExt:
    InOctets: 226019827
    OutOctets: 9517551
    InNoECTPkts: 6927
MPTcpExt:
`;

export const PROC_NET_ARP = `IP address       HW type     Flags       HW address            Mask     Device
10.98.0.9        0x1         0x2         02:00:00:00:00:09     *        vt0
10.98.0.50       0x1         0x0         00:00:00:00:00:00     *        vt0
10.98.0.8        0x1         0x6         02:00:00:00:00:08     *        vt0
192.0.2.1        0x1         0x2         02:fc:00:00:00:05     *        eth0
`;

export const ARP_A = `? (10.98.0.9) at 02:00:00:00:00:09 [ether] on vt0
? (10.98.0.50) at <incomplete> on vt0
? (10.98.0.8) at 02:00:00:00:00:08 [ether] PERM on vt0
? (192.0.2.1) at 02:fc:00:00:00:05 [ether] on eth0
`;

export const ARP_N = `Address                  HWtype  HWaddress           Flags Mask            Iface
10.98.0.9                ether   02:00:00:00:00:09   C                     vt0
10.98.0.50                       (incomplete)                              vt0
10.98.0.8                ether   02:00:00:00:00:08   CM                    vt0
192.0.2.1                ether   02:fc:00:00:00:05   C                     eth0
`;

export const ARP_AN_I = `? (10.98.0.9) at 02:00:00:00:00:09 [ether] on vt0
? (10.98.0.50) at <incomplete> on vt0
? (10.98.0.8) at 02:00:00:00:00:08 [ether] PERM on vt0
`;

export const ARP_N_HOST = `Address                  HWtype  HWaddress           Flags Mask            Iface
10.98.0.8                ether   02:00:00:00:00:08   CM                    vt0
`;

export const ARP_N_NOHOST = `10.1.1.1 (10.1.1.1) -- no entry
`;

export const ARP_N_NODEV = `arp: in 4 entries no match found.
`;
