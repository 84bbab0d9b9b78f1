package market_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/market"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/imports"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/registry"
	"nongfu/internal/tabular"
	"nongfu/internal/testenv"
)

const county = testenv.County

// The tests run on 2026-06-15 (Shanghai).
var today = time.Date(2026, 6, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

type env struct {
	*testenv.Env
	svc      *market.Service
	op       *auth.Principal // township operator of town 0
	op3      *auth.Principal // township operator of town 3
	viewer   *auth.Principal
	farm     *registry.Subject // producer in town 0
	farm3    *registry.Subject // producer in town 3
	hh       *registry.Subject // household producer in town 0
	buyer    *registry.Subject // supermarket in town 3
	member   *auth.Principal   // user of farm
	member3  *auth.Principal   // user of farm3
	buyerUsr *auth.Principal
}

func setup(t *testing.T, d *db.DB) *env {
	t.Helper()
	base := testenv.New(t, d, market.Migrations)
	e := &env{Env: base, svc: market.NewService(d, base.Regions, base.Reg)}
	e.svc.SetClock(func() time.Time { return today })
	e.Admin.DisplayName = "县管理员"
	e.op = &auth.Principal{UserID: 3, Username: "op", DisplayName: "乡镇操作员", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}}
	e.op3 = &auth.Principal{UserID: 4, Username: "op3", Role: auth.TownshipOperator, Scopes: []string{e.Towns[3].Code}}
	e.viewer = &auth.Principal{UserID: 5, Username: "viewer", Role: auth.Viewer, Scopes: []string{county}}
	e.farm = e.Create(e.Org("cooperative", "测试脆李专业合作社", e.Village(0)))
	e.farm3 = e.Create(e.Org("family_farm", "测试三镇家庭农场", e.Village(3)))
	e.hh = e.Create(e.Household("王大明", e.Village(0)))
	e.buyer = e.Create(e.Org("enterprise", "测试超市有限公司", e.Village(3)))
	e.member = &auth.Principal{UserID: 6, Username: "farm", DisplayName: "合作社", Role: auth.Member, SubjectID: e.farm.ID}
	e.member3 = &auth.Principal{UserID: 7, Username: "farm3", Role: auth.Member, SubjectID: e.farm3.ID}
	e.buyerUsr = &auth.Principal{UserID: 8, Username: "buyer", DisplayName: "超市采购", Role: auth.Member, SubjectID: e.buyer.ID}
	if _, err := e.svc.RegisterBuyer(context.Background(), e.Admin, market.BuyerInput{SubjectID: e.buyer.ID, Channel: "supermarket"}); err != nil {
		t.Fatal(err)
	}
	return e
}

func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func supplyIn() market.ListingInput {
	return market.ListingInput{Side: market.SideSupply, Product: "脆李", Grade: "一级", Quantity: 10000, Unit: "公斤", PriceFen: 800,
		DateFrom: "2026-07-01", DateTo: "2026-07-31"}
}

func demandIn(subject int64) market.ListingInput {
	return market.ListingInput{Side: market.SideDemand, SubjectID: subject, Product: "巫山脆李", Grade: "一级", Quantity: 4000, Unit: "公斤", PriceFen: 900,
		DateFrom: "2026-07-10", DateTo: "2026-07-20"}
}

func TestListingsRolesAndValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d)
		l, err := e.svc.CreateListing(ctx, e.member, supplyIn())
		if err != nil {
			t.Fatal(err)
		}
		if l.SubjectID != e.farm.ID || l.RegionCode != e.farm.RegionCode || l.OnBehalf || l.SubjectName != e.farm.Name {
			t.Errorf("member listing: %+v", l)
		}
		// a member posts only for itself and edits only its own listings
		in := supplyIn()
		in.SubjectID = e.farm3.ID
		if _, err := e.svc.CreateListing(ctx, e.member, in); code(err) != apperr.Forbidden {
			t.Errorf("member posts for another subject: %v", err)
		}
		if _, err := e.svc.UpdateListing(ctx, e.member3, l.ID, supplyIn()); code(err) != apperr.Forbidden {
			t.Errorf("other member edits: %v", err)
		}
		// a township operator only posts for subjects in its township
		in = supplyIn()
		in.SubjectID = e.farm.ID
		if _, err := e.svc.CreateListing(ctx, e.op3, in); code(err) != apperr.Forbidden {
			t.Errorf("op3 posts for town 0: %v", err)
		}
		proxy, err := e.svc.CreateListing(ctx, e.op, in)
		if err != nil || !proxy.OnBehalf {
			t.Fatalf("op posts on behalf: %v %+v", err, proxy)
		}
		if _, err := e.svc.GetListing(ctx, e.op3, proxy.ID); code(err) != apperr.NotFound {
			t.Errorf("op3 reads town 0 listing: %v", err)
		}
		if _, err := e.svc.UpdateListing(ctx, e.op3, proxy.ID, in); code(err) != apperr.NotFound {
			t.Errorf("op3 edits town 0 listing: %v", err)
		}
		if _, err := e.svc.UpdateListing(ctx, e.viewer, proxy.ID, in); code(err) != apperr.Forbidden {
			t.Errorf("viewer edits: %v", err)
		}
		// members see open listings of the county; closed ones of others are hidden
		in.Status = market.ListingClosed
		if _, err := e.svc.UpdateListing(ctx, e.op, proxy.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.GetListing(ctx, e.member3, proxy.ID); code(err) != apperr.NotFound {
			t.Errorf("member3 reads a closed listing of another: %v", err)
		}
		if _, n, _ := e.svc.ListListings(ctx, e.member3, market.ListingFilter{}); n != 1 {
			t.Errorf("member3 sees %d listings, want the 1 open", n)
		}
		// a demand needs a registered buyer
		if _, err := e.svc.CreateListing(ctx, e.op, demandIn(e.farm.ID)); apperr.FieldsOf(err)["subject_id"] != "求购方须先登记为采购商" {
			t.Errorf("demand by a non-buyer: %v", err)
		}
		// bad input: Chinese field messages, nothing written
		listings, audits := count(t, d, `SELECT COUNT(*) FROM market_listings`), count(t, d, `SELECT COUNT(*) FROM audit_log`)
		bad := market.ListingInput{Side: "sell", Product: "", Quantity: -3, Unit: "箩筐", PriceFen: -1, DateFrom: "2026-13-01", DateTo: "2026-06-01"}
		_, err = e.svc.CreateListing(ctx, e.member, bad)
		f := apperr.FieldsOf(err)
		if code(err) != apperr.Invalid {
			t.Fatalf("bad listing: %v", err)
		}
		for k, want := range map[string]string{"side": "类型", "product": "品名", "quantity": "数量", "unit": "单位", "price_fen": "单价", "date_from": "开始日期"} {
			if !strings.Contains(f[k], want) {
				t.Errorf("field %s: %q lacks %q", k, f[k], want)
			}
		}
		past := supplyIn()
		past.DateFrom, past.DateTo = "2026-05-01", "2026-06-01"
		if _, err := e.svc.CreateListing(ctx, e.member, past); apperr.FieldsOf(err)["date_to"] == "" {
			t.Errorf("past window accepted: %v", err)
		}
		if count(t, d, `SELECT COUNT(*) FROM market_listings`) != listings || count(t, d, `SELECT COUNT(*) FROM audit_log`) != audits {
			t.Error("rejected input wrote rows")
		}
	})
}

// contractFlow posts a supply and a demand, matches them and drafts a contract of 4000 kg at 8.50 元 in two
// instalments.
func contractFlow(t *testing.T, e *env) (*market.Listing, *market.Listing, *market.OrderContract) {
	t.Helper()
	ctx := context.Background()
	s, err := e.svc.CreateListing(ctx, e.member, supplyIn())
	if err != nil {
		t.Fatal(err)
	}
	far := supplyIn()
	far.Grade, far.PriceFen, far.DateFrom = "二级", 950, "2026-07-18"
	if _, err := e.svc.CreateListing(ctx, e.member3, far); err != nil {
		t.Fatal(err)
	}
	dm, err := e.svc.CreateListing(ctx, e.buyerUsr, demandIn(0))
	if err != nil {
		t.Fatal(err)
	}
	l, cands, err := e.svc.Candidates(ctx, e.buyerUsr, dm.ID, 10)
	if err != nil || l.ID != dm.ID {
		t.Fatal(err)
	}
	if len(cands) != 2 || cands[0].Listing.ID != s.ID || cands[0].Match.Score <= cands[1].Match.Score {
		t.Fatalf("candidates: %+v", cands)
	}
	if n := len(cands[0].Match.Factors); n != 6 || !strings.Contains(cands[0].Match.Summary, "综合") {
		t.Errorf("explanation: %+v", cands[0].Match)
	}
	c, err := e.svc.DraftContract(ctx, e.member, market.ContractInput{SupplyID: s.ID, DemandID: dm.ID, Quantity: 4000, PriceFen: 850,
		QualityTerms: "一级果，单果重≥25克", Schedule: []market.InstalmentSpec{{DueDate: "2026-07-12", Quantity: 2000}, {DueDate: "2026-07-19", Quantity: 2000}}})
	if err != nil {
		t.Fatal(err)
	}
	return s, dm, c
}

func TestContractLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d)
		s, dm, c := contractFlow(t, e)
		if c.Status != market.ContractDraft || c.AmountFen != 3400000 || len(c.Schedule) != 2 || c.Schedule[1].AmountFen != 1700000 {
			t.Fatalf("draft: %+v", c)
		}
		// other members and other townships cannot see it
		if _, err := e.svc.GetContract(ctx, e.member3, c.ID); code(err) != apperr.NotFound {
			t.Errorf("member3 reads: %v", err)
		}
		if _, err := e.svc.Sign(ctx, e.op3, c.ID, "seller"); code(err) == "" {
			t.Error("op3 signs a town 0 seller's contract")
		}
		// a draft may change; the seller's signature on the old terms is withdrawn
		if _, err := e.svc.Sign(ctx, e.member, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.UpdateDraft(ctx, e.member, c.ID, market.ContractInput{Quantity: 4000, PriceFen: 860, QualityTerms: "一级果，单果重≥25克",
			Schedule: []market.InstalmentSpec{{DueDate: "2026-07-12", Quantity: 2000}, {DueDate: "2026-07-19", Quantity: 2000}}})
		if err != nil || c.SellerSignedAt != nil || c.AmountFen != 3440000 {
			t.Fatalf("update draft: %v %+v", err, c)
		}
		if _, err := e.svc.Sign(ctx, e.member, c.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Sign(ctx, e.member, c.ID, "buyer"); code(err) != apperr.Conflict { // a member signs its own side only
			t.Errorf("seller signs twice: %v", err)
		}
		c, err = e.svc.Sign(ctx, e.buyerUsr, c.ID, "")
		if err != nil || c.Status != market.ContractSigned || c.SignedAt == nil {
			t.Fatalf("signed: %v %+v", err, c)
		}
		// listings: the demand is used up, the supply keeps the rest
		if l, _ := e.svc.GetListing(ctx, e.member, s.ID); l.Quantity != 6000 || l.Status != market.ListingOpen {
			t.Errorf("supply after contract: %+v", l)
		}
		if l, _ := e.svc.GetListing(ctx, e.buyerUsr, dm.ID); l.Status != market.ListingMatched {
			t.Errorf("demand after contract: %+v", l)
		}
		// immutable once signed: terms refused, nothing changes
		if _, err := e.svc.UpdateDraft(ctx, e.Admin, c.ID, market.ContractInput{Quantity: 1, PriceFen: 1, QualityTerms: "x"}); code(err) != apperr.Conflict {
			t.Errorf("update signed: %v", err)
		}
		if _, err := e.svc.Cancel(ctx, e.Admin, c.ID); code(err) != apperr.Conflict {
			t.Errorf("cancel signed: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM market_contracts WHERE id = ? AND amount_fen = 3440000 AND price_fen = 860 AND quantity = 4000`, c.ID); n != 1 {
			t.Error("signed terms changed")
		}
		// fulfilment by the right side, within the contract
		if _, err := e.svc.Fulfil(ctx, e.buyerUsr, c.ID, market.FulfilmentInput{Kind: market.FulfilDelivered, OnDate: "2026-06-14", Quantity: 10}); code(err) != apperr.Forbidden {
			t.Errorf("buyer records delivery: %v", err)
		}
		if _, err := e.svc.Fulfil(ctx, e.member, c.ID, market.FulfilmentInput{Kind: market.FulfilDelivered, OnDate: "2026-06-14", Quantity: 2000}); err != nil {
			t.Fatal(err)
		}
		before := count(t, d, `SELECT COUNT(*) FROM market_fulfilments`)
		_, err = e.svc.Fulfil(ctx, e.member, c.ID, market.FulfilmentInput{Kind: market.FulfilDelivered, OnDate: "2026-06-15", Quantity: 2001})
		if !strings.Contains(apperr.FieldsOf(err)["quantity"], "累计交付不能超过合同数量") {
			t.Errorf("over-delivery: %v", err)
		}
		if _, err := e.svc.Fulfil(ctx, e.buyerUsr, c.ID, market.FulfilmentInput{Kind: market.FulfilAccepted, OnDate: "2026-06-15", Quantity: 2001}); code(err) != apperr.Invalid {
			t.Errorf("accept more than delivered: %v", err)
		}
		if count(t, d, `SELECT COUNT(*) FROM market_fulfilments`) != before {
			t.Error("rejected fulfilment written")
		}
		if _, err := e.svc.Fulfil(ctx, e.buyerUsr, c.ID, market.FulfilmentInput{Kind: market.FulfilAccepted, OnDate: "2026-06-15", Quantity: 2000}); err != nil {
			t.Fatal(err)
		}
		c, err = e.svc.Fulfil(ctx, e.buyerUsr, c.ID, market.FulfilmentInput{Kind: market.FulfilPaid, OnDate: "2026-06-15", AmountFen: 1000000})
		if err != nil || c.PaidFen != 1000000 || c.ReceivableFen != 2440000 {
			t.Fatalf("after payment: %v %+v", err, c)
		}
		// amend by supplement: the signed amount stays, the effective amount moves
		c, err = e.svc.AddSupplement(ctx, e.op, c.ID, market.SupplementInput{QuantityDelta: 500, AmountDeltaFen: 430000, Text: "买方追加 500 公斤，同价"})
		if err != nil || c.AmountFen != 3440000 || c.EffAmountFen != 3870000 || c.EffQuantity != 4500 || c.ReceivableFen != 2870000 {
			t.Fatalf("supplement: %v %+v", err, c)
		}
		if _, err := e.svc.AddSupplement(ctx, e.op, c.ID, market.SupplementInput{QuantityDelta: -4000, Text: "减量"}); apperr.FieldsOf(err)["quantity_delta"] == "" {
			t.Errorf("supplement below delivered: %v", err)
		}
		pc, err := e.svc.PledgeableContract(ctx, c.ID)
		if err != nil || !pc.Signed || pc.AmountFen != 3870000 || pc.ReceivableFen != 2870000 || pc.SellerID != e.farm.ID || pc.BuyerName != e.buyer.Name {
			t.Errorf("pledgeable: %v %+v", err, pc)
		}
		// the rest, to the end: fulfilled
		for _, f := range []market.FulfilmentInput{{Kind: market.FulfilDelivered, OnDate: "2026-06-15", Quantity: 2500}} {
			if _, err := e.svc.Fulfil(ctx, e.member, c.ID, f); err != nil {
				t.Fatal(err)
			}
		}
		e.svc.Fulfil(ctx, e.buyerUsr, c.ID, market.FulfilmentInput{Kind: market.FulfilAccepted, OnDate: "2026-06-15", Quantity: 2500})
		c, err = e.svc.Fulfil(ctx, e.buyerUsr, c.ID, market.FulfilmentInput{Kind: market.FulfilPaid, OnDate: "2026-06-15", AmountFen: 2870000})
		if err != nil || c.Status != market.ContractFulfilled || c.ReceivableFen != 0 {
			t.Fatalf("fulfilled: %v %+v", err, c)
		}
		if c.OnTimeMet != 2 || c.OnTimeDue != 2 {
			t.Errorf("on time %d/%d", c.OnTimeMet, c.OnTimeDue)
		}
		// figures, facts and partners
		counts, fen, err := e.svc.ContractFigures(ctx, []string{county, e.Towns[0].Code, e.Towns[3].Code}, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || counts[0] != 1 || counts[1] != 1 || counts[2] != 0 || fen[0] != 3870000 {
			t.Errorf("figures: %v %v %v", err, counts, fen)
		}
		if n, _, _ := e.svc.ContractFigures(ctx, []string{county}, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Time{}); n[0] != 0 {
			t.Errorf("figures after the period: %v", n)
		}
		facts, err := e.svc.SubjectFacts(ctx, e.farm.ID)
		if err != nil || len(facts) != 4 || facts[0].Number != 1 || facts[2].Number != 100 || facts[3].Number != 100 {
			t.Errorf("facts: %v %+v", err, facts)
		}
		partners, err := e.svc.Counterparties(ctx, e.buyer.ID, time.Time{}, time.Time{})
		if err != nil || len(partners) != 1 || partners[0] != e.farm.ID {
			t.Errorf("partners: %v %v", err, partners)
		}
		if p, _ := e.svc.Counterparties(ctx, e.farm3.ID, time.Time{}, time.Time{}); len(p) != 0 {
			t.Errorf("farm3 partners: %v", p)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE entity = 'market_contract'`); n < 10 {
			t.Errorf("contract audit entries: %d", n)
		}
	})
}

func TestBrandsBatchesAndPublicPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d)
		if _, err := e.svc.CreateBrand(ctx, e.op, market.DemoBrands[0]); code(err) != apperr.Forbidden {
			t.Errorf("operator creates a brand: %v", err)
		}
		b, err := e.svc.CreateBrand(ctx, e.Admin, market.DemoBrands[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateBrand(ctx, e.Admin, market.DemoBrands[0]); code(err) != apperr.Conflict {
			t.Errorf("duplicate brand: %v", err)
		}
		in := market.AuthInput{SubjectID: e.hh.ID, Product: "脆李", DateFrom: "2026-01-01", DateTo: "2026-12-31", Quota: 1000, Unit: "公斤"}
		if _, err := e.svc.Authorise(ctx, e.op3, b.ID, in); code(err) != apperr.Forbidden {
			t.Errorf("op3 authorises a town 0 household: %v", err)
		}
		bad := in
		bad.Product, bad.Quota = "脐橙", 0
		_, err = e.svc.Authorise(ctx, e.op, b.ID, bad)
		if f := apperr.FieldsOf(err); !strings.Contains(f["product"], "只适用于") || f["quota"] == "" {
			t.Errorf("bad authorisation: %v", err)
		}
		a, err := e.svc.Authorise(ctx, e.op, b.ID, in)
		if err != nil || !a.Valid {
			t.Fatalf("authorise: %v %+v", err, a)
		}
		if n, _ := e.svc.BrandMembers(ctx, []string{county, e.Towns[3].Code}, 0, time.Time{}); n[0] != 1 || n[1] != 0 {
			t.Errorf("brand members: %v", n)
		}
		if n, _ := e.svc.BrandMembers(ctx, []string{county}, 0, time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)); n[0] != 0 {
			t.Errorf("brand members after the term: %v", n)
		}
		hhUser := &auth.Principal{UserID: 9, Username: "hh", Role: auth.Member, SubjectID: e.hh.ID}
		if _, err := e.svc.IssueBatch(ctx, e.member3, a.ID, market.BatchInput{Quantity: 10, HarvestDate: "2026-06-14"}); code(err) != apperr.NotFound {
			t.Errorf("another member issues: %v", err)
		}
		x, err := e.svc.IssueBatch(ctx, hhUser, a.ID, market.BatchInput{Quantity: 600, HarvestDate: "2026-06-14"})
		if err != nil || !strings.HasPrefix(x.Code, "WS260615") {
			t.Fatalf("batch: %v %+v", err, x)
		}
		_, err = e.svc.IssueBatch(ctx, hhUser, a.ID, market.BatchInput{Quantity: 401, HarvestDate: "2026-06-14"})
		if !strings.Contains(apperr.FieldsOf(err)["quantity"], "剩余 400") {
			t.Errorf("quota: %v", err)
		}
		// the public page needs no login and shows no personal data
		site := webtest.Start(t, d, e.svc.Routes)
		resp, err := http.Get(site.URL + "/trace/" + x.Code)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if resp.StatusCode != 200 || !strings.Contains(page, "巫山脆李") || !strings.Contains(page, "王**（农户）") || !strings.Contains(page, e.Regions.Name(e.Village(0))) {
			t.Errorf("public page %d: %.600s", resp.StatusCode, page)
		}
		for _, secret := range []string{"王大明", e.hh.IDNumber, fmt.Sprint(e.hh.ID)} {
			if secret != "" && strings.Contains(page, secret) {
				t.Errorf("public page shows %q", secret)
			}
		}
		resp, err = http.Get(site.URL + "/trace/" + x.Code + "/qr.png")
		if err != nil {
			t.Fatal(err)
		}
		png, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || len(png) < 200 || string(png[1:4]) != "PNG" {
			t.Errorf("qr: %d %s %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(png))
		}
		st, js := site.Anonymous().JSON("GET", "/api/v1/public/batches/"+x.Code, nil)
		if st != 200 || js["producer"] != "王**（农户）" {
			t.Errorf("public api: %d %v", st, js)
		}
		if st, _ := site.Anonymous().JSON("GET", "/api/v1/public/batches/WS000000ZZZZZZZZ", nil); st != 404 {
			t.Errorf("unknown code: %d", st)
		}
		if st, _ := site.Anonymous().JSON("GET", "/api/v1/market/listings", nil); st != 401 {
			t.Errorf("anonymous listings: %d", st)
		}
		// a branded listing needs a valid authorisation
		l := supplyIn()
		l.BrandID = b.ID
		if _, err := e.svc.CreateListing(ctx, e.member, l); apperr.FieldsOf(err)["brand_id"] == "" {
			t.Errorf("unauthorised brand on a listing: %v", err)
		}
	})
}

func TestEventsAndHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		site := webtest.Start(t, d, e.svc.Routes)
		op := site.User(auth.NewUser{Username: "op", DisplayName: "乡镇操作员", Role: auth.TownshipOperator, Scopes: []string{e.Towns[0].Code}})
		member := site.User(auth.NewUser{Username: "farm", DisplayName: "合作社", Role: auth.Member, SubjectID: e.farm.ID})
		viewer := site.User(auth.NewUser{Username: "viewer", Role: auth.Viewer, Scopes: []string{county}})
		bank := site.User(auth.NewUser{Username: "bank", Role: auth.Bank, Scopes: []string{county}})
		st, body := op.JSON("POST", "/api/v1/market/events", map[string]any{"kind": "livestream", "name": "脆李直播", "region_code": e.Towns[0].Code,
			"date_from": "2026-06-10", "date_to": "2026-06-10"})
		if st != 201 {
			t.Fatalf("event: %d %v", st, body)
		}
		eid := int64(body["id"].(float64))
		st, body = op.JSON("POST", fmt.Sprintf("/api/v1/market/events/%d/sales", eid), map[string]any{"subject_id": e.farm.ID, "volume": 300, "unit": "公斤", "sales_fen": 360000})
		if st != 200 || body["sales_fen"].(float64) != 360000 {
			t.Errorf("sale: %d %v", st, body)
		}
		if st, body = op.JSON("POST", "/api/v1/market/events", map[string]any{"kind": "party", "name": ""}); st != 422 || !strings.Contains(fmt.Sprint(body), "活动名称") {
			t.Errorf("bad event: %d %v", st, body)
		}
		if st, _ = viewer.JSON("POST", "/api/v1/market/events", map[string]any{"kind": "fair", "name": "x", "region_code": county, "date_from": "2026-06-10", "date_to": "2026-06-10"}); st != 403 {
			t.Errorf("viewer event: %d", st)
		}
		st, body = member.JSON("POST", "/api/v1/market/listings", map[string]any{"side": "supply", "product": "脆李", "grade": "一级", "quantity": 500, "unit": "公斤",
			"price_fen": 800, "date_from": "2026-07-01", "date_to": "2026-07-20"})
		if st != 201 {
			t.Fatalf("listing: %d %v", st, body)
		}
		listingID := int64(body["id"].(float64))
		if st, body = member.JSON("POST", "/api/v1/market/listings", map[string]any{"side": "supply", "unit": "公斤"}); st != 422 || !strings.Contains(fmt.Sprint(body), "请填写品名") {
			t.Errorf("bad listing: %d %v", st, body)
		}
		if st, body = viewer.JSON("GET", "/api/v1/market/listings?side=supply&product=脆", nil); st != 200 || body["total"].(float64) != 1 {
			t.Errorf("viewer list: %d %v", st, body)
		}
		if st, _ = bank.JSON("GET", "/api/v1/market/listings", nil); st != 403 {
			t.Errorf("bank listings: %d", st)
		}
		st, raw := viewer.Raw("GET", "/market/listings.xlsx?status=all", "", nil)
		if st != 200 || len(raw) < 100 || string(raw[:2]) != "PK" {
			t.Errorf("export: %d %d bytes", st, len(raw))
		}
		if header, rows, err := tabular.ReadAll(bytes.NewReader(raw), "x.xlsx"); err != nil || len(rows) != 1 || header[3] != "品名" || rows[0].Cells[3] != "脆李" || rows[0].Cells[7] != "8.00" {
			t.Errorf("listings sheet: %v %v %v", err, header, rows)
		}
		if st, raw = viewer.Raw("GET", "/market/contracts.xlsx", "", nil); st != 200 || string(raw[:2]) != "PK" {
			t.Errorf("contracts export: %d %d bytes", st, len(raw))
		}
		if st, _ = bank.Raw("GET", "/market/contracts.xlsx", "", nil); st != 403 {
			t.Errorf("bank contracts export: %d", st)
		}
		if st, raw = member.Raw("GET", "/market/listings", "", nil); st != 200 || !strings.Contains(string(raw), "脆李") {
			t.Errorf("listings page: %d", st)
		}
		// the edit form: the owner changes quantity and price; a bad price comes back as a field error; others cannot
		lid := fmt.Sprint(listingID)
		form := "product=脆李&grade=一级&quantity=650&unit=公斤&price=8.8&date_from=2026-07-01&date_to=2026-07-20"
		if st, _ = member.Raw("POST", "/market/listings/"+lid, "application/x-www-form-urlencoded", strings.NewReader(form)); st != 200 && st != 303 {
			t.Errorf("edit own listing: %d", st)
		}
		if l, _ := e.svc.GetListing(context.Background(), e.Admin, listingID); l == nil || l.Quantity != 650 || l.PriceFen != 880 {
			t.Errorf("after edit: %+v", l)
		}
		if st, raw = member.Raw("POST", "/market/listings/"+lid, "application/x-www-form-urlencoded", strings.NewReader(strings.Replace(form, "8.8", "8.888", 1))); st != 422 || !strings.Contains(string(raw), "最多两位小数") {
			t.Errorf("bad price edit: %d", st)
		}
		other := site.User(auth.NewUser{Username: "farm3", Role: auth.Member, SubjectID: e.farm3.ID})
		if st, _ = other.Raw("POST", "/market/listings/"+lid, "application/x-www-form-urlencoded", strings.NewReader(form)); st != 403 {
			t.Errorf("other member edits: %d", st)
		}
	})
}

// TestConcurrentBatchesNeverPassQuota: many clerks issuing batch codes at once against one authorisation never
// issue more than its quota, and each refusal is a field error.
func TestConcurrentBatchesNeverPassQuota(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d)
		b, err := e.svc.CreateBrand(ctx, e.Admin, market.DemoBrands[0])
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.Authorise(ctx, e.Admin, b.ID, market.AuthInput{SubjectID: e.farm.ID, Product: "脆李", DateFrom: "2026-01-01", DateTo: "2026-12-31", Quota: 1000, Unit: "公斤"})
		if err != nil {
			t.Fatal(err)
		}
		const workers = 40
		errs := make(chan error, workers)
		for i := 0; i < workers; i++ {
			go func() {
				_, err := e.svc.IssueBatch(ctx, e.op, a.ID, market.BatchInput{Quantity: 30, HarvestDate: "2026-06-14"})
				errs <- err
			}()
		}
		ok := 0
		for i := 0; i < workers; i++ {
			switch err := <-errs; {
			case err == nil:
				ok++
			case apperr.FieldsOf(err)["quantity"] == "":
				t.Errorf("refusal is not a quantity field error: %v", err)
			}
		}
		var used int
		if err := d.QueryRowContext(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM market_batches WHERE auth_id = ?`, a.ID).Scan(&used); err != nil {
			t.Fatal(err)
		}
		if ok != 33 || used != 990 {
			t.Errorf("%d batches issued, %d kg coded; want 33 and 990 of a 1000 kg quota", ok, used)
		}
	})
}

// TestConcurrentSignaturesTakeEffect: when seller and buyer sign at the same moment the contract still takes effect
// exactly once (the listings' quantities drop once).
func TestConcurrentSignaturesTakeEffect(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d)
		_, _, c := contractFlow(t, e)
		errs := make(chan error, 2)
		for _, p := range []*auth.Principal{e.member, e.buyerUsr} {
			go func() { _, err := e.svc.Sign(ctx, p, c.ID, ""); errs <- err }()
		}
		for i := 0; i < 2; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		got, err := e.svc.GetContract(ctx, e.Admin, c.ID)
		if err != nil || got.Status != market.ContractSigned || got.SignedAt == nil {
			t.Fatalf("both signed but status %q (%v)", got.Status, err)
		}
		if l, _ := e.svc.GetListing(ctx, e.Admin, c.SupplyID); l.Quantity != 6000 {
			t.Fatalf("supply left %d, want 6000", l.Quantity)
		}
	})
}

