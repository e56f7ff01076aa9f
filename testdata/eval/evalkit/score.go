package evalkit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// Targets of issue 5: per placement, at least MinDetection of the attacks
// raise an alert and at most MaxFalsePositive of the benign values do.
const (
	MinDetection     = 0.95
	MaxFalsePositive = 0.005
)

// Sent is one line of the client's manifest: a request it sent (or skipped
// because the payload cannot travel in that placement).
type Sent struct {
	ID        int       `json:"id"`
	Placement Placement `json:"placement"`
	Proto     string    `json:"proto"`
	Status    int       `json:"status,omitempty"`
	Skipped   bool      `json:"skipped,omitempty"`
	Err       string    `json:"error,omitempty"`
}

// Key identifies one request of the evaluation.
type Key struct {
	ID        int
	Placement Placement
	Proto     string
}

// AlertRef is one alert the sensor raised on an exchange.
type AlertRef struct {
	ID       string `json:"id"`
	Detector string `json:"detector"`
	RuleID   string `json:"rule_id"`
	Category string `json:"category"`
	// Locations are the parameter locations of the alert's evidence, when
	// the alerts file was read.
	Locations []string `json:"locations,omitempty"`
}

// Claim reports whether the alert says the request was an attack, which is
// what the evaluation scores. Weakness findings about the values themselves
// (a JWT without exp, a credential in a URL, a secret in a response) are
// true statements about a benign request, not detections of an attack:
// they are listed but neither detect nor count as false positives.
func (a AlertRef) Claim() bool {
	switch a.Category {
	case "broken-authentication", "sensitive-data-exposure":
		return false
	}
	return true
}

// Name is "detector/rule".
func (a AlertRef) Name() string { return a.Detector + "/" + a.RuleID }

// exchangeLine is the part of a --exchanges JSON line the scoring reads.
type exchangeLine struct {
	Proto   string                    `json:"app_proto"`
	GRPC    *struct{ Service string } `json:"grpc"`
	Request *struct {
		Version string      `json:"version"`
		Headers [][2]string `json:"headers"`
		Body    string      `json:"body"`
	} `json:"request"`
	Alerts []AlertRef `json:"alerts"`
}

// ExchangeStats counts the exchanges ReadExchanges saw.
type ExchangeStats struct {
	Exchanges int
	Untagged  int // no evaluation tag: not the evaluation's traffic
	Repeated  int // a tag seen twice (a retransmitted or retried request)
}

// ReadExchanges reads the sensor's --exchanges JSON lines and returns the
// alerts of every tagged request. The protocol is gRPC when the exchange is a
// gRPC call, h2c when its request is HTTP/2, h1 otherwise.
func ReadExchanges(r io.Reader) (map[Key][]AlertRef, ExchangeStats, error) {
	out := map[Key][]AlertRef{}
	var st ExchangeStats
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var x exchangeLine
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			return nil, st, fmt.Errorf("exchange %d: %w", st.Exchanges+1, err)
		}
		st.Exchanges++
		if x.Request == nil {
			st.Untagged++
			continue
		}
		var tag string
		for _, h := range x.Request.Headers {
			if strings.EqualFold(h[0], TagHeader) {
				tag = h[1]
			}
		}
		if x.Proto == "websocket" {
			// A WebSocket message has no headers: its "id" is the tag
			// (WebSocketMessage).
			var m struct{ ID string }
			if json.Unmarshal([]byte(x.Request.Body), &m) == nil {
				tag = m.ID
			}
		}
		id, p, ok := ParseTag(tag)
		if !ok {
			st.Untagged++
			continue
		}
		proto := ProtoH1
		switch {
		case x.GRPC != nil:
			proto = ProtoGRPC
		case strings.HasPrefix(x.Request.Version, "HTTP/2"):
			proto = ProtoH2C
		}
		k := Key{id, p, proto}
		if _, dup := out[k]; dup {
			st.Repeated++
		}
		out[k] = append(out[k], x.Alerts...)
	}
	if err := sc.Err(); err != nil {
		return nil, st, fmt.Errorf("read exchanges: %w", err)
	}
	return out, st, nil
}

