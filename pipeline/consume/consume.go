// Package consume reads the sensor's Kafka topics back: alerts
// (sensor.alerts), exchange events (sensor.events) and run reports
// (sensor.stats), for the `sensor alerts` subcommand and for tests.
//
// Input: Kafka messages as the kafka publisher writes them (protobuf or
// JSON, told apart by the content-type and schema headers), read with
// segmentio/kafka-go either as a member of a consumer group or
// partition by partition from a chosen position. Output: decoded, filtered
// Records handed to a callback, and the Printers that render them as a
// table or JSON lines.
package consume

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/apisensor/sensor/pipeline/publish/kafka"
)

// Config says what to read and which records to keep.
type Config struct {
	Client kafka.ClientConfig
	// Topics to read; several are read together.
	Topics []string
	// Group, when set, makes the reader a member of this consumer group:
	// partitions are shared with the other members, and progress is
	// committed so the next run resumes after what this one read. From
	// then only applies to partitions the group has never committed.
	Group string
	// From is where reading starts in each partition.
	From Position
	// Follow keeps reading new messages until the context is cancelled.
	// Without it Run returns once every partition has been read up to the
	// end it had when Run started.
	Follow bool
	Filter Filter
	// MaxFetchBytes bounds one fetch from one partition; zero takes 10 MiB.
	MaxFetchBytes int
	// Log receives the Kafka client's errors (Warn) and what Run skipped.
	Log *slog.Logger
}

// Errors of the configuration.
var (
	ErrNoTopics      = errors.New("no topics to read")
	ErrGroupPosition = errors.New("a consumer group resumes from its committed offsets: --from may only be beginning or end")
	ErrPosition      = errors.New("position must be beginning, end, an offset, -N (the last N) or an RFC 3339 time")
)

// Validate checks the configuration without touching the network.
func (c *Config) Validate() error {
	if len(c.Topics) == 0 {
		return ErrNoTopics
	}
	for _, t := range c.Topics {
		if t == "" {
			return fmt.Errorf("empty topic name: %w", ErrNoTopics)
		}
	}
	if c.Group != "" && c.From.kind != posBeginning && c.From.kind != posEnd {
		return ErrGroupPosition
	}
	if c.MaxFetchBytes < 0 {
		return fmt.Errorf("max fetch bytes %d: must not be negative", c.MaxFetchBytes)
	}
	return c.Client.Validate()
}

// Position is where reading starts in each partition. The zero Position
// is the beginning.
type Position struct {
	kind   posKind
	offset int64
	time   time.Time
}

type posKind uint8

const (
	posBeginning posKind = iota
	posEnd
	posOffset // absolute offset, clamped to the partition's range
	posTail   // offset messages before the end
	posTime   // first message with a Kafka timestamp at or after time
)

// ParsePosition reads a start position: "beginning" (also "start",
// "earliest", "oldest"), "end" (also "latest", "newest"), an offset (the
// same in every partition, clamped to what the partition holds), "-N" (the
// last N messages of each partition) or an RFC 3339 time (the first
// message published at or after it).
func ParsePosition(s string) (Position, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "beginning", "start", "earliest", "oldest":
		return Position{kind: posBeginning}, nil
	case "end", "latest", "newest":
		return Position{kind: posEnd}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return Position{kind: posTail, offset: -n}, nil
		}
		return Position{kind: posOffset, offset: n}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return Position{kind: posTime, time: t}, nil
	}
	return Position{}, fmt.Errorf("%q: %w", s, ErrPosition)
}

// Summary counts what Run read.
type Summary struct {
	// Messages read from Kafka.
	Messages int64
	// Matched records handed to the callback.
	Matched int64
	// Undecodable messages, skipped (the first few are logged).
	Undecodable int64
}

// maxLoggedUndecodable bounds the warnings about skipped messages; the
// rest are only counted.
const maxLoggedUndecodable = 10

type topicPartition struct {
	topic     string
	partition int
}

// bounds are a partition's first and end offsets (end: the offset the next
// message will get, the high watermark).
type bounds struct{ first, end int64 }

