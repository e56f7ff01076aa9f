package cfgload

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

type inner struct {
	MaxConns int           `yaml:"max_connections" env:"T_MAX_CONNS"`
	Idle     time.Duration `yaml:"idle_timeout" env:"T_IDLE"`
	Seed     uint16        `yaml:"seed" env:"T_SEED"`
}

type embedded struct {
	Brokers []string `yaml:"brokers" env:"T_BROKERS"`
}

type testConfig struct {
	Name     string         `yaml:"name" env:"T_NAME"`
	Enabled  bool           `yaml:"enabled" env:"T_ENABLED"`
	Workers  int            `yaml:"workers" env:"T_WORKERS"`
	Small    int8           `yaml:"small" env:"T_SMALL"`
	Ratio    float64        `yaml:"ratio" env:"T_RATIO"`
	List     []string       `yaml:"list" env:"T_LIST"`
	Net      netip.Prefix   `yaml:"net" env:"T_NET"`
	Addr     netip.Addr     `yaml:"addr" env:"T_ADDR"`
	Nets     []netip.Prefix `yaml:"nets" env:"T_NETS"`
	TCP      inner          `yaml:"tcp"`
	embedded `yaml:",inline"`
	NoEnv    int `yaml:"no_env"`
	private  int // must be skipped
}

