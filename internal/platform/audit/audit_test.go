package audit_test

import (
	"context"
	"errors"
	"testing"

	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/migrations"
)

func TestChainDetectsTamperingAndDeletion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Migrate(ctx, migrations.Platform); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 5; i++ {
			err := d.InTx(ctx, func(tx *db.Tx) error {
				return audit.Write(ctx, tx, audit.Entry{Actor: audit.Actor{ID: 7, Name: "测试员"}, Action: "update",
					Entity: "subject", EntityID: int64(i), Before: map[string]any{"name": "旧"}, After: map[string]any{"name": "新"}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if n, err := audit.Verify(ctx, d); err != nil || n != 5 {
			t.Fatalf("intact chain: n=%d err=%v", n, err)
		}
		recs, total, err := audit.List(ctx, d, audit.Filter{Entity: "subject", EntityID: 3})
		if err != nil || total != 1 || len(recs) != 1 || recs[0].ActorName != "测试员" {
			t.Fatalf("list: %v %d %v", recs, total, err)
		}
		// tamper with record 3
		if _, err := d.ExecContext(ctx, `UPDATE audit_log SET after_json = '{"name":"改"}' WHERE seq = 3`); err != nil {
			t.Fatal(err)
		}
		_, err = audit.Verify(ctx, d)
		var p *audit.Problem
		if !errors.As(err, &p) || p.Seq != 3 {
			t.Fatalf("tampering not found at 3: %v", err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE audit_log SET after_json = '{"name":"新"}' WHERE seq = 3`); err != nil {
			t.Fatal(err)
		}
		if _, err := audit.Verify(ctx, d); err != nil {
			t.Fatalf("restored chain: %v", err)
		}
		// delete record 2
		if _, err := d.ExecContext(ctx, `DELETE FROM audit_log WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		if _, err = audit.Verify(ctx, d); !errors.As(err, &p) || p.Seq != 2 {
			t.Fatalf("deletion not found at 2: %v", err)
		}
	})
}

func TestChainDetectsTailDeletion(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	if err := d.Migrate(ctx, migrations.Platform); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		d.InTx(ctx, func(tx *db.Tx) error {
			return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "create", Entity: "x", EntityID: int64(i)})
		})
	}
	d.ExecContext(ctx, `DELETE FROM audit_log WHERE seq = 3`)
	if _, err := audit.Verify(ctx, d); err == nil {
		t.Fatal("tail deletion not detected")
	}
}
