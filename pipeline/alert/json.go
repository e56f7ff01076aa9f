package alert

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
)

// jsonOptions renders proto field names (snake_case) and omits unset fields.
var jsonOptions = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: false}

// MarshalJSON renders a as compact single-line JSON with the proto field names.
//
// protojson deliberately varies its whitespace between runs so that nobody
// depends on its exact bytes; compacting removes that, so the same alert
// always gives the same bytes (golden files, replays, deduplication by hash).
func MarshalJSON(a *Alert) ([]byte, error) {
	return AppendJSON(nil, a)
}

// AppendJSON appends the MarshalJSON rendering of a to dst.
func AppendJSON(dst []byte, a *Alert) ([]byte, error) {
	raw, err := jsonOptions.Marshal(a)
	if err != nil {
		return dst, fmt.Errorf("encode alert %s: %w", a.GetId(), err)
	}
	buf := bytes.NewBuffer(dst)
	if err := json.Compact(buf, raw); err != nil {
		return dst, fmt.Errorf("compact alert %s: %w", a.GetId(), err)
	}
	return buf.Bytes(), nil
}

// ID returns a deterministic alert id derived from parts: the first 16 bytes
// of the SHA-256 of the parts, formatted as a UUID (version 8, the RFC 9562
// custom layout). Each part is length-prefixed, so ("ab", "c") and ("a",
// "bc") differ. Replaying a capture gives the same ids.
func ID(parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	u := h.Sum(sum[:0])[:16]
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant

	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], u[10:16])
	return string(out[:])
}
