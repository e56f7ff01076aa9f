package live

import (
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/apisensor/sensor/sensor"
)

// vxlanPayload is what a mirror target's UDP socket receives: a VXLAN
// header, then an Ethernet frame with an IPv4/TCP packet to port dport.
func vxlanPayload(vni uint32, dport uint16) []byte {
	h := []byte{0x08, 0, 0, 0, byte(vni >> 16), byte(vni >> 8), byte(vni), 0}
	return append(h, frame(6, dport, 4)...)
}

func TestUDPSource(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PollTimeout = 20 * time.Millisecond
	cfg.ListenUDP = []string{"vxlan=127.0.0.1:0"}
	srcs, err := Open(&cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := srcs[0]
	defer s.Close()
	var p sensor.Packet
	if err := s.Next(&p); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Next on a quiet socket: %v, want ErrTimeout", err)
	}
	addr, err := net.ResolveUDPAddr("udp", s.Name()[len("udp:"):])
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, d := range [][]byte{make([]byte, 8) /* no I flag */, vxlanPayload(4242, 8080)} {
		if _, err := c.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Next(&p)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrTimeout) || time.Now().After(deadline) {
			t.Fatalf("Next: %v", err)
		}
	}
	if p.NTunnel != 1 || p.Tunnels[0] != (sensor.Tunnel{Kind: sensor.TunnelVXLAN, ID: 4242}) {
		t.Fatalf("tunnels %v", p.Tunnels[:p.NTunnel])
	}
	if binary.BigEndian.Uint16(p.L4[2:]) != 8080 || p.Dst.String() != "10.0.0.2" {
		t.Fatalf("inner packet to %v port %d", p.Dst, binary.BigEndian.Uint16(p.L4[2:]))
	}
	counts := sensor.Counts{}
	s.Counters(counts)
	if counts[CountUDPDatagrams] != 2 || counts[sensor.CountDecapMalformedPrefix+"vxlan"] != 1 {
		t.Fatalf("counters %v", counts)
	}
	if st := s.Stats(); st.Packets != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Config)
	}{
		{"nothing", func(*Config) {}},
		{"no such interface", func(c *Config) { c.Interfaces = []string{"nosuchif0"} }},
		{"udp address in use", func(c *Config) { c.ListenUDP = []string{"127.0.0.1:1", "127.0.0.1:1"} }},
	} {
		cfg := DefaultConfig()
		c.edit(&cfg)
		if srcs, err := Open(&cfg, 1); err == nil {
			for _, s := range srcs {
				s.Close()
			}
			t.Errorf("%s: opened", c.name)
		}
	}
}
