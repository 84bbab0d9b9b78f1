package books_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/books"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/imports"
	"nongfu/internal/platform/web"
	"nongfu/internal/platform/webtest"
)

func TestUpperYuan(t *testing.T) {
	for fen, want := range map[int64]string{
		0: "零元整", 50000: "伍佰元整", 1234567: "壹万贰仟叁佰肆拾伍元陆角柒分", 100000000: "壹佰万元整", 1000500: "壹万零伍元整",
		1005: "壹拾元零伍分", 10000001000: "壹亿零壹拾元整", 7800000: "柒万捌仟元整", 10: "壹角",
	} {
		if got := books.UpperYuan(fen); got != want {
			t.Errorf("UpperYuan(%d) = %s, want %s", fen, got, want)
		}
	}
}

func TestExemplary(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		f := e.coop(t)
		sub := f.b.SubjectID
		e.posted(f.b, thisMonth()+"-01", line("1001", 100, 0), line("1002", 0, 100)) // books kept this year
		// a viewer cannot apply
		viewer := &auth.Principal{UserID: 22, Role: auth.Viewer, Scopes: []string{county}}
		if _, err := e.svc.ApplyExemplary(ctx, viewer, books.ExemplaryInput{SubjectID: sub, Level: books.LevelCounty}); code(err) != apperr.Forbidden {
			t.Fatalf("viewer applies: %v", err)
		}
		x, err := e.svc.ApplyExemplary(ctx, e.op, books.ExemplaryInput{SubjectID: sub, Level: books.LevelCounty, Year: f.year,
			Declared: map[string]float64{"general_meetings": 2, "households_led": 60, "scale_mu": 120}})
		if err != nil {
			t.Fatal(err)
		}
		// figures pulled from the books: 3 members, 60 000 元 capital = 6 万元, electronic books, separate duties
		if x.Figures["members"].Value != 3 || x.Figures["share_capital"].Value != 6 || x.Figures["books_electronic"].Value != 1 ||
			x.Figures["separate_duties"].Value != 1 || x.Figures["member_accounts"].Value != 1 {
			t.Fatalf("figures: %+v", x.Figures)
		}
		// 3 members < 20 and no distribution yet: thresholds fail
		if !contains(x.Failing, "成员数") || !contains(x.Failing, "可分配盈余按交易量返还比例") {
			t.Fatalf("failing: %v", x.Failing)
		}
		if _, err := e.svc.ApplyExemplary(ctx, e.op, books.ExemplaryInput{SubjectID: sub, Level: books.LevelCounty, Year: f.year}); code(err) != apperr.Conflict {
			t.Fatalf("second application of the same year and level: %v", err)
		}
		scores := map[string]int{}
		for _, ind := range books.ExIndicators {
			scores[ind.Key] = ind.Max
		}
		scores["brand"] = 6 // above its maximum of 5
		if _, err := e.svc.ScoreExemplary(ctx, e.op, x.ID, books.ScoreInput{Scores: scores}); code(err) != apperr.Invalid {
			t.Fatalf("score above max: %v", err)
		}
		scores["brand"] = 5
		if x, err = e.svc.ScoreExemplary(ctx, e.op, x.ID, books.ScoreInput{Scores: scores}); err != nil || x.Score != 100 || x.Status != books.ExScored {
			t.Fatalf("score: %+v %v", x, err)
		}
		if _, err := e.svc.DecideExemplary(ctx, e.op, x.ID, true, ""); code(err) != apperr.Forbidden {
			t.Fatalf("operator decides: %v", err)
		}
		if _, err := e.svc.DecideExemplary(ctx, e.Admin, x.ID, true, ""); code(err) != apperr.Invalid || !strings.Contains(apperr.MessageOf(err), "成员数") {
			t.Fatalf("approval with failing thresholds: %v", err)
		}
		// a cooperative that meets the county thresholds: 20 members and a distribution
		for i := 0; i < 17; i++ {
			if _, err := e.svc.AddMember(ctx, e.op, f.b.ID, books.MemberInput{Name: fmt.Sprintf("成员%02d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		dist, err := e.svc.Distribute(ctx, e.op, f.b.ID, books.DistributionInput{Year: f.year, Reserve: 100_000, ReturnPct: 60})
		if err != nil {
			t.Fatal(err)
		}
		e.reviewPost(f.b, dist.CarryVoucher)
		e.reviewPost(f.b, dist.Voucher)
		sh, err := e.svc.AddShare(ctx, e.op, f.b.ID, books.ShareInput{MemberID: f.members[0].ID, Date: fmt.Sprintf("%d-12-01", f.year), AssetKind: "cash", Amount: 5_000_000, Shares: 50})
		if err != nil {
			t.Fatal(err)
		}
		e.reviewPost(f.b, sh.VoucherID)
		// the new members have no entries yet: give each a trade so every member account is in use
		accs, _ := e.svc.MemberAccounts(ctx, e.Admin, f.b.ID, f.year)
		for _, a := range accs[3:] {
			if _, err := e.svc.AddEntry(ctx, e.op, f.b.ID, books.EntryInput{MemberID: a.ID, Date: fmt.Sprintf("%d-11-01", f.year), Kind: books.EntryTrade, Amount: 100}); err != nil {
				t.Fatal(err)
			}
		}
		y, err := e.svc.ApplyExemplary(ctx, e.op, books.ExemplaryInput{SubjectID: sub, Level: books.LevelCounty, Year: f.year + 1,
			Declared: map[string]float64{"general_meetings": 2, "households_led": 60, "scale_mu": 120}})
		if err != nil || len(y.Failing) != 0 || y.Figures["return_pct"].Value < 60 {
			t.Fatalf("second application: %+v %v", y, err)
		}
		scores["brand"] = 0
		if _, err := e.svc.ScoreExemplary(ctx, e.op, y.ID, books.ScoreInput{Scores: scores}); err != nil {
			t.Fatal(err)
		}
		if y, err = e.svc.DecideExemplary(ctx, e.Admin, y.ID, true, "县农业农村委认定文件"); err != nil || y.Status != books.ExApproved {
			t.Fatalf("approve: %+v %v", y, err)
		}
		town := e.Towns[0].Code[:9]
		other := e.Towns[1].Code[:9]
		n, _ := e.svc.CountExemplary(ctx, "", time.Time{}, []string{county[:6], town, other})
		lv, _ := e.svc.CountExemplary(ctx, books.LevelNational, time.Time{}, []string{county[:6]})
		if n[0] != 1 || n[1] != 1 || n[2] != 0 || lv[0] != 0 {
			t.Fatalf("counts: %v national %v", n, lv)
		}
		if sug, _, err := e.svc.SuggestMonitoring(ctx, e.Admin, y.ID); err != nil || sug != "pass" {
			t.Fatalf("suggestion: %s %v", sug, err)
		}
		if _, err := e.svc.MonitorExemplary(ctx, e.op, y.ID, books.MonitorInput{Year: f.year + 1, Result: "revoke"}); code(err) != apperr.Invalid {
			t.Fatalf("revoke without a reason: %v", err)
		}
		if _, err := e.svc.MonitorExemplary(ctx, e.op, y.ID, books.MonitorInput{Year: f.year + 1, Result: "revoke", Note: "弄虚作假"}); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.svc.CountExemplary(ctx, "", time.Time{}, []string{county[:6]}); n[0] != 0 {
			t.Fatalf("revoked still counted: %v", n)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestOpeningImport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		b := e.book(0, "龙溪香菇专业合作社", thisMonth())
		imp := books.OpeningImporter{S: e.svc}
		csv := "代账组织,科目编码,借方余额,贷方余额\n" +
			"龙溪香菇专业合作社,1002,52000.00,\n" +
			"龙溪香菇专业合作社,1201,8000,\n" +
			"龙溪香菇专业合作社,3001,,50000\n" +
			"龙溪香菇专业合作社,9999,1,\n" + // no such account
			"不存在的合作社,1001,1,\n" +
			"龙溪香菇专业合作社,1001,1,1\n" // both sides
		res, err := imports.Run(ctx, d, imp, e.op, strings.NewReader(csv), "opening.csv", nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 3 || res.Rejected != 3 {
			t.Fatalf("import: %+v", res)
		}
		// debits 60 000, credits 50 000: refused with the difference
		if _, err := e.svc.ApplyOpening(ctx, e.op, b.ID); code(err) != apperr.Invalid || !strings.Contains(apperr.MessageOf(err), "相差 10,000.00 元") {
			t.Fatalf("unbalanced opening: %v", err)
		}
		// the corrected sheet replaces the row (upsert)
		res, err = imports.Run(ctx, d, imp, e.op, strings.NewReader("代账组织,科目编码,借方余额,贷方余额\n龙溪香菇专业合作社,3001,,60000\n"), "fix.csv", nil)
		if err != nil || res.Updated != 1 {
			t.Fatalf("re-import: %+v %v", res, err)
		}
		v, err := e.svc.ApplyOpening(ctx, e.op, b.ID)
		if err != nil || v.Kind != books.KindOpening || v.DebitTotal != 6_000_000 {
			t.Fatalf("opening voucher: %+v %v", v, err)
		}
		e.reviewPost(b, v.ID)
		tb, _ := e.svc.TrialBalance(ctx, e.Admin, b.ID, "", thisMonth())
		if tb.DebitTotal != 6_000_000 || tb.CreditTotal != 6_000_000 {
			t.Fatalf("trial balance after opening: %+v", tb)
		}
		if _, err := e.svc.ApplyOpening(ctx, e.op, b.ID); code(err) != apperr.Conflict {
			t.Fatalf("second opening: %v", err)
		}
		// an operator of another township cannot import into this book
		res, _ = imports.Run(ctx, d, imp, e.op3, strings.NewReader("代账组织,科目编码,借方余额,贷方余额\n龙溪香菇专业合作社,1002,1,\n"), "x.csv", nil)
		if res.Rejected != 1 {
			t.Fatalf("out-of-scope import: %+v", res)
		}
	})
}

var png1x1 = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

func TestAttachments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		b := e.book(0, "竹贤药材专业合作社", thisMonth())
		v, err := e.svc.CreateVoucher(ctx, e.op, b.ID, books.VoucherInput{Date: thisMonth() + "-01", Summary: "购入种苗", Lines: []books.LineInput{line("1201", 500, 0), line("1001", 0, 500)}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddAttachment(ctx, e.op, b.ID, v.ID, "note.txt", []byte("hello")); code(err) != apperr.Invalid {
			t.Fatalf("text file accepted: %v", err)
		}
		a, err := e.svc.AddAttachment(ctx, e.op, b.ID, v.ID, "发票.png", png1x1)
		if err != nil || a.ContentType != "image/png" {
			t.Fatalf("png: %+v %v", a, err)
		}
		list, _ := e.svc.Attachments(ctx, e.Admin, b.ID, v.ID)
		if len(list) != 1 || list[0].FileName != "发票.png" {
			t.Fatalf("list: %+v", list)
		}
		_, data, err := e.svc.AttachmentData(ctx, e.Admin, b.ID, a.ID)
		if err != nil || !bytes.Equal(data, png1x1) {
			t.Fatalf("download: %v", err)
		}
		if _, _, err := e.svc.AttachmentData(ctx, e.op3, b.ID, a.ID); code(err) != apperr.NotFound {
			t.Fatalf("out of scope download: %v", err)
		}
		e.reviewPost(b, v.ID)
		if err := e.svc.DeleteAttachment(ctx, e.op, b.ID, a.ID); code(err) != apperr.Conflict {
			t.Fatalf("delete from a posted voucher: %v", err)
		}
		// scans can still be added after posting
		if _, err := e.svc.AddAttachment(ctx, e.op, b.ID, v.ID, "入库单.png", png1x1); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFigures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		f := e.coop(t) // town 0
		e.book(2, "双龙蔬菜专业合作社", thisMonth())
		pre := []string{county[:6], e.Towns[0].Code[:9], e.Towns[2].Code[:9], e.Towns[1].Code[:9]}
		orgs, err := e.svc.FigureOrgs(ctx, books.FigureFilter{}, pre)
		if err != nil || orgs[0] != 2 || orgs[1] != 1 || orgs[2] != 1 || orgs[3] != 0 {
			t.Fatalf("orgs: %v %v", orgs, err)
		}
		from := time.Date(f.year, 7, 1, 0, 0, 0, 0, web.Shanghai)
		to := time.Date(f.year, 8, 1, 0, 0, 0, 0, web.Shanghai)
		vs, _ := e.svc.FigureVouchers(ctx, books.FigureFilter{From: from, To: to}, pre)
		if vs[0] != 1 || vs[1] != 1 { // the July sale only
			t.Fatalf("vouchers in July: %v", vs)
		}
		all, _ := e.svc.FigureVouchers(ctx, books.FigureFilter{}, pre)
		if all[0] != 5 { // three contributions and two business vouchers (the other book has none)
			t.Fatalf("all vouchers: %v", all)
		}
		capital, _ := e.svc.FigureShareCapital(ctx, books.FigureFilter{}, pre)
		if capital[0] != 60000 || capital[1] != 60000 || capital[2] != 0 {
			t.Fatalf("share capital: %v", capital)
		}
		early, _ := e.svc.FigureShareCapital(ctx, books.FigureFilter{To: time.Date(f.year, 1, 1, 0, 0, 0, 0, web.Shanghai)}, pre)
		if early[0] != 0 {
			t.Fatalf("share capital before the contributions: %v", early)
		}
	})
}

func TestHTTPMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		site := webtest.Start(t, d, e.svc.Routes)
		f := e.coop(t)
		op := site.User(auth.NewUser{Username: "op", DisplayName: "乡镇记账员", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}})
		viewer := site.User(auth.NewUser{Username: "viewer", Role: auth.Viewer, Scopes: []string{county}})
		base := fmt.Sprintf("/api/v1/books/%d", f.b.ID)
		st, body := viewer.JSON("GET", fmt.Sprintf("%s/members?year=%d", base, f.year), nil)
		if st != 200 || body["total"].(float64) != 3 {
			t.Fatalf("members: %d %v", st, body)
		}
		if st, _ = viewer.JSON("POST", base+"/members", map[string]any{"name": "某"}); st != 403 {
			t.Errorf("viewer adds a member: %d", st)
		}
		if st, body = op.JSON("POST", base+"/members", map[string]any{"name": ""}); st != 422 || body["error"].(map[string]any)["fields"].(map[string]any)["name"] == nil {
			t.Errorf("empty name: %d %v", st, body)
		}
		st, body = op.JSON("GET", fmt.Sprintf("%s/distribution-plan?year=%d&reserve=100&return_pct=55", base, f.year), nil)
		if st != 422 || !strings.Contains(fmt.Sprint(body), "第四十四条") {
			t.Errorf("plan below 60 %%: %d %v", st, body)
		}
		st, body = op.JSON("POST", base+"/distributions", map[string]any{"year": f.year, "reserve": 100, "return_pct": 75})
		if st != 201 || body["by_volume"].(float64)*100 < 75*body["distributable"].(float64) {
			t.Fatalf("distribute: %d %v", st, body)
		}
		if st, body = viewer.JSON("GET", fmt.Sprintf("%s/equity-statement?period=%d-12", base, f.year), nil); st != 200 || len(body["columns"].([]any)) != 5 {
			t.Errorf("equity: %d %v", st, body)
		}
		if st, body = viewer.JSON("GET", base+"/shares", nil); st != 200 || len(body["shares"].([]any)) != 3 {
			t.Errorf("shares: %d %v", st, body)
		}
		if st, _ = viewer.JSON("GET", "/api/v1/exemplary/indicators", nil); st != 200 {
			t.Errorf("indicators: %d", st)
		}
		// pages: every new tab, a member statement and a certificate, exports
		accs, _ := e.svc.MemberAccounts(context.Background(), e.Admin, f.b.ID, f.year)
		paths := []string{"/exemplary"}
		for _, tab := range []string{"members", "shares", "distribution", "equity", "opening"} {
			paths = append(paths, fmt.Sprintf("/books/%d?tab=%s&year=%d&period=%d-12", f.b.ID, tab, f.year, f.year))
		}
		paths = append(paths, fmt.Sprintf("/books/%d?tab=distribution&preview=1&year=%d&reserve=10&return_pct=60", f.b.ID, f.year),
			fmt.Sprintf("/books/%d/members/%d?year=%d", f.b.ID, accs[0].ID, f.year), fmt.Sprintf("/books/%d/members/%d/certificate", f.b.ID, accs[1].ID))
		for _, p := range paths {
			if st, html := viewer.Form("GET", p, nil); st != 200 || !strings.Contains(html, "</html>") {
				t.Errorf("page %s: %d", p, st)
			}
		}
		if _, html := viewer.Form("GET", fmt.Sprintf("/books/%d/members/%d/certificate", f.b.ID, accs[1].ID), nil); !strings.Contains(html, "贰万元整") || !strings.Contains(html, "成员大会作价决议") {
			t.Errorf("certificate lacks the capital in capitals or the valuation basis")
		}
		for _, rep := range []string{"members", "shares", "equity"} {
			if st, body := viewer.Form("GET", fmt.Sprintf("/books/%d/export?report=%s&year=%d&period=%d-12", f.b.ID, rep, f.year, f.year), nil); st != 200 || !strings.HasPrefix(body, "PK") {
				t.Errorf("export %s: %d", rep, st)
			}
		}
		if st, body := viewer.Form("GET", fmt.Sprintf("/books/%d/members/%d?year=%d&format=xlsx", f.b.ID, accs[0].ID, f.year), nil); st != 200 || !strings.HasPrefix(body, "PK") {
			t.Errorf("member statement export: %d", st)
		}
		// form actions
		st, loc := op.Form("POST", fmt.Sprintf("/books/%d/members", f.b.ID), map[string][]string{"name": {"新成员"}, "joined_on": {fmt.Sprintf("%d-03-01", f.year)}})
		if st != 303 || !strings.Contains(loc, "tab=members") {
			t.Errorf("member form: %d %s", st, loc)
		}
		if st, html := op.Form("POST", fmt.Sprintf("/books/%d/shares", f.b.ID), map[string][]string{"member_id": {fmt.Sprint(accs[0].ID)}, "asset_kind": {"collective"},
			"date": {fmt.Sprintf("%d-03-01", f.year)}, "amount": {"1000"}, "shares": {"10"}}); st != 422 || !strings.Contains(html, "作价依据") {
			t.Errorf("share without a valuation basis: %d", st)
		}
		doc := site.Server.API.Document()
		ps := doc["paths"].(map[string]map[string]any)
		for _, p := range []string{"/api/v1/books/{id}/members", "/api/v1/books/{id}/distributions", "/api/v1/books/{id}/shares", "/api/v1/books/{id}/equity-statement",
			"/api/v1/books/{id}/vouchers/{vid}/attachments", "/api/v1/books/{id}/opening/apply", "/api/v1/exemplary", "/api/v1/exemplary/{id}/monitoring"} {
			if ps[p] == nil {
				t.Errorf("openapi misses %s", p)
			}
		}
	})
}
