// Package live captures packets from the network for the pipeline: AF_PACKET
// TPACKET_V3 rings in a fanout group on interfaces (SPAN ports, TAPs,
// mirror interfaces) with an optional tcpdump-syntax filter compiled to
// classic BPF, and UDP sockets that receive VXLAN/GENEVE-wrapped mirror
// traffic. Input: a Config; output: packets as (link type, frame bytes,
// timestamp), plus kernel and socket counters for the run report.
package live
