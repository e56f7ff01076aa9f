package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/apisensor/sensor/pipeline"
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
	// As for run: the file and the SENSOR_* variables give the flags their
	// defaults, so a flag on the command line wins.
	_, cfg, fs, pf, ok := pipelineFlagSet("replay", replayUsage, args, stderr)
	if !ok {
		return 2
	}
	cpuProfile := fs.String("cpu-profile", "", "write a Go CPU profile of the replay to this file, for `go tool pprof`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(stderr, "sensor replay: no capture file given (use - for stdin)")
		fs.Usage()
		return 2
	}
	out, kpub, log, code := pf.setup("replay", cfg, stdout, stderr)
	if code != 0 {
		return code
	}

	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "sensor replay:", err)
			return 1
		}
		defer stop()
	}
	prog := &pipeline.Progress{}
	stopProgress := func() {}
	if !*pf.quiet && isTerminal(stderr) {
		stopProgress = showProgress(stderr, prog)
	}
	report, err := pipeline.Replay(ctx, *cfg, files, stdin, out, log.With("component", "replay"), prog)
	stopProgress()
	err = pf.finish("replay", report, &out, kpub, err, stderr)
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

// startCPUProfile profiles the process into path until stop is called:
// what detection costs on a capture of one's own traffic is a question
// only that traffic answers.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
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
