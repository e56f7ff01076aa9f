package detect

import (
	"errors"
	"reflect"

	"github.com/apisensor/sensor/pipeline/detect/identity"
)

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

	// Identity holds how clients are identified in alerts and events
	// (trusted proxies, API key and session names, the hash key, login
	// endpoints); empty fields take identity.DefaultConfig's values.
	Identity identity.Config `yaml:"identity"`

	// CRS holds the settings of the "crs" detector (OWASP Core Rule Set
	// through Coraza).
	CRS CRS `yaml:"crs"`

	// Exceptions are the operator's exceptions to rules on given
	// endpoints and parameters (Exception), applied to each detector's
	// alerts as it raises them, so a follow-up detector (CRS in its
	// alerted mode) does not run on an excepted one.
	Exceptions []Exception `yaml:"exceptions"`
}

// CRS modes: which exchanges the "crs" detector inspects.
const (
	// CRSOff builds nothing and inspects nothing, so a configuration can
	// keep the detector's name while it is disabled.
	CRSOff = "off"
	// CRSAlerted inspects only the exchanges a tier-1 injection detector
	// alerted on: CRS's rule ids and messages join those alerts as
	// corroborating evidence, and CRS never alerts on its own. The
	// default: on the evaluation's benign corpus (make eval) CRS alone
	// flags about 6% of the values — code in Q&A posts, shell commands in
	// JSON strings — where tier 1 flags none.
	CRSAlerted = "alerted"
	// CRSSuspicious inspects the exchanges another detector alerted on, or
	// that a cheap prefilter finds characters or keywords of an injection
	// in.
	CRSSuspicious = "suspicious"
	// CRSAll inspects every exchange.
	CRSAll = "all"
)

// CRS holds the settings of the "crs" detector. A zero field takes its
// default (DefaultConfig).
type CRS struct {
	// Mode is off, alerted, suspicious or all.
	Mode string `yaml:"mode" env:"SENSOR_DETECT_CRS_MODE"`
	// ParanoiaLevel is CRS's paranoia level, 1 to 4: higher levels enable
	// more rules, and more false positives.
	ParanoiaLevel int `yaml:"paranoia_level" env:"SENSOR_DETECT_CRS_PARANOIA_LEVEL"`
	// AnomalyThreshold is CRS's inbound anomaly score threshold: an
	// exchange whose score reaches it raises an alert (a critical rule
	// scores 5, an error 4, a warning 3, a notice 2).
	AnomalyThreshold int `yaml:"anomaly_threshold" env:"SENSOR_DETECT_CRS_ANOMALY_THRESHOLD"`
	// BodyBytes bounds the request body bytes handed to Coraza's own
	// form parser.
	BodyBytes int `yaml:"body_bytes" env:"SENSOR_DETECT_CRS_BODY_BYTES"`
	// MaxArgs bounds the decoded parameters (JSON, XML, protobuf, …)
	// handed to CRS as arguments, each cut at ScanBytes, and the query and
	// form arguments Coraza parses itself. CRS costs about half a
	// millisecond of CPU per argument.
	MaxArgs int `yaml:"max_args" env:"SENSOR_DETECT_CRS_MAX_ARGS"`
	// MaxRunsPerSecond bounds the exchanges the alerted and suspicious
	// modes run through CRS, per second of packet time, over all workers
	// (a burst of one second's worth is allowed); -1 is no bound. A run
	// costs 1 to 3 ms of CPU, so a scanner sending a thousand attacks a
	// second would otherwise take more than a core in CRS alone. Past the
	// bound tier 1 still alerts, without CRS's evidence, and each skipped
	// run counts drop.crs_budget in the run report. Mode all is not bounded.
	MaxRunsPerSecond int `yaml:"max_runs_per_second" env:"SENSOR_DETECT_CRS_MAX_RUNS_PER_SECOND"`
}

// SameSettings reports whether a and b set the detectors alike, apart from
// the exceptions, which the pipeline applies: detectors merge when theirs
// are the same.
func SameSettings(a, b Config) bool {
	a.Exceptions, b.Exceptions = nil, nil
	return reflect.DeepEqual(a, b)
}

// DefaultConfig returns the default settings.
func DefaultConfig() Config {
	return Config{
		MaxEvidence: 8, SnippetBytes: 256, ScanBytes: 8 << 10,
		CRS: CRS{Mode: CRSAlerted, ParanoiaLevel: 1, AnomalyThreshold: 5, BodyBytes: 64 << 10, MaxArgs: 64, MaxRunsPerSecond: 200},
	}
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
	if c.CRS.Mode == "" {
		c.CRS.Mode = d.CRS.Mode
	}
	if c.CRS.ParanoiaLevel == 0 {
		c.CRS.ParanoiaLevel = d.CRS.ParanoiaLevel
	}
	if c.CRS.AnomalyThreshold == 0 {
		c.CRS.AnomalyThreshold = d.CRS.AnomalyThreshold
	}
	if c.CRS.BodyBytes == 0 {
		c.CRS.BodyBytes = d.CRS.BodyBytes
	}
	if c.CRS.MaxArgs == 0 {
		c.CRS.MaxArgs = d.CRS.MaxArgs
	}
	if c.CRS.MaxRunsPerSecond == 0 {
		c.CRS.MaxRunsPerSecond = d.CRS.MaxRunsPerSecond
	}
	return c
}

// Validate reports settings that cannot work, after defaults are applied,
// and prepares the identity settings (identity.Config.Prepare): call it once
// before the Config is shared by workers.
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
	for i := range c.Exceptions {
		if err := c.Exceptions[i].validate(i); err != nil {
			errs = append(errs, err)
		}
	}
	switch v.CRS.Mode {
	case CRSOff, CRSAlerted, CRSSuspicious, CRSAll:
	default:
		errs = append(errs, errors.New("detect: crs.mode must be off, alerted, suspicious or all"))
	}
	if v.CRS.ParanoiaLevel < 1 || v.CRS.ParanoiaLevel > 4 {
		errs = append(errs, errors.New("detect: crs.paranoia_level must be in 1..4"))
	}
	if v.CRS.AnomalyThreshold < 1 || v.CRS.AnomalyThreshold > 10000 {
		errs = append(errs, errors.New("detect: crs.anomaly_threshold must be in 1..10000"))
	}
	if v.CRS.BodyBytes < 1<<10 || v.CRS.BodyBytes > 16<<20 {
		errs = append(errs, errors.New("detect: crs.body_bytes must be in 1024..16777216"))
	}
	if v.CRS.MaxArgs < 1 || v.CRS.MaxArgs > 10000 {
		errs = append(errs, errors.New("detect: crs.max_args must be in 1..10000"))
	}
	if v.CRS.MaxRunsPerSecond < -1 || v.CRS.MaxRunsPerSecond > 1_000_000 {
		errs = append(errs, errors.New("detect: crs.max_runs_per_second must be -1 (no bound) or in 1..1000000"))
	}
	// Prepare builds the identity settings once, so that every copy of c
	// shares them and their caches.
	if err := c.Identity.Prepare(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
