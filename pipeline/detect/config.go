package detect

import "errors"

// Config holds the settings every detector shares. Detector-specific
// settings join as fields named after the detector when one needs them.
type Config struct {
	// MaxEvidence bounds the evidence entries of one alert.
	MaxEvidence int `yaml:"max_evidence" env:"SENSOR_DETECT_MAX_EVIDENCE"`
	// SnippetBytes bounds each evidence value copied into an alert, and the
	// alert's URL.
	SnippetBytes int `yaml:"snippet_bytes" env:"SENSOR_DETECT_SNIPPET_BYTES"`
	// ScanBytes bounds how much of one parameter value a detector scans;
	// the rest of a long value is not inspected.
	ScanBytes int `yaml:"scan_bytes" env:"SENSOR_DETECT_SCAN_BYTES"`
}

// DefaultConfig returns the default settings.
func DefaultConfig() Config {
	return Config{MaxEvidence: 8, SnippetBytes: 256, ScanBytes: 8 << 10}
}

// Validate reports settings that cannot work.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxEvidence < 1 || c.MaxEvidence > 1024 {
		errs = append(errs, errors.New("detect: max_evidence must be in 1..1024"))
	}
	if c.SnippetBytes < 16 || c.SnippetBytes > 64<<10 {
		errs = append(errs, errors.New("detect: snippet_bytes must be in 16..65536"))
	}
	if c.ScanBytes < 64 || c.ScanBytes > 1<<20 {
		errs = append(errs, errors.New("detect: scan_bytes must be in 64..1048576"))
	}
	return errors.Join(errs...)
}
