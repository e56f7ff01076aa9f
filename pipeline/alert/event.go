package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MarshalEventJSON renders e as compact single-line JSON with the proto
// field names, with the same stable bytes as MarshalJSON.
func MarshalEventJSON(e *Event) ([]byte, error) {
	return AppendEventJSON(nil, e)
}

// AppendEventJSON appends the MarshalEventJSON rendering of e to dst.
func AppendEventJSON(dst []byte, e *Event) ([]byte, error) {
	raw, err := jsonOptions.Marshal(e)
	if err != nil {
		return dst, fmt.Errorf("encode event %s: %w", e.GetId(), err)
	}
	buf := bytes.NewBuffer(dst)
	if err := json.Compact(buf, raw); err != nil {
		return dst, fmt.Errorf("compact event %s: %w", e.GetId(), err)
	}
	return buf.Bytes(), nil
}
