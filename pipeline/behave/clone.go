package behave

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func ts(unixNano int64) *timestamppb.Timestamp {
	return &timestamppb.Timestamp{Seconds: unixNano / 1e9, Nanos: int32(unixNano % 1e9)}
}

// cloneOf copies m, keeping nil as nil: the alert gets copies because
// events are shared with other outputs.
func cloneOf[M interface {
	comparable
	proto.Message
}](m M) M {
	var zero M
	if m == zero {
		return zero
	}
	return proto.CloneOf(m)
}
