package behave

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Config holds the engine's bounds, allow-lists and one section per
// detector. A zero field takes its default (DefaultConfig), so a partial
// YAML section only changes what it names.
type Config struct {
	// Enabled turns the engine on in the replay pipeline.
	Enabled bool `yaml:"enabled" env:"SENSOR_BEHAVE_ENABLED"`
	// MaxKeys bounds the identities (clients, usernames, tokens,
	// endpoints) with state, over all shards; past it the least recently
	// seen are evicted and counted.
	MaxKeys int `yaml:"max_keys" env:"SENSOR_BEHAVE_MAX_KEYS"`
	// Shards splits the state by key hash, each shard with its own lock.
	Shards int `yaml:"shards" env:"SENSOR_BEHAVE_SHARDS"`
	// MaxWindowsPerKey bounds the open windows of one identity (rules ×
	// endpoints × the current and the previous window).
	MaxWindowsPerKey int `yaml:"max_windows_per_key" env:"SENSOR_BEHAVE_MAX_WINDOWS_PER_KEY"`
	// MaxDistinct bounds each distinct-value set of a window; counts
	// saturate there (set it above every threshold).
	MaxDistinct int `yaml:"max_distinct" env:"SENSOR_BEHAVE_MAX_DISTINCT"`
	// Examples is how many example values an alert carries.
	Examples int `yaml:"examples" env:"SENSOR_BEHAVE_EXAMPLES"`
	// Grace is how long, in event time, a window stays open after its
	// end for events that arrive late (other workers, other sensors,
	// exchanges emitted when their connection closed). Events later than
	// that are counted (behave.late) and dropped.
	Grace time.Duration `yaml:"grace" env:"SENSOR_BEHAVE_GRACE"`
	// ExternalClock: event times do not move the engine's clock; the
	// caller does, with Engine.Advance (the aggregator, which holds the
	// clock at the slowest Kafka partition's time).
	ExternalClock bool `yaml:"-"`
	// ClientZones counts a client address per zone (flow.zone: the VLAN
	// or tunnel segment the connection was tracked in) when the address is
	// the TCP peer and not globally routable. Turn it on where VLANs or
	// VNIs separate tenants that reuse an address plan; leave it off where
	// they name mirror sessions (AWS Traffic Mirroring gives each session,
	// often one per backend, its own VNI: one client would be split per
	// backend, its failures spread and its token "shared").
	ClientZones bool `yaml:"client_zones" env:"SENSOR_BEHAVE_CLIENT_ZONES"`

	Allow Allow `yaml:"allow"`

	CredentialStuffing  CredentialStuffing  `yaml:"credential_stuffing"`
	DistributedStuffing DistributedStuffing `yaml:"distributed_stuffing"`
	BruteForce          BruteForce          `yaml:"brute_force"`
	Enumeration         Enumeration         `yaml:"enumeration"`
	Scanner             Scanner             `yaml:"scanner"`
	RateAbuse           RateAbuse           `yaml:"rate_abuse"`
	FingerprintMismatch FingerprintMismatch `yaml:"fingerprint_mismatch"`
	RegularIntervals    RegularIntervals    `yaml:"regular_intervals"`
	TokenSharing        TokenSharing        `yaml:"token_sharing"`
	UnauthAccess        UnauthAccess        `yaml:"unauthenticated_access"`
}

// Allow lists known good clients: their events still feed the endpoint
// baselines, but no client rule is evaluated for them.
type Allow struct {
	// APIKeys are API-key hashes as events carry them ("h:…").
	APIKeys []string `yaml:"api_keys"`
	// Subjects are token subjects.
	Subjects []string `yaml:"subjects"`
	// CIDRs are client address prefixes ("10.1.0.0/16", "192.0.2.7").
	CIDRs []string `yaml:"cidrs"`
	// Agents are User-Agent prefixes, each valid only with the given
	// fingerprint (JA4 or HTTP/2), so a spoofed User-Agent is not enough.
	Agents []AllowAgent `yaml:"agents"`
}