// TestImportListings: a sheet of listings posted on the subjects' behalf; bad rows come back with their line and
// Chinese message and write nothing; an operator cannot import for another township.
func TestImportListings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d)
		var buf bytes.Buffer
		tabular.WriteCSV(&buf, []string{"类型", "主体证件号", "品名", "等级", "数量", "单位", "单价（元）", "开始日期", "结束日期"}, [][]string{
			{"供应", e.farm.CreditCode, "脆李", "一级", "8000", "公斤", "8.5", "2026-07-01", "2026-07-31"},
			{"求购", e.buyer.CreditCode, "脆李", "", "3000", "公斤", "9", "2026-07-05", "2026-07-25"},
			{"供应", e.farm.CreditCode, "脆李", "一级", "8000", "箩筐", "8.5", "2026-07-01", "2026-07-31"},
			{"求购", e.farm.CreditCode, "脆李", "", "3000", "公斤", "9", "2026-07-05", "2026-07-25"},
			{"出售", "91500237XXXXXXXXXX", "脆李", "一级", "8000", "公斤", "8.555", "2026-07-01", "2026-07-31"},
		}, true)
		before := count(t, d, `SELECT COUNT(*) FROM market_listings`)
		res, err := imports.Run(ctx, d, market.ListingImporter{S: e.svc}, e.Admin, bytes.NewReader(buf.Bytes()), "listings.csv", nil)
		if err != nil || res.Imported != 2 || res.Rejected != 3 {
			t.Fatalf("import: %v %+v", err, res)
		}
		msgs := fmt.Sprint(res.Errors)
		for _, want := range []string{"单位应为", "求购方须先登记为采购商", "类型应为 供应 或 求购", "主体名录中没有该主体", "单价应为金额"} {
			if !strings.Contains(msgs, want) {
				t.Errorf("errors lack %q: %s", want, msgs)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM market_listings WHERE on_behalf = ?`, true); n != 2 || count(t, d, `SELECT COUNT(*) FROM market_listings`) != before+2 {
			t.Errorf("listings after import: %d proxy", n)
		}
		res, err = imports.Run(ctx, d, market.ListingImporter{S: e.svc}, e.op3, bytes.NewReader(buf.Bytes()), "listings.csv", nil)
		if err != nil || res.Imported != 1 || !strings.Contains(fmt.Sprint(res.Errors), "不在您的管辖范围内") {
			t.Errorf("op3 import (only the buyer in town 3 passes): %v %+v", err, res)
		}
	})
}

// BenchmarkCandidates ranks the counterparts of one supply listing among 3,000 open demand listings of the county
// (SQLite): the matcher reads them all and scores each, so this is the cost of opening a listing page.
func BenchmarkCandidates(b *testing.B) {
	ctx := context.Background()
	d := dbtest.SQLite(b)
	base := testenv.New(b, d, market.Migrations)
	svc := market.NewService(d, base.Regions, base.Reg)
	svc.SetClock(func() time.Time { return today })
	farm := base.Create(base.Org("cooperative", "基准合作社", base.Village(0)))
	var buyers []int64
	for i := 0; i < 30; i++ {
		x := base.Create(base.Org("enterprise", fmt.Sprintf("基准采购商%02d", i), base.Village(i%len(base.Towns))))
		if _, err := svc.RegisterBuyer(ctx, base.Admin, market.BuyerInput{SubjectID: x.ID, Channel: "wholesaler"}); err != nil {
			b.Fatal(err)
		}
		buyers = append(buyers, x.ID)
	}
	products := []string{"脆李", "脐橙", "洋芋", "鸡蛋", "党参", "大米"}
	for i := 0; i < 3000; i++ {
		in := demandIn(buyers[i%len(buyers)])
		in.Product, in.Quantity = products[i%len(products)], int64(1000+i)
		if _, err := svc.CreateListing(ctx, base.Admin, in); err != nil {
			b.Fatal(err)
		}
	}
	s, err := svc.CreateListing(ctx, &auth.Principal{UserID: 9, Role: auth.Member, SubjectID: farm.ID}, supplyIn())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		_, c, err := svc.Candidates(ctx, base.Admin, s.ID, 20)
		if err != nil || len(c) != 20 {
			b.Fatalf("%v %d", err, len(c))
		}
	}
}
