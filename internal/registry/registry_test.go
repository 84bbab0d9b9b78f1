package registry_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/pii"
	"nongfu/internal/region"
	"nongfu/internal/registry"
	"nongfu/internal/testenv"
	"nongfu/internal/validate"
)

type fixture struct {
	d       *db.DB
	regions *region.Service
	reg     *registry.Service
	box     *pii.Box
	admin   *auth.Principal
}

func setup(t *testing.T, d *db.DB) fixture { return setupB(t, d) }

func setupB(t testing.TB, d *db.DB) fixture {
	t.Helper()
	e := testenv.New(t, d)
	return fixture{d: d, regions: e.Regions, reg: e.Reg, box: e.Box, admin: e.Admin}
}

// idNumber makes a valid ID number from a seed.
func idNumber(n int) string {
	base := fmt.Sprintf("500237%04d%02d%02d%03d", 1950+n%50, 1+n%12, 1+n%28, n%1000)
	c, _ := validate.IDNumberCheckChar(base)
	return base + string(c)
}

func creditCode(n int) string {
	base := fmt.Sprintf("93500237MA%07d", n)
	c, _ := validate.CreditCodeCheckChar(base)
	return base + string(c)
}

func ptr[T any](v T) *T { return &v }

func household(name, id, village string) registry.SubjectInput {
	return registry.SubjectInput{Kind: ptr("household"), Name: ptr(name), IDNumber: ptr(id), RegionCode: ptr(village),
		Phone: ptr("13800138000"), Industries: &[]string{"脆李"}, ScaleMu: ptr(6.5)}
}

func TestCreateValidatesAndRefusesDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		v := f.regions.Villages()[10].Code
		bad := idNumber(1)
		bad = bad[:17] + map[bool]string{true: "1", false: "0"}[bad[17] == '0']
		_, err := f.reg.Create(ctx, f.admin, household("向明德", bad, v))
		if apperr.CodeOf(err) != apperr.Invalid || apperr.FieldsOf(err)["id_number"] == "" {
			t.Fatalf("bad ID accepted or no field error: %v", err)
		}
		var n int
		d.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects`).Scan(&n)
		if n != 0 {
			t.Fatalf("invalid input wrote %d rows", n)
		}
		// full-width digits from office software are normalised
		fw := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r - '0' + '０'
			}
			return r
		}, idNumber(1))
		x, err := f.reg.Create(ctx, f.admin, household("向明德", " "+fw+" ", v))
		if err != nil {
			t.Fatal(err)
		}
		if x.IDNumber != pii.MaskID(idNumber(1)) || !strings.Contains(x.IDNumber, "*") {
			t.Fatalf("ID not masked on read: %q", x.IDNumber)
		}
		var enc string
		d.QueryRowContext(ctx, `SELECT id_enc FROM subjects WHERE id = ?`, x.ID).Scan(&enc)
		if strings.Contains(enc, idNumber(1)) || enc == "" {
			t.Fatalf("ID stored in clear: %q", enc)
		}
		_, err = f.reg.Create(ctx, f.admin, household("向明德二", idNumber(1), v))
		if apperr.CodeOf(err) != apperr.Conflict || !strings.Contains(apperr.MessageOf(err), "向明德") {
			t.Fatalf("duplicate ID: %v", err)
		}
		coop := registry.SubjectInput{Kind: ptr("农民专业合作社"), Name: ptr("巫山县测试脆李专业合作社"), CreditCode: ptr(creditCode(1)), RegionCode: ptr(v[:9] + "000")}
		if _, err := f.reg.Create(ctx, f.admin, coop); err != nil {
			t.Fatal(err)
		}
		coop.Name = ptr("另一个合作社")
		if _, err := f.reg.Create(ctx, f.admin, coop); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("duplicate credit code: %v", err)
		}
		coop.CreditCode = ptr(creditCode(2)[:17] + "0")
		if c, _ := validate.CreditCodeCheckChar(creditCode(2)[:17]); c == '0' {
			coop.CreditCode = ptr(creditCode(2)[:17] + "1")
		}
		if _, err := f.reg.Create(ctx, f.admin, coop); apperr.FieldsOf(err)["credit_code"] == "" {
			t.Fatalf("bad credit code: %v", err)
		}
	})
}

func TestScopeAndSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		towns := f.regions.Townships()
		a := f.regions.Children(towns[5].Code)[0].Code
		b := f.regions.Children(towns[9].Code)[0].Code
		xa, err := f.reg.Create(ctx, f.admin, household("冉福贵", idNumber(11), a))
		if err != nil {
			t.Fatal(err)
		}
		xb, err := f.reg.Create(ctx, f.admin, household("谭春兰", idNumber(12), b))
		if err != nil {
			t.Fatal(err)
		}
		op := &auth.Principal{UserID: 2, Role: auth.TownshipOperator, Scopes: []string{towns[5].Code}}
		items, total, err := f.reg.List(ctx, op, registry.Filter{})
		if err != nil || total != 1 || items[0].ID != xa.ID {
			t.Fatalf("township operator list: %d %v", total, err)
		}
		if _, err := f.reg.Get(ctx, op, xb.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("out-of-scope get: %v", err)
		}
		if _, err := f.reg.Update(ctx, op, xb.ID, registry.SubjectInput{Address: ptr("x")}); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("out-of-scope update: %v", err)
		}
		// moving a subject out of the operator's township is refused
		if _, err := f.reg.Update(ctx, op, xa.ID, registry.SubjectInput{RegionCode: ptr(b)}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("move out of scope: %v", err)
		}
		member := &auth.Principal{UserID: 3, Role: auth.Member, SubjectID: xa.ID}
		if items, total, _ := f.reg.List(ctx, member, registry.Filter{}); total != 1 || items[0].ID != xa.ID {
			t.Fatalf("member sees %d", total)
		}
		viewer := &auth.Principal{UserID: 4, Role: auth.Viewer, Scopes: []string{"500237000000"}}
		if _, err := f.reg.Create(ctx, viewer, household("某某", idNumber(13), a)); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("viewer create: %v", err)
		}
		if got, _ := f.reg.Get(ctx, viewer, xa.ID); got == nil || !strings.Contains(got.Phone, "*") {
			t.Fatalf("viewer sees phone in clear")
		}
		for q, want := range map[string]int64{"冉福贵": xa.ID, "福贵": xa.ID, "冉": xa.ID, "春兰": xb.ID, idNumber(12): xb.ID, idNumber(11)[14:]: xa.ID} {
			items, total, err := f.reg.List(ctx, f.admin, registry.Filter{Q: q})
			if err != nil || total != 1 || items[0].ID != want {
				t.Fatalf("search %q: total %d err %v", q, total, err)
			}
		}
		if _, total, _ := f.reg.List(ctx, f.admin, registry.Filter{Q: "福兰"}); total != 0 {
			t.Fatalf("search 福兰 matched %d", total)
		}
		if _, total, _ := f.reg.List(ctx, f.admin, registry.Filter{RegionCode: towns[9].Code}); total != 1 {
			t.Fatalf("region filter: %d", total)
		}
		// rename keeps search in step
		if _, err := f.reg.Update(ctx, f.admin, xa.ID, registry.SubjectInput{Name: ptr("冉德胜")}); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := f.reg.List(ctx, f.admin, registry.Filter{Q: "福贵"}); total != 0 {
			t.Fatalf("old name still found")
		}
		if _, total, _ := f.reg.List(ctx, f.admin, registry.Filter{Q: "德胜"}); total != 1 {
			t.Fatalf("new name not found")
		}
	})
}

func TestDeactivateRevealAndAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		v := f.regions.Villages()[3].Code
		x, err := f.reg.Create(ctx, f.admin, household("邓光辉", idNumber(21), v))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.reg.Deactivate(ctx, f.admin, x.ID, ""); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("deactivate without reason: %v", err)
		}
		if err := f.reg.Deactivate(ctx, f.admin, x.ID, "迁出本县"); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := f.reg.List(ctx, f.admin, registry.Filter{}); total != 0 {
			t.Fatal("inactive subject listed by default")
		}
		if _, total, _ := f.reg.List(ctx, f.admin, registry.Filter{Status: "all"}); total != 1 {
			t.Fatal("inactive subject lost")
		}
		viewer := &auth.Principal{UserID: 4, Role: auth.Viewer, Scopes: []string{"500237000000"}}
		if _, _, err := f.reg.Reveal(ctx, viewer, x.ID); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("viewer reveal: %v", err)
		}
		idn, _, err := f.reg.Reveal(ctx, f.admin, x.ID)
		if err != nil || idn != idNumber(21) {
			t.Fatalf("reveal: %q %v", idn, err)
		}
		recs, _, err := audit.List(ctx, d, audit.Filter{Entity: "subject", EntityID: x.ID})
		if err != nil || len(recs) != 3 || recs[0].Action != "reveal" || recs[1].Action != "deactivate" || recs[2].Action != "create" {
			t.Fatalf("audit trail: %+v %v", recs, err)
		}
		for _, r := range recs {
			if strings.Contains(r.After+r.Before, idNumber(21)) {
				t.Fatal("audit trail holds the ID number in clear")
			}
		}
		if _, err := audit.Verify(ctx, d); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMembersAndPlots(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		v := f.regions.Villages()[30]
		x, err := f.reg.Create(ctx, f.admin, household("黄玉兰", idNumber(31), v.Code))
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.reg.AddMember(ctx, f.admin, x.ID, registry.MemberInput{Name: "黄小明", Relation: "子女", IDNumber: idNumber(32)})
		if err != nil || m.Gender == "" || m.BirthDate == "" {
			t.Fatalf("member: %+v %v", m, err)
		}
		if _, err := f.reg.AddMember(ctx, f.admin, x.ID, registry.MemberInput{Name: "重复", IDNumber: idNumber(31)}); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("head as member: %v", err)
		}
		if _, err := f.reg.Create(ctx, f.admin, household("黄小明", idNumber(32), v.Code)); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("member registered again as a household: %v", err)
		}
		// a 100 m × 100 m square near the village is 1 hectare = 15 亩
		dLat := 100 / 111195.0
		dLng := dLat / cosDeg(v.Lat)
		poly := fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}`,
			v.Lng, v.Lat, v.Lng+dLng, v.Lat, v.Lng+dLng, v.Lat+dLat, v.Lng, v.Lat+dLat, v.Lng, v.Lat)
		pl, created, err := f.reg.SavePlot(ctx, f.admin, registry.PlotInput{SubjectID: x.ID, Name: "屋后坡地", Crop: "脆李", Polygon: poly})
		if err != nil || !created {
			t.Fatal(err)
		}
		if pl.AreaMu < 14.8 || pl.AreaMu > 15.2 {
			t.Fatalf("polygon area %.2f 亩, want 15", pl.AreaMu)
		}
		area := 3.0
		pl2, created, err := f.reg.SavePlot(ctx, f.admin, registry.PlotInput{SubjectID: x.ID, Name: "屋后坡地", Crop: "脆李", AreaMu: &area})
		if err != nil || created || pl2.ID != pl.ID || pl2.AreaMu != 3 {
			t.Fatalf("same plot name should update: %+v %v %v", pl2, created, err)
		}
		if _, _, err := f.reg.SavePlot(ctx, f.admin, registry.PlotInput{SubjectID: x.ID, Name: "河坝田"}); apperr.FieldsOf(err)["area_mu"] == "" {
			t.Fatalf("plot without area: %v", err)
		}
		c, err := f.reg.Count(ctx, f.admin)
		if err != nil || c.Total != 1 || c.Plots != 1 || c.PlotCenti != 300 {
			t.Fatalf("counts %+v %v", c, err)
		}
	})
}

