package evalkit

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
)

// GenerateBenign makes n benign values of the machine-made kinds that fill
// API traffic (UUIDs, JWTs, base64 images, timestamps, phone numbers, hashes,
// URLs, e-mail addresses), with a fixed seed: the same values on every run.
func GenerateBenign(n int) []Entry {
	r := rand.New(rand.NewPCG(20261127, 5))
	first := []string{"anna", "jean-luc", "o'brien", "zoë", "li", "mohammed", "dana", "sam", "d'angelo", "björn"}
	last := []string{"smith", "dupont", "müller", "tanaka", "garcía", "o'neil", "nguyen", "kowalski"}
	domains := []string{"example.com", "example.org", "mail.example.net", "corp.example.co.uk"}
	hosts := []string{"https://example.com", "https://www.example.org", "https://docs.example.net", "http://cdn.example.com"}
	words := []string{"shoes", "red", "size", "chair", "table", "lamp", "desk", "blue", "oak", "leaf", "select", "union", "drop", "order", "update", "account"}
	b64 := func(k int) string {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	b64url := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	gens := []struct {
		topic string
		gen   func() string
	}{
		{"uuid", func() string {
			b := make([]byte, 16)
			for i := range b {
				b[i] = byte(r.UintN(256))
			}
			b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
			h := hex.EncodeToString(b)
			return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		}},
		{"jwt", func() string {
			hdr := b64url(`{"alg":"RS256","typ":"JWT","kid":"` + fmt.Sprint(r.UintN(1000)) + `"}`)
			body := b64url(fmt.Sprintf(`{"sub":"%d","name":"%s %s","iat":%d,"scope":"read:orders write:orders"}`,
				r.UintN(1e6), first[r.IntN(len(first))], last[r.IntN(len(last))], 1700000000+r.IntN(1e8)))
			sig := strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(b64(64)), "=")
			return hdr + "." + body + "." + sig
		}},
		{"bearer", func() string { return "Bearer " + strings.TrimRight(b64(30), "=") }},
		{"data-url", func() string { return "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA" + b64(48+r.IntN(200)) }},
		{"timestamp", func() string {
			return fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ", 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000))
		}},
		{"date", func() string { return fmt.Sprintf("%02d/%02d/20%02d", 1+r.IntN(28), 1+r.IntN(12), r.IntN(30)) }},
		{"phone", func() string {
			return fmt.Sprintf("+%d (%03d) %03d-%04d", 1+r.IntN(49), r.IntN(1000), r.IntN(1000), r.IntN(10000))
		}},
		{"sha256", func() string {
			b := make([]byte, 32)
			for i := range b {
				b[i] = byte(r.UintN(256))
			}
			return hex.EncodeToString(b)
		}},
		{"email", func() string {
			return strings.ReplaceAll(first[r.IntN(len(first))], " ", "") + "." + last[r.IntN(len(last))] + "+" + fmt.Sprint(r.IntN(100)) + "@" + domains[r.IntN(len(domains))]
		}},
		{"url", func() string {
			return fmt.Sprintf("%s/%s/%d?ref=%s&utm_source=newsletter&page=%d#top", hosts[r.IntN(len(hosts))], words[r.IntN(len(words))], r.IntN(9999), words[r.IntN(len(words))], r.IntN(20))
		}},
		{"search", func() string {
			k := 2 + r.IntN(3)
			ws := make([]string, k)
			for i := range ws {
				ws[i] = words[r.IntN(len(words))]
			}
			return strings.Join(ws, " ")
		}},
		{"money", func() string { return fmt.Sprintf("%d.%02d EUR", r.IntN(5000), r.IntN(100)) }},
		{"geo", func() string { return fmt.Sprintf("%.6f,%.6f", r.Float64()*180-90, r.Float64()*360-180) }},
	}
	out := make([]Entry, 0, n)
	for i := 0; i < n; i++ {
		g := gens[i%len(gens)]
		out = append(out, Entry{Class: ClassBenign, Label: LabelBenign, Source: "benign-gen:" + g.topic, Payload: g.gen()})
	}
	return out
}
