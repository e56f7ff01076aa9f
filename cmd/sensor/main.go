// Command sensor is the passive API-security sensor. It only wires: flags and
// configuration here, the work in package pipeline.
//
//	sensor replay [flags] FILE...   pcap/pcapng files (plain or gzip, "-" for stdin)
//	sensor run -i IFACE ...         live capture (AF_PACKET, UDP mirror targets)
//	sensor alerts --brokers H:P     read alerts back from Kafka
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `sensor: passive API-security sensor

Usage:
  sensor replay [flags] FILE...   replay pcap/pcapng captures (plain or gzip, - for stdin)
  sensor run -i IFACE | --listen-udp :4789   capture live (SPAN/TAP port, cloud mirror target)
  sensor alerts --brokers H:P     read and filter alerts from Kafka topics
  sensor aggregate --brokers H:P  behavioural detection over every sensor's events (Kafka)
  sensor version                  print the version

Run "sensor replay -h" or "sensor alerts -h" for the flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the exit, for tests.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "replay":
		return replayCmd(ctx, args[1:], stdin, stdout, stderr)
	case "alerts":
		return alertsCmd(ctx, args[1:], stdout, stderr)
	case "aggregate":
		return aggregateCmd(ctx, args[1:], stdout, stderr)
	case "run":
		return runCmd(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "sensor", version)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "sensor: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// newLogger returns the process logger: text or JSON on stderr.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, errors.New("log format must be text or json")
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// registerFlags is shared by the subcommands that take the common flags.
func commonFlags(fs *flag.FlagSet) (level, format *string) {
	level = fs.String("log-level", "info", "log level: debug, info, warn, error")
	format = fs.String("log-format", "text", "log format: text or json")
	return
}
