// Package pipeline joins the stages of the sensor: a packet source, the
// flow-sharded workers (TCP reassembly, decoders, per-exchange detectors) and
// the output stage (publishers, exchange log). Stages are joined by bounded
// channels carrying batches; the owner of a channel closes it.
//
//	reader ──batches──▶ worker 0..N-1 ──results──▶ output
//	(FileReader,         (sensor.Tracker,            (publish.Publisher,
//	 shardOf)             decoders, detect)            exchange writer)
package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/publish"
	"github.com/apisensor/sensor/sensor"

	"github.com/apisensor/sensor/decoders/grpc"
	"github.com/apisensor/sensor/decoders/protobuf"

	// Protocol decoders register themselves.
	_ "github.com/apisensor/sensor/decoders/http1"
	_ "github.com/apisensor/sensor/decoders/http2"
	_ "github.com/apisensor/sensor/decoders/tls"
	_ "github.com/apisensor/sensor/decoders/websocket"
	// Detectors register themselves.
	_ "github.com/apisensor/sensor/pipeline/detect/auth"
	_ "github.com/apisensor/sensor/pipeline/detect/crs"
	_ "github.com/apisensor/sensor/pipeline/detect/injection"
	_ "github.com/apisensor/sensor/pipeline/detect/smuggling"
	_ "github.com/apisensor/sensor/pipeline/detect/tier1"
)

// Outputs are where results go. Either may be nil.
type Outputs struct {
	// Alerts receives every alert.
	Alerts publish.Publisher
	// Exchanges receives every exchange as a JSON line (--exchanges).
	Exchanges io.Writer
	// Events receives one compact record per exchange (sensor.events).
	Events publish.EventPublisher
	// Stats receives the run report every Config.StatsInterval and at the
	// end (sensor.stats).
	Stats publish.StatsPublisher
	// Live receives the same reports, for the metrics endpoint.
	Live *Live
}

// Progress is read by a progress display while a replay runs.
type Progress struct {
	done, total atomic.Int64
	packets     atomic.Uint64
	// capture, set by Run, returns the capture sources' counters so far
	// (kernel drops and the like) for periodic reports.
	capture func() sensor.Counts
}

// Bytes returns the raw input bytes read so far and the total (0 if unknown).
func (p *Progress) Bytes() (done, total int64) { return p.done.Load(), p.total.Load() }

// Packets returns the packets read so far.
func (p *Progress) Packets() uint64 { return p.packets.Load() }

// Replay runs the pipeline over capture files ("-" for stdin) and returns
// the run report. Problems with single files are reported in Report.Errors
// and Report.Warnings; everything read before a problem is processed. The
// error is non-nil only when the pipeline itself cannot run or publishing
// failed.
func Replay(ctx context.Context, cfg Config, files []string, stdin io.Reader, out Outputs, log *slog.Logger, prog *Progress) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if prog == nil {
		prog = &Progress{}
	}
	g, err := startGraph(ctx, &cfg, out, prog, 1)
	if err != nil {
		return nil, err
	}
	readerCounts := sensor.Counts{}
	reader := sensor.NewFileReader(files, stdin, readerCounts)
	readErr := readLoop(ctx, reader, g.workers, prog, g.report, log)
	tallies, err := g.stop()
	report := g.report
	if report.oversize > 0 {
		readerCounts.Add("drop.packet_oversize", report.oversize)
	}
	readerCounts.Merge(detectorCounts(g.dets))
	report.finish(reader.Stats(), readerCounts, tallies, time.Since(g.start))
	err = g.publishReport(ctx, err)
	if readErr != nil {
		return report, readErr
	}
	return report, err
}

// graph is the part of the pipeline every source shares: the flow-sharded
// workers and the output stage, built and running.
type graph struct {
	cfg     *Config
	out     Outputs
	dets    []detect.Detector
	workers []*worker
	report  *Report
	start   time.Time
	outErr  chan error
	behave  *behaveStage
}

