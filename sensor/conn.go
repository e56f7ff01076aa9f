package sensor

import (
	"net/netip"
	"strconv"
	"time"
)

// Direction tells which way bytes flow on a connection.
type Direction uint8

const (
	// ClientToServer carries requests.
	ClientToServer Direction = iota
	// ServerToClient carries responses.
	ServerToClient
)

func (d Direction) String() string {
	if d == ClientToServer {
		return "client"
	}
	return "server"
}

// Reverse returns the other direction.
func (d Direction) Reverse() Direction { return 1 - d }

// FlowKey is a connection's 5-tuple oriented client → server.
type FlowKey struct {
	SrcIP, DstIP     netip.Addr
	SrcPort, DstPort uint16
	Proto            uint8 // IANA protocol number: 6 for TCP
}

// Reverse swaps the two endpoints.
func (k FlowKey) Reverse() FlowKey {
	return FlowKey{SrcIP: k.DstIP, DstIP: k.SrcIP, SrcPort: k.DstPort, DstPort: k.SrcPort, Proto: k.Proto}
}

// ProtoName returns the transport protocol's name as EVE writes it ("TCP"),
// or its number.
func (k FlowKey) ProtoName() string {
	switch k.Proto {
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 132:
		return "SCTP"
	}
	return strconv.Itoa(int(k.Proto))
}

// ConnMeta describes one tracked connection. It is created by the reassembler
// when the connection is first seen and is read-only afterwards, so decoders and
// detectors may keep a pointer to it.
type ConnMeta struct {
	// ID is unique within one run; with Source it names the flow in alerts.
	ID  uint64
	Key FlowKey
	// CommunityID is the Community ID v1 hash of Key.
	CommunityID string
	// VLAN holds the 802.1Q tags outermost first; nil when untagged.
	VLAN []uint16
	// Tunnels lists the encapsulations the connection's first packet came
	// through, outermost first (VXLAN VNI, GRE key, ERSPAN session…); nil
	// when it came bare.
	Tunnels []Tunnel
	// Zone names the network segment the tracker keyed the connection in,
	// when VLAN tags or tunnel ids are part of the flow key (TrackerConfig's
	// VLANInFlowKey and TunnelInFlowKey): "vlan:100", "vlan:200.100",
	// "vxlan:1001", VLAN tags first, then tunnels outermost first, joined
	// with "/"; "" when none. Two connections may share a Key in different
	// zones.
	Zone string
	// Source names where the packets came from: the pcap file or the interface.
	Source string
	// Start is the capture time of the first packet.
	Start time.Time
	// MidStream is set when the connection's handshake was not seen, so the
	// client and server sides were guessed (see guessClient).
	MidStream bool
}

// Chunk is a run of in-order bytes of one direction of a connection.
//
// Data and Frames are reused after ConnHandler.Data returns: copy what you keep.
type Chunk struct {
	Dir  Direction
	Data []byte
	// Time is the capture time of the first packet that carried Data.
	Time time.Time
	// Gap counts bytes lost just before Data (never captured, or dropped by a
	// memory bound). A decoder must not treat Data as following the previous
	// chunk when Gap > 0; it resynchronises at the next message start.
	Gap int
	// OverlapConflict is set on an empty chunk when a retransmission of bytes
	// already delivered in this direction carried different data. The first
	// copy was kept, as the receiver had already taken it.
	OverlapConflict bool
	// PeerUnseen is set when the sender of Data had acknowledged more than
	// one byte of the other direction beyond what was delivered (bytes
	// behind a hole, or never captured; one is a FIN's sequence number):
	// it may be answering what the sensor has not read. The highest ACK
	// seen so far counts. Only TCP reassembly sets it.
	PeerUnseen bool
	// Frames lists the capture frame numbers (1-based, per source) of the
	// packets that carried Data, in stream order.
	Frames []uint64
}

// EndReason tells why a connection's streams ended.
type EndReason uint8

const (
	EndFIN     EndReason = iota // both sides closed, or FIN seen
	EndRST                      // reset
	EndIdle                     // idle timeout in packet time
	EndEvicted                  // evicted by the tracked-connection bound
	EndCapture                  // the capture ended with the connection open
)

var endReasonNames = [...]string{"fin", "rst", "idle", "evicted", "capture_end"}

func (r EndReason) String() string {
	if int(r) < len(endReasonNames) {
		return endReasonNames[r]
	}
	return "unknown"
}

// ConnHandler consumes one TCP connection's two reassembled byte streams.
//
// Call order: Data 0..n times, chunks of both directions interleaved in capture
// order, then Close exactly once. All calls for one connection happen on the
// worker goroutine that owns it, so a handler needs no locking and must not
// block or start goroutines.
type ConnHandler interface {
	Data(c *Chunk)
	Close(reason EndReason, at time.Time)
}

// HandlerFactory returns the handler for a new connection. It is called on the
// owning worker's goroutine.
type HandlerFactory func(meta *ConnMeta) ConnHandler
