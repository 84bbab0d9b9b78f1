package db

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations is one room's schema history: files "sqlite/NNNN_name.sql" and "postgres/NNNN_name.sql" in FS.
// Each room owns its migrations, so a new room slots in without touching the others.
type Migrations struct {
	Room string
	FS   fs.FS
}

// Migrate applies every room's pending migrations in order, each in its own transaction, recording them in
// schema_migrations. Rooms are applied in the order given (a room may reference tables of earlier rooms).
func (d *DB) Migrate(ctx context.Context, rooms ...Migrations) error {
	if _, err := d.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		room TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,
		PRIMARY KEY (room, version))`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range rooms {
		dir := string(d.engine)
		entries, err := fs.ReadDir(m.FS, dir)
		if err != nil {
			return fmt.Errorf("migrations of %s: %w", m.Room, err)
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
				continue
			}
			num, _, ok := strings.Cut(e.Name(), "_")
			v, err := strconv.Atoi(num)
			if !ok || err != nil {
				return fmt.Errorf("migration %s/%s: name must start with a number and '_'", m.Room, e.Name())
			}
			var n int
			if err := d.w.QueryRowContext(ctx, d.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE room = ? AND version = ?`), m.Room, v).Scan(&n); err != nil {
				return fmt.Errorf("read schema_migrations: %w", err)
			}
			if n > 0 {
				continue
			}
			body, err := fs.ReadFile(m.FS, path.Join(dir, e.Name()))
			if err != nil {
				return fmt.Errorf("read migration %s: %w", e.Name(), err)
			}
			err = d.InTx(ctx, func(tx *Tx) error {
				for _, stmt := range splitSQL(string(body)) {
					if _, err := tx.tx.ExecContext(ctx, stmt); err != nil {
						return fmt.Errorf("%s: %w\n%s", e.Name(), err, stmt)
					}
				}
				_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (room, version, name, applied_at) VALUES (?, ?, ?, ?)`,
					m.Room, v, e.Name(), time.Now().UTC().Format(time.RFC3339))
				return err
			})
			if err != nil {
				return fmt.Errorf("migrate %s: %w", m.Room, err)
			}
		}
	}
	return nil
}

// splitSQL splits a migration on ';' at line ends; migrations keep one statement per ';'-terminated block.
func splitSQL(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			if st := strings.TrimSpace(cur.String()); st != ";" {
				out = append(out, st)
			}
			cur.Reset()
		}
	}
	if st := strings.TrimSpace(cur.String()); st != "" {
		out = append(out, st)
	}
	return out
}

// RoomMigrations makes a room's migration set from its embedded files, which live under dir ("migrations") as
// sqlite/NNNN_name.sql and postgres/NNNN_name.sql.
func RoomMigrations(room string, files fs.FS, dir string) Migrations {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		panic(fmt.Sprintf("migrations of %s: %v", room, err)) // a build-time mistake: the embed pattern is wrong
	}
	return Migrations{Room: room, FS: sub}
}
