package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/apisensor/sensor/sensor"
)

// Header is a record header.
type Header = kafkago.Header

// Record is one Kafka record to produce.
type Record struct {
	Topic   string
	Key     []byte // nil: the partitioner picks a random partition
	Value   []byte
	Headers []Header
	// Time is when the record was enqueued (Enqueue sets it when zero); it
	// becomes the record's timestamp, also after a stay in the spool.
	Time time.Time
}

// size approximates the record's encoded size in a produce request, on the
// high side, for the byte bounds.
func (r *Record) size() int64 {
	n := 32 + len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += 10 + len(h.Key) + len(h.Value)
	}
	return int64(n)
}

// Reasons a record is dropped, the keys of Stats.Dropped.
const (
	// DropSpoolFull: the memory queue was full (or the brokers away) and
	// the spool had no room.
	DropSpoolFull = "spool_full"
	// DropQueueFull: the memory queue was full and no spool is configured.
	DropQueueFull = "queue_full"
	// DropTooLarge: larger than batch_bytes, the spool segment size, or
	// what the broker accepts.
	DropTooLarge = "too_large"
	// DropEncode: the payload could not be encoded (set by callers).
	DropEncode = "encode_error"
	// DropSpoolError: writing the spool failed (disk error).
	DropSpoolError = "spool_error"
	// DropClosed: enqueued after Close.
	DropClosed = "closed"
	// DropUnsent: still in memory when Close gave up, with no spool to
	// keep it in.
	DropUnsent = "unsent_at_close"
)

// ProducerConfig configures a Producer. Zero values are not defaults: start
// from DefaultProducerConfig.
type ProducerConfig struct {
	// CreateTopics creates missing topics at startup (broker defaults for
	// partitions and replication). Off: a missing topic is a startup error.
	CreateTopics bool `yaml:"create_topics" env:"SENSOR_KAFKA_CREATE_TOPICS"`
	// Acks is "all" (every in-sync replica), "one" (the leader) or "none".
	Acks string `yaml:"acks" env:"SENSOR_KAFKA_ACKS"`
	// Compression is "none", "gzip", "snappy", "lz4" or "zstd".
	Compression string `yaml:"compression" env:"SENSOR_KAFKA_COMPRESSION"`
	// BatchRecords and BatchBytes bound one produce call.
	BatchRecords int   `yaml:"batch_records" env:"SENSOR_KAFKA_BATCH_RECORDS"`
	BatchBytes   int64 `yaml:"batch_bytes" env:"SENSOR_KAFKA_BATCH_BYTES"`
	// Linger is how long a partial batch waits for more records.
	Linger time.Duration `yaml:"linger" env:"SENSOR_KAFKA_LINGER"`
	// WriteTimeout bounds one produce call; past it the brokers count as
	// slow and the backlog goes to the spool.
	WriteTimeout time.Duration `yaml:"write_timeout" env:"SENSOR_KAFKA_WRITE_TIMEOUT"`
	// RetryBackoffMin and RetryBackoffMax bound the exponential, jittered
	// wait between failed produce calls. Failed records are retried until
	// delivered or until Close: they are never given up on while the spool
	// holds them.
	RetryBackoffMin time.Duration `yaml:"retry_backoff_min" env:"SENSOR_KAFKA_RETRY_BACKOFF_MIN"`
	RetryBackoffMax time.Duration `yaml:"retry_backoff_max" env:"SENSOR_KAFKA_RETRY_BACKOFF_MAX"`
	// QueueRecords and QueueBytes bound the memory queue.
	QueueRecords int   `yaml:"queue_records" env:"SENSOR_KAFKA_QUEUE_RECORDS"`
	QueueBytes   int64 `yaml:"queue_bytes" env:"SENSOR_KAFKA_QUEUE_BYTES"`
	// SpoolDir holds the disk spool; "" means no spool: what does not fit
	// the memory queue is dropped (counted).
	SpoolDir string `yaml:"spool_dir" env:"SENSOR_KAFKA_SPOOL_DIR"`
	// SpoolMaxBytes bounds the spool on disk; SpoolSegmentBytes is the size
	// of one segment file, also the largest spooled record.
	SpoolMaxBytes     int64 `yaml:"spool_max_bytes" env:"SENSOR_KAFKA_SPOOL_MAX_BYTES"`
	SpoolSegmentBytes int64 `yaml:"spool_segment_bytes" env:"SENSOR_KAFKA_SPOOL_SEGMENT_BYTES"`
	// LogInterval is the least time between two warnings about drops or
	// failing writes.
	LogInterval time.Duration `yaml:"log_interval" env:"SENSOR_KAFKA_LOG_INTERVAL"`

	// OnDelivered, when set, is called from the delivery goroutine with
	// each acknowledged batch (metrics, tests). It must not keep the slice
	// nor block.
	OnDelivered func([]Record) `yaml:"-"`
}

