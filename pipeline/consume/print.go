package consume

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/apisensor/sensor/pipeline/alert"
)

// Printer writes records. Print is called from one goroutine; each call
// writes whole lines and flushes them, so output keeps up with --follow.
type Printer interface {
	Print(r *Record) error
}

// JSONPrinter writes one compact JSON object per line: alerts exactly as
// the sensor's stdout publisher writes them (alert.MarshalJSON), events as
// alert.MarshalEventJSON, run reports as published.
type JSONPrinter struct {
	w   io.Writer
	buf []byte
}

// NewJSONPrinter returns a JSONPrinter writing to w.
func NewJSONPrinter(w io.Writer) *JSONPrinter { return &JSONPrinter{w: w} }

// Print writes r as one line.
func (p *JSONPrinter) Print(r *Record) error {
	var err error
	b := p.buf[:0]
	switch {
	case r.Alert != nil:
		b, err = alert.AppendJSON(b, r.Alert)
	case r.Event != nil:
		b, err = alert.AppendEventJSON(b, r.Event)
	case r.Stats != nil:
		buf := bytes.NewBuffer(b)
		err = json.Compact(buf, r.Stats)
		b = buf.Bytes()
	default:
		return nil
	}
	if err != nil {
		return err
	}
	p.buf = append(b, '\n')
	_, err = p.w.Write(p.buf)
	return err
}

// TablePrinter writes one aligned line per record for a terminal: time,
// severity, detector/rule, client, flow and summary. Columns have fixed
// widths so that lines printed apart in time still line up; a longer value
// pushes the rest of its line right rather than being cut.
type TablePrinter struct {
	w      *bufio.Writer
	header bool
}

// NewTablePrinter returns a TablePrinter writing to w.
func NewTablePrinter(w io.Writer) *TablePrinter { return &TablePrinter{w: bufio.NewWriter(w)} }

const tableFormat = "%-24s  %-8s  %-20s  %-15s  %-45s  %s\n"

// Print writes r as one line, after the header line the first time.
func (p *TablePrinter) Print(r *Record) error {
	if !p.header {
		fmt.Fprintf(p.w, tableFormat, "TIME", "SEVERITY", "DETECTOR/RULE", "CLIENT", "FLOW", "SUMMARY")
		p.header = true
	}
	var cols [6]string
	switch {
	case r.Alert != nil:
		a := r.Alert
		cols = [6]string{
			tableTime(a.GetTimestamp().AsTime(), a.GetTimestamp() != nil),
			severityName(a.GetSeverity()),
			a.GetDetector() + "/" + a.GetRuleId(),
			a.GetClient().GetIp(),
			flowText(a.GetFlow()),
			a.GetSummary(),
		}
	case r.Event != nil:
		e := r.Event
		var sev alert.Severity
		var rules []string
		for _, v := range e.GetVerdicts() {
			sev = max(sev, v.GetSeverity())
			rules = append(rules, v.GetDetector()+"/"+v.GetRuleId())
		}
		det := "-"
		if len(rules) > 0 {
			det = strings.Join(rules, ",")
		}
		cols = [6]string{
			tableTime(e.GetTimestamp().AsTime(), e.GetTimestamp() != nil),
			severityName(sev), det, e.GetClient().GetIp(), flowText(e.GetFlow()), eventSummary(e),
		}
	case r.Stats != nil:
		cols = [6]string{tableTime(r.Time, !r.Time.IsZero()), "-", "stats", "-", "-", statsSummary(r.Stats)}
	default:
		return nil
	}
	for i, c := range cols {
		if c == "" {
			c = "-"
		}
		cols[i] = printable(c)
	}
	fmt.Fprintf(p.w, tableFormat, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5])
	return p.w.Flush()
}

func tableTime(t time.Time, ok bool) string {
	if !ok {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func severityName(s alert.Severity) string {
	if s == alert.Severity_SEVERITY_UNSPECIFIED {
		return "-"
	}
	return strings.TrimPrefix(s.String(), "SEVERITY_")
}

func flowText(f *alert.Flow) string {
	if f == nil {
		return ""
	}
	return hostPort(f.GetSrcIp(), f.GetSrcPort()) + " -> " + hostPort(f.GetDestIp(), f.GetDestPort())
}

func hostPort(ip string, port uint32) string {
	if strings.Contains(ip, ":") {
		ip = "[" + ip + "]"
	}
	return ip + ":" + strconv.FormatUint(uint64(port), 10)
}

// eventSummary reads like an access log line: GET host/path 200 1.5ms.
func eventSummary(e *alert.Event) string {
	h := e.GetHttp()
	if h == nil {
		return ""
	}
	s := h.GetMethod() + " " + h.GetHost() + h.GetPathTemplate()
	if h.GetStatus() != 0 {
		s += " " + strconv.FormatUint(uint64(h.GetStatus()), 10)
	}
	if e.GetDurationUs() > 0 {
		s += " " + (time.Duration(e.GetDurationUs()) * time.Microsecond).String()
	}
	return s
}

func statsSummary(raw json.RawMessage) string {
	var r struct {
		Packets   uint64 `json:"packets"`
		Exchanges uint64 `json:"exchanges"`
		Alerts    uint64 `json:"alerts"`
		Drops     map[string]uint64
	}
	if json.Unmarshal(raw, &r) != nil {
		return "run report"
	}
	var drops uint64
	for _, n := range r.Drops {
		drops += n
	}
	return fmt.Sprintf("run report: %d packets, %d exchanges, %d alerts, %d dropped", r.Packets, r.Exchanges, r.Alerts, drops)
}

// printable replaces control and bidirectional-override characters, so that
// text copied from traffic can neither move the cursor, recolour the
// analyst's terminal, nor reorder what the line shows.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return '?'
		}
		return r
	}, s)
}