type session struct {
	cfg     Config
	log     *slog.Logger
	client  *kafkago.Client
	dialer  *kafkago.Dialer
	bounds  map[topicPartition]bounds
	handle  func(*Record) error
	summary Summary
}

// Run reads cfg.Topics and calls handle, from one goroutine, with every
// record cfg.Filter selects, in offset order within each partition. It
// returns when every partition has been read to its end at the start (not
// cfg.Follow), when ctx is cancelled (a nil error: that is how --follow
// stops), or on the first error from Kafka or handle. Undecodable messages
// are counted and skipped.
func Run(ctx context.Context, cfg Config, handle func(*Record) error) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	if cfg.MaxFetchBytes == 0 {
		cfg.MaxFetchBytes = 10 << 20
	}
	s := &session{cfg: cfg, log: cfg.Log, handle: handle}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "consume")
	transport, err := cfg.Client.Transport()
	if err != nil {
		return Summary{}, err
	}
	defer transport.CloseIdleConnections()
	if s.dialer, err = cfg.Client.Dialer(); err != nil {
		return Summary{}, err
	}
	s.client = &kafkago.Client{Addr: kafkago.TCP(cfg.Client.Brokers...), Transport: transport, Timeout: 30 * time.Second}
	if err := s.loadBounds(ctx); err != nil {
		if ctx.Err() != nil {
			return s.summary, nil
		}
		return s.summary, err
	}
	if cfg.Group != "" {
		err = s.runGroup(ctx)
	} else {
		err = s.runPartitions(ctx)
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil
	}
	return s.summary, err
}

// loadBounds finds the topics' partitions and their offset ranges.
func (s *session) loadBounds(ctx context.Context) error {
	md, err := s.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: s.cfg.Topics})
	if err != nil {
		return fmt.Errorf("kafka metadata: %w", err)
	}
	req := map[string][]kafkago.OffsetRequest{}
	for _, t := range md.Topics {
		if t.Error != nil {
			return fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			req[t.Name] = append(req[t.Name], kafkago.FirstOffsetOf(p.ID), kafkago.LastOffsetOf(p.ID))
		}
	}
	for _, t := range s.cfg.Topics {
		if len(req[t]) == 0 {
			return fmt.Errorf("topic %s: no partitions (does it exist?)", t)
		}
	}
	res, err := s.client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: req})
	if err != nil {
		return fmt.Errorf("kafka list offsets: %w", err)
	}
	s.bounds = map[topicPartition]bounds{}
	for topic, ps := range res.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return fmt.Errorf("topic %s partition %d: offsets: %w", topic, p.Partition, p.Error)
			}
			s.bounds[topicPartition{topic, p.Partition}] = bounds{first: p.FirstOffset, end: p.LastOffset}
		}
	}
	return nil
}

// startOffsets resolves cfg.From in every partition.
func (s *session) startOffsets(ctx context.Context) (map[topicPartition]int64, error) {
	starts := make(map[topicPartition]int64, len(s.bounds))
	from := s.cfg.From
	for tp, b := range s.bounds {
		switch from.kind {
		case posBeginning:
			starts[tp] = b.first
		case posEnd:
			starts[tp] = b.end
		case posOffset:
			starts[tp] = min(max(from.offset, b.first), b.end)
		case posTail:
			starts[tp] = max(b.end-from.offset, b.first)
		case posTime:
			starts[tp] = b.end
		}
	}
	if from.kind != posTime {
		return starts, nil
	}
	req := map[string][]kafkago.OffsetRequest{}
	for tp := range s.bounds {
		req[tp.topic] = append(req[tp.topic], kafkago.TimeOffsetOf(tp.partition, from.time))
	}
	res, err := s.client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: req})
	if err != nil {
		return nil, fmt.Errorf("kafka offsets for %s: %w", from.time.Format(time.RFC3339), err)
	}
	for topic, ps := range res.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return nil, fmt.Errorf("topic %s partition %d: offset for time: %w", topic, p.Partition, p.Error)
			}
			// The broker answers -1 when nothing was published at or
			// after the time: start at the end.
			for off := range p.Offsets {
				if off >= 0 {
					tp := topicPartition{topic, p.Partition}
					starts[tp] = min(max(off, s.bounds[tp].first), s.bounds[tp].end)
				}
			}
		}
	}
	return starts, nil
}