// detectorCounts collects the counters of the detectors that keep some
// (detect.Counted), shared by the workers.
func detectorCounts(dets []detect.Detector) sensor.Counts {
	c := sensor.Counts{}
	for _, d := range dets {
		if cd, ok := d.(detect.Counted); ok {
			for k, v := range cd.Counters() {
				if v > 0 {
					c.Add(k, v)
				}
			}
		}
	}
	return c
}

// startGraph builds every node, then starts the workers and the output
// stage; producers is the number of goroutines that will feed the workers
// (each holds one batch per worker). A failed build stops all.
func startGraph(ctx context.Context, cfg *Config, out Outputs, prog *Progress, producers int) (*graph, error) {
	start := time.Now()
	dets, err := detect.New(cfg.Detectors, cfg.Detect)
	if err != nil {
		return nil, fmt.Errorf("detectors: %w", err)
	}
	var schemas *protobuf.Schemas
	if len(cfg.ProtoDescriptors) > 0 {
		if schemas, err = protobuf.LoadSchemas(cfg.ProtoDescriptors...); err != nil {
			return nil, fmt.Errorf("proto descriptors: %w", err)
		}
	}
	// The enrichers are stateless: one serves every worker.
	enrichers := []decoders.Enricher{&grpc.Enricher{Schemas: schemas, JSON: out.Exchanges != nil}}
	bs, err := newBehaveStage(cfg)
	if err != nil {
		return nil, err
	}
	n := cfg.Workers
	g := &graph{cfg: cfg, out: out, dets: dets, workers: make([]*worker, n), report: &Report{SensorID: cfg.SensorID}, start: start, outErr: make(chan error, 1), behave: bs}
	for i := range g.workers {
		g.workers[i] = newWorker(i, n, cfg, dets, out, enrichers, producers)
	}
	results := make(chan *results, cfg.OutputQueue)
	var wg sync.WaitGroup
	for _, w := range g.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(results)
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	go func() { g.outErr <- output(ctx, results, out, g.report, prog, start, n, bs, dets) }()
	return g, nil
}

// stop closes the workers' inputs once every producer is done, waits for the
// output stage to drain and returns the workers' final tallies and the
// output stage's error.
func (g *graph) stop() ([]tally, error) {
	for _, w := range g.workers {
		close(w.in)
	}
	err := <-g.outErr
	tallies := make([]tally, len(g.workers))
	for i, w := range g.workers {
		tallies[i] = w.tally()
	}
	tallies = append(tallies, g.behave.tally())
	return tallies, err
}

