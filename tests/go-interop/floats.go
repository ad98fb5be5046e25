package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// jsonFloats reads lines `64 <bits in hex>` or `32 <bits in hex>` from the file args[0] and
// writes, one line each, what json.Marshal writes for that float64 or float32 (`error` when
// it refuses).
func jsonFloats(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("json-floats takes one file")
	}
	file, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer file.Close()
	in := bufio.NewScanner(file)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		size, hex, ok := strings.Cut(in.Text(), " ")
		if !ok {
			return fmt.Errorf("bad line %q", in.Text())
		}
		bits, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			return err
		}
		var b []byte
		if size == "32" {
			b, err = json.Marshal(math.Float32frombits(uint32(bits)))
		} else {
			b, err = json.Marshal(math.Float64frombits(bits))
		}
		if err != nil {
			b = []byte("error")
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return in.Err()
}