// AllowAgent is one known bot: its User-Agent prefix and fingerprint.
type AllowAgent struct {
	UserAgent string `yaml:"user_agent"`
	// Fingerprint is the JA4 or the HTTP/2 fingerprint the bot presents;
	// empty accepts any (weaker: the User-Agent alone).
	Fingerprint string `yaml:"fingerprint"`
}

// Rule sections. Window is the aligned event-time window each rule counts
// in; thresholds are per window.

// CredentialStuffing: one client address, many distinct usernames failing
// at login endpoints.
type CredentialStuffing struct {
	Window time.Duration `yaml:"window"`
	// MinUsernames is the distinct usernames with a failed login.
	MinUsernames int `yaml:"min_usernames"`
}

// DistributedStuffing: a login endpoint's failures spread over many
// clients, compared with the endpoint's learned baseline.
type DistributedStuffing struct {
	Window time.Duration `yaml:"window"`
	// MinClients is the distinct client addresses with failures.
	MinClients int `yaml:"min_clients"`
	// MinUsernames is the distinct usernames that failed.
	MinUsernames int `yaml:"min_usernames"`
	// MinFailureRatio is the share of the window's logins that failed.
	MinFailureRatio float64 `yaml:"min_failure_ratio"`
	// Factor: once the baseline is learned, the distinct failed usernames
	// must also reach Factor × the baseline's.
	Factor float64 `yaml:"factor"`
	// LearnWindows is how many windows make a baseline.
	LearnWindows int `yaml:"learn_windows"`
}

// BruteForce: one username, many failures and passwords, any clients.
type BruteForce struct {
	Window      time.Duration `yaml:"window"`
	MinFailures int           `yaml:"min_failures"`
	// MinPasswords is the distinct passwords (short hashes) tried.
	MinPasswords int `yaml:"min_passwords"`
}

// Enumeration: one client, many distinct object ids answered 2xx on one
// endpoint template.
type Enumeration struct {
	Window time.Duration `yaml:"window"`
	MinIDs int           `yaml:"min_ids"`
	// MinUniqueRatio: the distinct ids must also be at least this share
	// of the 2xx requests, so that a client (a load test, a cache warmer)
	// hammering a few dozen objects is not a scraper.
	MinUniqueRatio float64 `yaml:"min_unique_ratio"`
	// SequentialDensity: numeric ids whose range (max-min+1) is at most
	// this many times their count are a sequential walk.
	SequentialDensity float64 `yaml:"sequential_density"`
	// SlowWindow and SlowMinIDs catch low-and-slow scraping (the T-Mobile
	// pattern): few ids per short window, many over a day.
	SlowWindow time.Duration `yaml:"slow_window"`
	SlowMinIDs int           `yaml:"slow_min_ids"`
}

// Scanner: many 404/405 over many paths, well-known probe paths, or a
// scanner's User-Agent.
type Scanner struct {
	Window       time.Duration `yaml:"window"`
	MinNotFound  int           `yaml:"min_not_found"`
	MinPaths     int           `yaml:"min_paths"`
	MinProbes    int           `yaml:"min_probes"`
	ProbePaths   []string      `yaml:"probe_paths"`
	ScannerAgent []string      `yaml:"scanner_agents"`
}

// RateAbuse: a client's requests to one endpoint in a window against the
// endpoint's learned per-client rate, and the client's own.
type RateAbuse struct {
	Window time.Duration `yaml:"window"`
	// Floor is the least count that can alert, whatever the baselines.
	Floor int `yaml:"floor"`
	// Factor × baseline must be reached too.
	Factor float64 `yaml:"factor"`
	// LearnWindows is how many windows make a baseline; before that the
	// rule is silent for the endpoint (or judges the client by the
	// endpoint only).
	LearnWindows int `yaml:"learn_windows"`
	// Alpha is the EWMA weight of the newest window.
	Alpha float64 `yaml:"alpha"`
}

// FingerprintMismatch: a browser User-Agent over a script library's TLS or
// HTTP/2 fingerprint.
type FingerprintMismatch struct {
	Window  time.Duration `yaml:"window"`
	Scripts []Fingerprint `yaml:"scripts"`
}