func cosDeg(d float64) float64 { return math.Cos(d * math.Pi / 180) }

// TestCountsStayTrue: the maintained counts always equal a fresh count of the subjects table.
func TestCountsStayTrue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		vs := f.regions.Villages()
		var ids []int64
		for i := 0; i < 12; i++ {
			in := household(fmt.Sprintf("户%d", i), idNumber(300+i), vs[i%5].Code)
			inds := []string{"脆李", "柑橘", "核桃"}[:1+i%3]
			in.Industries = &inds
			x, err := f.reg.Create(ctx, f.admin, in)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, x.ID)
		}
		f.reg.Update(ctx, f.admin, ids[0], registry.SubjectInput{RegionCode: ptr(vs[7].Code), Industries: &[]string{"烤烟"}})
		f.reg.Update(ctx, f.admin, ids[1], registry.SubjectInput{Kind: ptr("family_farm")})
		f.reg.Deactivate(ctx, f.admin, ids[2], "测试")
		f.reg.Deactivate(ctx, f.admin, ids[3], "测试")
		f.reg.Reactivate(ctx, f.admin, ids[3])
		check := func() {
			t.Helper()
			for _, flt := range []registry.Filter{{}, {Status: "all"}, {Status: "inactive"}, {Kind: "household"}, {Kind: "family_farm"}, {NewType: true},
				{Industry: "脆李"}, {Industry: "烤烟"}, {Industry: "柑橘", Kind: "household"}, {RegionCode: vs[1].Code}, {RegionCode: vs[7].Code[:9] + "000"}} {
				_, total, err := f.reg.List(ctx, f.admin, flt)
				if err != nil {
					t.Fatal(err)
				}
				ids := []int64{}
				all := registry.Filter{Status: "all", PerPage: 1000}
				items, _, _ := f.reg.List(ctx, f.admin, all)
				want := 0
				for _, x := range items {
					ok := (flt.Status == "all" || (flt.Status == "" && x.Status == "active") || (flt.Status == x.Status)) &&
						(flt.Kind == "" || flt.Kind == x.Kind) && (!flt.NewType || x.NewType) &&
						(flt.Industry == "" || containsStr(x.Industries, flt.Industry)) &&
						(flt.RegionCode == "" || strings.HasPrefix(x.RegionCode, strings.TrimRight(flt.RegionCode, "0")))
					if ok {
						want++
						ids = append(ids, x.ID)
					}
				}
				if total != want {
					t.Fatalf("filter %+v: counted %d, want %d", flt, total, want)
				}
			}
		}
		check()
		if err := f.reg.RebuildCounts(ctx); err != nil {
			t.Fatal(err)
		}
		check()
	})
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
