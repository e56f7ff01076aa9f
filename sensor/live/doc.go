// Package live captures packets from the network for the pipeline: AF_PACKET
// TPACKET_V3 rings in a fanout group on interfaces (SPAN ports, TAPs,
// mirror interfaces), spread by the inner flow, with an optional
// tcpdump-syntax filter compiled to classic BPF, and UDP sockets that
// receive VXLAN/GENEVE-wrapped mirror traffic. Input: a Config; output: one
// Source per socket yielding decapsulated TCP packets (sensor.Packet), plus
// kernel and socket counters for the run report. See README.md.
package live
