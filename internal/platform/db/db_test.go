package db

import "testing"

func TestRebind(t *testing.T) {
	cases := map[string]string{
		`SELECT * FROM t WHERE a = ? AND b = ?`:        `SELECT * FROM t WHERE a = $1 AND b = $2`,
		`SELECT '?' FROM t WHERE a = ?`:                `SELECT '?' FROM t WHERE a = $1`,
		`SELECT 1 WHERE s LIKE ? ESCAPE '\' AND x = ?`: `SELECT 1 WHERE s LIKE $1 ESCAPE '\' AND x = $2`,
		`INSERT INTO t (a) VALUES (?), (?), (?)`:       `INSERT INTO t (a) VALUES ($1), ($2), ($3)`,
	}
	for in, want := range cases {
		if got := rebind(Postgres, in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
		if got := rebind(SQLite, in); got != in {
			t.Errorf("sqlite rebind changed %q", in)
		}
	}
}

func TestLikeEscapes(t *testing.T) {
	if got := Like(`50%_a\b`); got != `%50\%\_a\\b%` {
		t.Fatalf("Like = %q", got)
	}
}
