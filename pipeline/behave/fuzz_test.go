package behave

import (
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/apisensor/sensor/pipeline/alert"
)

// FuzzObserve feeds events built from arbitrary bytes (times that jump
// back and forth, any status, logins, ids, tokens, agents): the engine
// never panics, stays within its bounds, and every alert it raises is
// complete.
func FuzzObserve(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07 POST /api/login 401 alice"))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff GET /.env 404 sqlmap"))
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00\x00\x00\x00\x00 GET /api/users/{id} 200"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultConfig()
		cfg.MaxKeys = 64
		cfg.Shards = 4
		cfg.MaxWindowsPerKey = 8
		cfg.MaxDistinct = 16
		cfg.CredentialStuffing.MinUsernames = 2
		cfg.BruteForce = BruteForce{MinFailures: 2, MinPasswords: 1}
		cfg.Enumeration.MinIDs = 2
		cfg.RegularIntervals.MinRequests = 3
		cfg.TokenSharing.MinIPs = 2
		cfg.UnauthAccess.MinAuthenticated = 1
		e, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
		var out []*alert.Alert
		for i := 0; len(data) >= 9 && i < 256; i++ {
			d := int64(binary.LittleEndian.Uint32(data)) * int64(time.Millisecond)
			b := data[4:9]
			data = data[9:]
			ev := &alert.Event{
				Id:        strconv.Itoa(i),
				Timestamp: timestamppb.New(time.Unix(0, base+d)),
				Client:    &alert.Client{Ip: "10.0.0." + strconv.Itoa(int(b[0]%8)), UserAgent: []string{"", "sqlmap/1", "Mozilla/5.0 Chrome/1"}[b[1]%3]},
				Http:      &alert.EventHttp{Method: "GET", PathTemplate: []string{"/api/login", "/.env", "/api/users/{id}", "/health"}[b[2]%4], Status: []uint32{200, 401, 404, 0}[b[3]%4]},
			}
			if b[4]&1 != 0 {
				ev.Login = &alert.Login{Username: "u" + strconv.Itoa(int(b[4]>>1)), Password: strconv.Itoa(int(b[0])), Outcome: alert.LoginOutcome(b[1] % 3)}
			}
			if b[4]&2 != 0 {
				ev.ObjectIds = []string{strconv.Itoa(int(b[3]))}
			}
			if b[4]&4 != 0 {
				ev.Client.Token, ev.Client.Auth = "h:t"+strconv.Itoa(int(b[2]%3)), "bearer"
				ev.Client.Ja4 = "t13d0000" + []string{"h2", "00"}[b[0]%2] + "_x_y"
			}
			out = e.Observe(ev, out)
			if e.Tracked() > e.Bound() {
				t.Fatalf("%d tracked, bound %d", e.Tracked(), e.Bound())
			}
		}
		out = e.Flush(out)
		for _, a := range out {
			if a.Id == "" || a.RuleId == "" || a.Summary == "" || a.Behavior == nil || a.Behavior.Revision == 0 {
				t.Fatalf("incomplete alert %v", a)
			}
		}
	})
}
