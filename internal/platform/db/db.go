// Package db opens the embedded SQLite file or a PostgreSQL database behind one small API, applies each room's
// embedded migrations, and rewrites '?' placeholders for PostgreSQL so that rooms write their SQL once.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"nongfu/internal/platform/id"
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Querier is what store code needs: a DB (autocommit) or a Tx.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	Engine() Engine
}

// DB is a connection to one database: a single writer and a pool of readers on SQLite (WAL lets readers run
// beside the writer), one pool on PostgreSQL.
type DB struct {
	engine Engine
	w, r   *sql.DB
	dsn    string
	path   string // SQLite file path
	IDs    *id.Generator
}

// Open connects to dsn: "sqlite:FILE", a bare file path, or "postgres://…".
func Open(ctx context.Context, dsn string) (*DB, error) {
	d := &DB{dsn: dsn, IDs: id.New(0)}
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		d.engine = Postgres
		pool, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(16)
		pool.SetMaxIdleConns(16)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		d.w, d.r = pool, pool
	default:
		d.engine = SQLite
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "sqlite:")
		if path == "" {
			return nil, errors.New("open sqlite: empty file name")
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open sqlite: %w", err)
			}
		}
		d.path = path
		// busy_timeout must come first so that the WAL switch itself waits for other connections.
		base := "file:" + url.PathEscape(path) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)"
		// a larger auto-checkpoint keeps bulk imports from checkpointing every few batches
		w, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=wal_autocheckpoint(8000)")
		if err != nil {
			return nil, fmt.Errorf("open sqlite writer: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxIdleTime(0)
		r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
		if err != nil {
			return nil, fmt.Errorf("open sqlite readers: %w", err)
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		d.w, d.r = w, r
	}
	if err := d.w.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect %s: %w", d.engine, err)
	}
	return d, nil
}

// Engine reports which engine this is.
func (d *DB) Engine() Engine { return d.engine }

// Path is the SQLite file ("" on PostgreSQL).
func (d *DB) Path() string { return d.path }

// DSN is the connection string the DB was opened with.
func (d *DB) DSN() string { return d.dsn }

// Close closes both pools.
func (d *DB) Close() error {
	var errs []error
	if d.w != nil {
		errs = append(errs, d.w.Close())
	}
	if d.r != nil && d.r != d.w {
		errs = append(errs, d.r.Close())
	}
	return errors.Join(errs...)
}

// Ping checks the connection (used by /healthz).
func (d *DB) Ping(ctx context.Context) error { return d.r.PingContext(ctx) }

// Raw returns the writer pool for code that needs database/sql directly (migrations, bulk benchmarks).
func (d *DB) Raw() *sql.DB { return d.w }

// ExecContext runs a write outside a transaction.
func (d *DB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.w.ExecContext(ctx, d.Rebind(q), args...)
}

// QueryContext reads on the reader pool.
func (d *DB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.r.QueryContext(ctx, d.Rebind(q), args...)
}

// QueryRowContext reads one row on the reader pool.
func (d *DB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return d.r.QueryRowContext(ctx, d.Rebind(q), args...)
}

// Rebind turns '?' placeholders into $1, $2 … for PostgreSQL. Question marks inside quoted strings are kept.
func (d *DB) Rebind(q string) string { return rebind(d.engine, q) }

func rebind(e Engine, q string) string {
	if e != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inStr := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Tx is a write transaction. Statements are prepared once per transaction and reused, which is what makes
// batched imports fast on SQLite (no re-parsing per row).
type Tx struct {
	tx       *sql.Tx
	engine   Engine
	db       *DB
	stmts    map[string]*sql.Stmt
	onCommit []func() error
	values   map[any]any
}

func (t *Tx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(ctx, rebind(t.engine, q))
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st, nil
}

// BeforeCommit registers fn to run just before the transaction commits (still inside it); an error rolls back.
func (t *Tx) BeforeCommit(fn func() error) { t.onCommit = append(t.onCommit, fn) }

// Value and SetValue keep per-transaction state for packages that batch work until commit (the audit head).
func (t *Tx) Value(key any) any { return t.values[key] }

// SetValue stores per-transaction state.
func (t *Tx) SetValue(key, v any) {
	if t.values == nil {
		t.values = map[any]any{}
	}
	t.values[key] = v
}

// Engine reports the engine.
func (t *Tx) Engine() Engine { return t.engine }

// ExecContext runs a statement in the transaction.
func (t *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext queries in the transaction.
func (t *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext queries one row in the transaction.
func (t *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, q)
	if err != nil {
		// let the error surface at Scan, as database/sql does
		return t.tx.QueryRowContext(ctx, rebind(t.engine, q), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Prepare prepares a statement for repeated use in the transaction (bulk imports).
func (t *Tx) Prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, rebind(t.engine, q))
}

// NextID hands out a fresh record id.
func (t *Tx) NextID() int64 { return t.db.IDs.Next() }

// InTx runs fn in a write transaction (BEGIN IMMEDIATE on SQLite) and commits when fn returns nil.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, engine: d.engine, db: d}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	for _, f := range tx.onCommit {
		if err = f(); err != nil {
			return err
		}
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation on either engine.
func IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// Like escapes s for a LIKE pattern with '\' as the escape character and wraps it in %…%.
func Like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// InsertRows inserts rows into table with multi-row INSERT statements of at most chunk rows each — far fewer
// statements than one per row, which matters for bulk imports on both engines.
func (t *Tx) InsertRows(ctx context.Context, table string, cols []string, rows [][]any, chunk int) error {
	if chunk <= 0 {
		chunk = 50
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, len(part)*len(cols))
		for i, r := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		if _, err := t.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// PrefixRange turns a code prefix into the half-open range [lo, hi) that an index can use on both engines: every
// code starting with pre sorts inside it ("" = everything).
func PrefixRange(pre string) (lo, hi string) {
	if pre == "" {
		return "", "~"
	}
	b := []byte(pre)
	b[len(b)-1]++
	return pre, string(b)
}

// InList makes the placeholders and arguments of an IN (…) list.
func InList[T any](ids []T) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return Placeholders(len(ids)), args
}

// Placeholders is "?, ?, …" for n values.
func Placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
