// Command retime rewrites the timestamps of a pcap so that a scenario
// played in a few real seconds spreads over minutes of capture time, as a
// real bot's traffic would: every timestamp becomes
//
//	start + (t - first) × factor
//
// with start fixed (-start), so packet order and relative spacing are kept
// and the output does not depend on when the capture was made. The output
// is a nanosecond-resolution pcap.
//
// Usage: retime -factor 300 -start 2026-11-27T10:00:00Z in.pcap out.pcap
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	factor := flag.Float64("factor", 1, "time stretch factor")
	startS := flag.String("start", "2026-11-27T10:00:00Z", "time of the first packet (RFC 3339)")
	flag.Parse()
	if flag.NArg() != 2 || *factor <= 0 {
		log.Fatal("usage: retime -factor F [-start T] in.pcap out.pcap")
	}
	start, err := time.Parse(time.RFC3339Nano, *startS)
	if err != nil {
		log.Fatal(err)
	}
	if err := retime(flag.Arg(0), flag.Arg(1), *factor, start); err != nil {
		log.Fatal(err)
	}
}

func retime(in, out string, factor float64, start time.Time) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	w := pcapgo.NewWriterNanos(o)
	if err := w.WriteFileHeader(uint32(r.Snaplen()), layers.LinkType(r.LinkType())); err != nil {
		return err
	}
	var first time.Time
	n := 0
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s packet %d: %w", in, n+1, err)
		}
		if n == 0 {
			first = ci.Timestamp
		}
		n++
		ci.Timestamp = start.Add(time.Duration(float64(ci.Timestamp.Sub(first)) * factor))
		if err := w.WritePacket(ci, data); err != nil {
			return err
		}
	}
	if err := o.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %d packets retimed ×%g\n", out, n, factor)
	return nil
}
