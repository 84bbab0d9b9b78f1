// Package dbtest gives tests real databases: a fresh SQLite file always, and a fresh PostgreSQL schema when
// NONGFU_TEST_POSTGRES holds a DSN. Under CI (CI=true) a missing PostgreSQL DSN fails the test instead of
// skipping it, so nothing is silently left out.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nongfu/internal/platform/db"
)

// EnvPostgres names the variable that holds the PostgreSQL test DSN.
const EnvPostgres = "NONGFU_TEST_POSTGRES"

// SQLite opens a fresh SQLite database in the test's temp dir.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Postgres opens a fresh schema in the PostgreSQL test database, or skips (fails under CI) without a DSN.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set under CI: the PostgreSQL tests must run", EnvPostgres)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a DSN to run them", EnvPostgres)
	}
	schema := fmt.Sprintf("t_%d", rand.Uint64()>>1)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	d, err := db.Open(context.Background(), dsn+sep+"search_path="+schema)
	if err != nil {
		t.Fatalf("open postgres schema: %v", err)
	}
	t.Cleanup(func() {
		d.Close()
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	return d
}

// Each runs fn as a subtest on every available engine: SQLite always, PostgreSQL when configured.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