// Fingerprint names a client library by its JA4 or HTTP/2 fingerprint;
// a value ending in "*" is a prefix.
type Fingerprint struct {
	Name string `yaml:"name"`
	JA4  string `yaml:"ja4"`
	H2   string `yaml:"h2"`
}

// RegularIntervals: machine-like inter-arrival times.
type RegularIntervals struct {
	Window      time.Duration `yaml:"window"`
	MinRequests int           `yaml:"min_requests"`
	// MaxCV is the coefficient of variation (stddev/mean) of the
	// inter-arrival times at or under which requests are regular.
	MaxCV float64 `yaml:"max_cv"`
	// SteadyTemplates: a client whose requests in the window were all
	// answered 2xx on at most this many endpoint templates is a steady
	// poller (monitoring, sync), not reported.
	SteadyTemplates int `yaml:"steady_templates"`
	// HealthPaths are templates of health and metrics endpoints; a client
	// that only calls those is never reported.
	HealthPaths []string `yaml:"health_paths"`
}

// TokenSharing: one token from many addresses or fingerprints.
type TokenSharing struct {
	Window          time.Duration `yaml:"window"`
	MinIPs          int           `yaml:"min_ips"`
	MinFingerprints int           `yaml:"min_fingerprints"`
}

// UnauthAccess: an endpoint learned as authenticated answering 2xx
// without credentials.
type UnauthAccess struct {
	Window time.Duration `yaml:"window"`
	// MinAuthenticated is the authenticated 2xx responses that make an
	// endpoint "authenticated".
	MinAuthenticated int `yaml:"min_authenticated"`
	// MaxPublicShare: an endpoint where more than this share of the 2xx
	// (before the window) were unauthenticated is public.
	MaxPublicShare float64 `yaml:"max_public_share"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Enabled:          true,
		MaxKeys:          50_000,
		Shards:           16,
		MaxWindowsPerKey: 64,
		MaxDistinct:      4096,
		Examples:         5,
		Grace:            time.Minute,
		CredentialStuffing: CredentialStuffing{
			Window: 5 * time.Minute, MinUsernames: 20,
		},
		DistributedStuffing: DistributedStuffing{
			Window: 5 * time.Minute, MinClients: 5, MinUsernames: 30, MinFailureRatio: 0.5, Factor: 3, LearnWindows: 3,
		},
		BruteForce: BruteForce{Window: 10 * time.Minute, MinFailures: 20, MinPasswords: 10},
		Enumeration: Enumeration{
			Window: 10 * time.Minute, MinIDs: 50, MinUniqueRatio: 0.2, SequentialDensity: 1.5,
			SlowWindow: 24 * time.Hour, SlowMinIDs: 500,
		},
		Scanner: Scanner{
			Window: 5 * time.Minute, MinNotFound: 20, MinPaths: 15, MinProbes: 2,
			ProbePaths:   defaultProbePaths(),
			ScannerAgent: defaultScannerAgents(),
		},
		RateAbuse: RateAbuse{Window: time.Minute, Floor: 300, Factor: 10, LearnWindows: 3, Alpha: 0.3},
		FingerprintMismatch: FingerprintMismatch{
			Window: 10 * time.Minute, Scripts: defaultScripts(),
		},
		RegularIntervals: RegularIntervals{
			Window: 10 * time.Minute, MinRequests: 30, MaxCV: 0.1, SteadyTemplates: 3,
			HealthPaths: []string{"/health", "/healthz", "/livez", "/readyz", "/ready", "/live", "/ping", "/status", "/metrics", "/actuator/health", "/api/health", "/api/ping"},
		},
		TokenSharing: TokenSharing{Window: 10 * time.Minute, MinIPs: 5, MinFingerprints: 4},
		UnauthAccess: UnauthAccess{Window: 10 * time.Minute, MinAuthenticated: 20, MaxPublicShare: 0.05},
	}
}

// ErrConfig wraps every configuration error.
var ErrConfig = errors.New("invalid behave configuration")

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	setDefault(&c.MaxKeys, d.MaxKeys)
	setDefault(&c.Shards, d.Shards)
	setDefault(&c.MaxWindowsPerKey, d.MaxWindowsPerKey)
	setDefault(&c.MaxDistinct, d.MaxDistinct)
	setDefault(&c.Examples, d.Examples)
	setDefault(&c.Grace, d.Grace)

	cs, dcs := &c.CredentialStuffing, d.CredentialStuffing
	setDefault(&cs.Window, dcs.Window)
	setDefault(&cs.MinUsernames, dcs.MinUsernames)

	ds, dds := &c.DistributedStuffing, d.DistributedStuffing
	setDefault(&ds.Window, dds.Window)
	setDefault(&ds.MinClients, dds.MinClients)
	setDefault(&ds.MinUsernames, dds.MinUsernames)
	setDefault(&ds.MinFailureRatio, dds.MinFailureRatio)
	setDefault(&ds.Factor, dds.Factor)
	setDefault(&ds.LearnWindows, dds.LearnWindows)

	bf, dbf := &c.BruteForce, d.BruteForce
	setDefault(&bf.Window, dbf.Window)
	setDefault(&bf.MinFailures, dbf.MinFailures)
	setDefault(&bf.MinPasswords, dbf.MinPasswords)

	en, den := &c.Enumeration, d.Enumeration
	setDefault(&en.Window, den.Window)
	setDefault(&en.MinIDs, den.MinIDs)
	setDefault(&en.MinUniqueRatio, den.MinUniqueRatio)
	setDefault(&en.SequentialDensity, den.SequentialDensity)
	setDefault(&en.SlowWindow, den.SlowWindow)
	setDefault(&en.SlowMinIDs, den.SlowMinIDs)

	sc, dsc := &c.Scanner, d.Scanner
	setDefault(&sc.Window, dsc.Window)
	setDefault(&sc.MinNotFound, dsc.MinNotFound)
	setDefault(&sc.MinPaths, dsc.MinPaths)
	setDefault(&sc.MinProbes, dsc.MinProbes)
	if sc.ProbePaths == nil {
		sc.ProbePaths = dsc.ProbePaths
	}
	if sc.ScannerAgent == nil {
		sc.ScannerAgent = dsc.ScannerAgent
	}

	ra, dra := &c.RateAbuse, d.RateAbuse
	setDefault(&ra.Window, dra.Window)
	setDefault(&ra.Floor, dra.Floor)
	setDefault(&ra.Factor, dra.Factor)
	setDefault(&ra.LearnWindows, dra.LearnWindows)
	setDefault(&ra.Alpha, dra.Alpha)

	fm, dfm := &c.FingerprintMismatch, d.FingerprintMismatch
	setDefault(&fm.Window, dfm.Window)
	if fm.Scripts == nil {
		fm.Scripts = dfm.Scripts
	}

	ri, dri := &c.RegularIntervals, d.RegularIntervals
	setDefault(&ri.Window, dri.Window)
	setDefault(&ri.MinRequests, dri.MinRequests)
	setDefault(&ri.MaxCV, dri.MaxCV)
	setDefault(&ri.SteadyTemplates, dri.SteadyTemplates)
	if ri.HealthPaths == nil {
		ri.HealthPaths = dri.HealthPaths
	}

	ts, dts := &c.TokenSharing, d.TokenSharing
	setDefault(&ts.Window, dts.Window)
	setDefault(&ts.MinIPs, dts.MinIPs)
	setDefault(&ts.MinFingerprints, dts.MinFingerprints)

	ua, dua := &c.UnauthAccess, d.UnauthAccess
	setDefault(&ua.Window, dua.Window)
	setDefault(&ua.MinAuthenticated, dua.MinAuthenticated)
	setDefault(&ua.MaxPublicShare, dua.MaxPublicShare)
	return c
}

// setDefault sets *p to d when it is zero.
func setDefault[T comparable](p *T, d T) {
	var zero T
	if *p == zero {
		*p = d
	}
}

// Validate checks c after defaults: negative values, windows and ratios
// out of range, malformed CIDRs.
func (c *Config) Validate() error {
	w := c.WithDefaults()
	for _, v := range []struct {
		name string
		n    int
	}{
		{"max_keys", w.MaxKeys}, {"shards", w.Shards}, {"max_windows_per_key", w.MaxWindowsPerKey},
		{"max_distinct", w.MaxDistinct}, {"examples", w.Examples},
		{"credential_stuffing.min_usernames", w.CredentialStuffing.MinUsernames},
		{"distributed_stuffing.min_clients", w.DistributedStuffing.MinClients},
		{"distributed_stuffing.min_usernames", w.DistributedStuffing.MinUsernames},
		{"distributed_stuffing.learn_windows", w.DistributedStuffing.LearnWindows},
		{"brute_force.min_failures", w.BruteForce.MinFailures},
		{"brute_force.min_passwords", w.BruteForce.MinPasswords},
		{"enumeration.min_ids", w.Enumeration.MinIDs},
		{"enumeration.slow_min_ids", w.Enumeration.SlowMinIDs},
		{"scanner.min_not_found", w.Scanner.MinNotFound},
		{"scanner.min_paths", w.Scanner.MinPaths},
		{"scanner.min_probes", w.Scanner.MinProbes},
		{"rate_abuse.floor", w.RateAbuse.Floor},
		{"rate_abuse.learn_windows", w.RateAbuse.LearnWindows},
		{"regular_intervals.min_requests", w.RegularIntervals.MinRequests},
		{"regular_intervals.steady_templates", w.RegularIntervals.SteadyTemplates},
		{"token_sharing.min_ips", w.TokenSharing.MinIPs},
		{"token_sharing.min_fingerprints", w.TokenSharing.MinFingerprints},
		{"unauthenticated_access.min_authenticated", w.UnauthAccess.MinAuthenticated},
	} {
		if v.n < 0 {
			return fmt.Errorf("%w: %s = %d: must not be negative", ErrConfig, v.name, v.n)
		}
	}
	for _, v := range []struct {
		name string
		d    time.Duration
	}{
		{"grace", w.Grace},
		{"credential_stuffing.window", w.CredentialStuffing.Window},
		{"distributed_stuffing.window", w.DistributedStuffing.Window},
		{"brute_force.window", w.BruteForce.Window},
		{"enumeration.window", w.Enumeration.Window},
		{"enumeration.slow_window", w.Enumeration.SlowWindow},
		{"scanner.window", w.Scanner.Window},
		{"rate_abuse.window", w.RateAbuse.Window},
		{"fingerprint_mismatch.window", w.FingerprintMismatch.Window},
		{"regular_intervals.window", w.RegularIntervals.Window},
		{"token_sharing.window", w.TokenSharing.Window},
		{"unauthenticated_access.window", w.UnauthAccess.Window},
	} {
		if v.d < time.Second && v.name != "grace" || v.d < 0 {
			return fmt.Errorf("%w: %s = %v: at least 1s", ErrConfig, v.name, v.d)
		}
	}
	for _, v := range []struct {
		name   string
		f, max float64
	}{
		{"distributed_stuffing.min_failure_ratio", w.DistributedStuffing.MinFailureRatio, 1},
		{"distributed_stuffing.factor", w.DistributedStuffing.Factor, 1e9},
		{"enumeration.sequential_density", w.Enumeration.SequentialDensity, 1e9},
		{"enumeration.min_unique_ratio", w.Enumeration.MinUniqueRatio, 1},
		{"rate_abuse.factor", w.RateAbuse.Factor, 1e9},
		{"rate_abuse.alpha", w.RateAbuse.Alpha, 1},
		{"regular_intervals.max_cv", w.RegularIntervals.MaxCV, 10},
		{"unauthenticated_access.max_public_share", w.UnauthAccess.MaxPublicShare, 1},
	} {
		if v.f < 0 || v.f > v.max {
			return fmt.Errorf("%w: %s = %g: want 0..%g", ErrConfig, v.name, v.f, v.max)
		}
	}
	if w.Shards > 4096 {
		return fmt.Errorf("%w: shards = %d: at most 4096", ErrConfig, w.Shards)
	}
	for _, s := range w.Allow.CIDRs {
		if _, err := parsePrefix(s); err != nil {
			return fmt.Errorf("%w: allow.cidrs: %w", ErrConfig, err)
		}
	}
	return nil
}

// parsePrefix reads a CIDR or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q: not an address or CIDR", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