// runPartitions reads each partition with its own reader from its start
// offset; no offsets are committed.
func (s *session) runPartitions(ctx context.Context) error {
	starts, err := s.startOffsets(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs := make(chan kafkago.Message, 64)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for _, tp := range sortedPartitions(starts) {
		start, end := starts[tp], s.bounds[tp].end
		if !s.cfg.Follow && start >= end {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{
			Brokers:     s.cfg.Client.Brokers,
			Topic:       tp.topic,
			Partition:   tp.partition,
			Dialer:      s.dialer,
			MaxBytes:    s.cfg.MaxFetchBytes,
			MaxWait:     s.maxWait(),
			ErrorLogger: s.errorLogger(),
			// Off: lag reporting runs a goroutine that Close does not
			// wait for, which would log after Run returned.
			ReadLagInterval: -1,
		})
		if err := r.SetOffset(start); err != nil {
			r.Close()
			return fmt.Errorf("topic %s partition %d: %w", tp.topic, tp.partition, err)
		}
		// Brokers may resolve a time to the first offset of the batch
		// holding it (kfake does); skip the messages before it.
		skipBefore := time.Time{}
		if s.cfg.From.kind == posTime {
			skipBefore = s.cfg.From.time
		}
		wg.Go(func() {
			defer r.Close()
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					if ctx.Err() == nil {
						select {
						case errc <- fmt.Errorf("topic %s partition %d: %w", tp.topic, tp.partition, err):
						default:
						}
						cancel()
					}
					return
				}
				if m.Time.Before(skipBefore) {
					if !s.cfg.Follow && m.Offset+1 >= end {
						return
					}
					continue
				}
				skipBefore = time.Time{}
				select {
				case msgs <- m:
				case <-ctx.Done():
					return
				}
				if !s.cfg.Follow && m.Offset+1 >= end {
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(msgs) }()

	var herr error
	for m := range msgs {
		if herr != nil {
			continue // draining after cancel
		}
		if herr = s.message(&m); herr != nil {
			cancel()
		}
	}
	if herr != nil {
		return herr
	}
	select {
	case err := <-errc:
		return err
	default:
	}
	return ctx.Err()
}

// groupPoll is how often a non-following group member checks whether the
// group as a whole (other members included) has read every partition to
// its end.
const groupPoll = 2 * time.Second

// runGroup reads as a member of cfg.Group, committing what it handled.
func (s *session) runGroup(ctx context.Context) error {
	start := kafkago.FirstOffset
	if s.cfg.From.kind == posEnd {
		start = kafkago.LastOffset
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:        s.cfg.Client.Brokers,
		GroupID:        s.cfg.Group,
		GroupTopics:    s.cfg.Topics,
		Dialer:         s.dialer,
		StartOffset:    start,
		CommitInterval: time.Second,
		MaxBytes:       s.cfg.MaxFetchBytes,
		MaxWait:        s.maxWait(),
		ErrorLogger:    s.errorLogger(),
		// Off: see the partition readers.
		ReadLagInterval: -1,
	})
	// Close commits what CommitMessages queued since the last interval.
	defer r.Close()

	if s.cfg.Follow {
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				return err
			}
			if err := s.message(&m); err != nil {
				return err
			}
			if err := r.CommitMessages(ctx, m); err != nil {
				return err
			}
		}
	}

	pending, err := s.groupPending(ctx, nil)
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		return nil
	}
	var mu sync.Mutex
	fetchCtx, stop := context.WithCancel(ctx)
	defer stop()
	// Partitions owned by other members end when the group's committed
	// offsets reach their end.
	go func() {
		t := time.NewTicker(groupPoll)
		defer t.Stop()
		for {
			select {
			case <-fetchCtx.Done():
				return
			case <-t.C:
			}
			mu.Lock()
			check := maps.Clone(pending)
			mu.Unlock()
			still, err := s.groupPending(fetchCtx, check)
			if err != nil {
				continue // transient; the next poll retries
			}
			mu.Lock()
			for tp := range pending {
				if _, ok := still[tp]; !ok {
					delete(pending, tp)
				}
			}
			done := len(pending) == 0
			mu.Unlock()
			if done {
				stop()
				return
			}
		}
	}()
	for {
		m, err := r.FetchMessage(fetchCtx)
		if err != nil {
			mu.Lock()
			done := len(pending) == 0
			mu.Unlock()
			if done {
				return nil
			}
			return err
		}
		if err := s.message(&m); err != nil {
			return err
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			return err
		}
		mu.Lock()
		tp := topicPartition{m.Topic, m.Partition}
		if m.Offset+1 >= s.bounds[tp].end {
			delete(pending, tp)
		}
		done := len(pending) == 0
		mu.Unlock()
		if done {
			return nil
		}
	}
}

