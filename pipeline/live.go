package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apisensor/sensor/sensor"
	"github.com/apisensor/sensor/sensor/live"
)

// Run captures live traffic (AF_PACKET interfaces, UDP mirror targets) until
// ctx is done, then closes every connection, drains the workers and the
// output stage and returns the run report.
//
// Each capture socket has its own goroutine that decodes its packets down
// to the inner flow and hands them to the flow-sharded workers, as the file
// reader does. The kernel's fanout hash only sees the outer headers: for a
// tunnelled mirror (VXLAN, GENEVE, ERSPAN) the two directions of one inner
// connection may come in different tunnel flows, hence on different sockets;
// sharding again in user space by the inner flow brings them together, and
// the kernel still spreads the capture work over the sockets.
//
// A worker that falls behind blocks the sockets feeding it; the kernel ring
// then fills and the kernel drops and counts (capture.kernel_drops): a
// live sensor sheds load at the ring, where it is counted, never silently.
func Run(ctx context.Context, cfg Config, capture live.Config, out Outputs, log *slog.Logger, prog *Progress) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if prog == nil {
		prog = &Progress{}
	}
	srcs, err := live.Open(&capture, cfg.Workers)
	if err != nil {
		return nil, err
	}
	snaps := make([]atomic.Pointer[sensor.Counts], len(srcs))
	prog.capture = func() sensor.Counts {
		all := sensor.Counts{}
		for i := range snaps {
			if c := snaps[i].Load(); c != nil {
				all.Merge(*c)
			}
		}
		return all
	}
	g, err := startGraph(ctx, &cfg, out, prog, len(srcs))
	if err != nil {
		for _, s := range srcs {
			s.Close()
		}
		return nil, err
	}
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.Name()
	}
	for _, s := range srcs {
		if b, ok := s.(interface{ RcvBuf() (granted, asked int) }); ok {
			if granted, asked := b.RcvBuf(); granted < asked {
				log.Warn("udp receive buffer capped by net.core.rmem_max (CAP_NET_ADMIN lifts the cap)", "source", s.Name(), "granted", granted, "asked", asked)
			}
		}
	}
	log.Info("capturing", "sources", strings.Join(names, ","), "workers", cfg.Workers, "filter", capture.Filter)

	// A source that fails (its interface went away) stops the whole run,
	// with the error in the report: a sensor that silently captures less
	// is worse than one that exits and is restarted.
	capCtx, stopCapture := context.WithCancel(ctx)
	defer stopCapture()
	errs := make([]error, len(srcs))
	oversize := make([]uint64, len(srcs))
	var wg sync.WaitGroup
	for i, s := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			oversize[i], errs[i] = captureLoop(capCtx, s, drainBound(capture.PollTimeout), g.workers, prog, &snaps[i])
			if errs[i] != nil {
				stopCapture()
			}
			s.Close()
		}()
	}
	wg.Wait()
	// Every producer is done: the workers close all connections
	// (CloseAll) once their inputs close, and the output stage drains.
	tallies, err := g.stop()

	report := g.report
	counts := sensor.Counts{}
	var stats sensor.FileStats
	for i, s := range srcs {
		s.Counters(counts)
		st := s.Stats()
		stats.Packets += st.Packets
		stats.Bytes += st.Bytes
		if oversize[i] > 0 {
			counts.Add("drop.packet_oversize", oversize[i])
		}
		if errs[i] != nil {
			report.Errors = append(report.Errors, errs[i].Error())
		}
	}
	counts.Merge(detectorCounts(g.dets))
	report.finish(stats, counts, tallies, time.Since(g.start))
	placeCaptureCounters(report)
	return report, g.publishReport(ctx, err)
}

// placeCaptureCounters moves the capture.* counters, which finish files as
// anomalies, among the counters, and adds the kernel's drops to the drops.
func placeCaptureCounters(r *Report) {
	for k, v := range r.Anomalies {
		if !strings.HasPrefix(k, "capture.") {
			continue
		}
		delete(r.Anomalies, k)
		r.Counters[k] = v
		switch k {
		case live.CountKernelDrops, live.CountUDPDrops, live.CountUDPTruncated:
			if v > 0 {
				r.Drops[strings.TrimPrefix(k, "capture.")] = v
			}
		}
	}
}

// drainBound bounds how long a source goes on reading what is already in its
// ring after shutdown was asked for, under traffic that does not stop. It is
// at least twice the poll timeout, which is also the ring's block timeout:
// the kernel retires a block that is not full on a timer of that period,
// rounded up to whole ticks and run late under load.
func drainBound(pollTimeout time.Duration) time.Duration {
	return max(time.Second, 2*pollTimeout)
}

// captureLoop reads one source until ctx is done (then until a poll times out
// with nothing queued in the kernel for the source, or drain passes) or the
// source fails. On a poll timeout the workers' clocks advance on the wall
// clock, so idle connections time out on a quiet link.
func captureLoop(ctx context.Context, s live.Source, drain time.Duration, workers []*worker, prog *Progress, snap *atomic.Pointer[sensor.Counts]) (uint64, error) {
	f := newFeeder(workers)
	var (
		p         sensor.Packet
		count     uint64
		lastStats sensor.FileStats
		lastSnap  time.Time
	)
	progress := func() {
		st := s.Stats()
		prog.packets.Add(st.Packets - lastStats.Packets)
		prog.done.Add(int64(st.Bytes - lastStats.Bytes))
		lastStats = st
		// The source's counters belong to this goroutine: a copy, once a
		// second, is what periodic reports and metrics read.
		if now := time.Now(); lastSnap.IsZero() || now.Sub(lastSnap) >= time.Second {
			lastSnap = now
			c := sensor.Counts{}
			s.Counters(c)
			snap.Store(&c)
		}
	}
	progress()
	var (
		err error
		// drainUntil is set once shutdown is seen: the packets already in
		// the ring are still read, until a poll times out and the kernel
		// holds none for the source, or the bound passes under traffic
		// that goes on.
		drainUntil time.Time
	)
	stopping := func() bool {
		if drainUntil.IsZero() && ctx.Err() != nil {
			drainUntil = time.Now().Add(drain)
		}
		return !drainUntil.IsZero()
	}
	for {
		draining := stopping()
		if draining && time.Now().After(drainUntil) {
			break
		}
		err = s.Next(&p)
		if err != nil {
			if errors.Is(err, live.ErrTimeout) {
				err = nil
				progress()
				// A poll timeout alone does not prove the ring empty: the
				// block being filled reaches user space when the kernel's
				// retire timer fires, which runs in whole ticks and late
				// under load, so it may come after the poll timed out and
				// hold the last packets of a connection.
				if draining && s.Queued() == 0 {
					break
				}
				f.tick(time.Now())
				continue
			}
			err = fmt.Errorf("capture %s: %w", s.Name(), err)
			break
		}
		f.packet(&p)
		count++
		if count&255 == 0 {
			progress()
		}
	}
	progress()
	f.tick(f.now)
	return f.oversize, err
}

// Capture returns the live capture's counters as of the last second
// (capture.kernel_drops and the others of package live, and the frame
// decoders'); nil for a replay.
func (p *Progress) Capture() sensor.Counts {
	if p == nil || p.capture == nil {
		return nil
	}
	return p.capture()
}
