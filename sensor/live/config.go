package live

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apisensor/sensor/sensor"
)

// Config configures live capture: AF_PACKET sockets on interfaces (a SPAN
// port, a TAP, a cloud mirror's ENI) and UDP sockets that receive mirrored
// traffic already wrapped in VXLAN or GENEVE (AWS/GCP/Azure packet mirroring).
// It is embedded as `capture:` in the sensor's configuration file.
type Config struct {
	// Interfaces to capture on with AF_PACKET (TPACKET_V3).
	Interfaces []string `yaml:"interfaces" env:"SENSOR_CAPTURE_INTERFACES"`
	// Sockets is the number of AF_PACKET sockets per interface, joined in one
	// PACKET_FANOUT group; 0 (the default) means one per pipeline worker.
	// With FanoutMode inner or hash both directions of a connection reach
	// one socket, which keeps their order; the others do not.
	Sockets int `yaml:"sockets" env:"SENSOR_CAPTURE_SOCKETS"`
	// FanoutGroup is the PACKET_FANOUT group id (per interface: the id is
	// offset by the interface index so two interfaces never share a group);
	// 0 derives one from the process id, so two sensors do not join the
	// same group by accident.
	FanoutGroup uint16 `yaml:"fanout_group" env:"SENSOR_CAPTURE_FANOUT_GROUP"`
	// FanoutMode is how the kernel spreads packets over the sockets: inner
	// (the default: a BPF program hashes the flow, inside VXLAN and GENEVE
	// for the inner one, both directions alike), hash (the kernel's
	// symmetric hash of the outer headers), lb (round robin) or cpu (by
	// receiving CPU). Only inner and hash keep a connection on one socket.
	FanoutMode string `yaml:"fanout_mode" env:"SENSOR_CAPTURE_FANOUT_MODE"`
	// BlockBytes is the size of one ring block; a multiple of the page size
	// and of FrameBytes. The largest packet kept is about one block.
	BlockBytes int `yaml:"block_bytes" env:"SENSOR_CAPTURE_BLOCK_BYTES"`
	// Blocks is the number of blocks in each socket's ring: the ring holds
	// Blocks*BlockBytes bytes of packets waiting for the sensor.
	Blocks int `yaml:"blocks" env:"SENSOR_CAPTURE_BLOCKS"`
	// FrameBytes is the nominal frame size of the ring (TPACKET_V3 packs
	// packets of any size into blocks; the frame size only sets alignment
	// and the kernel's frame count).
	FrameBytes int `yaml:"frame_bytes" env:"SENSOR_CAPTURE_FRAME_BYTES"`
	// SnapLen is the most bytes kept of each packet.
	SnapLen int `yaml:"snaplen" env:"SENSOR_CAPTURE_SNAPLEN"`
	// Promiscuous puts the interfaces in promiscuous mode for as long as the
	// sockets are open (needed on a SPAN port, where the mirrored frames
	// are not addressed to the interface).
	Promiscuous bool `yaml:"promiscuous" env:"SENSOR_CAPTURE_PROMISCUOUS"`
	// Filter is a capture filter in tcpdump syntax, compiled to classic BPF
	// and attached to every AF_PACKET socket: packets it rejects never
	// leave the kernel. Empty keeps everything.
	Filter string `yaml:"filter" env:"SENSOR_CAPTURE_FILTER"`
	// ListenUDP lists UDP addresses ("[vxlan=|geneve=]host:port") whose
	// datagrams are VXLAN or GENEVE payloads, as a cloud mirror target
	// receives them. Without a kind prefix, port 6081 means GENEVE and every
	// other port VXLAN. No raw-capture privilege is needed.
	ListenUDP []string `yaml:"listen_udp" env:"SENSOR_CAPTURE_LISTEN_UDP"`
	// UDPReadBuffer is the SO_RCVBUF asked for on each UDP socket; the run
	// report says what the kernel granted (net.core.rmem_max caps it unless
	// the sensor has CAP_NET_ADMIN).
	UDPReadBuffer int `yaml:"udp_read_buffer" env:"SENSOR_CAPTURE_UDP_READ_BUFFER"`
	// PollTimeout bounds how long a socket waits for a packet before it
	// checks for shutdown and lets the flow tracker advance on the wall
	// clock. It is also the ring's block retire timeout: the most a packet
	// waits in a block that is not full.
	PollTimeout time.Duration `yaml:"poll_timeout" env:"SENSOR_CAPTURE_POLL_TIMEOUT"`
}