// DefaultProducerConfig returns the defaults.
func DefaultProducerConfig() ProducerConfig {
	return ProducerConfig{
		Acks:              "all",
		Compression:       "none",
		BatchRecords:      1000,
		BatchBytes:        1 << 20,
		Linger:            5 * time.Millisecond,
		WriteTimeout:      10 * time.Second,
		RetryBackoffMin:   100 * time.Millisecond,
		RetryBackoffMax:   10 * time.Second,
		QueueRecords:      10000,
		QueueBytes:        64 << 20,
		SpoolMaxBytes:     1 << 30,
		SpoolSegmentBytes: 16 << 20,
		LogInterval:       30 * time.Second,
	}
}

// ErrConfig wraps configuration errors of this package.
var ErrConfig = errors.New("invalid kafka configuration")

// Validate checks the configuration.
func (c *ProducerConfig) Validate() error {
	if err := sensor.CheckBounds("kafka",
		sensor.Bound{Name: "batch_records", Value: int64(c.BatchRecords)},
		sensor.Bound{Name: "batch_bytes", Value: c.BatchBytes},
		sensor.Bound{Name: "linger", Value: int64(c.Linger)},
		sensor.Bound{Name: "write_timeout", Value: int64(c.WriteTimeout)},
		sensor.Bound{Name: "retry_backoff_min", Value: int64(c.RetryBackoffMin)},
		sensor.Bound{Name: "retry_backoff_max", Value: int64(c.RetryBackoffMax)},
		sensor.Bound{Name: "queue_records", Value: int64(c.QueueRecords)},
		sensor.Bound{Name: "queue_bytes", Value: c.QueueBytes},
		sensor.Bound{Name: "spool_max_bytes", Value: c.SpoolMaxBytes},
		sensor.Bound{Name: "spool_segment_bytes", Value: c.SpoolSegmentBytes},
		sensor.Bound{Name: "log_interval", Value: int64(c.LogInterval)},
	); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if _, err := requiredAcks(c.Acks); err != nil {
		return err
	}
	if _, err := compression(c.Compression); err != nil {
		return err
	}
	if c.RetryBackoffMax < c.RetryBackoffMin {
		return fmt.Errorf("%w: retry_backoff_max %v < retry_backoff_min %v", ErrConfig, c.RetryBackoffMax, c.RetryBackoffMin)
	}
	if c.SpoolSegmentBytes > c.SpoolMaxBytes {
		return fmt.Errorf("%w: spool_segment_bytes %d > spool_max_bytes %d", ErrConfig, c.SpoolSegmentBytes, c.SpoolMaxBytes)
	}
	return nil
}

func requiredAcks(s string) (kafkago.RequiredAcks, error) {
	switch strings.ToLower(s) {
	case "all", "-1":
		return kafkago.RequireAll, nil
	case "one", "1":
		return kafkago.RequireOne, nil
	case "none", "0":
		return kafkago.RequireNone, nil
	}
	return 0, fmt.Errorf("%w: acks %q (want all, one or none)", ErrConfig, s)
}

func compression(s string) (kafkago.Compression, error) {
	switch strings.ToLower(s) {
	case "none", "":
		return 0, nil
	case "gzip":
		return kafkago.Gzip, nil
	case "snappy":
		return kafkago.Snappy, nil
	case "lz4":
		return kafkago.Lz4, nil
	case "zstd":
		return kafkago.Zstd, nil
	}
	return 0, fmt.Errorf("%w: compression %q (want none, gzip, snappy, lz4 or zstd)", ErrConfig, s)
}

