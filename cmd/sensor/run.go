package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apisensor/sensor/pipeline"
)

const runUsage = `Usage: sensor run [flags] (-i IFACE ... | --listen-udp ADDR ...)

Captures live traffic until SIGINT or SIGTERM: AF_PACKET on interfaces (a SPAN
or TAP port, a mirror interface; needs CAP_NET_RAW, and CAP_NET_ADMIN for
promiscuous mode), and/or UDP sockets that receive a cloud traffic mirror's
VXLAN (4789) or GENEVE (6081) datagrams (no privilege). Alerts go to standard
output as JSON lines (or Kafka); at the end every open connection is flushed,
the publishers too, and the run report goes to standard error.

Flags:
`

// listFlag is a repeatable flag that also takes comma-separated values.
type listFlag struct{ v *[]string }

func (l listFlag) String() string {
	if l.v == nil {
		return ""
	}
	return strings.Join(*l.v, ",")
}

func (l listFlag) Set(s string) error {
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*l.v = append(*l.v, x)
		}
	}
	return nil
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// The file and the SENSOR_* variables are read first: their values are
	// the flags' defaults, so a flag given on the command line wins.
	fc, cfg, fs, pf, ok := pipelineFlagSet("run", runUsage, args, stderr)
	if !ok {
		return 2
	}
	capture := fc.Capture
	fs.StringVar(&fc.Metrics.Listen, "metrics-listen", fc.Metrics.Listen, "host:port serving /metrics, /healthz and /readyz (empty: off)")
	fs.BoolVar(&fc.Metrics.Pprof, "pprof", fc.Metrics.Pprof, "also serve /debug/pprof/ on the metrics listener")
	fs.Var(listFlag{&capture.Interfaces}, "i", "interface to capture on (repeatable)")
	fs.Var(listFlag{&capture.Interfaces}, "interface", "same as -i")
	fs.Var(listFlag{&capture.ListenUDP}, "listen-udp", "[vxlan=|geneve=]host:port receiving mirrored VXLAN or GENEVE datagrams (repeatable; port 6081 means GENEVE)")
	fs.StringVar(&capture.Filter, "filter", capture.Filter, "capture filter in tcpdump syntax, applied in the kernel (e.g. 'tcp and not port 22')")
	fs.IntVar(&capture.Sockets, "sockets", capture.Sockets, "AF_PACKET sockets per interface in the fanout group (0: one per worker)")
	fs.StringVar(&capture.FanoutMode, "fanout", capture.FanoutMode, "how the kernel spreads packets over the sockets: inner (by the flow inside VXLAN/GENEVE, else the packet's), hash (the kernel's, on the outer headers), lb or cpu")
	fanoutGroup := fs.Uint("fanout-group", uint(capture.FanoutGroup), "PACKET_FANOUT group id (0: derived from the process id)")
	fs.IntVar(&capture.BlockBytes, "ring-block-bytes", capture.BlockBytes, "TPACKET_V3 block size")
	fs.IntVar(&capture.Blocks, "ring-blocks", capture.Blocks, "blocks in each socket's ring")
	fs.IntVar(&capture.FrameBytes, "ring-frame-bytes", capture.FrameBytes, "TPACKET_V3 frame size")
	fs.IntVar(&capture.SnapLen, "snaplen", capture.SnapLen, "bytes kept of each packet")
	fs.BoolVar(&capture.Promiscuous, "promisc", capture.Promiscuous, "promiscuous mode while capturing")
	fs.IntVar(&capture.UDPReadBuffer, "udp-read-buffer", capture.UDPReadBuffer, "SO_RCVBUF asked for on --listen-udp sockets")
	fs.DurationVar(&capture.PollTimeout, "poll-timeout", capture.PollTimeout, "wait for packets at most this long before idle connections are aged on the wall clock")
	fs.DurationVar(&cfg.StatsInterval, "stats-interval", cfg.StatsInterval, "how often a run report goes to the Kafka stats topic")
	// -i and --listen-udp add to each other's list but replace the file's.
	fileIfaces, fileUDP := capture.Interfaces, capture.ListenUDP
	capture.Interfaces, capture.ListenUDP = nil, nil
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if capture.Interfaces == nil {
		capture.Interfaces = fileIfaces
	}
	if capture.ListenUDP == nil {
		capture.ListenUDP = fileUDP
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sensor run: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if *fanoutGroup > 0xffff {
		fmt.Fprintln(stderr, "sensor run: --fanout-group: at most 65535")
		return 2
	}
	capture.FanoutGroup = uint16(*fanoutGroup)
	if !capture.Enabled() {
		fmt.Fprintln(stderr, "sensor run: nothing to capture: give -i IFACE or --listen-udp ADDR")
		fs.Usage()
		return 2
	}
	if err := capture.Validate(); err != nil {
		fmt.Fprintln(stderr, "sensor run:", err)
		return 2
	}
	out, kpub, log, code := pf.setup("run", cfg, stdout, stderr)
	if code != 0 {
		return code
	}
	stopOps, err := startOps(ctx, fc, &out, kpub, log)
	if err != nil {
		fmt.Fprintln(stderr, "sensor run:", err)
		return 1
	}
	report, err := pipeline.Run(ctx, *cfg, capture, out, log.With("component", "capture"), nil)
	err = pf.finish("run", report, &out, kpub, err, stderr)
	if oerr := stopOps(); oerr != nil && err == nil {
		err = oerr
	}
	if err != nil {
		fmt.Fprintln(stderr, "sensor run:", err)
		return 1
	}
	if len(report.Errors) > 0 {
		return 1
	}
	return 0
}
