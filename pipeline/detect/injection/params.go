package injection

import (
	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/detect"
)

// scanned reports whether the detector looks at parameter p.
func scanned(p *decoders.Param) bool {
	return p.Loc != decoders.LocHeader || detect.ScannedHeader(p.Name)
}