// DefaultConfig returns the defaults: 32 MiB of ring per socket in 1 MiB
// blocks, full packets, promiscuous, 100 ms poll.
func DefaultConfig() Config {
	return Config{
		FanoutMode:    "inner",
		BlockBytes:    1 << 20,
		Blocks:        32,
		FrameBytes:    1 << 16,
		SnapLen:       262144,
		Promiscuous:   true,
		UDPReadBuffer: 32 << 20,
		PollTimeout:   100 * time.Millisecond,
	}
}

// ErrConfig wraps every capture configuration error.
var ErrConfig = errors.New("invalid capture configuration")

// Enabled reports whether anything is to be captured.
func (c *Config) Enabled() bool { return len(c.Interfaces) > 0 || len(c.ListenUDP) > 0 }

// Validate checks the configuration.
func (c *Config) Validate() error {
	if err := sensor.CheckBounds("capture",
		sensor.Bound{Name: "block_bytes", Value: int64(c.BlockBytes)},
		sensor.Bound{Name: "blocks", Value: int64(c.Blocks)},
		sensor.Bound{Name: "frame_bytes", Value: int64(c.FrameBytes)},
		sensor.Bound{Name: "snaplen", Value: int64(c.SnapLen)},
		sensor.Bound{Name: "udp_read_buffer", Value: int64(c.UDPReadBuffer)},
		sensor.Bound{Name: "poll_timeout", Value: int64(c.PollTimeout)},
	); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.Sockets < 0 || c.Sockets > 256 {
		return fmt.Errorf("%w: capture.sockets = %d: 0 (one per worker) to 256", ErrConfig, c.Sockets)
	}
	if _, err := fanoutType(c.FanoutMode); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	page := os.Getpagesize()
	if c.FrameBytes%16 != 0 || c.FrameBytes < 64 {
		return fmt.Errorf("%w: capture.frame_bytes = %d: a multiple of 16, at least 64", ErrConfig, c.FrameBytes)
	}
	if c.BlockBytes%page != 0 || c.BlockBytes%c.FrameBytes != 0 {
		return fmt.Errorf("%w: capture.block_bytes = %d: a multiple of the page size (%d) and of frame_bytes (%d)", ErrConfig, c.BlockBytes, page, c.FrameBytes)
	}
	if int64(c.BlockBytes)*int64(c.Blocks) > 1<<32 {
		return fmt.Errorf("%w: capture ring = %d blocks of %d bytes: at most 4 GiB per socket", ErrConfig, c.Blocks, c.BlockBytes)
	}
	if c.SnapLen > c.BlockBytes-64 {
		return fmt.Errorf("%w: capture.snaplen = %d: must fit in a block (block_bytes %d)", ErrConfig, c.SnapLen, c.BlockBytes)
	}
	for _, name := range c.Interfaces {
		if name == "" || len(name) >= 16 || strings.ContainsAny(name, "/ \t") {
			return fmt.Errorf("%w: capture.interfaces: bad interface name %q", ErrConfig, name)
		}
	}
	for _, s := range c.ListenUDP {
		if _, err := ParseListenUDP(s); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return nil
}

// UDPListen is one parsed ListenUDP entry.
type UDPListen struct {
	Kind sensor.TunnelKind // TunnelVXLAN or TunnelGENEVE
	Addr string            // host:port for net.ListenPacket
}

// ParseListenUDP parses "[vxlan=|geneve=]host:port".
func ParseListenUDP(s string) (UDPListen, error) {
	var l UDPListen
	addr := s
	kind := ""
	if k, a, ok := strings.Cut(s, "="); ok {
		kind, addr = strings.ToLower(k), a
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return l, fmt.Errorf("capture.listen_udp %q: %w", s, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return l, fmt.Errorf("capture.listen_udp %q: port: %w", s, err)
	}
	switch kind {
	case "vxlan":
		l.Kind = sensor.TunnelVXLAN
	case "geneve":
		l.Kind = sensor.TunnelGENEVE
	case "":
		l.Kind = sensor.TunnelVXLAN
		if p == 6081 {
			l.Kind = sensor.TunnelGENEVE
		}
	default:
		return l, fmt.Errorf("capture.listen_udp %q: kind %q: want vxlan or geneve", s, kind)
	}
	l.Addr = addr
	return l, nil
}

// Fanout modes (linux/if_packet.h).
const (
	fanoutHash = 0
	fanoutLB   = 1
	fanoutCPU  = 2
	fanoutCBPF = 6

	fanoutFlagDefrag = 0x8000
)

func fanoutType(mode string) (int, error) {
	switch mode {
	case "", "inner":
		return fanoutCBPF, nil
	case "hash":
		return fanoutHash, nil
	case "lb":
		return fanoutLB, nil
	case "cpu":
		return fanoutCPU, nil
	}
	return 0, fmt.Errorf("capture.fanout_mode = %q: want inner, hash, lb or cpu", mode)
}
