package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/redis/go-redis/v9"
)

// Inner is a nested struct.
type Inner struct {
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

// Plain has the fields whose JSON needs nothing beyond serde's defaults on the Rust side:
// strings Go escapes, float64 edge values, map[string]any, nested structs, nil pointers and
// omitempty.
type Plain struct {
	ID       int64          `json:"id"`
	Title    string         `json:"title"`
	Zero     float64        `json:"zero"`
	NegZero  float64        `json:"neg_zero"`
	Big      float64        `json:"big"`
	Small    float64        `json:"small"`
	Max      float64        `json:"max"`
	Third    float64        `json:"third"`
	Whole    float64        `json:"whole"`
	Extra    map[string]any `json:"extra"`
	Inner    Inner          `json:"inner"`
	InnerPtr *Inner         `json:"inner_ptr"`
	NilPtr   *Inner         `json:"nil_ptr"`
	Note     string         `json:"note,omitempty"`
	Count    int            `json:"count,omitempty"`
	Tags     []string       `json:"tags,omitempty"`
	Maybe    *Inner         `json:"maybe,omitempty"`
}

// Full adds the Go types whose JSON form differs from serde's defaults: time.Time, []byte,
// time.Duration and map[int]string (keys written as strings, sorted as strings).
type Full struct {
	At      time.Time      `json:"at"`
	AtNano  time.Time      `json:"at_nano"`
	AtWhole time.Time      `json:"at_whole"`
	Data    []byte         `json:"data"`
	NilData []byte         `json:"nil_data"`
	Timeout time.Duration  `json:"timeout"`
	Labels  map[int]string `json:"labels"`
	Plain   Plain          `json:"plain"`
}

func plainValue() Plain {
	return Plain{
		ID:      -9007199254740993,
		Title:   "Ana <a&b> \u2028 \u2029 é \"quoted\"\n\ttab",
		Zero:    0,
		NegZero: math.Copysign(0, -1),
		Big:     1e21,
		Small:   1e-7,
		Max:     math.MaxFloat64,
		Third:   1.0 / 3,
		Whole:   5,
		Extra: map[string]any{
			"s":    "x<y",
			"f":    1.5,
			"i":    42.0,
			"b":    true,
			"null": nil,
			"list": []any{1.0, "two", nil},
			"obj":  map[string]any{"k": "v"},
		},
		Inner:    Inner{Name: "in", Score: 0.1},
		InnerPtr: &Inner{Name: "ptr", Score: -2.5},
		NilPtr:   nil,
		Note:     "note",
		Count:    3,
		Tags:     []string{"a", "b"},
		Maybe:    &Inner{Name: "maybe", Score: 1e-7},
	}
}

// plainEmpty has every omitempty field empty, so Go leaves them out.
func plainEmpty() Plain {
	return Plain{Extra: map[string]any{}}
}

func fullValue() Full {
	return Full{
		At:      time.Date(2024, 5, 1, 10, 20, 30, 123400000, time.UTC),
		AtNano:  time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		AtWhole: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		Data:    []byte{0, 1, 2, 250, 255},
		NilData: nil,
		Timeout: 1500 * time.Millisecond,
		Labels:  map[int]string{2: "two", 10: "ten", -1: "minus one", 100: "hundred"},
		Plain:   plainValue(),
	}
}

// values are the entries both sides write, by name.
func values() map[string]any {
	return map[string]any{
		"plain":       plainValue(),
		"plain_empty": plainEmpty(),
		"full":        fullValue(),
	}
}

// fresh returns a pointer to a new zero value of the named entry's type.
func fresh(name string) any {
	switch values()[name].(type) {
	case Plain:
		return &Plain{}
	case Full:
		return &Full{}
	}
	return nil
}

func client(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opts), nil
}

// cacheWrite stores every value, as json.Marshal writes it, under
// "<prefix>interop:go:<name>" with go-redis.
func cacheWrite(args []string) error {
	if len(args) != 2 {
		usage()
	}
	rdb, err := client(args[0])
	if err != nil {
		return err
	}
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, value := range values() {
		data, err := json.Marshal(value)
		if err != nil {
			return err
		}
		if err := rdb.Set(ctx, args[1]+"interop:go:"+name, data, time.Minute).Err(); err != nil {
			return err
		}
	}
	return nil
}

// cacheRead reads each named entry txova-db wrote under "<prefix>interop:rust:<name>",
// decodes it with json.Unmarshal into the same Go type, and prints one line per entry:
// "<name> equal=<bool> bytes=<bool>", where equal says the decoded value is the expected
// one (floats' signs included) and bytes that the stored bytes are json.Marshal's.
func cacheRead(args []string) error {
	if len(args) < 3 {
		usage()
	}
	rdb, err := client(args[0])
	if err != nil {
		return err
	}
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range args[2:] {
		want, ok := values()[name]
		if !ok {
			return fmt.Errorf("no value named %q", name)
		}
		raw, err := rdb.Get(ctx, args[1]+"interop:rust:"+name).Bytes()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		got := fresh(name)
		if err := json.Unmarshal(raw, got); err != nil {
			fmt.Printf("%s error %v\n", name, err)
			continue
		}
		expected, err := json.Marshal(want)
		if err != nil {
			return err
		}
		equal := same(reflect.ValueOf(got).Elem().Interface(), want)
		fmt.Printf("%s equal=%t bytes=%t\n", name, equal, bytes.Equal(raw, expected))
		if !equal {
			fmt.Printf("%s got  %#v\n%s want %#v\n", name, got, name, want)
		}
		if !bytes.Equal(raw, expected) {
			fmt.Printf("%s got  %s\n%s want %s\n", name, raw, name, expected)
		}
	}
	return nil
}

// same compares decoded values: reflect.DeepEqual, plus the sign of -0 (which == ignores)
// and times by instant.
func same(a, b any) bool {
	switch a := a.(type) {
	case Plain:
		b := b.(Plain)
		return math.Signbit(a.NegZero) == math.Signbit(b.NegZero) && reflect.DeepEqual(a, b)
	case Full:
		b := b.(Full)
		if !a.At.Equal(b.At) || !a.AtNano.Equal(b.AtNano) || !a.AtWhole.Equal(b.AtWhole) {
			return false
		}
		if !same(a.Plain, b.Plain) {
			return false
		}
		a.At, a.AtNano, a.AtWhole = b.At, b.AtNano, b.AtWhole
		return reflect.DeepEqual(a, b)
	}
	return false
}
