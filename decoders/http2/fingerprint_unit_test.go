package http2

import (
	"testing"

	"golang.org/x/net/http2"
)

func TestFingerprint(t *testing.T) {
	chromeLike := func() *convo {
		c := newConvo(false).raw(cs, Preface)
		c.frames(cs, func(f *http2.Framer) {
			f.WriteSettings(
				http2.Setting{ID: http2.SettingHeaderTableSize, Val: 65536},
				http2.Setting{ID: http2.SettingEnablePush, Val: 0},
				http2.Setting{ID: http2.SettingInitialWindowSize, Val: 6291456},
				http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: 262144})
			f.WriteWindowUpdate(0, 15663105)
		})
		c.frames(sc, func(f *http2.Framer) { f.WriteSettings(); f.WriteSettingsAck() })
		// Acks, later SETTINGS and stream WINDOW_UPDATEs are not part of it.
		c.frames(cs, func(f *http2.Framer) {
			f.WriteSettingsAck()
			f.WriteWindowUpdate(1, 5)
			f.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 15})
		})
		return c
	}
	withPriorities := func() *convo {
		c := newConvo(false).raw(cs, Preface)
		c.frames(cs, func(f *http2.Framer) {
			f.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 131072}, http2.Setting{ID: http2.SettingMaxFrameSize, Val: 16384})
			f.WriteWindowUpdate(0, 12517377)
			f.WritePriority(3, http2.PriorityParam{StreamDep: 0, Weight: 200})
			f.WritePriority(5, http2.PriorityParam{StreamDep: 3, Exclusive: true, Weight: 100})
		})
		return c
	}
	tests := []struct {
		name string
		c    *convo
		mid  bool
		want string
	}{
		{"chrome-like", chromeLike().get(1, "/a").ok(1, "{}").get(3, "/b").ok(3, "{}"), false,
			"1:65536;2:0;4:6291456;6:262144|15663105|0|m,s,a,p"},
		{"priorities, other order", withPriorities().headers(cs, 1, true, ":method", "GET", ":path", "/", ":authority", "x", ":scheme", "http").ok(1, ""), false,
			"4:131072;5:16384|12517377|3:0:0:201,5:1:3:101|m,p,a,s"},
		{"no settings before headers", newConvo(false).raw(cs, Preface).get(1, "/").ok(1, ""), false,
			"|00|0|m,s,a,p"},
		{"joined mid-stream", newConvo(false).get(1, "/").ok(1, ""), true, ""},
	}
	for _, tt := range tests {
		h := run(nil, tt.mid, tt.c.segs)
		if len(h.got) == 0 {
			t.Errorf("%s: no exchange", tt.name)
			continue
		}
		for _, x := range h.got {
			if x.ClientFingerprint != tt.want {
				t.Errorf("%s: stream %d fingerprint %q, want %q", tt.name, x.StreamID, x.ClientFingerprint, tt.want)
			}
		}
	}
}
