// Package cfgload fills a configuration struct from a YAML file and the
// environment. The struct comes in already holding its defaults; the file
// overrides them, then environment variables named by `env:"SENSOR_..."`
// struct tags override the file. Flags come last and are the caller's
// business: it applies only the flags that were set (flag.Visit), so the
// precedence is
//
//	defaults < file < environment < flags
//
// The YAML is decoded strictly: an unknown key is an error naming the key and
// its line, so a typo never silently leaves a default in place.
package cfgload

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Errors of the loader.
var (
	// ErrTarget is returned when dst is not a non-nil pointer to a struct.
	ErrTarget = errors.New("config target must be a non-nil pointer to a struct")
	// ErrEnv wraps every error about an environment variable.
	ErrEnv = errors.New("invalid environment variable")
	// ErrYAML wraps every error about the YAML document.
	ErrYAML = errors.New("invalid config file")
)

// MaxFileBytes bounds a config file: it is read whole.
const MaxFileBytes = 4 << 20

// Load decodes yamlBytes into dst (a pointer to a struct holding the
// defaults), then applies the environment overrides found in environ
// ("NAME=value" strings, as os.Environ returns them). Empty yamlBytes leave
// the defaults. Either stage may be skipped with a nil argument.
func Load(dst any, yamlBytes []byte, environ []string) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ErrTarget
	}
	if err := decodeYAML(dst, yamlBytes); err != nil {
		return err
	}
	return applyEnv(v.Elem(), envMap(environ))
}

// LoadFile is Load with the YAML read from path.
func LoadFile(dst any, path string, environ []string) error {
	b, err := readFile(path)
	if err != nil {
		return err
	}
	if err := Load(dst, b, environ); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(b) > MaxFileBytes {
		return nil, fmt.Errorf("config %s: %w: larger than %d bytes", path, ErrYAML, MaxFileBytes)
	}
	return b, nil
}

func decodeYAML(dst any, b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) { // only comments
			return nil
		}
		return fmt.Errorf("%w: %w", ErrYAML, err)
	}
	// A second document would be silently ignored: refuse it.
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return fmt.Errorf("%w: %w", ErrYAML, err)
	}
	return fmt.Errorf("%w: line %d: more than one YAML document", ErrYAML, extra.Line)
}

// envMap indexes environ; a later entry wins, as in the process environment.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	textType     = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// applyEnv walks the struct v, setting each field whose env tag names a
// variable present in env, and recursing into nested structs.
func applyEnv(v reflect.Value, env map[string]string) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		fv := v.Field(i)
		if !f.IsExported() {
			// An embedded unexported struct still has promoted fields.
			if nested, ok := structValue(fv); ok && f.Anonymous {
				if err := applyEnv(nested, env); err != nil {
					return err
				}
			}
			continue
		}
		name := f.Tag.Get("env")
		if name == "" || name == "-" {
			if nested, ok := structValue(fv); ok {
				if err := applyEnv(nested, env); err != nil {
					return err
				}
			}
			continue
		}
		if !settable(f.Type) {
			return fmt.Errorf("%w: %s: field %s of type %s cannot be set from the environment", ErrEnv, name, f.Name, f.Type)
		}
		s, ok := env[name]
		if !ok {
			continue
		}
		if err := setValue(fv, s); err != nil {
			return fmt.Errorf("%w: %s=%q: %w", ErrEnv, name, s, err)
		}
	}
	return nil
}

// structValue returns the struct a field holds. Pointers are not followed:
// configuration is plain values, and a pointer could make a cycle.
func structValue(fv reflect.Value) (reflect.Value, bool) {
	if fv.Kind() == reflect.Struct && !reflect.PointerTo(fv.Type()).Implements(textType) {
		return fv, true
	}
	return reflect.Value{}, false
}

// settable reports whether setValue handles type t.
func settable(t reflect.Type) bool {
	if t == durationType || reflect.PointerTo(t).Implements(textType) {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() != reflect.Slice && settable(t.Elem())
	}
	return false
}

// setValue parses s into fv. Slices are comma-separated lists; an empty
// value is an empty list (so that a list default can be cleared).
func setValue(fv reflect.Value, s string) error {
	t := fv.Type()
	if t == durationType {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return err
		}
		fv.SetInt(int64(d))
		return nil
	}
	if reflect.PointerTo(t).Implements(textType) {
		return fv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(strings.TrimSpace(s)))
	}
	switch t.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return errors.New("not a boolean (true, false, 1, 0)")
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 0, t.Bits())
		if err != nil {
			return numErr(err)
		}
		fv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 0, t.Bits())
		if err != nil {
			return numErr(err)
		}
		fv.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(strings.TrimSpace(s), t.Bits())
		if err != nil {
			return numErr(err)
		}
		fv.SetFloat(n)
	case reflect.Slice:
		parts := splitList(s)
		out := reflect.MakeSlice(t, len(parts), len(parts))
		for i, p := range parts {
			if err := setValue(out.Index(i), p); err != nil {
				return fmt.Errorf("item %d %q: %w", i+1, p, err)
			}
		}
		fv.Set(out)
	default:
		return fmt.Errorf("unsupported type %s", t)
	}
	return nil
}

// numErr drops strconv's repetition of the input, which the caller names.
func numErr(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Var describes one environment variable a configuration struct reads.
type Var struct {
	// Name is the variable, e.g. SENSOR_WORKERS.
	Name string
	// Path is the dotted YAML key it overrides, e.g. tcp.max_connections.
	Path string
	// Type is the Go type of the field.
	Type string
}

// Vars lists the environment variables of the struct dst points to, in field
// order: for documentation, and to tell a mistyped SENSOR_ variable (see
// Unknown).
func Vars(dst any) ([]Var, error) {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, ErrTarget
	}
	var out []Var
	collectVars(v.Elem(), "", &out)
	return out, nil
}

func collectVars(v reflect.Value, prefix string, out *[]Var) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		key, inline := yamlKey(f)
		path := prefix
		if !inline {
			path = joinPath(prefix, key)
		}
		if name := f.Tag.Get("env"); name != "" && name != "-" {
			*out = append(*out, Var{Name: name, Path: path, Type: f.Type.String()})
			continue
		}
		if nested, ok := structValue(v.Field(i)); ok {
			collectVars(nested, path, out)
		}
	}
}

// yamlKey returns the key yaml.v3 uses for field f, and whether the field is
// inlined into its parent.
func yamlKey(f reflect.StructField) (key string, inline bool) {
	tag := f.Tag.Get("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	for o := range strings.SplitSeq(opts, ",") {
		if o == "inline" {
			return "", true
		}
	}
	if name == "" {
		return strings.ToLower(f.Name), false
	}
	return name, false
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// Unknown returns the variables of environ that start with prefix (e.g.
// "SENSOR_") but that no field of dst reads, sorted as found: most likely
// typos, worth a warning.
func Unknown(dst any, environ []string, prefix string) []string {
	vars, err := Vars(dst)
	if err != nil {
		return nil
	}
	known := make(map[string]bool, len(vars))
	for _, v := range vars {
		known[v.Name] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, prefix) && !known[k] && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