// groupPending returns the partitions among check (all when nil) that the
// group has not read to their end: its committed offset, or the start
// offset where it has none, is below the end seen at start.
func (s *session) groupPending(ctx context.Context, check map[topicPartition]struct{}) (map[topicPartition]struct{}, error) {
	req := map[string][]int{}
	for tp := range s.bounds {
		if _, ok := check[tp]; ok || check == nil {
			req[tp.topic] = append(req[tp.topic], tp.partition)
		}
	}
	res, err := s.client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: s.cfg.Group, Topics: req})
	if err != nil {
		return nil, fmt.Errorf("group %s offsets: %w", s.cfg.Group, err)
	}
	// A group that never committed may not exist yet: nothing committed.
	if res.Error != nil && !errors.Is(res.Error, kafkago.GroupIdNotFound) {
		return nil, fmt.Errorf("group %s offsets: %w", s.cfg.Group, res.Error)
	}
	committed := map[topicPartition]int64{}
	for topic, ps := range res.Topics {
		for _, p := range ps {
			if p.Error == nil {
				committed[topicPartition{topic, p.Partition}] = p.CommittedOffset
			}
		}
	}
	pending := map[topicPartition]struct{}{}
	for topic, ps := range req {
		for _, p := range ps {
			tp := topicPartition{topic, p}
			b := s.bounds[tp]
			pos, ok := committed[tp]
			if !ok || pos < 0 {
				pos = b.first
				if s.cfg.From.kind == posEnd {
					pos = b.end
				}
			}
			if pos < b.end {
				pending[tp] = struct{}{}
			}
		}
	}
	return pending, nil
}

// message decodes, filters and hands over one message.
func (s *session) message(m *kafkago.Message) error {
	s.summary.Messages++
	headers := make(map[string]string, len(m.Headers))
	for _, h := range m.Headers {
		headers[strings.ToLower(h.Key)] = string(h.Value)
	}
	r := &Record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Time: m.Time, Key: m.Key}
	if err := Decode(r, m.Topic, headers, m.Value); err != nil {
		s.summary.Undecodable++
		if s.summary.Undecodable <= maxLoggedUndecodable {
			s.log.Warn("skipped undecodable message", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
		}
		return nil
	}
	if !s.cfg.Filter.Match(r) {
		return nil
	}
	s.summary.Matched++
	return s.handle(r)
}

func (s *session) errorLogger() kafkago.Logger {
	return kafkago.LoggerFunc(func(msg string, args ...any) {
		s.log.Warn("kafka client", "msg", fmt.Sprintf(msg, args...))
	})
}

func sortedPartitions(m map[topicPartition]int64) []topicPartition {
	return slices.SortedFunc(maps.Keys(m), func(a, b topicPartition) int {
		return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
	})
}

// maxWait is how long the broker may hold a fetch that has no data. Readers
// close only once their fetch returns, so a run that stops at the end of the
// partitions keeps it short.
func (s *session) maxWait() time.Duration {
	if s.cfg.Follow {
		return time.Second
	}
	return 100 * time.Millisecond
}
