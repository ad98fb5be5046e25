// Command go-interop is the Go side of txova-db's interop tests: it does, with the real Go
// libraries a Go service uses (golang-migrate with its postgres and pgx/v5 drivers, go-redis
// and encoding/json, google/uuid), what the Rust tests then check from the other side. The
// Rust tests in tests/go_interop.rs build and run it; it is not meant to be run by hand.
//
// Exit status: 0 on success, 1 on an error, 2 on a usage error, 3 when golang-migrate reports
// a dirty database (stdout says "dirty <version>"), 4 when it gives up waiting for the lock.
package main

import (
	"errors"
	"fmt"
	"os"
)

const (
	exitError       = 1
	exitUsage       = 2
	exitDirty       = 3
	exitLockTimeout = 4
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "migrate":
		err = migrateCommand(os.Args[2:])
	case "hold-lock":
		err = holdLock(os.Args[2:])
	case "hold-lock-instance":
		err = holdLockInstance(os.Args[2:])
	case "keys":
		err = keys(os.Args[2:])
	case "cache-write":
		err = cacheWrite(os.Args[2:])
	case "cache-read":
		err = cacheRead(os.Args[2:])
	case "json-floats":
		err = jsonFloats(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		var exit exitCode
		if errors.As(err, &exit) {
			os.Exit(int(exit))
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(exitError)
	}
}

// exitCode ends the program with that status, its output already written.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  go-interop migrate <database-url> <migrations-dir> up|version|steps N|goto V|force V
  go-interop hold-lock <database-url>      (holds golang-migrate's lock until stdin closes)
  go-interop hold-lock-instance postgres|pgx5 <postgres-url>  (the same, opened WithInstance)
  go-interop keys <uuid> <int64> <uint32> <word>
  go-interop cache-write <redis-url> <prefix>
  go-interop cache-read <redis-url> <prefix>
  go-interop json-floats <file>     (json.Marshal of each "64|32 <hex bits>" line)`)
	os.Exit(exitUsage)
}
