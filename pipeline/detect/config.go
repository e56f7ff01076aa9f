package detect

import "errors"

// Config holds the settings every detector shares. Detector-specific
// settings join as fields named after the detector when one needs them.
// A zero field takes its default (DefaultConfig).
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

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.MaxEvidence == 0 {
		c.MaxEvidence = d.MaxEvidence
	}
	if c.SnippetBytes == 0 {
		c.SnippetBytes = d.SnippetBytes
	}
	if c.ScanBytes == 0 {
		c.ScanBytes = d.ScanBytes
	}
	return c
}

// Validate reports settings that cannot work, after defaults are applied.
func (c *Config) Validate() error {
	v := c.WithDefaults()
	var errs []error
	if v.MaxEvidence < 1 || v.MaxEvidence > 1024 {
		errs = append(errs, errors.New("detect: max_evidence must be in 1..1024"))
	}
	if v.SnippetBytes < 16 || v.SnippetBytes > 64<<10 {
		errs = append(errs, errors.New("detect: snippet_bytes must be in 16..65536"))
	}
	if v.ScanBytes < 64 || v.ScanBytes > 1<<20 {
		errs = append(errs, errors.New("detect: scan_bytes must be in 64..1048576"))
	}
	return errors.Join(errs...)
}
