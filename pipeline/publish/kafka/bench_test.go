package kafka

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/protobuf/proto"
)

// BenchmarkPublish publishes batches of 100 protobuf alerts into an
// in-process broker over TCP and waits for every ack. At most window
// alerts are outstanding, so it measures the rate the producer sustains
// with the memory queue, not how fast the queue overflows into the spool.
// It reports alerts/s and the latency from Enqueue to the broker's ack
// (p50, p99).
func BenchmarkPublish(b *testing.B) {
	for _, bc := range []struct {
		partitions int32
		spool      bool
	}{{1, false}, {6, false}, {1, true}} {
		name := fmt.Sprintf("partitions=%d", bc.partitions)
		if bc.spool {
			name += "/spool-dir"
		}
		spool := bc.spool
		b.Run(name, func(b *testing.B) {
			_, addr := startCluster(b, kfake.SeedTopics(bc.partitions, testTopic))
			dir := ""
			if spool {
				dir = b.TempDir()
			}
			cfg := testConfig(addr, dir)
			const window = 5000
			var (
				mu        sync.Mutex
				acked     = sync.NewCond(&mu)
				lat       []time.Duration
				delivered uint64
			)
			cfg.Producer.OnDelivered = func(recs []Record) {
				now := time.Now()
				mu.Lock()
				for _, r := range recs {
					lat = append(lat, now.Sub(r.Time))
				}
				delivered += uint64(len(recs))
				acked.Broadcast()
				mu.Unlock()
			}
			p, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			batch := testAlerts(0, 100, 50)
			size, _ := proto.Marshal(batch[0])
			b.SetBytes(int64(len(size) * len(batch)))
			b.ReportAllocs()
			ctx := context.Background()
			var sent uint64
			start := time.Now()
			for b.Loop() {
				mu.Lock()
				for sent-delivered > window {
					acked.Wait()
				}
				mu.Unlock()
				if err := p.Publish(ctx, batch); err != nil {
					b.Fatal(err)
				}
				sent += uint64(len(batch))
			}
			waitFor(b, "all acks", func() bool {
				st := p.Stats()
				return st.Delivered+st.DroppedTotal() >= sent
			})
			elapsed := time.Since(start)
			closeWithin(b, p, 30*time.Second)
			if st := p.Stats(); st.DroppedTotal() != 0 {
				b.Fatalf("dropped %v", st.Dropped)
			}
			mu.Lock()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(sent)/elapsed.Seconds(), "alerts/s")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
			mu.Unlock()
		})
	}
}