// ReadAlertLocations reads an alerts JSON-lines file and returns the
// evidence locations of every alert by alert id.
func ReadAlertLocations(r io.Reader) (map[string][]string, error) {
	out := map[string][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var a struct {
			ID       string `json:"id"`
			Evidence []struct {
				Location string `json:"location"`
			} `json:"evidence"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, fmt.Errorf("alert: %w", err)
		}
		for _, e := range a.Evidence {
			out[a.ID] = append(out[a.ID], e.Location)
		}
	}
	return out, sc.Err()
}

// Cell counts the requests of one class × placement × protocol.
type Cell struct {
	Class     string    `json:"class"`
	Placement Placement `json:"placement"`
	Proto     string    `json:"proto"`
	Attack    bool      `json:"attack"`
	// Total requests the sensor rebuilt; Flagged of them raised an alert.
	Total   int `json:"total"`
	Flagged int `json:"flagged"`
	// Lost were sent but not found among the exchanges; Skipped could not
	// be sent in this placement (see Applicable); Failed got a transport
	// error. None of them is in Total.
	Lost    int `json:"lost,omitempty"`
	Skipped int `json:"skipped,omitempty"`
	Failed  int `json:"failed,omitempty"`
}

// Rate is Flagged/Total (0 when empty).
func (c *Cell) Rate() float64 {
	if c.Total == 0 {
		return 0
	}
	return float64(c.Flagged) / float64(c.Total)
}

func (c *Cell) add(o *Cell) {
	c.Total += o.Total
	c.Flagged += o.Flagged
	c.Lost += o.Lost
	c.Skipped += o.Skipped
	c.Failed += o.Failed
}

// Case is one scored request, kept for the misses and false-positive lists.
type Case struct {
	Entry
	Placement Placement  `json:"placement"`
	Proto     string     `json:"proto"`
	Alerts    []AlertRef `json:"alerts,omitempty"`
}

// Result is the scored evaluation.
type Result struct {
	Cells []*Cell `json:"cells"`
	// Misses are attacks that raised no alert; FalsePositives benign
	// values that raised one. In corpus order.
	Misses         []Case `json:"-"`
	FalsePositives []Case `json:"-"`
	// Detectors counts, per "detector/rule", the requests it flagged among
	// the attacks and among the benign values.
	Detectors map[string][2]int `json:"detectors"`
	// ByPL is the detection rate of CRS attacks per paranoia level of the
	// rule their test is for (index 1..4), and libinjection's at index 0.
	ByPL [5]Cell `json:"by_pl"`
	// ByShape is the detection rate of attacks whose payload is a lone
	// token (index 1, see LoneToken) and of the others (index 0).
	ByShape [2]Cell `json:"by_shape"`
	// attacksBySource counts the scored attack requests per source rule.
	attacksBySource map[string]int
}

// Score joins what was sent with what the sensor rebuilt and alerted on.
func Score(corpus []Entry, sent []Sent, seen map[Key][]AlertRef) (*Result, error) {
	byID := make(map[int]*Entry, len(corpus))
	for i := range corpus {
		byID[corpus[i].ID] = &corpus[i]
	}
	cells := map[[3]string]*Cell{}
	res := &Result{Detectors: map[string][2]int{}, attacksBySource: map[string]int{}}
	for _, s := range sent {
		e, ok := byID[s.ID]
		if !ok {
			return nil, fmt.Errorf("manifest: id %d is not in the corpus", s.ID)
		}
		ck := [3]string{e.Class, string(s.Placement), s.Proto}
		c := cells[ck]
		if c == nil {
			c = &Cell{Class: e.Class, Placement: s.Placement, Proto: s.Proto, Attack: e.Attack()}
			cells[ck] = c
		}
		alerts, found := seen[Key{s.ID, s.Placement, s.Proto}]
		alerts = slices.DeleteFunc(slices.Clone(alerts), func(a AlertRef) bool { return !a.Claim() })
		switch {
		case s.Skipped:
			c.Skipped++
			continue
		case s.Err != "":
			c.Failed++
			continue
		case !found:
			c.Lost++
			continue
		}
		c.Total++
		flagged := len(alerts) > 0
		if flagged {
			c.Flagged++
			names := map[string]bool{}
			for _, a := range alerts {
				names[a.Name()] = true
			}
			for n := range names {
				d := res.Detectors[n]
				if e.Attack() {
					d[0]++
				} else {
					d[1]++
				}
				res.Detectors[n] = d
			}
		}
		if e.Attack() {
			res.attacksBySource[sourceRule(e.Source)]++
			pl := e.PL
			if !strings.HasPrefix(e.Source, "crs:") {
				pl = 0
			}
			if pl >= 0 && pl < len(res.ByPL) {
				res.ByPL[pl].Total++
				if flagged {
					res.ByPL[pl].Flagged++
				}
			}
			shape := &res.ByShape[0]
			if LoneToken(e.Payload) {
				shape = &res.ByShape[1]
			}
			shape.Total++
			if flagged {
				shape.Flagged++
			}
		}
		cs := Case{Entry: *e, Placement: s.Placement, Proto: s.Proto, Alerts: alerts}
		switch {
		case e.Attack() && !flagged:
			res.Misses = append(res.Misses, cs)
		case !e.Attack() && flagged:
			res.FalsePositives = append(res.FalsePositives, cs)
		}
	}
	for _, c := range cells {
		res.Cells = append(res.Cells, c)
	}
	sort.Slice(res.Cells, func(i, j int) bool {
		a, b := res.Cells[i], res.Cells[j]
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		if a.Placement != b.Placement {
			return placementIndex(a.Placement) < placementIndex(b.Placement)
		}
		return a.Proto < b.Proto
	})
	byCorpus := func(cs []Case) {
		sort.SliceStable(cs, func(i, j int) bool {
			if cs[i].ID != cs[j].ID {
				return cs[i].ID < cs[j].ID
			}
			return placementIndex(cs[i].Placement) < placementIndex(cs[j].Placement)
		})
	}
	byCorpus(res.Misses)
	byCorpus(res.FalsePositives)
	return res, nil
}

func placementIndex(p Placement) int {
	if i := slices.Index(known, p); i >= 0 {
		return i
	}
	return len(known)
}

// Sum adds up the cells that keep returns true for.
func (r *Result) Sum(keep func(*Cell) bool) Cell {
	var s Cell
	for _, c := range r.Cells {
		if keep(c) {
			s.add(c)
		}
	}
	return s
}

// PlacementVerdict is a placement's figures against the targets.
type PlacementVerdict struct {
	Placement Placement `json:"placement"`
	Attacks   Cell      `json:"attacks"`
	Benign    Cell      `json:"benign"`
	Detection float64   `json:"detection_rate"`
	FP        float64   `json:"false_positive_rate"`
	Pass      bool      `json:"pass"`
}

// Verdicts returns one verdict per placement that was sent, in report
// order, and the overall one (Placement "all").
func (r *Result) Verdicts() []PlacementVerdict {
	var out []PlacementVerdict
	sent := map[Placement]bool{}
	for _, c := range r.Cells {
		sent[c.Placement] = true
	}
	verdict := func(p Placement, keep func(*Cell) bool) PlacementVerdict {
		v := PlacementVerdict{Placement: p}
		v.Attacks = r.Sum(func(c *Cell) bool { return c.Attack && keep(c) })
		v.Benign = r.Sum(func(c *Cell) bool { return !c.Attack && keep(c) })
		v.Detection, v.FP = v.Attacks.Rate(), v.Benign.Rate()
		// No verdict without benign values: a false-positive rate of 0
		// out of 0 says nothing (the attack-tool corpus).
		v.Pass = v.Attacks.Total > 0 && v.Benign.Total > 0 && v.Detection >= MinDetection && v.FP <= MaxFalsePositive
		return v
	}
	for _, p := range known {
		if sent[p] {
			out = append(out, verdict(p, func(c *Cell) bool { return c.Placement == p }))
		}
	}
	return append(out, verdict("all", func(*Cell) bool { return true }))
}
