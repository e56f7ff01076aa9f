package decoders

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/apisensor/sensor/sensor"
)

// Decoder parses one application protocol on one connection.
//
// Call order: Feed 0..n times with chunks of both directions in capture order,
// then Close exactly once. Chunk data is reused after Feed returns: copy what
// you keep. A Decoder does no I/O, starts no goroutines and keeps its buffers
// within Env.Limits. Finished exchanges go to Env.Emit as soon as they are
// complete; Close emits what is still pending (marked incomplete).
type Decoder interface {
	// Feed consumes a chunk. It returns a non-nil Switch when the protocol
	// changed on this connection (HTTP/1.1 Upgrade answered with 101): the
	// decoder is then done, is not Closed, and the connection goes on with
	// the protocol the Switch names.
	Feed(c *sensor.Chunk) *Switch
	Close(reason sensor.EndReason, at time.Time)
}

// Switch hands a connection to another protocol's decoder.
type Switch struct {
	// Proto is the registered name of the next decoder ("h2c", "websocket").
	Proto string
	// Pending holds, per direction, bytes the old decoder received after the
	// switch point; they are fed to the new decoder first.
	Pending [2][]byte
	// At is the capture time of the switch.
	At time.Time
	// Seq is the first sequence number the old decoder left unused: a new
	// decoder whose exchanges are new requests (WebSocket messages) numbers
	// them from it, so that no two exchanges of the connection share a
	// number, and so an alert id.
	Seq int
	// Request is the request that asked for the switch, when the new
	// protocol answers it: HTTP/2 answers an h2c Upgrade request on stream 1
	// (RFC 9113 section 3.2). It is a copy the new decoder may keep.
	Request *Message
}

// Enricher adds a protocol's view to a finished exchange before its
// parameters are extracted: the gRPC layer splits the bodies into messages
// and adds their protobuf fields as parameters. It runs on the worker
// goroutine that owns the connection, for every exchange, so it returns
// quickly when the exchange is not its own; it keeps to env.Limits and counts
// problems in env.Counts.
type Enricher interface {
	Enrich(x *Exchange, env *Env)
}

// Upgrader is implemented by decoders that take over a connection from
// another protocol. Upgraded is called once, after New and before the
// Switch's pending bytes are fed.
type Upgrader interface {
	Upgraded(sw *Switch)
}

// Verdict is a Sniff result.
type Verdict uint8

const (
	No       Verdict = iota // not this protocol
	NeedMore                // cannot tell yet
	Yes                     // this protocol, directions as guessed
	Reversed                // this protocol, but client and server are swapped
)

// Protocol describes a registered decoder.
type Protocol struct {
	// Name is the app_proto value ("http").
	Name string
	// Sniff looks at the first bytes seen in each direction (either may be
	// empty) and says whether they belong to this protocol. midStream tells
	// that the connection's start was not seen, so the bytes may begin
	// inside a message.
	Sniff func(client, server []byte, midStream bool) Verdict
	// New returns a decoder for one connection.
	New func(env *Env) Decoder
}

var (
	regMu     sync.RWMutex
	registry  = map[string]Protocol{}
	sniffList []Protocol
)

// Register makes a protocol available by name. It is meant to be called from
// init; a duplicate name panics.
func Register(p Protocol) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[p.Name]; dup {
		panic(fmt.Sprintf("decoders: protocol %q registered twice", p.Name))
	}
	registry[p.Name] = p
	if p.Sniff != nil {
		sniffList = append(sniffList, p)
		sort.Slice(sniffList, func(i, j int) bool { return sniffList[i].Name < sniffList[j].Name })
	}
}

// Lookup returns the protocol registered under name.
func Lookup(name string) (Protocol, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	p, ok := registry[name]
	return p, ok
}

func sniffers() []Protocol {
	regMu.RLock()
	defer regMu.RUnlock()
	return sniffList
}

// Env is what a decoder gets from the connection it serves.
type Env struct {
	Conn   *sensor.ConnMeta
	Limits *Limits
	// Counts is the owning worker's counter set; anomalies are counted here
	// under their Kind.
	Counts sensor.Counts
	// Emit receives each finished exchange.
	Emit func(*Exchange)
}

// Lim returns the limits a decoder keeps to: Limits, or the defaults when
// it is nil.
func (e *Env) Lim() Limits {
	if e.Limits != nil {
		return *e.Limits
	}
	return DefaultLimits()
}

// Anomaly records a on x (when x is not nil) and counts it.
func (e *Env) Anomaly(x *Exchange, a Anomaly) {
	e.Counts.Inc(a.Kind)
	if x != nil && len(x.Anomalies) < maxAnomalies {
		x.Anomalies = append(x.Anomalies, a)
	}
}

// maxAnomalies bounds Exchange.Anomalies: a hostile stream may raise the same
// anomaly on every line, and each one is counted anyway.
const maxAnomalies = 32
