package detect

import (
	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// FollowUp is implemented by a detector that wants the alerts the detectors
// listed before it raised on the same exchange: a costly second-tier
// detector uses them to decide whether the exchange is worth its time.
//
// The pipeline calls InspectAfter instead of Inspect, with prior holding
// those alerts (read-only, owned by the pipeline: the detector must not
// keep or modify them). Inspect, called where no prior alerts are known,
// behaves as InspectAfter with none.
type FollowUp interface {
	Detector
	InspectAfter(x *decoders.Exchange, prior []*alert.Alert, out []*alert.Alert) []*alert.Alert
}

// Bind returns d as a plain Detector whose Inspect calls d.InspectAfter
// with prior, so a caller that runs detectors through one Inspect path can
// hand a follow-up its prior alerts.
func Bind(d FollowUp, prior []*alert.Alert) Detector {
	return bound{d, prior}
}

type bound struct {
	FollowUp
	prior []*alert.Alert
}

func (b bound) Inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	return b.InspectAfter(x, b.prior, out)
}
