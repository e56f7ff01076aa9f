package behave

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/apisensor/sensor/pipeline/alert"
)

func ts(unixNano int64) *timestamppb.Timestamp {
	return &timestamppb.Timestamp{Seconds: unixNano / 1e9, Nanos: int32(unixNano % 1e9)}
}

// The alert gets copies: events are shared with other outputs.

func cloneFlow(f *alert.Flow) *alert.Flow {
	if f == nil {
		return nil
	}
	return proto.CloneOf(f)
}

func cloneClient(c *alert.Client) *alert.Client {
	if c == nil {
		return nil
	}
	return proto.CloneOf(c)
}

func cloneSource(s *alert.Source) *alert.Source {
	if s == nil {
		return nil
	}
	return proto.CloneOf(s)
}

func cloneSensor(s *alert.Sensor) *alert.Sensor {
	if s == nil {
		return nil
	}
	return proto.CloneOf(s)
}
