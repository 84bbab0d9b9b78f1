package indicator_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
)

// TestReportedValues: reports wait for approval, the filer cannot approve, and approved values roll up — a
// region's own latest report covers its descendants, otherwise the highest reports below it add up; an indicator
// without a registered source takes them (Reported), one with a registered stand-in is computed.
func TestReportedValues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := setup(t, d, indicator.NewRegistry(fakeSource("count", false, nil)))
		dep := &auth.Principal{UserID: 7, Username: "dep", Role: auth.Department, Scopes: []string{"500237000000"}}
		tf := &auth.Principal{UserID: 8, Username: "tf", Role: auth.Taskforce, Scopes: []string{"500237000000"}}
		if _, err := s.CreateIndicator(ctx, admin, indicator.Indicator{Key: "trained", Name: "培训", Unit: "人", Source: "count"}); err != nil {
			t.Fatal(err)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			_, err := s.SeedTx(ctx, tx, []indicator.Indicator{{Key: "later", Name: "待建模块", Unit: "人", Source: "room.not_built"},
				{Key: "stand", Name: "代用", Unit: "个", Source: "room.not_built", Fallback: "count"}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		file := func(region, asOf string, v string) int64 {
			t.Helper()
			r, err := s.SubmitReport(ctx, dep, indicator.ReportInput{IndicatorKey: "later", RegionCode: region, AsOf: asOf, Value: v, UnitName: "县农业农村委",
				EvidenceName: "表.pdf", Evidence: []byte("%PDF")})
			if err != nil {
				t.Fatalf("file %s %s: %v", region, asOf, err)
			}
			return r.ID
		}
		// nothing is written on bad input, with Chinese field messages
		_, err := s.SubmitReport(ctx, dep, indicator.ReportInput{IndicatorKey: "later", RegionCode: "500237100000", AsOf: "2024-13-01", Value: "-1"})
		if f := apperr.FieldsOf(err); f["as_of"] == "" || f["value"] == "" || f["evidence"] == "" || f["unit_name"] == "" {
			t.Fatalf("bad report: %v %v", err, f)
		}
		if _, err := s.SubmitReport(ctx, dep, indicator.ReportInput{IndicatorKey: "later", RegionCode: "500238100000", AsOf: "2024-01-01", Value: "1", UnitName: "x",
			EvidenceName: "a", Evidence: []byte("a")}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("out of scope: %v", err)
		}
		a1 := file("500237100000", "2024-06-30", "10")
		a2 := file("500237100000", "2024-12-31", "15") // later: wins for the township
		b1 := file("500237101000", "2024-12-31", "7")
		c1 := file("500237101001", "2024-12-31", "99") // covered by its township's report
		pending := file("500237102000", "2024-12-31", "1000")
		if _, err := s.ReviewReport(ctx, dep, a1, indicator.ReportReview{Approve: true}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("department approving: %v", err)
		}
		self := &auth.Principal{UserID: 7, Username: "dep", Role: auth.Taskforce, Scopes: dep.Scopes}
		if _, err := s.ReviewReport(ctx, self, a1, indicator.ReportReview{Approve: true}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("approving one's own report: %v", err)
		}
		if _, err := s.ReviewReport(ctx, tf, pending, indicator.ReportReview{Approve: false}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("reject without a note: %v", err)
		}
		for _, id := range []int64{a1, a2, b1, c1} {
			if _, err := s.ReviewReport(ctx, tf, id, indicator.ReportReview{Approve: true}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.ReviewReport(ctx, tf, a1, indicator.ReportReview{Approve: true}); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("reviewing twice: %v", err)
		}
		regions := []string{"500237000000", "500237100000", "500237101000", "500237101001", "500237102000"}
		cells, err := s.EvaluateMany(ctx, []string{"later", "stand"}, regions, indicator.Period{})
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{15 + 7, 15, 7, 99, 0} // the pending 1000 does not count
		for j, w := range want {
			if c := cells[0][j]; !c.Reported || c.Computed || c.Value != w {
				t.Errorf("%s: %+v, want reported %v", regions[j], c, w)
			}
		}
		if c := cells[1][0]; !c.Computed || c.Value != 3 {
			t.Errorf("stand-in source: %+v, want computed 3", c)
		}
		// as of mid-2024 only the first township report existed
		cells, _ = s.EvaluateMany(ctx, []string{"later"}, regions[:2], indicator.Period{To: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)})
		if cells[0][0].Value != 10 || cells[0][0].AsOf != "2024-06-30" {
			t.Errorf("as of 2024-07-01: %+v", cells[0][0])
		}
		// the reported values are a source too
		v, err := s.Sources.Compute(ctx, indicator.Indicator{Key: "r", Source: indicator.ReportedSourceKey, Filter: map[string]string{"indicator": "later"}}, []string{"500237"}, indicator.Period{})
		if err != nil || v[0] != 22 {
			t.Errorf("reported source: %v %v", v, err)
		}
		// editing: a changed source must be registered; the unchanged unregistered one may stay
		if _, err := s.UpdateIndicator(ctx, admin, "later", indicator.Indicator{Name: "待建模块（改名）", Unit: "人", Source: "room.not_built"}); err != nil {
			t.Errorf("rename: %v", err)
		}
		if _, err := s.UpdateIndicator(ctx, admin, "later", indicator.Indicator{Name: "x", Unit: "人", Source: "room.other"}); apperr.FieldsOf(err)["source"] == "" {
			t.Errorf("unregistered new source: %v", err)
		}
		if _, err := s.UpdateIndicator(ctx, dep, "later", indicator.Indicator{Name: "x", Unit: "人", Source: "count"}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("department editing: %v", err)
		}
	})
}

