package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apisensor/sensor/pipeline"
	"github.com/apisensor/sensor/pipeline/publish"
	"github.com/apisensor/sensor/pipeline/publish/kafka"
	// The jsonl publisher registers itself.
	_ "github.com/apisensor/sensor/pipeline/publish/jsonl"
)

const replayUsage = `Usage: sensor replay [flags] FILE...

Replays pcap or pcapng captures (plain or gzip; - reads standard input) through
the sensor and writes alerts as JSON lines on standard output, or with
--exchanges every rebuilt request/response. A run report goes to standard
error at the end.

Flags:
`

func replayCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg := pipeline.DefaultConfig()
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, replayUsage); fs.PrintDefaults() }
	var (
		exchanges = fs.Bool("exchanges", false, "write every rebuilt exchange as a JSON line on stdout instead of alerts")
		alertsOut = fs.String("alerts", "-", "where alerts go: a file, or - for stdout")
		statsJSON = fs.String("stats-json", "", "also write the run report as JSON to this file")
		quiet     = fs.Bool("quiet", false, "no run report and no progress line on stderr (file errors are still shown)")
		detectors = fs.String("detectors", strings.Join(cfg.Detectors, ","), "comma-separated detectors to run (empty: none)")
	)
	level, format := commonFlags(fs)
	kcfg := kafka.DefaultConfig()
	brokers, finishKafka := kafkaClientFlags(fs, "kafka-", &kcfg.Client)
	fs.StringVar(&kcfg.Topic, "kafka-topic", kcfg.Topic, "topic for alerts (with --kafka-brokers)")
	fs.StringVar(&kcfg.EventsTopic, "kafka-events-topic", "", "topic for one record per exchange, e.g. sensor.events (default: off)")
	fs.StringVar(&kcfg.StatsTopic, "kafka-stats-topic", "", "topic for the run report, e.g. sensor.stats (default: off)")
	fs.StringVar(&kcfg.Encoding, "kafka-encoding", kcfg.Encoding, "record encoding: protobuf or json")
	fs.StringVar(&kcfg.Producer.Acks, "kafka-acks", kcfg.Producer.Acks, "acknowledgements: all, one or none")
	fs.StringVar(&kcfg.Producer.Compression, "kafka-compression", kcfg.Producer.Compression, "compression: none, gzip, snappy, lz4 or zstd")
	fs.StringVar(&kcfg.Producer.SpoolDir, "kafka-spool-dir", "", "directory where alerts wait while the brokers are away (default: none: they are dropped and counted when the memory queue is full)")
	fs.Int64Var(&kcfg.Producer.SpoolMaxBytes, "kafka-spool-max-bytes", kcfg.Producer.SpoolMaxBytes, "bound of the spool directory")
	fs.BoolVar(&kcfg.Producer.CreateTopics, "kafka-create-topics", false, "create missing topics instead of failing at start")
	fs.DurationVar(&kcfg.CloseTimeout, "kafka-close-timeout", kcfg.CloseTimeout, "how long the end of the run waits for the brokers; what is left stays in the spool")
	fs.StringVar(&cfg.SensorID, "sensor-id", cfg.SensorID, "this sensor's name in alerts and Kafka records")
	protoDescriptors := fs.String("proto-descriptors", "", "comma-separated FileDescriptorSet files (protoc --descriptor_set_out --include_imports) to decode gRPC messages with field names")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "flow-sharded workers")
	fs.IntVar(&cfg.TCP.MaxConns, "max-connections", cfg.TCP.MaxConns, "tracked TCP connections; past it the least recently active are evicted")
	fs.IntVar(&cfg.TCP.MaxBufferedPerConn, "max-buffered-per-connection", cfg.TCP.MaxBufferedPerConn, "out-of-order bytes held per connection")
	fs.IntVar(&cfg.TCP.MaxBufferedTotal, "max-buffered-total", cfg.TCP.MaxBufferedTotal, "out-of-order bytes held in all")
	fs.DurationVar(&cfg.TCP.IdleTimeout, "idle-timeout", cfg.TCP.IdleTimeout, "close connections idle this long (packet time)")
	fs.IntVar(&cfg.Decode.MaxBodyBytes, "max-body-bytes", cfg.Decode.MaxBodyBytes, "decoded body bytes kept per message")
	fs.IntVar(&cfg.Decode.MaxDecompressedBytes, "max-decompressed-bytes", cfg.Decode.MaxDecompressedBytes, "decompression-bomb limit per body")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(stderr, "sensor replay: no capture file given (use - for stdin)")
		fs.Usage()
		return 2
	}
	log, err := newLogger(stderr, *level, *format)
	if err != nil {
		fmt.Fprintln(stderr, "sensor replay:", err)
		return 2
	}
	cfg.Detectors = nil
	for _, d := range strings.Split(*detectors, ",") {
		if d = strings.TrimSpace(d); d != "" {
			cfg.Detectors = append(cfg.Detectors, d)
		}
	}

	var out pipeline.Outputs
	if *exchanges {
		out.Exchanges = stdout
	}
	finishKafka()
	cfg.ProtoDescriptors = splitList(*protoDescriptors)
	var kpub *kafka.Publisher
	switch {
	case *brokers != "":
		// Alerts go to Kafka; events and run reports too when their topics
		// are set.
		kcfg.SensorID = cfg.SensorID
		kcfg.Logger = log.With("component", "kafka")
		var err error
		if kpub, err = kafka.New(kcfg); err != nil {
			fmt.Fprintln(stderr, "sensor replay:", err)
			return 1
		}
		out.Alerts = kpub
		if kcfg.EventsTopic != "" {
			out.Events = kpub
		}
		if kcfg.StatsTopic != "" {
			out.Stats = kpub
		}
	case !*exchanges || *alertsOut != "-":
		pub, err := publish.New("jsonl", publish.Config{JSONL: publish.JSONL{Path: *alertsOut, Writer: alertWriter(*alertsOut, stdout)}})
		if err != nil {
			fmt.Fprintln(stderr, "sensor replay:", err)
			return 1
		}
		out.Alerts = pub
	}

	prog := &pipeline.Progress{}
	stopProgress := func() {}
	if !*quiet && isTerminal(stderr) {
		stopProgress = showProgress(stderr, prog)
	}
	report, err := pipeline.Replay(ctx, cfg, files, stdin, out, log.With("component", "replay"), prog)
	stopProgress()
	// Flush the publisher before the report, so that it tells what was
	// delivered, spooled or dropped.
	if out.Alerts != nil {
		if cerr := out.Alerts.Close(); cerr != nil && err == nil {
			err = cerr
		}
		out.Alerts = nil
	}
	if kpub != nil && report != nil {
		report.SetPublisher(kpub.Stats().Counters())
	}
	if report != nil {
		if *quiet {
			report.WriteProblems(stderr)
		} else {
			report.WriteText(stderr)
		}
		if *statsJSON != "" {
			if werr := report.WriteJSONFile(*statsJSON); werr != nil {
				fmt.Fprintln(stderr, "sensor replay:", werr)
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "sensor replay:", err)
		return 1
	}
	if report.Interrupted {
		return 130 // as a shell reports a command ended by SIGINT
	}
	if len(report.Errors) > 0 {
		return 1
	}
	return 0
}

// showProgress prints a progress line on a terminal once a second until the
// returned stop is called.
func showProgress(w io.Writer, p *pipeline.Progress) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				d, total := p.Bytes()
				rate := float64(d) / 1e6 / time.Since(start).Seconds()
				if total > 0 {
					fmt.Fprintf(w, "\r\033[K%.1f/%.1f MB (%.0f%%) %.1f MB/s %d packets", float64(d)/1e6, float64(total)/1e6, 100*float64(d)/float64(total), rate, p.Packets())
				} else {
					fmt.Fprintf(w, "\r\033[K%.1f MB %.1f MB/s %d packets", float64(d)/1e6, rate, p.Packets())
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// alertWriter returns stdout when alerts go there, so that tests can capture
// them; a file path is opened by the publisher.
func alertWriter(path string, stdout io.Writer) io.Writer {
	if path == "" || path == "-" {
		return stdout
	}
	return nil
}