// Stats is a snapshot of a Producer's counters.
type Stats struct {
	Enqueued  uint64 // records accepted by Enqueue (including those dropped later)
	Delivered uint64 // records acknowledged by the brokers (more than once if retried after a partial failure)
	Spooled   uint64 // records written to the spool, in total
	// Queued, SpoolRecords and SpoolBytes are the current backlog: records
	// in memory, records in the spool not yet delivered, and the spool's
	// bytes on disk.
	Queued       int
	SpoolRecords int64
	SpoolBytes   int64
	// SpoolCorrupt counts unreadable spool regions skipped (torn tail after
	// a crash, checksum mismatch); the records in them are lost.
	SpoolCorrupt uint64
	Dropped      map[string]uint64 // by reason (the Drop constants)
	Retries      uint64            // produce calls made after a failed one
	Errors       uint64            // failed produce calls
}

// DroppedTotal sums Dropped.
func (s Stats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// Counters returns the snapshot as named counters for a run report:
// kafka.delivered, kafka.spooled, kafka.spool_bytes, kafka.dropped.REASON, …
func (s Stats) Counters() map[string]uint64 {
	m := map[string]uint64{
		"kafka.enqueued":      s.Enqueued,
		"kafka.delivered":     s.Delivered,
		"kafka.spooled":       s.Spooled,
		"kafka.queued":        uint64(s.Queued),
		"kafka.spool_records": uint64(s.SpoolRecords),
		"kafka.spool_bytes":   uint64(s.SpoolBytes),
		"kafka.spool_corrupt": s.SpoolCorrupt,
		"kafka.retries":       s.Retries,
		"kafka.errors":        s.Errors,
	}
	for reason, n := range s.Dropped {
		m["kafka.dropped."+reason] = n
	}
	return m
}

// Producer delivers records to Kafka at least once, in order per key,
// without ever blocking the caller.
//
// Records go to a bounded memory queue; one goroutine takes batches from it
// and produces them. When the queue is full or a produce call fails, the
// queue (including the batch in flight) moves to the disk spool and every
// newer record goes behind it there, so order is kept; the goroutine then
// delivers from the spool, retrying with backoff, and returns to the memory
// queue once the spool is empty. Only when the spool is full are records
// dropped, counted by reason.
//
// Enqueue and Stats may be called from any goroutine; Close once.
type Producer struct {
	cfg     ProducerConfig
	log     *slog.Logger
	w       *kafkago.Writer
	stopRun context.CancelFunc
	done    chan struct{}
	wake    chan struct{}

	mu       sync.Mutex
	queue    []Record // memory queue; queue[:inflight] are being produced
	qbytes   int64
	inflight int
	// spilledInflight says the queue moved to the spool while a batch from
	// it was in flight: the spool then starts with those records
	// (spilledKept of them; spilledLost did not fit).
	spilledInflight bool
	spilledKept     int
	spilledLost     []bool
	sp              *spool
	spooling        bool // the backlog lives in the spool; new records go behind it
	// healthy says the last produce call succeeded (or, before the first,
	// that the brokers answered at startup). The spool is left for the
	// memory queue only when healthy, so that with the brokers away new
	// records go straight to disk.
	healthy bool
	closing bool

	st       Stats
	logDrops map[string]uint64 // drops not yet logged
	lastLog  time.Time
	lastErr  time.Time
}

// Errors of the producer.
var (
	ErrClosed       = errors.New("kafka producer closed")
	ErrTopicMissing = errors.New("kafka topic does not exist")
)

// NewProducer checks the configuration, opens the spool and checks that the
// topics exist (creating them when cfg.CreateTopics is set). Brokers that
// cannot be reached are not an error: the producer starts, spools and
// retries, and a warning is logged. Brokers that answer but refuse (a
// missing topic, failed authentication, a certificate that does not
// verify) are.
func NewProducer(ctx context.Context, client ClientConfig, cfg ProducerConfig, topics []string, log *slog.Logger) (*Producer, error) {
	if err := client.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "kafka")
	transport, err := client.Transport()
	if err != nil {
		return nil, err
	}
	acks, _ := requiredAcks(cfg.Acks)
	codec, _ := compression(cfg.Compression)

	p := &Producer{
		cfg:      cfg,
		log:      log,
		done:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
		logDrops: map[string]uint64{},
		st:       Stats{Dropped: map[string]uint64{}},
	}
	if cfg.SpoolDir != "" {
		if p.sp, err = openSpool(cfg.SpoolDir, cfg.SpoolMaxBytes, cfg.SpoolSegmentBytes); err != nil {
			return nil, err
		}
		if p.sp.records > 0 {
			p.spooling = true
			log.Info("spool holds undelivered records from a previous run", "records", p.sp.records, "dir", cfg.SpoolDir)
		}
	}
	reachable, err := checkTopics(ctx, client, transport, topics, cfg.CreateTopics)
	if err != nil {
		p.closeSpool()
		return nil, err
	}
	p.healthy = reachable
	if !reachable {
		log.Warn("kafka brokers unreachable at startup: spooling until they answer", "brokers", client.Brokers)
		if p.sp != nil {
			p.spooling = true
		}
	}
	p.w = &kafkago.Writer{
		Addr:     kafkago.TCP(client.Brokers...),
		Balancer: kafkago.Murmur2Balancer{}, // the Java client's partitioner: same key, same partition, whatever the producer
		// Retries are ours (with jitter, and spooling between them).
		MaxAttempts:  1,
		BatchSize:    cfg.BatchRecords,
		BatchBytes:   cfg.BatchBytes,
		BatchTimeout: time.Millisecond, // we linger ourselves; each call is a whole batch
		WriteTimeout: cfg.WriteTimeout,
		ReadTimeout:  cfg.WriteTimeout,
		RequiredAcks: acks,
		Compression:  codec,
		Transport:    transport,
		// Only create topics when asked; a typo must not make a new topic.
		AllowAutoTopicCreation: cfg.CreateTopics,
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p.stopRun = cancel
	go p.run(runCtx)
	return p, nil
}

// checkTopics reports whether the brokers could be reached, and an error
// when they refuse us or a topic is missing.
func checkTopics(ctx context.Context, client ClientConfig, transport *kafkago.Transport, topics []string, create bool) (bool, error) {
	if len(topics) == 0 {
		return true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, client.DialTimeout)
	defer cancel()
	c := &kafkago.Client{Addr: kafkago.TCP(client.Brokers...), Transport: transport, Timeout: client.DialTimeout}
	md, err := c.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
	if err != nil {
		if refused(err) {
			return true, fmt.Errorf("kafka brokers %v: %w", client.Brokers, err)
		}
		// Some brokers (kfake; Kafka before KIP-152) close the connection
		// on failed authentication instead of answering. A broker that
		// accepts TCP but hangs up during SASL is refusing us.
		if client.SASL.Mechanism != "" && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && dialable(ctx, client) {
			return true, fmt.Errorf("kafka brokers %v closed the connection during SASL %s authentication (wrong credentials?): %w",
				client.Brokers, client.SASL.Mechanism, err)
		}
		return false, nil
	}
	var missing []string
	for _, t := range topics {
		i := slices.IndexFunc(md.Topics, func(mt kafkago.Topic) bool { return mt.Name == t })
		switch {
		case i < 0 || errors.Is(md.Topics[i].Error, kafkago.UnknownTopicOrPartition):
			missing = append(missing, t)
		case md.Topics[i].Error != nil:
			return true, fmt.Errorf("kafka topic %q: %w", t, md.Topics[i].Error)
		}
	}
	if len(missing) == 0 {
		return true, nil
	}
	if !create {
		return true, fmt.Errorf("%w: %s (create it, or set create_topics)", ErrTopicMissing, strings.Join(missing, ", "))
	}
	req := &kafkago.CreateTopicsRequest{}
	for _, t := range missing {
		req.Topics = append(req.Topics, kafkago.TopicConfig{Topic: t, NumPartitions: -1, ReplicationFactor: -1})
	}
	res, err := c.CreateTopics(ctx, req)
	if err != nil {
		return true, fmt.Errorf("kafka create topics %v: %w", missing, err)
	}
	for t, terr := range res.Errors {
		if terr != nil && !errors.Is(terr, kafkago.TopicAlreadyExists) {
			return true, fmt.Errorf("kafka create topic %q: %w", t, terr)
		}
	}
	return true, nil
}

// dialable reports whether a TCP connection to one of the brokers opens.
func dialable(ctx context.Context, client ClientConfig) bool {
	d := net.Dialer{Timeout: client.DialTimeout}
	for _, b := range client.Brokers {
		if c, err := d.DialContext(ctx, "tcp", b); err == nil {
			c.Close()
			return true
		}
	}
	return false
}

// refused tells an answer that will not change by waiting (authentication,
// authorization, a certificate that does not verify) from a network
// problem, after which the producer starts anyway and retries.
func refused(err error) bool {
	var kerr kafkago.Error
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var cerr x509.CertificateInvalidError
	var rerr tls.RecordHeaderError
	var aerr tls.AlertError
	return errors.As(err, &kerr) || errors.As(err, &verr) || errors.As(err, &uerr) ||
		errors.As(err, &herr) || errors.As(err, &cerr) || errors.As(err, &rerr) || errors.As(err, &aerr)
}

// Enqueue hands records to the producer and never blocks on the network:
// each record is queued, spooled, or dropped and counted. The records'
// byte slices must not be modified afterwards. After Close it returns
// ErrClosed.
func (p *Producer) Enqueue(recs ...Record) error {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		p.dropLocked(DropClosed, len(recs))
		return ErrClosed
	}
	for i := range recs {
		r := recs[i]
		if r.Time.IsZero() {
			r.Time = now
		}
		p.st.Enqueued++
		size := r.size()
		if size > p.cfg.BatchBytes {
			p.dropLocked(DropTooLarge, 1)
			continue
		}
		if !p.spooling {
			if len(p.queue) < p.cfg.QueueRecords && p.qbytes+size <= p.cfg.QueueBytes {
				p.queue = append(p.queue, r)
				p.qbytes += size
				continue
			}
			if p.sp == nil {
				p.dropLocked(DropQueueFull, 1)
				continue
			}
			p.spillLocked()
		}
		if ok, reason := p.spoolLocked(&r); !ok {
			p.dropLocked(reason, 1)
		}
	}
	if p.spooling {
		if err := p.sp.flush(); err != nil {
			p.logErrLocked("spool flush", err)
		}
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// Stats returns a snapshot of the counters.
func (p *Producer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.st
	s.Dropped = make(map[string]uint64, len(p.st.Dropped))
	for k, v := range p.st.Dropped {
		s.Dropped[k] = v
	}
	s.Queued = len(p.queue)
	if p.sp != nil {
		s.SpoolRecords, s.SpoolBytes, s.SpoolCorrupt = p.sp.records, p.sp.total, p.sp.corrupt
	}
	return s
}

// spoolLocked appends one record to the spool and reports whether it went
// in; when not, the drop reason.
func (p *Producer) spoolLocked(r *Record) (bool, string) {
	err := p.sp.append(r)
	switch {
	case err == nil:
		p.st.Spooled++
		return true, ""
	case errors.Is(err, errSpoolFull):
		return false, DropSpoolFull
	case errors.Is(err, errRecordSize):
		return false, DropTooLarge
	}
	p.logErrLocked("spool write", err)
	return false, DropSpoolError
}

// spillLocked moves the memory queue, in order, to the spool and makes the
// spool the backlog. The spool is empty when it is called (records only
// stay in memory while it is), so a batch in flight lands at its head.
func (p *Producer) spillLocked() {
	if p.inflight > 0 {
		p.spilledInflight = true
		p.spilledKept = 0
		p.spilledLost = make([]bool, p.inflight)
	}
	for i := range p.queue {
		ok, reason := p.spoolLocked(&p.queue[i])
		switch {
		case i < p.inflight && ok:
			p.spilledKept++
		case i < p.inflight:
			// Not lost yet: the write in flight may still succeed.
			p.spilledLost[i] = true
		case !ok:
			p.dropLocked(reason, 1)
		}
	}
	clear(p.queue)
	p.queue = p.queue[:0]
	p.qbytes = 0
	p.spooling = true
	if err := p.sp.flush(); err != nil {
		p.logErrLocked("spool flush", err)
	}
}

func (p *Producer) dropLocked(reason string, n int) {
	if n <= 0 {
		return
	}
	p.st.Dropped[reason] += uint64(n)
	p.logDrops[reason] += uint64(n)
	if time.Since(p.lastLog) >= p.cfg.LogInterval {
		p.flushDropLogLocked()
	}
}

func (p *Producer) flushDropLogLocked() {
	if len(p.logDrops) == 0 {
		return
	}
	attrs := make([]any, 0, 2*len(p.logDrops))
	for k, v := range p.logDrops {
		if v > 0 {
			attrs = append(attrs, k, v)
		}
	}
	clear(p.logDrops)
	p.lastLog = time.Now()
	if len(attrs) > 0 {
		p.log.Warn("kafka records dropped", attrs...)
	}
}

func (p *Producer) logErrLocked(what string, err error) {
	if time.Since(p.lastErr) < p.cfg.LogInterval {
		return
	}
	p.lastErr = time.Now()
	backlog := len(p.queue)
	var spooled int64
	if p.sp != nil {
		spooled = p.sp.records
	}
	p.log.Warn("kafka "+what+" failing", "err", err, "queued", backlog, "spooled", spooled)
}

// batch is what the delivery goroutine produces in one call.
type batch struct {
	recs      []Record
	fromSpool bool
	end       spoolPos // spool position after the batch
}

// run is the delivery goroutine: it takes batches from the spool or the
// queue, produces them and settles the outcome, until Close.
func (p *Producer) run(ctx context.Context) {
	defer close(p.done)
	var (
		b        batch
		msgs     []kafkago.Message
		failures int
		timer    = time.NewTimer(time.Hour)
	)
	timer.Stop()
	for {
		p.mu.Lock()
		wait, ok := p.takeLocked(&b)
		closing := p.closing
		if ok && failures > 0 {
			p.st.Retries++
		}
		p.mu.Unlock()
		if !ok {
			if closing && wait == 0 {
				return
			}
			if wait > 0 {
				timer.Reset(wait)
			}
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
			case <-timer.C:
			}
			timer.Stop()
			continue
		}

		msgs = msgs[:0]
		for i := range b.recs {
			r := &b.recs[i]
			msgs = append(msgs, kafkago.Message{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: r.Headers, Time: r.Time})
		}
		wctx, cancel := context.WithTimeout(ctx, p.cfg.WriteTimeout)
		err := p.w.WriteMessages(wctx, msgs...)
		cancel()

		p.mu.Lock()
		delivered := p.settleLocked(&b, err)
		p.mu.Unlock()
		if p.cfg.OnDelivered != nil && len(delivered) > 0 {
			p.cfg.OnDelivered(delivered)
		}
		if err == nil {
			failures = 0
			continue
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		timer.Reset(backoff(p.cfg.RetryBackoffMin, p.cfg.RetryBackoffMax, failures))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// backoff is min·2^(n-1) capped at max, with jitter: a uniform draw from
// its upper half, so that many sensors do not retry in step.
func backoff(lo, hi time.Duration, n int) time.Duration {
	d := hi
	if n < 32 && lo<<(n-1) > 0 && lo<<(n-1) < hi {
		d = lo << (n - 1)
	}
	return d/2 + rand.N(d/2+1)
}

// takeLocked fills b with the next batch. When there is none it returns
// false and how long to wait before a lingering partial batch is due (0:
// until woken).
func (p *Producer) takeLocked(b *batch) (time.Duration, bool) {
	b.recs = b.recs[:0]
	b.fromSpool = false
	if len(p.queue) > 0 {
		// Older than anything in the spool, even when spooling.
		n, bytes := 0, int64(0)
		for n < len(p.queue) && n < p.cfg.BatchRecords {
			s := p.queue[n].size()
			if n > 0 && bytes+s > p.cfg.BatchBytes {
				break
			}
			bytes += s
			n++
		}
		full := n < len(p.queue) || n == p.cfg.BatchRecords || bytes*2 > p.cfg.BatchBytes
		if !full && !p.closing {
			if due := time.Until(p.queue[0].Time.Add(p.cfg.Linger)); due > 0 {
				return due, false
			}
		}
		b.recs = append(b.recs, p.queue[:n]...)
		p.inflight = n
		return 0, true
	}
	if !p.spooling {
		return 0, false
	}
	var bytes int64
	var err error
	for len(b.recs) < p.cfg.BatchRecords {
		var r Record
		if err = p.sp.next(&r); err != nil {
			break
		}
		b.recs = append(b.recs, r)
		bytes += r.size()
		if bytes >= p.cfg.BatchBytes/2 {
			break
		}
	}
	if len(b.recs) == 0 {
		switch {
		case errors.Is(err, io.EOF) && p.healthy:
			// Drained: back to the memory queue.
			p.spooling = false
			p.sp.records = 0
		case errors.Is(err, io.EOF):
			// Brokers away: stay on the spool until a write succeeds.
		default:
			p.logErrLocked("spool read", err)
		}
		p.sp.rewind()
		return 0, false
	}
	b.fromSpool = true
	b.end = p.sp.read
	return 0, true
}

// settleLocked books the outcome of producing b and returns the records
// acknowledged.
func (p *Producer) settleLocked(b *batch, err error) []Record {
	n := len(b.recs)
	ok := make([]bool, n) // acknowledged, or given up on (too large)
	var werr kafkago.WriteErrors
	switch {
	case err == nil:
		for i := range ok {
			ok[i] = true
		}
	case errors.As(err, &werr) && len(werr) == n:
		for i, e := range werr {
			ok[i] = e == nil
			if errors.Is(e, kafkago.MessageSizeTooLarge) {
				ok[i] = true // the broker will never take it
				p.dropLocked(DropTooLarge, 1)
			}
		}
	}
	var delivered []Record
	if p.cfg.OnDelivered != nil {
		delivered = make([]Record, 0, n)
	}
	all := true
	for i := range ok {
		if !ok[i] {
			all = false
			continue
		}
		if werr == nil || werr[i] == nil {
			p.st.Delivered++
			if delivered != nil {
				delivered = append(delivered, b.recs[i])
			}
		}
	}
	p.healthy = err == nil
	if err != nil {
		p.st.Errors++
		p.logErrLocked("produce", err)
	}

	if b.fromSpool {
		if all {
			if cerr := p.sp.commit(b.end, int64(n)); cerr != nil {
				p.logErrLocked("spool checkpoint", cerr)
			}
		} else {
			// Delivered ones go again with the rest: at least once.
			p.sp.rewind()
		}
		return delivered
	}

	// From the memory queue: b.recs == p.queue[:p.inflight], unless the
	// queue was spilled meanwhile.
	inflight := p.inflight
	p.inflight = 0
	if p.spilledInflight {
		p.spilledInflight = false
		if all {
			// They were delivered: skip their copies at the spool's head.
			var r Record
			for range p.spilledKept {
				if p.sp.next(&r) != nil {
					break
				}
			}
			if cerr := p.sp.commit(p.sp.read, int64(p.spilledKept)); cerr != nil {
				p.logErrLocked("spool checkpoint", cerr)
			}
		} else {
			lost := 0
			for i, l := range p.spilledLost {
				if l && !ok[i] {
					lost++
				}
			}
			p.dropLocked(DropSpoolFull, lost)
		}
		p.spilledLost = nil
		return delivered
	}
	if all {
		for i := range inflight {
			p.qbytes -= p.queue[i].size()
		}
		clear(p.queue[:inflight])
		p.queue = p.queue[inflight:]
		if len(p.queue) == 0 {
			p.queue = p.queue[:0:cap(p.queue)]
		}
		return delivered
	}
	// A failure: the brokers are away or slow. Move the backlog to disk so
	// that memory frees up and it survives a restart; without a spool,
	// retry from memory.
	// The acknowledged part of the batch goes again: at least once.
	if p.sp != nil {
		p.spillLocked()
	}
	return delivered
}

// Close stops accepting records and delivers the queue and the spool until
// ctx is done. What is left then stays in the spool for the next run (or,
// without a spool, is dropped); either way it is counted and logged.
func (p *Producer) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return nil
	}
	p.closing = true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.stopRun()
		<-p.done
	}
	p.stopRun()

	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) > 0 {
		if p.sp != nil {
			p.inflight = 0
			p.spillLocked()
		} else {
			p.dropLocked(DropUnsent, len(p.queue))
			p.queue = nil
		}
	}
	p.flushDropLogLocked()
	var err error
	if p.sp != nil {
		if p.sp.records > 0 {
			p.log.Warn("kafka records left in the spool for the next start", "records", p.sp.records, "dir", p.cfg.SpoolDir)
		}
		err = p.sp.close()
	}
	// A produce call cut short by ctx may still hold the writer; do not
	// wait for it past the deadline.
	go p.w.Close()
	return err
}

func (p *Producer) closeSpool() {
	if p.sp != nil {
		p.sp.close()
	}
}

// countDrop counts records dropped before they reached the producer (an
// encoding failure in a caller).
func (p *Producer) countDrop(reason string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.Enqueued += uint64(n)
	p.dropLocked(reason, n)
}