// publishReport sends the final run report to the stats output; it returns
// err, or the publishing error when err is nil.
func (g *graph) publishReport(ctx context.Context, err error) error {
	g.report.SensorID = g.cfg.SensorID
	if g.out.Live != nil {
		g.out.Live.Set(g.report)
	}
	if g.out.Stats != nil {
		if perr := publishStats(ctx, g.out.Stats, g.report); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

func publishStats(ctx context.Context, p publish.StatsPublisher, r *Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := p.PublishStats(ctx, b); err != nil {
		return fmt.Errorf("publish stats: %w", err)
	}
	return nil
}

// readLoop reads packets and hands them to the workers in batches. It blocks
// when a worker's queue is full: a replay never drops for speed.
func readLoop(ctx context.Context, r *sensor.FileReader, workers []*worker, prog *Progress, report *Report, log *slog.Logger) error {
	f := newFeeder(workers)
	defer func() { report.oversize += f.oversize }()
	var (
		p     sensor.Packet
		count uint64
	)
	_, total := r.Progress()
	prog.total.Store(total)
	for {
		err := r.Next(&p)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			var fe *sensor.FileError
			if errors.As(err, &fe) {
				// Reported once, in the run report.
				if fe.Warning {
					report.Warnings = append(report.Warnings, fe.Error())
				} else {
					report.Errors = append(report.Errors, fe.Error())
				}
				log.Debug("capture file", "err", fe)
				continue
			}
			return err
		}
		count++
		if count&1023 == 0 {
			done, _ := r.Progress()
			prog.done.Store(done)
			prog.packets.Store(r.Stats().Packets)
			if ctx.Err() != nil {
				report.Interrupted = true
				break
			}
		}
		f.packet(&p)
	}
	f.tick(f.now)
	done, _ := r.Progress()
	prog.done.Store(done)
	prog.packets.Store(r.Stats().Packets)
	return nil
}

// results is what a worker produced from one batch.
type results struct {
	alerts    []*alert.Alert
	events    []*alert.Event
	exchanges []byte // JSON lines
	// keys holds each event's place in packet time (see worker.key), and
	// through the packet time up to which the worker has sent every
	// event, for the behavioural stage's ordered merge (eventOrder).
	keys    []int64
	through int64
	// worker sent this; tally, when set, is its counters as they were,
	// sent every StatsInterval for the periodic run report.
	worker int
	tally  *tally
}

// tally is a copy of one worker's counters.
type tally struct {
	// open is the number of connections the worker tracks now, buffered
	// the out-of-order bytes they wait on.
	open      int
	buffered  int
	counts    sensor.Counts
	exchanges uint64
	alerts    map[string]uint64
}

// worker owns one shard of the flows: its tracker, decoders and detector
// calls all run on its goroutine.
type worker struct {
	id        int
	in        chan *batch
	free      chan *batch
	tracker   *sensor.Tracker
	counts    sensor.Counts
	limits    decoders.Limits
	detectors []detect.Detector
	enrichers []decoders.Enricher
	detect    *detect.Config
	// maxEvidence bounds the evidence of an alert that others were folded into.
	maxEvidence int
	withExch    bool
	withEv      bool
	res         *results
	// statsEvery and nextStats pace the tallies sent for periodic reports
	// (wall time: they report on the run, not on the traffic).
	statsEvery time.Duration
	nextStats  time.Time

	exchanges uint64
	alerts    map[string]uint64

	// clock is the packet time being processed, lastKey the last event
	// key given, through and sent the packet time every batch so far
	// reached and the last one sent to the output (all Unix nanoseconds).
	ordered              bool
	clock, lastKey       int64
	through, sentThrough int64

	// pending holds the exchanges the decoders emitted while the worker
	// went through one batch of packets, for detectPending.
	pending []pendingExchange
}

// pendingExchange is an exchange waiting for the detectors, with its event
// key as of when it was emitted.
type pendingExchange struct {
	x   *decoders.Exchange
	key int64
}

// Counter names of the worker.
const (
	CountDetectorPanic = "detect.panic"
	// CountCorroborated counts, by detector, alerts folded into another
	// detector's alert on the same attack (detect.Combine).
	CountCorroborated = "detect.corroborated"
	// CountExcepted counts, by detector, alerts that an operator's
	// exception (detect.Exception) left without evidence and dropped.
	CountExcepted  = "detect.excepted"
	CountExchanges = "exchanges"
)

// newWorker makes worker i of n; producers is the number of goroutines that
// feed it, each holding one of its batches at all times.
func newWorker(i, n int, cfg *Config, dets []detect.Detector, out Outputs, enrichers []decoders.Enricher, producers int) *worker {
	w := &worker{
		id:          i,
		in:          make(chan *batch, cfg.QueueBatches),
		free:        make(chan *batch, cfg.QueueBatches+producers),
		counts:      sensor.Counts{},
		limits:      cfg.Decode,
		detectors:   dets,
		enrichers:   enrichers,
		detect:      &cfg.Detect,
		maxEvidence: cfg.Detect.WithDefaults().MaxEvidence,
		withExch:    out.Exchanges != nil,
		withEv:      out.Events != nil || cfg.Behave.Enabled,
		ordered:     cfg.Behave.Enabled,
		res:         &results{},
		alerts:      map[string]uint64{},
	}
	if out.Stats != nil || out.Live != nil {
		w.statsEvery = cfg.StatsInterval
		w.nextStats = time.Now().Add(cfg.StatsInterval)
	}
	for range cfg.QueueBatches + producers {
		w.free <- newBatch(cfg.BatchPackets)
	}
	w.tracker = sensor.NewTracker(cfg.TCP.Split(n), w.newConn, w.counts)
	return w
}

func (w *worker) newConn(meta *sensor.ConnMeta) sensor.ConnHandler {
	return decoders.NewConn(meta, &w.limits, w.counts, w.emit, w.enrichers...)
}

func (w *worker) run(out chan<- *results) {
	for b := range w.in {
		for i := range b.pkts {
			w.clock = b.pkts[i].Time.UnixNano()
			w.tracker.Packet(&b.pkts[i])
		}
		now := b.now.UnixNano()
		w.clock = now
		w.tracker.Advance(b.now)
		w.through = max(w.through, now)
		b.reset()
		w.free <- b
		w.detectPending()
		w.flush(out)
	}
	w.clock = w.through
	w.tracker.CloseAll(sensor.EndCapture)
	w.through = math.MaxInt64
	w.detectPending()
	w.flush(out)
}

// key is an event's place in the behavioural stage's input: the packet
// time at which its exchange was emitted, never less than the key before
// it nor than the packet time the worker has reported through, so that
// the output may take every event keyed up to the least of the workers'
// through as complete (eventOrder).
func (w *worker) key() int64 {
	k := max(w.clock, w.lastKey, w.sentThrough)
	w.lastKey = k
	return k
}

func (w *worker) flush(out chan<- *results) {
	if w.statsEvery > 0 && time.Now().After(w.nextStats) {
		w.nextStats = time.Now().Add(w.statsEvery)
		t := w.tally()
		w.res.tally = &t
	}
	advanced := w.ordered && w.through > w.sentThrough
	if len(w.res.alerts) == 0 && len(w.res.exchanges) == 0 && len(w.res.events) == 0 && w.res.tally == nil && !advanced {
		return
	}
	w.res.worker, w.res.through = w.id, w.through
	w.sentThrough = w.through
	out <- w.res
	w.res = &results{}
}

// tally copies the worker's counters.
func (w *worker) tally() tally {
	t := tally{counts: sensor.Counts{}, exchanges: w.exchanges, alerts: maps.Clone(w.alerts), open: w.tracker.Conns(), buffered: w.tracker.Buffered()}
	t.counts.Merge(w.counts)
	return t
}

// emit receives each exchange from the decoders (which leave it to the
// receiver) and keeps it for detectPending.
func (w *worker) emit(x *decoders.Exchange) {
	w.exchanges++
	var key int64
	if w.withEv && w.ordered {
		key = w.key()
	}
	w.pending = append(w.pending, pendingExchange{x: x, key: key})
}

// detectPending runs the detectors on the exchanges emitted during the
// batch of packets just read, in the order emitted. Detecting a batch of
// exchanges in a row, rather than each between the packets that finish
// it, keeps the detectors' code and tables in the processor's caches from
// one exchange to the next instead of losing them to the decoders' and
// back at every exchange: under a cache simulator (cachegrind, 26,000
// exchanges of the diverse bench capture, one worker) tier 1's L1 data
// misses fell from 46% to 26% over the detector-free run's. The batch is
// what one read of the capture or interface gives a worker
// (Config.BatchPackets), so alerts are no later than the flush that
// follows it anyway.
func (w *worker) detectPending() {
	for i := range w.pending {
		w.detect1(w.pending[i].x, w.pending[i].key)
		w.pending[i] = pendingExchange{}
	}
	w.pending = w.pending[:0]
}

// detect1 runs the detectors on exchange x, whose event key is key.
func (w *worker) detect1(x *decoders.Exchange, key int64) {
	first := len(w.res.alerts)
	for _, d := range w.detectors {
		if f, ok := d.(detect.FollowUp); ok {
			// A follow-up sees what the detectors before it raised on x.
			d = detect.Bind(f, w.res.alerts[first:])
		}
		n := len(w.res.alerts)
		w.res.alerts = w.inspect(d, x, w.res.alerts)
		if len(w.detect.Exceptions) > 0 {
			w.res.alerts = w.detect.Except(x, w.res.alerts, n, w.countExcepted)
		}
	}
	fresh := w.res.alerts[first:]
	if len(fresh) > 1 {
		// One alert per attack and exchange, carrying every matcher's
		// evidence; what was folded in is counted per detector.
		fresh = detect.Combine(fresh, w.maxEvidence, w.countFolded)
		w.res.alerts = w.res.alerts[:first+len(fresh)]
	}
	for _, a := range fresh {
		w.alerts[a.GetDetector()]++
	}
	if w.withExch {
		w.res.exchanges = appendExchangeJSON(w.res.exchanges, x, fresh)
		w.res.exchanges = append(w.res.exchanges, '\n')
	}
	if w.withEv {
		w.res.events = append(w.res.events, w.detect.NewEvent(x, fresh))
		if w.ordered {
			w.res.keys = append(w.res.keys, key)
		}
	}
}

// countExcepted counts an alert an operator's exception dropped.
func (w *worker) countExcepted(a *alert.Alert) {
	w.counts.Inc(CountExcepted + "." + a.GetDetector())
}

// countFolded counts an alert folded into another of the same exchange.
func (w *worker) countFolded(a *alert.Alert) {
	w.counts.Inc(CountCorroborated + "." + a.GetDetector())
}

// inspect runs one detector, turning a panic into a counted miss.
func (w *worker) inspect(d detect.Detector, x *decoders.Exchange, out []*alert.Alert) (res []*alert.Alert) {
	defer func() {
		if r := recover(); r != nil {
			w.counts.Inc(CountDetectorPanic + "." + d.Name())
			res = out
		}
	}()
	return d.Inspect(x, out)
}

// output is the last stage: it publishes alerts and events, writes
// exchanges, and sends periodic run reports from the workers' tallies.
func output(ctx context.Context, in <-chan *results, out Outputs, report *Report, prog *Progress, start time.Time, workers int, bs *behaveStage, dets []detect.Detector) error {
	var exw *bufio.Writer
	if out.Exchanges != nil {
		exw = bufio.NewWriterSize(out.Exchanges, 1<<16)
	}
	var firstErr error
	keep := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	tallies := make([]tally, workers)
	order := newEventOrder(workers)
	for r := range in {
		if exw != nil && len(r.exchanges) > 0 {
			if _, err := exw.Write(r.exchanges); err != nil {
				keep(fmt.Errorf("write exchanges: %w", err))
			}
		}
		if out.Alerts != nil && len(r.alerts) > 0 {
			if err := out.Alerts.Publish(ctx, r.alerts); err != nil {
				report.PublishErrors++
				keep(fmt.Errorf("publish: %w", err))
			}
		}
		if out.Events != nil && len(r.events) > 0 {
			if err := out.Events.PublishEvents(ctx, r.events); err != nil {
				report.PublishErrors++
				keep(fmt.Errorf("publish events: %w", err))
			}
		}
		if bs != nil {
			keep(bs.observe(ctx, order.add(r), out, report))
		}
		if r.tally != nil && (out.Stats != nil || out.Live != nil) {
			tallies[r.worker] = *r.tally
			// A report of the run so far: reader-side totals from the
			// progress counters, the rest from the latest tallies.
			partial := &Report{SensorID: report.SensorID, Partial: true}
			done, _ := prog.Bytes()
			counts := detectorCounts(dets)
			counts.Merge(prog.Capture())
			partial.finish(sensor.FileStats{Packets: prog.Packets(), Bytes: uint64(done)}, counts, tallies, time.Since(start))
			placeCaptureCounters(partial)
			if out.Live != nil {
				out.Live.Set(partial)
			}
			if out.Stats != nil {
				if err := publishStats(ctx, out.Stats, partial); err != nil {
					report.PublishErrors++
					keep(err)
				}
			}
		}
	}
	// End of input: the events still held go in, then the behavioural
	// windows still open close.
	if bs != nil {
		keep(bs.observe(ctx, order.rest(), out, report))
	}
	keep(bs.flush(ctx, out, report))
	if exw != nil {
		if err := exw.Flush(); err != nil {
			keep(fmt.Errorf("write exchanges: %w", err))
		}
	}
	return firstErr
}