func defaults() testConfig {
	return testConfig{
		Name:    "default",
		Workers: 4,
		List:    []string{"a", "b"},
		TCP:     inner{MaxConns: 100, Idle: time.Minute},
		private: 1,
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  []string
		want func(*testConfig)
	}{
		{name: "defaults only", want: func(*testConfig) {}},
		{name: "comments only", yaml: "# nothing\n", want: func(*testConfig) {}},
		{
			name: "file overrides defaults, keeps the rest",
			yaml: "workers: 8\ntcp:\n  idle_timeout: 30s\n",
			want: func(c *testConfig) { c.Workers = 8; c.TCP.Idle = 30 * time.Second },
		},
		{
			name: "env overrides file",
			yaml: "workers: 8\nname: file\n",
			env:  []string{"T_WORKERS=16", "OTHER=1"},
			want: func(c *testConfig) { c.Workers = 16; c.Name = "file" },
		},
		{
			name: "later env entry wins",
			env:  []string{"T_NAME=first", "T_NAME=second"},
			want: func(c *testConfig) { c.Name = "second" },
		},
		{
			name: "every kind from env",
			env: []string{
				"T_ENABLED=true", "T_SMALL=-5", "T_RATIO=0.25", "T_LIST= x, y ,,z ",
				"T_NET=10.0.0.0/8", "T_ADDR=::1", "T_NETS=10.0.0.0/8,fd00::/8",
				"T_MAX_CONNS=0x10", "T_IDLE=1m30s", "T_SEED=65535", "T_BROKERS=k1:9092,k2:9092",
			},
			want: func(c *testConfig) {
				c.Enabled = true
				c.Small = -5
				c.Ratio = 0.25
				c.List = []string{"x", "y", "z"}
				c.Net = netip.MustParsePrefix("10.0.0.0/8")
				c.Addr = netip.MustParseAddr("::1")
				c.Nets = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
				c.TCP.MaxConns = 16
				c.TCP.Idle = 90 * time.Second
				c.TCP.Seed = 65535
				c.Brokers = []string{"k1:9092", "k2:9092"}
			},
		},
		{
			name: "empty env clears a list",
			env:  []string{"T_LIST="},
			want: func(c *testConfig) { c.List = []string{} },
		},
		{
			name: "every kind from yaml",
			yaml: "enabled: true\nlist: [p, q]\nnet: 192.168.0.0/16\naddr: 127.0.0.1\nbrokers: [k:1]\ntcp: {seed: 7}\nno_env: 3\n",
			want: func(c *testConfig) {
				c.Enabled = true
				c.List = []string{"p", "q"}
				c.Net = netip.MustParsePrefix("192.168.0.0/16")
				c.Addr = netip.MustParseAddr("127.0.0.1")
				c.Brokers = []string{"k:1"}
				c.TCP.Seed = 7
				c.NoEnv = 3
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := defaults(), defaults()
			tt.want(&want)
			if err := Load(&got, []byte(tt.yaml), tt.env); err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  []string
		is   error
		want []string // substrings of the message
	}{
		{name: "unknown key", yaml: "workers: 1\nworkres: 2\n", is: ErrYAML, want: []string{"line 2", "workres"}},
		{name: "unknown nested key", yaml: "tcp:\n  max_conections: 2\n", is: ErrYAML, want: []string{"line 2", "max_conections"}},
		{name: "wrong type", yaml: "workers: many\n", is: ErrYAML, want: []string{"line 1", "many"}},
		{name: "bad duration", yaml: "tcp:\n  idle_timeout: soon\n", is: ErrYAML, want: []string{"line 2"}},
		{name: "duplicate key", yaml: "workers: 1\nworkers: 2\n", is: ErrYAML, want: []string{"workers"}},
		{name: "two documents", yaml: "workers: 1\n---\nworkers: 2\n", is: ErrYAML, want: []string{"more than one"}},
		{name: "not a mapping", yaml: "- a\n- b\n", is: ErrYAML},
		{name: "bad int env", env: []string{"T_WORKERS=four"}, is: ErrEnv, want: []string{"T_WORKERS", "four"}},
		{name: "int overflow env", env: []string{"T_SMALL=300"}, is: ErrEnv, want: []string{"T_SMALL", "out of range"}},
		{name: "negative uint env", env: []string{"T_SEED=-1"}, is: ErrEnv, want: []string{"T_SEED"}},
		{name: "bad bool env", env: []string{"T_ENABLED=yes please"}, is: ErrEnv, want: []string{"T_ENABLED", "boolean"}},
		{name: "bad duration env", env: []string{"T_IDLE=30"}, is: ErrEnv, want: []string{"T_IDLE", "missing unit"}},
		{name: "bad prefix env", env: []string{"T_NET=10.0.0.0/33"}, is: ErrEnv, want: []string{"T_NET"}},
		{name: "bad list item env", env: []string{"T_NETS=10.0.0.0/8,nope"}, is: ErrEnv, want: []string{"T_NETS", "item 2"}},
		{name: "bad float env", env: []string{"T_RATIO=x"}, is: ErrEnv, want: []string{"T_RATIO"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaults()
			err := Load(&c, []byte(tt.yaml), tt.env)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadTarget(t *testing.T) {
	var c testConfig
	for _, dst := range []any{nil, c, (*testConfig)(nil), new(int)} {
		if err := Load(dst, nil, nil); !errors.Is(err, ErrTarget) {
			t.Errorf("Load(%T) = %v, want ErrTarget", dst, err)
		}
	}
}

func TestUnsupportedEnvField(t *testing.T) {
	var c struct {
		M map[string]int `env:"T_MAP"`
	}
	// A programming error shows even when the variable is not set.
	err := Load(&c, nil, nil)
	if !errors.Is(err, ErrEnv) || !strings.Contains(err.Error(), "T_MAP") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sensor.yaml")
	if err := os.WriteFile(path, []byte("workers: 3\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := defaults()
	err := LoadFile(&c, path, nil)
	if !errors.Is(err, ErrYAML) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("err = %v", err)
	}
	if err := os.WriteFile(path, []byte("workers: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := LoadFile(&c, path, []string{"T_NAME=env"}); err != nil {
		t.Fatal(err)
	}
	if c.Workers != 3 || c.Name != "env" {
		t.Errorf("got %+v", c)
	}
	if err := LoadFile(&c, filepath.Join(dir, "missing.yaml"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := make([]byte, MaxFileBytes+1)
	for i := range big {
		big[i] = '#'
	}
	if err := os.WriteFile(path, big, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := LoadFile(&c, path, nil); !errors.Is(err, ErrYAML) {
		t.Errorf("oversized file: %v", err)
	}
}

func TestVarsAndUnknown(t *testing.T) {
	c := defaults()
	vars, err := Vars(&c)
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	for _, v := range vars {
		paths[v.Name] = v.Path
	}
	want := map[string]string{"T_WORKERS": "workers", "T_IDLE": "tcp.idle_timeout", "T_BROKERS": "brokers", "T_NETS": "nets"}
	for name, path := range want {
		if paths[name] != path {
			t.Errorf("%s: path %q, want %q", name, paths[name], path)
		}
	}
	if len(vars) != 13 {
		t.Errorf("%d vars, want 13: %+v", len(vars), vars)
	}
	got := Unknown(&c, []string{"T_WORKERS=1", "T_WORKRES=2", "HOME=/", "T_WORKRES=3"}, "T_")
	if !reflect.DeepEqual(got, []string{"T_WORKRES"}) {
		t.Errorf("Unknown = %v", got)
	}
}

func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"", "workers: 8\n", "tcp:\n  idle_timeout: 30s\n  seed: 3\n", "list: [a, b]\nnets: [10.0.0.0/8]\n",
		"workers: 1\n---\nx: 1\n", "a: &a [*a]\n", "tcp: {max_connections: 99999999999999999999}\n",
		"name: !!binary aGVsbG8=\n", "- 1\n", "brokers: k:1\nbrokers: k:2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := defaults()
		err := Load(&c, b, []string{"T_NAME=fuzz"})
		if err == nil && c.Name != "fuzz" {
			t.Fatalf("env not applied after a good file")
		}
		if err != nil && !errors.Is(err, ErrYAML) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
