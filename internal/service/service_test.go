package service_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/registry"
	"nongfu/internal/service"
	"nongfu/internal/testenv"
)

const county = testenv.County

type env struct {
	*testenv.Env
	svc    *service.Service
	op     *auth.Principal // township operator of town 0
	op3    *auth.Principal // township operator of town 3
	viewer *auth.Principal
	supply *registry.Subject // supply co-op of town 0
	col    *registry.Subject // village collective of town 0
	center *service.Center   // township center of town 0
}

func setup(t *testing.T, d *db.DB) *env {
	t.Helper()
	base := testenv.New(t, d, service.Migrations)
	e := &env{Env: base, svc: service.NewService(d, base.Regions, base.Reg)}
	e.Admin.DisplayName = "县管理员"
	e.op = &auth.Principal{UserID: 3, Username: "op", DisplayName: "乡镇操作员", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}}
	e.op3 = &auth.Principal{UserID: 4, Username: "op3", Role: auth.TownshipOperator, Scopes: []string{e.Towns[3].Code}}
	e.viewer = &auth.Principal{UserID: 5, Username: "viewer", Role: auth.Viewer, Scopes: []string{county}}
	e.supply = e.Create(e.Org("supply_coop", "测试镇供销合作社", e.Towns[0].Code))
	e.col = e.Create(e.Org("village_collective", "测试村股份经济合作联合社", e.Village(0)))
	e.center = e.mustCenter(e.Admin, service.CenterInput{Level: service.LevelTownship, Name: "测试镇为农服务中心", HostID: e.supply.ID,
		RegionCode: e.Towns[0].Code, Staff: 9, Status: service.OpenOperating, Services: []string{"government", "business", "archives", "bookkeeping", "plough"}})
	return e
}

func (e *env) mustCenter(p *auth.Principal, in service.CenterInput) *service.Center {
	e.T.Helper()
	c, err := e.svc.CreateCenter(context.Background(), p, in)
	if err != nil {
		e.T.Fatalf("create center %s: %v", in.Name, err)
	}
	return c
}

func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

