package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/apisensor/sensor/sensor"
)

// udpSource receives a cloud mirror's VXLAN or GENEVE datagrams on an
// ordinary UDP socket: the kernel has taken the outer IP and UDP headers
// off, so each datagram's payload starts with the tunnel header.
type udpSource struct {
	conn    *net.UDPConn
	kind    sensor.TunnelKind
	name    string
	poll    time.Duration
	dec     *sensor.FrameDecoder
	counts  sensor.Counts
	stats   sensor.FileStats
	buf     []byte
	oob     []byte
	drops   uint64 // kernel's running count (SO_RXQ_OVFL)
	granted int
	asked   int
}

func openUDP(cfg *Config, l UDPListen) (*udpSource, error) {
	addr, err := net.ResolveUDPAddr("udp", l.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen udp %s: %w", l.Addr, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen udp %s: %w", l.Addr, err)
	}
	s := &udpSource{
		conn: conn, kind: l.Kind, name: "udp:" + conn.LocalAddr().String(), poll: cfg.PollTimeout,
		counts: sensor.Counts{},
		// A datagram is at most 64 KiB; one more byte tells truncation
		// apart from a datagram that fills the buffer exactly.
		buf: make([]byte, 65536+1),
		oob: make([]byte, unix.CmsgSpace(4)),
	}
	s.dec = sensor.NewFrameDecoder(s.counts)
	if err := s.setOptions(cfg.UDPReadBuffer); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// setOptions asks for a receive buffer of want bytes (beyond
// net.core.rmem_max only with CAP_NET_ADMIN, through SO_RCVBUFFORCE) and
// for the kernel's drop count on every datagram (SO_RXQ_OVFL).
func (s *udpSource) setOptions(want int) error {
	s.asked = want
	rc, err := s.conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("udp %s: %w", s.name, err)
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, want) != nil {
			// Not privileged: the kernel caps this at rmem_max.
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, want)
		}
		// The kernel reports twice what it will use for data.
		if got, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil {
			s.granted = got / 2
		}
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("udp %s: socket options: %w", s.name, err)
	}
	return nil
}

// RcvBuf returns the receive buffer the kernel granted and the one asked
// for, in bytes: a mirror target whose buffer was capped drops bursts.
func (s *udpSource) RcvBuf() (granted, asked int) { return s.granted, s.asked }

func (s *udpSource) Name() string { return s.name }

func (s *udpSource) Next(p *sensor.Packet) error {
	for {
		if err := s.conn.SetReadDeadline(time.Now().Add(s.poll)); err != nil {
			return fmt.Errorf("read %s: %w", s.name, err)
		}
		n, oobn, flags, _, err := s.conn.ReadMsgUDP(s.buf, s.oob)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return ErrTimeout
			}
			return fmt.Errorf("read %s: %w", s.name, err)
		}
		s.readDrops(s.oob[:oobn])
		s.counts.Inc(CountUDPDatagrams)
		if flags&syscall.MSG_TRUNC != 0 || n == len(s.buf) {
			s.counts.Inc(CountUDPTruncated)
			continue
		}
		s.stats.Packets++
		s.stats.Bytes += uint64(n)
		*p = sensor.Packet{Frame: s.stats.Packets, Time: time.Now(), Source: s.name}
		if s.dec.DecodeTunnel(s.kind, s.buf[:n], p) {
			return nil
		}
	}
}

// readDrops takes the kernel's running drop count from the SO_RXQ_OVFL
// control message, present only once the socket has dropped something.
func (s *udpSource) readDrops(oob []byte) {
	if len(oob) == 0 {
		return
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_RXQ_OVFL && len(m.Data) >= 4 {
			s.drops = uint64(binary.NativeEndian.Uint32(m.Data))
		}
	}
}

// Queued is 0: a datagram in the socket's queue ends the wait for one at
// once, so a poll timeout means there is none.
func (s *udpSource) Queued() int { return 0 }

func (s *udpSource) Counters(c sensor.Counts) {
	c.Merge(s.counts)
	c.Add(CountUDPDrops, s.drops)
	c.Add(CountUDPDrops+"."+s.name, s.drops)
	c.Add(CountUDPRcvBuf+"."+s.name, uint64(s.granted))
}

func (s *udpSource) Stats() sensor.FileStats { return s.stats }

func (s *udpSource) Close() error { return s.conn.Close() }
