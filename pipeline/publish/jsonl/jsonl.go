// Package jsonl is the "jsonl" publisher: it writes each alert as one line
// of JSON (alert.MarshalJSON) to a file or to stdout. It is the default
// publisher of `sensor replay`.
//
// Input: alert batches from the pipeline's output stage. Output: the file
// named by publish.JSONL.Path (appended to), stdout, or a given io.Writer.
package jsonl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/publish"
)

// Name is the publisher's registered name.
const Name = "jsonl"

func init() {
	publish.Register(Name, func(cfg publish.Config) (publish.Publisher, error) { return New(cfg.JSONL) })
}

const defaultBufferBytes = 64 << 10

// Publisher writes alerts as JSON lines.
type Publisher struct {
	mu     sync.Mutex // Publish and Close may come from different goroutines
	w      *bufio.Writer
	closer io.Closer // the file we opened; nil for stdout and given writers
	line   []byte    // reused encoding buffer
	closed bool

	published, dropped uint64
}

// New returns a publisher for cfg: it opens (creating, appending to)
// cfg.Path unless cfg.Writer is set or the path is "" or "-".
func New(cfg publish.JSONL) (*Publisher, error) {
	size := cfg.BufferBytes
	if size < 0 {
		return nil, fmt.Errorf("jsonl: buffer_bytes %d is negative", size)
	}
	if size == 0 {
		size = defaultBufferBytes
	}
	p := &Publisher{}
	var w io.Writer
	switch {
	case cfg.Writer != nil:
		w = cfg.Writer
	case cfg.Path == "" || cfg.Path == "-":
		w = os.Stdout
	default:
		f, err := os.OpenFile(cfg.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return nil, fmt.Errorf("jsonl: open output: %w", err)
		}
		w, p.closer = f, f
	}
	p.w = bufio.NewWriterSize(w, size)
	return p, nil
}

// Publish writes one line per alert and flushes. An alert that cannot be
// encoded (it holds invalid UTF-8) is dropped and counted, the rest are
// written, and the error returned wraps publish.ErrEncode. When writing
// fails, the batch's alerts count as dropped, though some may have reached
// the output before the failure. ctx is not consulted: a local write has
// nothing to give up on.
func (p *Publisher) Publish(_ context.Context, batch []*alert.Alert) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.dropped += uint64(len(batch))
		return publish.ErrClosed
	}
	var encErr error
	var written uint64
	for i, a := range batch {
		line, err := alert.AppendJSON(p.line[:0], a)
		if err != nil {
			p.dropped++
			if encErr == nil {
				encErr = fmt.Errorf("jsonl: %w: %w", publish.ErrEncode, err)
			}
			continue
		}
		p.line = append(line, '\n')
		if _, err := p.w.Write(p.line); err != nil {
			// A bufio.Writer fails every call after its first error.
			p.dropped += written + uint64(len(batch)-i)
			return errors.Join(encErr, fmt.Errorf("jsonl: write: %w", err))
		}
		written++
	}
	if err := p.w.Flush(); err != nil {
		p.dropped += written
		return errors.Join(encErr, fmt.Errorf("jsonl: flush: %w", err))
	}
	p.published += written
	return encErr
}

// Close flushes and closes the file the publisher opened. Calling it again
// does nothing.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	err := p.w.Flush()
	if err != nil {
		err = fmt.Errorf("jsonl: flush: %w", err)
	}
	if p.closer != nil {
		if cerr := p.closer.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("jsonl: close: %w", cerr))
		}
	}
	return err
}

// Counts reports how many alerts were written and how many were dropped
// (not encodable, write failure, or published after Close).
func (p *Publisher) Counts() (published, dropped uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.published, p.dropped
}