func auditCount(t *testing.T, d *db.DB, entity string) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE entity = ?`, entity).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDueAt(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	for _, c := range []struct {
		filed time.Time
		hours int
		want  time.Time
	}{
		{time.Date(2026, 3, 2, 10, 0, 0, 0, sh), 120, time.Date(2026, 3, 9, 10, 0, 0, 0, sh)},  // Monday → next Monday
		{time.Date(2026, 3, 6, 16, 0, 0, 0, sh), 120, time.Date(2026, 3, 13, 16, 0, 0, 0, sh)}, // Friday → next Friday
		{time.Date(2026, 3, 7, 9, 0, 0, 0, sh), 120, time.Date(2026, 3, 14, 0, 0, 0, 0, sh)},   // Saturday: counts from Monday 00:00
		{time.Date(2026, 3, 6, 20, 0, 0, 0, sh), 8, time.Date(2026, 3, 9, 4, 0, 0, 0, sh)},     // Friday evening + 8 h skips the weekend
		{time.Date(2026, 3, 3, 8, 0, 0, 0, sh), 24, time.Date(2026, 3, 4, 8, 0, 0, 0, sh)},
	} {
		if got := service.DueAt(c.filed, c.hours); !got.Equal(c.want) {
			t.Errorf("DueAt(%v, %d) = %v, want %v", c.filed, c.hours, got.In(sh), c.want)
		}
	}
}

func TestCatalog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		items, err := e.svc.Catalog(ctx, county[:6])
		if err != nil {
			t.Fatal(err)
		}
		byCode := map[string]service.Item{}
		for _, it := range items {
			byCode[it.Code] = it
		}
		for code, w := range map[string]float64{"plough": 0.36, "plant": 0.27, "protect": 0.10, "harvest": 0.27, "drying": 0, "soil": 0} {
			if it, ok := byCode[code]; !ok || it.Weight != w || it.Group != service.GroupProduction {
				t.Errorf("%s: %+v", code, it)
			}
		}
		for _, code := range []string{"bookkeeping", "archives", "government", "business", "training", "supply", "marketing", "branding", "finance"} {
			if it := byCode[code]; it.Group != service.GroupCenter || it.DueHours != service.DefaultDueHours || it.Weight != 0 {
				t.Errorf("center service %s: %+v", code, it)
			}
		}
		if len(byCode["plough"].Seasons) == 0 || !byCode["protect"].InSeason(6) || byCode["protect"].InSeason(1) || byCode["plough"].Unit != "亩" {
			t.Errorf("seasons: %+v", byCode["plough"])
		}
		if got := service.StandardMu(byCode["plough"], 10000); got != 3600 { // 100 亩 耕 = 36 标准亩
			t.Errorf("standard mu: %d", got)
		}
		w, price := 0.4, int64(9000)
		if _, err := e.svc.UpdateItem(ctx, e.op, "plough", service.ItemPatch{Weight: &w}); code(err) != apperr.Forbidden {
			t.Errorf("operator changes catalog: %v", err)
		}
		bad := 1.5
		if _, err := e.svc.UpdateItem(ctx, e.Admin, "plough", service.ItemPatch{Weight: &bad}); code(err) != apperr.Invalid || apperr.FieldsOf(err)["weight"] == "" {
			t.Errorf("weight 1.5: %v", err)
		}
		if _, err := e.svc.UpdateItem(ctx, e.Admin, "government", service.ItemPatch{Weight: &w}); code(err) != apperr.Invalid {
			t.Errorf("weight of a center service: %v", err)
		}
		if _, err := e.svc.UpdateItem(ctx, e.Admin, "nope", service.ItemPatch{Weight: &w}); code(err) != apperr.NotFound {
			t.Errorf("unknown code: %v", err)
		}
		before := auditCount(t, d, "service_catalog")
		it, err := e.svc.UpdateItem(ctx, e.Admin, "plough", service.ItemPatch{Weight: &w, PriceFen: &price})
		if err != nil || it.Weight != 0.4 || it.PriceFen != 9000 || !it.Custom {
			t.Fatalf("update: %+v %v", it, err)
		}
		h := 48
		if _, err := e.svc.UpdateItem(ctx, e.Admin, "government", service.ItemPatch{DueHours: &h}); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, d, "service_catalog"); n != before+2 {
			t.Errorf("catalog audit: %d → %d", before, n)
		}
		got, _ := e.svc.Item(ctx, county[:6], "plough")
		if got.Weight != 0.4 || got.PriceFen != 9000 || service.StandardMu(got, 10000) != 4000 {
			t.Errorf("reread: %+v", got)
		}
		// other counties keep the defaults
		if other, _ := e.svc.Item(ctx, "500238", "plough"); other.Weight != 0.36 {
			t.Errorf("other county: %+v", other)
		}
	})
}

func TestCenters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		if e.center.HostName != "测试镇供销合作社" || e.center.RegionName == "" || e.center.Lng == 0 {
			t.Errorf("center: %+v", e.center)
		}
		// 综合服务社 needs a supply co-op and a village collective
		_, err := e.svc.CreateCenter(ctx, e.op, service.CenterInput{Level: service.LevelCoop, Name: "测试村综合服务社", HostID: e.col.ID, CollectiveID: e.supply.ID,
			RegionCode: e.Village(0)})
		if f := apperr.FieldsOf(err); f["host_id"] == "" || f["collective_id"] == "" {
			t.Errorf("coop with swapped hosts: %v", err)
		}
		coop := e.mustCenter(e.op, service.CenterInput{Level: service.LevelCoop, Name: "测试村综合服务社", HostID: e.supply.ID, CollectiveID: e.col.ID,
			StrongVillage: true, RegionCode: e.Village(0), Status: service.OpenOperating})
		if !coop.StrongVillage || coop.CollectiveName != "测试村股份经济合作联合社" {
			t.Errorf("coop: %+v", coop)
		}
		e.mustCenter(e.op, service.CenterInput{Level: service.LevelStation, Name: "测试村服务站", RegionCode: e.Village(0), Status: service.OpenPlanning})
		if _, err := e.svc.CreateCenter(ctx, e.op, service.CenterInput{Level: service.LevelStation, Name: "测试村服务站", RegionCode: e.Village(0)}); code(err) != apperr.Conflict {
			t.Errorf("duplicate name: %v", err)
		}
		if _, err := e.svc.CreateCenter(ctx, e.op, service.CenterInput{Level: service.LevelStation, Name: "站", RegionCode: e.Towns[0].Code}); apperr.FieldsOf(err)["region_code"] == "" {
			t.Errorf("station at township level: %v", err)
		}
		if _, err := e.svc.CreateCenter(ctx, e.op, service.CenterInput{Level: service.LevelCounty, Name: "县中心", HostID: e.supply.ID, RegionCode: county}); code(err) != apperr.Forbidden {
			t.Errorf("operator creates county center: %v", err)
		}
		if _, err := e.svc.CreateCenter(ctx, e.op3, service.CenterInput{Level: service.LevelStation, Name: "外镇站", RegionCode: e.Village(0)}); code(err) != apperr.Forbidden {
			t.Errorf("operator of another township: %v", err)
		}
		if _, err := e.svc.CreateCenter(ctx, e.viewer, service.CenterInput{Level: service.LevelStation, Name: "站", RegionCode: e.Village(0)}); code(err) != apperr.Forbidden {
			t.Errorf("viewer creates: %v", err)
		}
		e.mustCenter(e.Admin, service.CenterInput{Level: service.LevelCounty, Name: "巫山县为农服务中心", HostID: e.supply.ID, RegionCode: county, Status: service.OpenOperating})
		for _, c := range []struct {
			level, prefix string
			want          int
		}{{"", "", 3}, {service.LevelTownship, e.Towns[0].Code, 1}, {service.LevelTownship, e.Towns[3].Code, 0}, {service.LevelCoop, county, 1},
			{service.LevelStation, "", 0}, {service.LevelCounty, "500237", 1}} {
			if n, err := e.svc.CountCenters(ctx, c.level, c.prefix); err != nil || n != c.want {
				t.Errorf("CountCenters(%q, %q) = %d %v, want %d", c.level, c.prefix, n, err, c.want)
			}
		}
		// the station opens: live count
		st, _, _ := e.svc.ListCenters(ctx, e.op, service.CenterFilter{Level: service.LevelStation})
		if len(st) != 1 {
			t.Fatalf("stations: %d", len(st))
		}
		in := service.CenterInput{Level: st[0].Level, Name: st[0].Name, RegionCode: st[0].RegionCode, Status: service.OpenOperating, Staff: 2}
		if _, err := e.svc.UpdateCenter(ctx, e.op, st[0].ID, in); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.svc.CountCenters(ctx, service.LevelStation, e.Towns[0].Code); n != 1 {
			t.Errorf("station after opening: %d", n)
		}
		if _, err := e.svc.UpdateCenter(ctx, e.op3, st[0].ID, in); code(err) != apperr.NotFound {
			t.Errorf("operator of another township updates: %v", err)
		}
		if list, total, _ := e.svc.ListCenters(ctx, e.op3, service.CenterFilter{}); total != 0 || len(list) != 0 {
			t.Errorf("op3 sees %d", total)
		}
		if _, total, _ := e.svc.ListCenters(ctx, e.viewer, service.CenterFilter{}); total != 4 {
			t.Errorf("viewer sees %d", total)
		}
		counts, err := e.svc.CenterCounts(ctx, e.Admin)
		if err != nil || len(counts) != 2 {
			t.Fatalf("counts: %+v %v", counts, err)
		}
		if n := auditCount(t, d, "service_center"); n != 5 {
			t.Errorf("center audit records: %d", n)
		}
	})
}

func TestSignedSubjects(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		on := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
		h1 := e.Create(e.Household("张一", e.Village(0)))
		h2 := e.Create(e.Household("张二", e.Village(0)))
		h3 := e.Create(e.Household("张三", e.Village(3)))
		h4 := e.Create(e.Household("张四", e.Village(0)))
		sign := func(x *registry.Subject, from, to string) *service.Contract {
			t.Helper()
			k, err := e.svc.CreateContract(ctx, e.Admin, service.ContractInput{CenterID: e.center.ID, SubjectID: x.ID, Scope: []string{"plough", "harvest"}, From: from, To: to, FeeFen: 120000})
			if err != nil {
				t.Fatalf("sign: %v", err)
			}
			return k
		}
		sign(h1, "2026-01-01", "2026-12-31")
		sign(h1, "2026-06-01", "2027-05-31") // a second contract: counted once
		sign(h2, "2026-06-15", "2026-06-15") // one day, inclusive
		sign(h3, "2026-01-01", "2026-12-31")
		sign(h4, "2025-01-01", "2025-12-31") // expired
		k := sign(h4, "2026-01-01", "2026-12-31")
		if err := e.svc.TerminateContract(ctx, e.Admin, k.ID); err != nil { // terminated
			t.Fatal(err)
		}
		if err := e.svc.TerminateContract(ctx, e.Admin, k.ID); code(err) != apperr.Conflict {
			t.Errorf("terminate twice: %v", err)
		}
		for _, c := range []struct {
			prefix string
			on     time.Time
			want   int
		}{{"", on, 3}, {county, on, 3}, {e.Towns[0].Code, on, 2}, {e.Village(3), on, 1}, {"", on.AddDate(0, 0, 1), 2}, {"", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), 1},
			{"", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), 1}} {
			if n, err := e.svc.SignedSubjects(ctx, c.prefix, c.on); err != nil || n != c.want {
				t.Errorf("SignedSubjects(%q, %s) = %d %v, want %d", c.prefix, c.on.Format("2006-01-02"), n, err, c.want)
			}
		}
		// validation and access
		_, err := e.svc.CreateContract(ctx, e.Admin, service.ContractInput{CenterID: e.center.ID, SubjectID: h1.ID, Scope: []string{"x"}, From: "2026-02-01", To: "2026-01-01", FeeFen: -1})
		if f := apperr.FieldsOf(err); f["scope"] == "" || f["to"] == "" || f["fee_fen"] == "" {
			t.Errorf("bad contract: %v", err)
		}
		in := service.ContractInput{CenterID: e.center.ID, SubjectID: h1.ID, Scope: []string{"plough"}, From: "2026-01-01", To: "2026-12-31"}
		if _, err := e.svc.CreateContract(ctx, e.op3, in); code(err) != apperr.Forbidden {
			t.Errorf("op3 signs for town 0: %v", err)
		}
		if _, err := e.svc.CreateContract(ctx, e.viewer, in); code(err) != apperr.Forbidden {
			t.Errorf("viewer signs: %v", err)
		}
		member := &auth.Principal{UserID: 9, Username: "h1", Role: auth.Member, SubjectID: h1.ID}
		if list, total, _ := e.svc.ListContracts(ctx, member, 0, 1, 50); total != 2 || list[0].SubjectID != h1.ID {
			t.Errorf("member contracts: %d", total)
		}
		if _, total, _ := e.svc.ListContracts(ctx, e.op3, 0, 1, 50); total != 0 {
			t.Errorf("op3 contracts: %d", total)
		}
		provider := &auth.Principal{UserID: 10, Username: "p", Role: auth.Provider, SubjectID: h2.ID, Scopes: []string{county}}
		if _, total, _ := e.svc.ListContracts(ctx, provider, 0, 1, 50); total != 0 {
			t.Errorf("provider contracts: %d", total)
		}
	})
}

func TestRequestLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		// Monday 2026-03-02 09:00 in Shanghai
		now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
		e.svc.SetClock(func() time.Time { return now })
		h := e.Create(e.Household("李农", e.Village(0)))
		other := e.Create(e.Household("王农", e.Village(0)))
		member := &auth.Principal{UserID: 9, Username: "li", DisplayName: "李农", Role: auth.Member, SubjectID: h.ID}
		r, err := e.svc.FileRequest(ctx, member, service.RequestInput{CenterID: e.center.ID, Type: "government", Title: "代办农机购置补贴"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != service.ReqFiled || r.Proxy || r.SubjectID != h.ID || !r.DueAt.Equal(now.AddDate(0, 0, 7)) || r.Overdue || len(r.Steps) != 1 || r.Steps[0].ByName != "李农" {
			t.Fatalf("filed: %+v", r)
		}
		if _, err := e.svc.FileRequest(ctx, member, service.RequestInput{CenterID: e.center.ID, SubjectID: other.ID, Type: "government", Title: "x"}); code(err) != apperr.Forbidden {
			t.Errorf("member files for another: %v", err)
		}
		if _, err := e.svc.FileRequest(ctx, member, service.RequestInput{CenterID: e.center.ID, Type: "training", Title: "x"}); apperr.FieldsOf(err)["type"] == "" {
			t.Errorf("service the center does not offer: %v", err)
		}
		if _, err := e.svc.FileRequest(ctx, member, service.RequestInput{CenterID: e.center.ID, Type: "plough", Title: ""}); apperr.FieldsOf(err)["type"] == "" || apperr.FieldsOf(err)["title"] == "" {
			t.Errorf("production service as request type: %v", err)
		}
		if _, err := e.svc.Act(ctx, member, r.ID, "accept", ""); code(err) != apperr.Forbidden {
			t.Errorf("member accepts: %v", err)
		}
		if _, err := e.svc.Act(ctx, e.op3, r.ID, "accept", ""); code(err) != apperr.NotFound {
			t.Errorf("operator of another township accepts: %v", err)
		}
		if _, err := e.svc.Act(ctx, e.viewer, r.ID, "accept", ""); code(err) != apperr.Forbidden {
			t.Errorf("viewer accepts: %v", err)
		}
		if _, err := e.svc.Act(ctx, e.op, r.ID, "finish", ""); code(err) != apperr.Conflict {
			t.Errorf("finish before accept: %v", err)
		}
		if _, err := e.svc.Act(ctx, e.op, r.ID, "handle", ""); code(err) != apperr.Conflict {
			t.Errorf("handle before accept: %v", err)
		}
		now = now.Add(2 * time.Hour)
		if r, err = e.svc.Act(ctx, e.op, r.ID, "accept", ""); err != nil || r.Status != service.ReqAccepted {
			t.Fatalf("accept: %+v %v", r, err)
		}
		if _, err := e.svc.Act(ctx, e.op, r.ID, "accept", ""); code(err) != apperr.Conflict {
			t.Errorf("accept twice: %v", err)
		}
		now = now.Add(24 * time.Hour)
		if r, err = e.svc.Act(ctx, e.Admin, r.ID, "handle", ""); err != nil || r.Status != service.ReqHandled {
			t.Fatalf("handle: %+v %v", r, err)
		}
		now = now.Add(time.Hour)
		if r, err = e.svc.Act(ctx, e.op, r.ID, "finish", ""); err != nil || r.Status != service.ReqFinished || r.Overdue {
			t.Fatalf("finish: %+v %v", r, err)
		}
		if len(r.Steps) != 4 || r.Steps[1].ByName != "乡镇操作员" || r.Steps[2].ByName != "县管理员" || !r.Steps[3].At.Equal(now) || r.Steps[3].Action != "finish" {
			t.Errorf("steps: %+v", r.Steps)
		}
		if _, err := e.svc.Act(ctx, e.op, r.ID, "return", "太晚了"); code(err) != apperr.Conflict {
			t.Errorf("return a finished request: %v", err)
		}
		if _, err := e.svc.Act(ctx, e.op, r.ID, "reopen", ""); code(err) != apperr.NotFound {
			t.Errorf("unknown action: %v", err)
		}
		// staff on behalf (代办), returned with a reason
		r2, err := e.svc.FileRequest(ctx, e.op, service.RequestInput{CenterID: e.center.ID, SubjectID: other.ID, Type: "archives", Title: "调阅流转合同"})
		if err != nil || !r2.Proxy || r2.Steps[0].Note != "工作人员代办" {
			t.Fatalf("proxy: %+v %v", r2, err)
		}
		if _, err := e.svc.Act(ctx, e.op, r2.ID, "return", "  "); code(err) != apperr.Invalid || apperr.FieldsOf(err)["reason"] == "" {
			t.Errorf("return without reason: %v", err)
		}
		if r2, err = e.svc.Act(ctx, e.op, r2.ID, "return", "材料不全"); err != nil || r2.Status != service.ReqReturned || r2.ReturnReason != "材料不全" || r2.Steps[1].Note != "材料不全" {
			t.Fatalf("return: %+v %v", r2, err)
		}
		if _, err := e.svc.Act(ctx, e.op, r2.ID, "accept", ""); code(err) != apperr.Conflict {
			t.Errorf("accept a returned request: %v", err)
		}
		if _, err := e.svc.FileRequest(ctx, e.op3, service.RequestInput{CenterID: e.center.ID, SubjectID: other.ID, Type: "archives", Title: "x"}); code(err) != apperr.Forbidden {
			t.Errorf("op3 files to town 0: %v", err)
		}
		// access to lists
		if _, n, _ := e.svc.ListRequests(ctx, member, service.RequestFilter{}); n != 1 {
			t.Errorf("member sees %d", n)
		}
		if _, err := e.svc.GetRequest(ctx, member, r2.ID); code(err) != apperr.NotFound {
			t.Errorf("member reads another's request: %v", err)
		}
		if _, n, _ := e.svc.ListRequests(ctx, e.op3, service.RequestFilter{}); n != 0 {
			t.Errorf("op3 sees %d", n)
		}
		if _, n, _ := e.svc.ListRequests(ctx, e.viewer, service.RequestFilter{}); n != 2 {
			t.Errorf("viewer sees %d", n)
		}
		if n := auditCount(t, d, "service_request"); n != 6 {
			t.Errorf("request audit records: %d", n)
		}
		// a closed center takes no requests
		in := service.CenterInput{Level: service.LevelTownship, Name: e.center.Name, HostID: e.supply.ID, RegionCode: e.center.RegionCode, Status: service.OpenClosed,
			Services: e.center.Services}
		if _, err := e.svc.UpdateCenter(ctx, e.Admin, e.center.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.FileRequest(ctx, member, service.RequestInput{CenterID: e.center.ID, Type: "government", Title: "x"}); code(err) != apperr.Conflict {
			t.Errorf("file to a closed center: %v", err)
		}
	})
}

func TestOverdue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		// Friday 2026-03-06 16:00 in Shanghai
		now := time.Date(2026, 3, 6, 8, 0, 0, 0, time.UTC)
		e.svc.SetClock(func() time.Time { return now })
		h := e.Create(e.Household("赵农", e.Village(0)))
		file := func(typ string) *service.Request {
			t.Helper()
			r, err := e.svc.FileRequest(ctx, e.op, service.RequestInput{CenterID: e.center.ID, SubjectID: h.ID, Type: typ, Title: "事项" + typ})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		hrs := 10
		if _, err := e.svc.UpdateItem(ctx, e.Admin, "business", service.ItemPatch{DueHours: &hrs}); err != nil {
			t.Fatal(err)
		}
		slow := file("government") // 120 h: due Friday 2026-03-13 16:00
		fast := file("business")   // 10 h from Friday 16:00: 8 h on Friday, 2 h on Monday: due Monday 2026-03-09 02:00
		late := file("archives")   // finished after its due time
		if want := time.Date(2026, 3, 13, 8, 0, 0, 0, time.UTC); !slow.DueAt.Equal(want) {
			t.Errorf("slow due %v", slow.DueAt)
		}
		if want := time.Date(2026, 3, 8, 18, 0, 0, 0, time.UTC); !fast.DueAt.Equal(want) {
			t.Errorf("fast due %v", fast.DueAt)
		}
		overdue := func(want ...int64) {
			t.Helper()
			list, n, err := e.svc.ListRequests(ctx, e.Admin, service.RequestFilter{Overdue: true})
			if err != nil || n != len(want) {
				t.Fatalf("overdue list at %v: %d %v", now, n, err)
			}
			got := map[int64]bool{}
			for _, r := range list {
				if !r.Overdue {
					t.Errorf("listed but not flagged: %+v", r)
				}
				got[r.ID] = true
			}
			for _, id := range want {
				if !got[id] {
					t.Errorf("request %d not listed as overdue at %v", id, now)
				}
			}
		}
		// Sunday: nothing is overdue (the weekend does not count)
		now = time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC)
		overdue()
		// Monday 09:00: the 10-hour one is overdue
		now = time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC)
		overdue(fast.ID)
		if r, _ := e.svc.GetRequest(ctx, e.Admin, fast.ID); !r.Overdue {
			t.Errorf("fast not flagged")
		}
		for _, a := range []string{"accept", "handle"} {
			if _, err := e.svc.Act(ctx, e.op, late.ID, a, ""); err != nil {
				t.Fatal(err)
			}
		}
		// Saturday after: the others are overdue; finishing the late one keeps its flag, returning removes it from the open list
		now = time.Date(2026, 3, 14, 2, 0, 0, 0, time.UTC)
		overdue(slow.ID, fast.ID, late.ID)
		r, err := e.svc.Act(ctx, e.op, late.ID, "finish", "")
		if err != nil || !r.Overdue {
			t.Errorf("finished late: %+v %v", r, err)
		}
		if _, err := e.svc.Act(ctx, e.op, fast.ID, "return", "不属于本中心业务"); err != nil {
			t.Fatal(err)
		}
		overdue(slow.ID)
		if r, _ := e.svc.GetRequest(ctx, e.Admin, fast.ID); r.Overdue {
			t.Errorf("returned request flagged")
		}
	})
}

func TestSeedDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		orgs := map[string][]int64{}
		var towns []string
		var households []int64
		for i := 0; i < 8 && i < len(e.Towns); i++ {
			towns = append(towns, e.Towns[i].Code)
			orgs["supply_coop"] = append(orgs["supply_coop"], e.Create(e.Org("supply_coop", fmt.Sprintf("演示供销社%d", i), e.Towns[i].Code)).ID)
			for j, v := range e.Regions.Children(e.Towns[i].Code) {
				if j >= 6 {
					break
				}
				orgs["village_collective"] = append(orgs["village_collective"], e.Create(e.Org("village_collective", fmt.Sprintf("演示村集体%d-%d", i, j), v.Code)).ID)
			}
		}
		for i := 0; i < 160; i++ {
			households = append(households, e.Create(e.Household(fmt.Sprintf("演示户%03d", i), e.Village(i%8))).ID)
		}
		began := time.Now()
		if err := d.InTx(ctx, func(tx *db.Tx) error { return e.svc.SeedDemo(ctx, tx, towns, orgs, households) }); err != nil {
			t.Fatal(err)
		}
		took := time.Since(began)
		if n, _ := e.svc.CountCenters(ctx, service.LevelTownship, ""); n != 8 { // 7 seeded + the setup's
			t.Errorf("township centers: %d", n)
		}
		if n, _ := e.svc.CountCenters(ctx, service.LevelCounty, ""); n != 1 {
			t.Errorf("county centers: %d", n)
		}
		if n, _ := e.svc.CountCenters(ctx, service.LevelCoop, ""); n < 5 {
			t.Errorf("coops: %d", n)
		}
		_, stations, _ := e.svc.ListCenters(ctx, e.Admin, service.CenterFilter{Level: service.LevelStation})
		if stations < 35 {
			t.Errorf("stations: %d", stations)
		}
		signed, _ := e.svc.SignedSubjects(ctx, county, time.Now())
		_, contracts, _ := e.svc.ListContracts(ctx, e.Admin, 0, 1, 10)
		if contracts < 150 || signed < 100 || signed >= contracts {
			t.Errorf("contracts %d, signed %d", contracts, signed)
		}
		_, reqs, _ := e.svc.ListRequests(ctx, e.Admin, service.RequestFilter{})
		_, od, _ := e.svc.ListRequests(ctx, e.Admin, service.RequestFilter{Overdue: true})
		_, ret, _ := e.svc.ListRequests(ctx, e.Admin, service.RequestFilter{Status: service.ReqReturned})
		if reqs != 200 || od == 0 || ret == 0 {
			t.Errorf("requests %d, overdue %d, returned %d", reqs, od, ret)
		}
		list, _, _ := e.svc.ListRequests(ctx, e.Admin, service.RequestFilter{Status: service.ReqFinished, PerPage: 1})
		if r, err := e.svc.GetRequest(ctx, e.Admin, list[0].ID); err != nil || len(r.Steps) != 4 {
			t.Errorf("finished demo request: %+v %v", r, err)
		}
		t.Logf("demo: %d stations, %d contracts (%d signed), %d requests (%d overdue) in %v", stations, contracts, signed, reqs, od, took)
		if d.Engine() == db.SQLite && took > 2*time.Second {
			t.Errorf("demo took %v", took)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error { return e.svc.SeedDemo(ctx, tx, towns, orgs, households) }); err != nil {
			t.Fatal(err)
		}
		if _, n, _ := e.svc.ListRequests(ctx, e.Admin, service.RequestFilter{}); n != 200 {
			t.Errorf("second seed: %d", n)
		}
	})
}

func TestHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		site := webtest.Start(t, d, e.svc.Routes)
		h := e.Create(e.Household("陈农", e.Village(0)))
		admin := site.User(auth.NewUser{Username: "admin", DisplayName: "县管理员", Role: auth.CountyAdmin, Scopes: []string{county}})
		op := site.User(auth.NewUser{Username: "op", DisplayName: "乡镇操作员", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}})
		op3 := site.User(auth.NewUser{Username: "op3", Role: auth.TownshipOperator, Scopes: []string{e.Towns[3].Code}})
		member := site.User(auth.NewUser{Username: "chen", DisplayName: "陈农", Role: auth.Member, SubjectID: h.ID})
		viewer := site.User(auth.NewUser{Username: "viewer", Role: auth.Viewer, Scopes: []string{county}})
		provider := site.User(auth.NewUser{Username: "prov", Role: auth.Provider, Scopes: []string{county}})

		st, body := op.JSON("POST", "/api/v1/service-centers", map[string]any{"level": "station", "name": "测试村服务站", "region_code": e.Village(0),
			"status": "operating", "staff": 2, "services": []string{"government"}})
		if st != 201 || body["level_label"] != "村级一站式服务站" {
			t.Fatalf("create center: %d %v", st, body)
		}
		sid := int64(body["id"].(float64))
		if st, body = op.JSON("POST", "/api/v1/service-centers", map[string]any{"level": "station", "name": ""}); st != 422 || body["error"].(map[string]any)["fields"] == nil {
			t.Errorf("bad center: %d %v", st, body)
		}
		if st, _ = viewer.JSON("POST", "/api/v1/service-centers", map[string]any{"level": "station", "name": "x", "region_code": e.Village(0)}); st != 403 {
			t.Errorf("viewer creates center: %d", st)
		}
		if st, body = viewer.JSON("GET", "/api/v1/service-centers?level=station", nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("list centers: %d %v", st, body)
		}
		if st, _ = op3.JSON("GET", fmt.Sprintf("/api/v1/service-centers/%d", sid), nil); st != 404 {
			t.Errorf("op3 reads center: %d", st)
		}
		if st, body = op.JSON("PUT", fmt.Sprintf("/api/v1/service-centers/%d", sid), map[string]any{"level": "station", "name": "测试村一站式服务站", "region_code": e.Village(0),
			"status": "operating", "staff": 3}); st != 200 || body["staff"].(float64) != 3 {
			t.Errorf("update center: %d %v", st, body)
		}
		if st, body = member.JSON("GET", "/api/v1/service-catalog", nil); st != 200 || body["total"].(float64) != 16 {
			t.Errorf("catalog: %d %v", st, body)
		}
		if st, _ = provider.JSON("GET", "/api/v1/service-catalog", nil); st != 403 {
			t.Errorf("provider catalog: %d", st)
		}
		if st, _ = op.JSON("PUT", "/api/v1/service-catalog/plough", map[string]any{"weight": 0.4}); st != 403 {
			t.Errorf("operator changes weight: %d", st)
		}
		if st, body = admin.JSON("PUT", "/api/v1/service-catalog/plough", map[string]any{"weight": 0.35, "price_fen": 8500}); st != 200 || body["weight"].(float64) != 0.35 {
			t.Errorf("change weight: %d %v", st, body)
		}
		today := time.Now().In(time.FixedZone("CST", 8*3600))
		st, body = op.JSON("POST", "/api/v1/service-contracts", map[string]any{"center_id": e.center.ID, "subject_id": h.ID, "scope": []string{"plough", "harvest"},
			"from": today.AddDate(0, -1, 0).Format("2006-01-02"), "to": today.AddDate(1, 0, 0).Format("2006-01-02"), "fee_fen": 150000})
		if st != 201 || body["in_force"] != true || body["scope_label"] != "机耕、机收" {
			t.Fatalf("contract: %d %v", st, body)
		}
		if st, body = member.JSON("GET", "/api/v1/service-contracts", nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("member contracts: %d %v", st, body)
		}
		if st, _ = member.JSON("POST", "/api/v1/service-contracts", map[string]any{"center_id": e.center.ID}); st != 403 {
			t.Errorf("member signs: %d", st)
		}
		st, body = member.JSON("POST", "/api/v1/service-requests", map[string]any{"center_id": e.center.ID, "type": "government", "title": "代办补贴"})
		if st != 201 || body["status"] != "filed" || body["proxy"] != false {
			t.Fatalf("file: %d %v", st, body)
		}
		rid := int64(body["id"].(float64))
		base := fmt.Sprintf("/api/v1/service-requests/%d", rid)
		if st, _ = op.JSON("POST", base+"/finish", nil); st != 409 {
			t.Errorf("finish a filed request: %d", st)
		}
		if st, _ = op3.JSON("POST", base+"/accept", nil); st != 404 {
			t.Errorf("op3 accepts: %d", st)
		}
		if st, _ = member.JSON("POST", base+"/accept", nil); st != 403 {
			t.Errorf("member accepts: %d", st)
		}
		for _, a := range []string{"accept", "handle"} {
			if st, body = op.JSON("POST", base+"/"+a, nil); st != 200 {
				t.Fatalf("%s: %d %v", a, st, body)
			}
		}
		if st, body = op.JSON("POST", base+"/return", map[string]any{"reason": ""}); st != 422 || body["error"].(map[string]any)["fields"].(map[string]any)["reason"] == nil {
			t.Errorf("return without reason: %d %v", st, body)
		}
		if st, body = op.JSON("POST", base+"/finish", nil); st != 200 || body["status"] != "finished" || len(body["steps"].([]any)) != 4 {
			t.Errorf("finish: %d %v", st, body)
		}
		if st, body = member.JSON("GET", "/api/v1/service-requests", nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("member requests: %d %v", st, body)
		}
		if st, body = op3.JSON("GET", "/api/v1/service-requests", nil); st != 200 || body["total"].(float64) != 0 {
			t.Errorf("op3 requests: %d %v", st, body)
		}
		if st, body = provider.JSON("GET", "/api/v1/service-requests", nil); st != 200 || body["total"].(float64) != 0 {
			t.Errorf("provider requests: %d %v", st, body)
		}
		// a proxy request through the form, returned through the page
		st, loc := op.Form("POST", "/service/requests", map[string][]string{"center_id": {fmt.Sprint(e.center.ID)}, "subject_id": {fmt.Sprint(h.ID)},
			"type": {"archives"}, "title": {"调阅档案"}})
		if st != 303 || !strings.HasPrefix(loc, "/service/requests/") {
			t.Fatalf("file form: %d %s", st, loc)
		}
		if st, html := op.Form("POST", loc+"/return", map[string][]string{"reason": {""}}); st != 422 || !strings.Contains(html, "请填写退回原因") {
			t.Errorf("return form without reason: %d", st)
		}
		if st, _ := op.Form("POST", loc+"/return", map[string][]string{"reason": {"材料不全"}}); st != 303 {
			t.Errorf("return form: %d", st)
		}
		if st, html := member.Page(loc); st != 200 || !strings.Contains(html, "材料不全") || strings.Contains(html, "退回申请") {
			t.Errorf("member reads returned request: %d", st)
		}
		if st, html := op.Form("POST", "/service/catalog/plough", map[string][]string{"price": {"80.50"}, "weight": {"0.36"}}); st != 403 {
			t.Errorf("operator catalog form: %d %s", st, html)
		}
		if st, _ := admin.Form("POST", "/service/catalog/plough", map[string][]string{"price": {"80.50"}, "weight": {"0.36"}}); st != 303 {
			t.Errorf("admin catalog form: %d", st)
		}
		// pages
		for _, c := range []struct {
			who  *webtest.Client
			path string
			want string
		}{{op, "/service/centers", "测试镇为农服务中心"}, {op, fmt.Sprintf("/service/centers/%d", e.center.ID), "陈农"}, {admin, "/service/catalog", "80.50"},
			{op, "/service/contracts", "机耕、机收"}, {op, "/service/requests", "代办补贴"}, {member, "/service/requests", "提交申请"},
			{op, fmt.Sprintf("/service/requests/%d", rid), "办结"}, {member, "/service/contracts", "测试镇为农服务中心"}, {viewer, "/service/centers", "测试村一站式服务站"}} {
			if st, html := c.who.Page(c.path); st != 200 || !strings.Contains(html, c.want) {
				t.Errorf("page %s: %d, want %q", c.path, st, c.want)
			}
		}
		doc := site.Server.API.Document()
		paths := doc["paths"].(map[string]map[string]any)
		for _, p := range []string{"/api/v1/service-centers", "/api/v1/service-centers/{id}", "/api/v1/service-catalog", "/api/v1/service-catalog/{code}",
			"/api/v1/service-contracts", "/api/v1/service-requests", "/api/v1/service-requests/{id}/accept", "/api/v1/service-requests/{id}/return"} {
			if paths[p] == nil {
				t.Errorf("openapi misses %s", p)
			}
		}
	})
}