// TestCacheInvalidation: cached cells are served until an audited write moves the audit head.
func TestCacheInvalidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var calls, other atomic.Int64
		s := setup(t, d, indicator.NewRegistry(fakeSource("count", false, &calls), indicator.WithDepends(fakeSource("declared", false, &other), "thing")))
		s.UseCache(indicator.AuditStamp(d), time.Hour)
		if _, err := s.CreateIndicator(ctx, admin, indicator.Indicator{Key: "nn", Name: "数", Unit: "个", Source: "count"}); err != nil {
			t.Fatal(err)
		}
		regions := []string{"500237100000", "500237101000"}
		if _, err := s.CreateIndicator(ctx, admin, indicator.Indicator{Key: "dd", Name: "声明依赖", Unit: "个", Source: "declared"}); err != nil {
			t.Fatal(err)
		}
		eval := func() {
			if _, err := s.EvaluateMany(ctx, []string{"nn", "dd"}, regions, indicator.Period{}); err != nil {
				t.Fatal(err)
			}
		}
		write := func(entity string) {
			if err := d.InTx(ctx, func(tx *db.Tx) error {
				return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "update", Entity: entity, Summary: "写入"})
			}); err != nil {
				t.Fatal(err)
			}
		}
		eval()
		first := calls.Load()
		eval()
		if calls.Load() != first {
			t.Errorf("second evaluation asked the source again: %d → %d", first, calls.Load())
		}
		declared := other.Load()
		write("something")
		eval()
		if calls.Load() != 2*first {
			t.Errorf("after a write the cells were not recomputed: %d calls, want %d", calls.Load(), 2*first)
		}
		if other.Load() != declared {
			t.Errorf("a write to an entity the source does not read dropped its cells: %d → %d", declared, other.Load())
		}
		write("thing")
		eval()
		if other.Load() != 2*declared || calls.Load() != 3*first {
			t.Errorf("a write to the declared entity: declared %d (want %d), undeclared %d (want %d)", other.Load(), 2*declared, calls.Load(), 3*first)
		}
		if h, m := s.CacheStats(); h == 0 || m == 0 {
			t.Errorf("stats %d %d", h, m)
		}
	})
}
