package main

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	pgx "github.com/golang-migrate/migrate/v4/database/pgx/v5" // pgx5://
	"github.com/golang-migrate/migrate/v4/database/postgres"   // postgres://
	_ "github.com/golang-migrate/migrate/v4/source/file"
)

// migrateCommand runs one golang-migrate command, as a Go service or golang-migrate's CLI
// would, then prints the version it reads afterwards: "version <n> dirty=<bool>" or
// "version none". GO_INTEROP_LOCK_TIMEOUT_MS shortens the wait for the lock.
func migrateCommand(args []string) error {
	if len(args) < 3 {
		usage()
	}
	m, err := migrate.New("file://"+args[1], args[0])
	if err != nil {
		return err
	}
	defer m.Close()
	if ms := os.Getenv("GO_INTEROP_LOCK_TIMEOUT_MS"); ms != "" {
		n, err := strconv.Atoi(ms)
		if err != nil {
			return fmt.Errorf("GO_INTEROP_LOCK_TIMEOUT_MS: %w", err)
		}
		m.LockTimeout = time.Duration(n) * time.Millisecond
	}
	number := func() int {
		if len(args) < 4 {
			usage()
		}
		n, err := strconv.Atoi(args[3])
		if err != nil {
			usage()
		}
		return n
	}
	switch args[2] {
	case "up":
		err = m.Up()
	case "steps":
		err = m.Steps(number())
	case "goto":
		err = m.Migrate(uint(number()))
	case "force":
		err = m.Force(number())
	case "version":
	default:
		usage()
	}
	if errors.Is(err, migrate.ErrNoChange) {
		err = nil
	}
	var dirty migrate.ErrDirty
	if errors.As(err, &dirty) {
		fmt.Printf("dirty %d\n", dirty.Version)
		return exitCode(exitDirty)
	}
	if errors.Is(err, migrate.ErrLockTimeout) {
		fmt.Fprintln(os.Stderr, "error:", err)
		return exitCode(exitLockTimeout)
	}
	if err != nil {
		return err
	}
	version, isDirty, err := m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		fmt.Println("version none")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Printf("version %d dirty=%t\n", version, isDirty)
	return nil
}

// holdLock takes golang-migrate's advisory lock through the driver the URL names, says
// "locked", and keeps it until its standard input closes.
func holdLock(args []string) error {
	if len(args) != 1 {
		usage()
	}
	driver, err := database.Open(args[0])
	if err != nil {
		return err
	}
	defer driver.Close()
	if err := driver.Lock(); err != nil {
		return err
	}
	fmt.Println("locked")
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		return err
	}
	return driver.Unlock()
}

// holdLockInstance takes golang-migrate's advisory lock through a driver made with
// WithInstance over a database/sql handle, as a Go service that opens its own *sql.DB does:
// driver "postgres" (lib/pq) or "pgx5" (pgx/v5 stdlib); the URL is a plain postgres:// one.
// It says "locked" and keeps the lock until its standard input closes.
func holdLockInstance(args []string) error {
	if len(args) != 2 {
		usage()
	}
	var driver database.Driver
	switch args[0] {
	case "postgres":
		db, err := sql.Open("postgres", args[1])
		if err != nil {
			return err
		}
		defer db.Close()
		if driver, err = postgres.WithInstance(db, &postgres.Config{}); err != nil {
			return err
		}
	case "pgx5":
		db, err := sql.Open("pgx/v5", args[1])
		if err != nil {
			return err
		}
		defer db.Close()
		if driver, err = pgx.WithInstance(db, &pgx.Config{}); err != nil {
			return err
		}
	default:
		usage()
	}
	defer driver.Close()
	if err := driver.Lock(); err != nil {
		return err
	}
	fmt.Println("locked")
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		return err
	}
	return driver.Unlock()
}
