// Package audit keeps the append-only, hash-chained trail of every write. Each record's hash covers its content
// and the previous record's hash, so editing or deleting any record breaks the chain from there on; Verify finds
// the first break. Records are written in the same transaction as the change they describe.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/platform/db"
)

// Actor is who did it.
type Actor struct {
	ID   int64
	Name string
}

// System is the actor for work done by the platform itself (migrations, demo loading, CLI without a user).
var System = Actor{ID: 0, Name: "系统"}

// Entry describes one write.
type Entry struct {
	Actor    Actor
	Action   string // create, update, deactivate, approve, reveal, login …
	Entity   string // table-like name: subject, federation, membership, user …
	EntityID int64
	Summary  string // short Chinese description for people browsing the trail
	Before   any    // nil for creations
	After    any    // nil for deletions
}

// Record is a stored entry.
type Record struct {
	Seq       int64
	At        time.Time
	ActorID   int64
	ActorName string
	Action    string
	Entity    string
	EntityID  int64
	Summary   string
	Before    string
	After     string
	PrevHash  string
	Hash      string
}

type headKey struct{}

// head is the chain's end as seen inside one transaction.
type head struct {
	seq  int64
	hash string
}

// Write appends e to the trail inside tx. The first write of a transaction locks the audit_head row (UPDATE first)
// so that concurrent writers on PostgreSQL queue up instead of forking the chain (SQLite has one writer anyway);
// later writes of the same transaction continue from memory, and the head is stored once, just before commit.
func Write(ctx context.Context, tx *db.Tx, e Entry) error { return WriteMany(ctx, tx, []Entry{e}) }

// WriteMany appends several entries in order with multi-row inserts (imports).
func WriteMany(ctx context.Context, tx *db.Tx, entries []Entry) error {
	h, _ := tx.Value(headKey{}).(*head)
	if h == nil {
		if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1`); err != nil {
			return fmt.Errorf("audit lock head: %w", err)
		}
		h = &head{}
		if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.seq, &h.hash); err != nil {
			return fmt.Errorf("audit read head: %w", err)
		}
		tx.SetValue(headKey{}, h)
		tx.BeforeCommit(func() error {
			if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, h.seq, h.hash); err != nil {
				return fmt.Errorf("audit update head: %w", err)
			}
			return nil
		})
	}
	rows := make([][]any, 0, len(entries))
	now := time.Now().UTC().Truncate(time.Microsecond)
	seq, prev := h.seq, h.hash
	for _, e := range entries {
		before, err := marshal(e.Before)
		if err != nil {
			return err
		}
		after, err := marshal(e.After)
		if err != nil {
			return err
		}
		seq++
		r := Record{Seq: seq, At: now, ActorID: e.Actor.ID, ActorName: e.Actor.Name,
			Action: e.Action, Entity: e.Entity, EntityID: e.EntityID, Summary: e.Summary, Before: before, After: after, PrevHash: prev}
		r.Hash = r.computeHash()
		prev = r.Hash
		rows = append(rows, []any{r.Seq, r.At, r.ActorID, r.ActorName, r.Action, r.Entity, r.EntityID, r.Summary, r.Before, r.After, r.PrevHash, r.Hash})
	}
	if err := tx.InsertRows(ctx, "audit_log", []string{"seq", "at", "actor_id", "actor_name", "action", "entity", "entity_id", "summary", "before_json", "after_json", "prev_hash", "hash"}, rows, 40); err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	h.seq, h.hash = seq, prev
	return nil
}

func marshal(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case json.RawMessage: // already marshalled by the caller (imports prepare it on another core)
		return string(x), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("audit marshal: %w", err)
	}
	return string(b), nil
}

// computeHash hashes the record's content with its predecessor's hash. The time is hashed as Unix microseconds so
// that both engines' time round trips give the same hash.
func (r Record) computeHash() string {
	h := sha256.New()
	for _, f := range []string{r.PrevHash, strconv.FormatInt(r.Seq, 10), strconv.FormatInt(r.At.UnixMicro(), 10),
		strconv.FormatInt(r.ActorID, 10), r.ActorName, r.Action, r.Entity, strconv.FormatInt(r.EntityID, 10), r.Summary, r.Before, r.After} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

const cols = `seq, at, actor_id, actor_name, action, entity, entity_id, summary, before_json, after_json, prev_hash, hash`

func scan(rows *sql.Rows) (Record, error) {
	var r Record
	err := rows.Scan(&r.Seq, &r.At, &r.ActorID, &r.ActorName, &r.Action, &r.Entity, &r.EntityID, &r.Summary, &r.Before, &r.After, &r.PrevHash, &r.Hash)
	r.At = r.At.UTC()
	return r, err
}

// Problem describes the first break in the chain.
type Problem struct {
	Seq    int64
	Reason string
}

func (p *Problem) Error() string {
	return fmt.Sprintf("审计链在第 %d 条记录处断开：%s", p.Seq, p.Reason)
}

// Verify walks the whole chain; it returns the number of records checked and a *Problem at the first break.
func Verify(ctx context.Context, q db.Querier) (int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+cols+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("audit verify: %w", err)
	}
	defer rows.Close()
	var n, wantSeq int64 = 0, 1
	prev := ""
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return n, fmt.Errorf("audit verify scan: %w", err)
		}
		switch {
		case r.Seq != wantSeq:
			return n, &Problem{Seq: wantSeq, Reason: "记录缺失（被删除）"}
		case r.PrevHash != prev:
			return n, &Problem{Seq: r.Seq, Reason: "前序哈希不符（前一条记录被修改或删除）"}
		case r.computeHash() != r.Hash:
			return n, &Problem{Seq: r.Seq, Reason: "内容与哈希不符（记录被篡改）"}
		}
		prev = r.Hash
		wantSeq++
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("audit verify: %w", err)
	}
	var headSeq int64
	var headHash string
	if err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return n, fmt.Errorf("audit verify head: %w", err)
	}
	if headSeq != n || headHash != prev {
		return n, &Problem{Seq: headSeq, Reason: "链尾记录缺失（最后的记录被删除）"}
	}
	return n, nil
}

// Filter selects trail records for browsing.
type Filter struct {
	Entity   string
	EntityID int64
	ActorID  int64
	Action   string
	Page     int
	PerPage  int
}

// List returns records newest first and the total count.
func List(ctx context.Context, q db.Querier, f Filter) ([]Record, int, error) {
	var where []string
	var args []any
	if f.Entity != "" {
		where = append(where, "entity = ?")
		args = append(args, f.Entity)
	}
	if f.EntityID != 0 {
		where = append(where, "entity_id = ?")
		args = append(args, f.EntityID)
	}
	if f.ActorID != 0 {
		where = append(where, "actor_id = ?")
		args = append(args, f.ActorID)
	}
	if f.Action != "" {
		where = append(where, "action = ?")
		args = append(args, f.Action)
	}
	w := ""
	if len(where) > 0 {
		w = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit count: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	rows, err := q.QueryContext(ctx, `SELECT `+cols+` FROM audit_log`+w+` ORDER BY seq DESC LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit list: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("audit list scan: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}
