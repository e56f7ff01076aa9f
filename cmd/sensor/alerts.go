package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apisensor/sensor/pipeline/consume"
	"github.com/apisensor/sensor/pipeline/publish/kafka"
)

const alertsUsage = `Usage: sensor alerts --brokers HOST:PORT[,...] [flags]

Reads alerts (and exchange events or run reports) from Kafka topics, decodes
protobuf or JSON by each message's content-type header, and prints the ones
that pass the filters: an aligned table on a terminal, JSON lines (the same as
"sensor replay" writes) when piped. Without --follow it stops at the end of
each partition as it was when it started; with --follow it runs until
interrupted.

With --group the reader joins that consumer group and commits its progress,
so the next run resumes where this one stopped; without it nothing is
committed and --from says where to start in each partition.

Flags:
`

func alertsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	client := kafka.DefaultClientConfig()
	fs := flag.NewFlagSet("alerts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, alertsUsage); fs.PrintDefaults() }
	var (
		topics      = fs.String("topic", "sensor.alerts", "comma-separated topics to read (sensor.alerts, sensor.events, sensor.stats)")
		group       = fs.String("group", "", "consumer group: share partitions with its members and commit progress")
		from        = fs.String("from", "beginning", "where to start in each partition: beginning, end, an offset, -N (the last N), or an RFC 3339 publish time; with --group only beginning or end, for partitions the group never read")
		follow      = fs.Bool("follow", false, "keep reading new messages until interrupted")
		minSeverity = fs.String("min-severity", "", "show only records at least this severe: info, low, medium, high, critical")
		detectors   = fs.String("detector", "", "comma-separated detectors (injection) or detector/rule (injection/sqli) to show")
		clients     = fs.String("client", "", "comma-separated client IP addresses or CIDR prefixes to show")
		since       = fs.String("since", "", "show records whose event (packet) time is at or after this: RFC 3339, or a duration before now (2h)")
		until       = fs.String("until", "", "show records whose event (packet) time is before this: RFC 3339, or a duration before now")
		asJSON      = fs.Bool("json", false, "print JSON lines even on a terminal")
		asTable     = fs.Bool("table", false, "print a table even when piped")
	)
	_, finishClient := kafkaClientFlags(fs, "", &client)
	level, format := commonFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usageErr := func(err error) int {
		fmt.Fprintln(stderr, "sensor alerts:", err)
		return 2
	}
	if fs.NArg() > 0 {
		return usageErr(fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if *asJSON && *asTable {
		return usageErr(errors.New("--json and --table exclude each other"))
	}
	finishClient()
	cfg := consume.Config{Client: client, Topics: splitList(*topics), Group: *group, Follow: *follow}
	var err error
	if cfg.From, err = consume.ParsePosition(*from); err != nil {
		return usageErr(fmt.Errorf("--from: %w", err))
	}
	if *minSeverity != "" {
		if cfg.Filter.MinSeverity, err = consume.ParseSeverity(*minSeverity); err != nil {
			return usageErr(fmt.Errorf("--min-severity: %w", err))
		}
	}
	cfg.Filter.Detectors = splitList(*detectors)
	if cfg.Filter.Clients, err = consume.ParseClients(*clients); err != nil {
		return usageErr(fmt.Errorf("--client: %w", err))
	}
	now := time.Now()
	if cfg.Filter.Since, err = parseWhen(*since, now); err != nil {
		return usageErr(fmt.Errorf("--since: %w", err))
	}
	if cfg.Filter.Until, err = parseWhen(*until, now); err != nil {
		return usageErr(fmt.Errorf("--until: %w", err))
	}
	if err := cfg.Validate(); err != nil {
		return usageErr(err)
	}
	if cfg.Log, err = newLogger(stderr, *level, *format); err != nil {
		return usageErr(err)
	}

	var p consume.Printer = consume.NewJSONPrinter(stdout)
	table := *asTable || !*asJSON && isTerminal(stdout)
	if table {
		p = consume.NewTablePrinter(stdout)
	}
	sum, err := consume.Run(ctx, cfg, p.Print)
	if err != nil {
		fmt.Fprintln(stderr, "sensor alerts:", err)
		return 1
	}
	if sum.Undecodable > 0 {
		fmt.Fprintf(stderr, "sensor alerts: %d messages could not be decoded and were skipped\n", sum.Undecodable)
	}
	if table {
		fmt.Fprintf(stderr, "%d shown of %d read\n", sum.Matched, sum.Messages)
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseWhen reads an RFC 3339 time, or a duration meaning that long before
// now; "" is the zero time (no bound).
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2024-05-06T07:08:09Z) or a positive duration (2h)", s)
	}
	return now.Add(-d), nil
}
