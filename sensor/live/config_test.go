package live

import (
	"errors"
	"testing"
	"time"

	"github.com/apisensor/sensor/sensor"
)

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"one per worker", func(c *Config) { c.Sockets = 0 }, true},
		{"negative sockets", func(c *Config) { c.Sockets = -1 }, false},
		{"too many sockets", func(c *Config) { c.Sockets = 257 }, false},
		{"no blocks", func(c *Config) { c.Blocks = 0 }, false},
		{"block not a page multiple", func(c *Config) { c.BlockBytes = 1<<20 + 16 }, false},
		{"block not a frame multiple", func(c *Config) { c.FrameBytes = 3 << 10 }, false},
		{"frame not aligned", func(c *Config) { c.FrameBytes = 100 }, false},
		{"snaplen over a block", func(c *Config) { c.SnapLen = 2 << 20 }, false},
		{"ring over 4 GiB", func(c *Config) { c.Blocks = 8192 }, false},
		{"zero poll", func(c *Config) { c.PollTimeout = 0 }, false},
		{"fanout lb", func(c *Config) { c.FanoutMode = "lb" }, true},
		{"fanout unknown", func(c *Config) { c.FanoutMode = "rnd" }, false},
		{"interface", func(c *Config) { c.Interfaces = []string{"eth0"} }, true},
		{"interface name too long", func(c *Config) { c.Interfaces = []string{"abcdefghijklmnop"} }, false},
		{"interface with slash", func(c *Config) { c.Interfaces = []string{"a/b"} }, false},
		{"listen udp", func(c *Config) { c.ListenUDP = []string{":4789", "geneve=10.0.0.1:16081"} }, true},
		{"listen udp bad", func(c *Config) { c.ListenUDP = []string{"4789"} }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.edit(&cfg)
			err := cfg.Validate()
			if (err == nil) != c.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("%v does not wrap ErrConfig", err)
			}
		})
	}
}

func TestParseListenUDP(t *testing.T) {
	for _, c := range []struct {
		in   string
		kind sensor.TunnelKind
		addr string
		ok   bool
	}{
		{":4789", sensor.TunnelVXLAN, ":4789", true},
		{":6081", sensor.TunnelGENEVE, ":6081", true},
		{"0.0.0.0:14789", sensor.TunnelVXLAN, "0.0.0.0:14789", true},
		{"geneve=[::1]:7000", sensor.TunnelGENEVE, "[::1]:7000", true},
		{"VXLAN=:6081", sensor.TunnelVXLAN, ":6081", true},
		{"gre=:47", 0, "", false},
		{":99999", 0, "", false},
		{"host", 0, "", false},
		{"", 0, "", false},
	} {
		l, err := ParseListenUDP(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if c.ok && (l.Kind != c.kind || l.Addr != c.addr) {
			t.Errorf("%q: %v %q, want %v %q", c.in, l.Kind, l.Addr, c.kind, c.addr)
		}
	}
}

func FuzzParseListenUDP(f *testing.F) {
	for _, s := range []string{":4789", "geneve=[::1]:6081", "vxlan=1.2.3.4:1", "=", "x=:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseListenUDP(s)
		if err == nil && l.Kind != sensor.TunnelVXLAN && l.Kind != sensor.TunnelGENEVE {
			t.Fatalf("%q: kind %v", s, l.Kind)
		}
	})
}

func TestDefaultPollTimeoutFitsBlockTimeout(t *testing.T) {
	// gopacket's block timeout has millisecond granularity.
	if d := DefaultConfig().PollTimeout; d < time.Millisecond || d%time.Millisecond != 0 {
		t.Fatalf("poll timeout %v", d)
	}
}
