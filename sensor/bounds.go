package sensor

import (
	"errors"
	"fmt"
)

// ErrBound is returned by configuration checks for a bound that is not
// positive: no bound of the sensor means "unlimited".
var ErrBound = errors.New("bound must be positive")

// Bound names one configured bound for CheckBounds.
type Bound struct {
	Name  string
	Value int64
}

// CheckBounds returns an error naming the first bound of section that is not
// positive.
func CheckBounds(section string, bounds ...Bound) error {
	for _, b := range bounds {
		if b.Value <= 0 {
			return fmt.Errorf("%s.%s = %d: %w", section, b.Name, b.Value, ErrBound)
		}
	}
	return nil
}
