package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/apisensor/sensor/pipeline"
	"github.com/apisensor/sensor/pipeline/publish"
	"github.com/apisensor/sensor/pipeline/publish/kafka"
)

// pipelineFlags are the flags that `replay` and `run` share: where results
// go (alerts, exchanges, Kafka, run report), logging, and the pipeline's
// bounds.
type pipelineFlags struct {
	exchanges        *bool
	alertsOut        *string
	statsJSON        *string
	quiet            *bool
	detectors        *string
	level, format    *string
	kcfg             kafka.Config
	brokers          *string
	finishKafka      func()
	protoDescriptors *string
}

// bindPipelineFlags binds the shared flags to fs, with cfg's values as
// defaults; the pipeline's bounds go straight into cfg.
func bindPipelineFlags(fs *flag.FlagSet, cfg *pipeline.Config) *pipelineFlags {
	f := &pipelineFlags{
		exchanges: fs.Bool("exchanges", false, "write every rebuilt exchange as a JSON line on stdout instead of alerts"),
		alertsOut: fs.String("alerts", "-", "where alerts go: a file (appended to, as eve.json is, so a restart or logrotate loses nothing), or - for stdout"),
		statsJSON: fs.String("stats-json", "", "also write the run report as JSON to this file"),
		quiet:     fs.Bool("quiet", false, "no run report and no progress line on stderr (file errors are still shown)"),
		detectors: fs.String("detectors", strings.Join(cfg.Detectors, ","), "comma-separated detectors to run (empty: none)"),
	}
	f.level, f.format = commonFlags(fs)
	f.kcfg = kafka.DefaultConfig()
	kcfg := &f.kcfg
	f.brokers, f.finishKafka = kafkaClientFlags(fs, "kafka-", &kcfg.Client)
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
	f.protoDescriptors = fs.String("proto-descriptors", "", "comma-separated FileDescriptorSet files (protoc --descriptor_set_out --include_imports) to decode gRPC messages with field names")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "flow-sharded workers")
	fs.IntVar(&cfg.TCP.MaxConns, "max-connections", cfg.TCP.MaxConns, "tracked TCP connections; past it the least recently active are evicted")
	fs.IntVar(&cfg.TCP.MaxBufferedPerConn, "max-buffered-per-connection", cfg.TCP.MaxBufferedPerConn, "out-of-order bytes held per connection")
	fs.IntVar(&cfg.TCP.MaxBufferedTotal, "max-buffered-total", cfg.TCP.MaxBufferedTotal, "out-of-order bytes held in all")
	fs.DurationVar(&cfg.TCP.IdleTimeout, "idle-timeout", cfg.TCP.IdleTimeout, "close connections idle this long (packet time)")
	fs.IntVar(&cfg.Decode.MaxBodyBytes, "max-body-bytes", cfg.Decode.MaxBodyBytes, "decoded body bytes kept per message")
	fs.IntVar(&cfg.Decode.MaxDecompressedBytes, "max-decompressed-bytes", cfg.Decode.MaxDecompressedBytes, "decompression-bomb limit per body")
	fs.StringVar(&cfg.Detect.CRS.Mode, "crs-mode", cfg.Detect.CRS.Mode, "exchanges the crs detector (OWASP CRS, when in --detectors) inspects: off, alerted (those tier 1 alerted on: corroboration only), suspicious (also those a prefilter flags) or all")
	fs.IntVar(&cfg.Detect.CRS.ParanoiaLevel, "crs-paranoia", cfg.Detect.CRS.ParanoiaLevel, "CRS paranoia level of the crs detector, 1 to 4")
	fs.IntVar(&cfg.Detect.CRS.MaxRunsPerSecond, "crs-max-runs", cfg.Detect.CRS.MaxRunsPerSecond, "CRS runs a second of packet time in modes alerted and suspicious (-1: no bound; a replay for forensics may want every run)")
	fs.BoolVar(&cfg.Behave.Enabled, "behave", cfg.Behave.Enabled, "run the behavioural detectors (stuffing, brute force, enumeration, scanners, …) over every exchange")
	return f
}

// setup completes cfg from the parsed flags and opens the outputs. On error
// it has printed the problem and returns the exit code (1 or 2).
func (f *pipelineFlags) setup(cmd string, cfg *pipeline.Config, stdout, stderr io.Writer) (out pipeline.Outputs, kpub *kafka.Publisher, log *slog.Logger, code int) {
	log, err := newLogger(stderr, *f.level, *f.format)
	if err != nil {
		fmt.Fprintf(stderr, "sensor %s: %v\n", cmd, err)
		return out, nil, nil, 2
	}
	cfg.Detectors = nil
	for _, d := range strings.Split(*f.detectors, ",") {
		if d = strings.TrimSpace(d); d != "" {
			cfg.Detectors = append(cfg.Detectors, d)
		}
	}
	if *f.exchanges {
		out.Exchanges = stdout
	}
	f.finishKafka()
	cfg.ProtoDescriptors = splitList(*f.protoDescriptors)
	switch {
	case *f.brokers != "":
		// Alerts go to Kafka; events and run reports too when their topics
		// are set.
		f.kcfg.SensorID = cfg.SensorID
		f.kcfg.Logger = log.With("component", "kafka")
		if kpub, err = kafka.New(f.kcfg); err != nil {
			fmt.Fprintf(stderr, "sensor %s: %v\n", cmd, err)
			return out, nil, nil, 1
		}
		out.Alerts = kpub
		if f.kcfg.EventsTopic != "" {
			out.Events = kpub
		}
		if f.kcfg.StatsTopic != "" {
			out.Stats = kpub
		}
	case !*f.exchanges || *f.alertsOut != "-":
		pub, err := publish.New("jsonl", publish.Config{JSONL: publish.JSONL{Path: *f.alertsOut, Writer: alertWriter(*f.alertsOut, stdout)}})
		if err != nil {
			fmt.Fprintf(stderr, "sensor %s: %v\n", cmd, err)
			return out, nil, nil, 1
		}
		out.Alerts = pub
	}
	return out, kpub, log, 0
}

// finish flushes the publisher, then prints the run report (so that it
// tells what was delivered, spooled or dropped) and writes --stats-json. It
// returns err, or the first error it met itself.
func (f *pipelineFlags) finish(cmd string, report *pipeline.Report, out *pipeline.Outputs, kpub *kafka.Publisher, err error, stderr io.Writer) error {
	if out.Alerts != nil {
		if cerr := out.Alerts.Close(); cerr != nil && err == nil {
			err = cerr
		}
		out.Alerts = nil
	}
	if kpub != nil && report != nil {
		report.SetPublisher(kpub.Stats().Counters())
	}
	if report == nil {
		return err
	}
	if *f.quiet {
		report.WriteProblems(stderr)
	} else {
		report.WriteText(stderr)
	}
	if *f.statsJSON != "" {
		if werr := report.WriteJSONFile(*f.statsJSON); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}
