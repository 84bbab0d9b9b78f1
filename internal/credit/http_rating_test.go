package credit_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
	"nongfu/internal/platform/webtest"
	"nongfu/internal/region"
)

// TestRatingHTTP: the rating API and screens answer by role, refuse bad input with field messages, and the bank
// needs a consent for ratings too.
func TestRatingHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		site := webtest.Start(t, d, e.svc.Routes)
		bank := e.org("bank", "巫山农商行")
		farmer := e.household("王德全", e.village, "脆李")
		admin := site.User(auth.NewUser{Username: "admin", Role: auth.CountyAdmin, Scopes: []string{county}})
		op := site.User(auth.NewUser{Username: "op", Role: auth.TownshipOperator, Scopes: []string{region.Township(e.village)}})
		b := site.User(auth.NewUser{Username: "bank", Role: auth.Bank, SubjectID: bank.ID})
		member := site.User(auth.NewUser{Username: "farmer", Role: auth.Member, SubjectID: farmer.ID})

		if st, _ := op.JSON("POST", "/api/v1/rating-models", map[string]any{"name": "x"}); st != 403 {
			t.Fatalf("operator creates model: %d", st)
		}
		st, body := admin.JSON("POST", "/api/v1/rating-models", map[string]any{"name": "农户评级", "definition": map[string]any{"indicators": []any{}, "grades": []any{}}})
		if st != 422 || !strings.Contains(fmt.Sprint(body), "至少需要一个指标") {
			t.Fatalf("empty model: %d %v", st, body)
		}
		var m struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		}
		if st := admin.Call("POST", "/api/v1/rating-models", map[string]any{"name": "农户评级"}, &m); st != 201 || m.Status != "draft" {
			t.Fatalf("create: %d %+v", st, m)
		}
		if st := admin.Call("POST", fmt.Sprintf("/api/v1/rating-models/%d/approve", m.ID), nil, &m); st != 200 || m.Status != "approved" {
			t.Fatalf("approve: %d %+v", st, m)
		}
		if st, _ := member.JSON("GET", "/api/v1/rating-models", nil); st != 403 {
			t.Fatalf("member lists models: %d", st)
		}
		var r struct {
			ID         int64  `json:"id"`
			Grade      string `json:"grade"`
			Reproduced bool   `json:"reproduced"`
		}
		if st := op.Call("POST", "/api/v1/ratings", map[string]any{"subject_id": farmer.ID}, &r); st != 201 || r.Grade == "" || !r.Reproduced {
			t.Fatalf("rate: %d %+v", st, r)
		}
		if st, _ := b.JSON("GET", fmt.Sprintf("/api/v1/ratings/%d", r.ID), nil); st != 403 {
			t.Fatalf("bank reads rating without consent: %d", st)
		}
		if st, _ := member.JSON("GET", fmt.Sprintf("/api/v1/ratings/%d", r.ID), nil); st != 200 {
			t.Fatalf("member reads own rating: %d", st)
		}
		if st, _ := op.JSON("PUT", "/api/v1/external-scores", map[string]any{"subject_id": farmer.ID, "scores": map[string]any{"ext.law": 99}}); st != 422 {
			t.Fatalf("external out of range: %d", st)
		}
		if st, _ := op.JSON("POST", "/api/v1/credit-records", map[string]any{"subject_id": farmer.ID, "category": "荣誉", "title": "", "source": "", "date": "x"}); st != 422 {
			t.Fatalf("bad record: %d", st)
		}
		if st, _ := member.JSON("POST", "/api/v1/credit-records", map[string]any{"subject_id": farmer.ID, "category": "penalty", "title": "x", "source": "本人", "date": "2025-01-01"}); st != 422 {
			t.Fatalf("member files a penalty: %d", st)
		}
		var batch struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		}
		if st, _ := b.JSON("POST", "/api/v1/credit-batches", map[string]any{"region_code": e.village}); st != 403 {
			t.Fatalf("bank starts batch: %d", st)
		}
		if st := op.Call("POST", "/api/v1/credit-batches", map[string]any{"region_code": e.village}, &batch); st != 202 || batch.Status != "done" {
			t.Fatalf("batch: %d %+v", st, batch)
		}
		if st, _ := op.JSON("GET", fmt.Sprintf("/api/v1/credit-batches/%d/rows?list=bogus", batch.ID), nil); st != 422 {
			t.Fatalf("bad list: %d", st)
		}
		st, page := op.Page(fmt.Sprintf("/credit/batches/%d", batch.ID))
		if st != 200 || !strings.Contains(page, "公示名单") || strings.Contains(page, "王德全") || !strings.Contains(page, "王*全") {
			t.Fatalf("batch page: %d", st)
		}
		if st, _ := op.Raw("GET", fmt.Sprintf("/credit/batches/%d/export", batch.ID), "", nil); st != 200 {
			t.Fatalf("export: %d", st)
		}
		for _, p := range []string{"/credit/ratings", "/credit/models", "/credit/batches", fmt.Sprintf("/credit/models/%d", m.ID), fmt.Sprintf("/credit/ratings/%d", r.ID),
			"/credit/insurance", "/credit/subsidies", fmt.Sprintf("/credit/files/%d", farmer.ID)} {
			if st, _ := admin.Page(p); st != 200 {
				t.Errorf("%s: %d", p, st)
			}
		}
		if st, page := member.Page("/credit/peer"); st != 200 || !strings.Contains(page, "尚未接入") {
			t.Errorf("peer page without source: %d", st)
		}
		partner := e.household("李秀英", e.village, "脆李")
		e.svc.Partners = partnerMap{farmer.ID: {partner.ID}}
		if st, page := member.Page("/credit/peer"); st != 200 || !strings.Contains(page, "李秀英") {
			t.Errorf("peer page with a partner: %d", st)
		}
		if st, _ := member.Form("POST", "/credit/peer", url.Values{"period": {fmt.Sprint(today.Year())}, "ratee_id": {fmt.Sprint(partner.ID)}, "score": {"88"}}); st != 303 && st != 200 {
			t.Errorf("peer rating: %d", st)
		}
		if st, _ := member.JSON("GET", fmt.Sprintf("/api/v1/peer-reviews?subject_id=%d&period=%d", partner.ID, today.Year()), nil); st != 403 {
			t.Errorf("member reads another's peer reviews: %d", st)
		}
		var pr struct {
			Result struct {
				Count int     `json:"count"`
				Score float64 `json:"score"`
			} `json:"result"`
		}
		if st := op.Call("GET", fmt.Sprintf("/api/v1/peer-reviews?subject_id=%d&period=%d", partner.ID, today.Year()), nil, &pr); st != 200 || pr.Result.Count != 1 || pr.Result.Score != 88 {
			t.Errorf("peer result: %d %+v", st, pr)
		}
		if st, _ := admin.Page("/credit/peer"); st != 403 {
			t.Errorf("admin on the member's peer page: %d", st)
		}
		// records and batch conditions from the screens
		if st, _ := member.Form("POST", fmt.Sprintf("/credit/files/%d/records", farmer.ID), url.Values{"category": {"machine"}, "title": {"微耕机"}, "quantity": {"1"}, "unit": {"台"},
			"amount": {"4500"}, "source": {"本人申报"}, "date": {"2025-03-01"}}); st != 303 && st != 200 {
			t.Errorf("member declares an asset: %d", st)
		}
		if st, page := member.Page(fmt.Sprintf("/credit/files/%d", farmer.ID)); st != 200 || !strings.Contains(page, "微耕机") || !strings.Contains(page, "本人申报") {
			t.Errorf("asset on the file: %d", st)
		}
		if st, _ := member.Form("POST", fmt.Sprintf("/credit/files/%d/records", farmer.ID), url.Values{"category": {"judgement"}, "title": {"x"}, "source": {"x"}, "date": {"2025-03-01"}}); st != 422 {
			t.Errorf("member files a judgement: %d", st)
		}
		if st, _ := op.Form("POST", "/credit/batches", url.Values{"region_code": {e.village}, "min_grade": {"AAA"}, "village_credit_pct": {"x"}, "village_clean_pct": {"85"}, "village_max_npl_pct": {"5"}}); st != 422 {
			t.Errorf("bad batch condition: %d", st)
		}
		if st, _ := op.Form("POST", "/credit/batches", url.Values{"region_code": {e.village}, "min_grade": {"AAA"}, "no_arrears": {"1"}, "village_credit_pct": {"90"}, "village_clean_pct": {"85"}, "village_max_npl_pct": {"5"}}); st != 303 && st != 200 {
			t.Errorf("batch with conditions: %d", st)
		}
		var bl struct {
			Items []struct {
				Version int `json:"version"`
				Config  struct {
					MinGrade         string  `json:"min_grade"`
					NoBadRecord      bool    `json:"no_bad_record"`
					VillageCreditPct float64 `json:"village_credit_pct"`
				} `json:"config"`
			} `json:"items"`
		}
		if st := op.Call("GET", "/api/v1/credit-batches?region_code="+e.village, nil, &bl); st != 200 || len(bl.Items) != 2 || bl.Items[0].Config.MinGrade != "AAA" ||
			bl.Items[0].Config.NoBadRecord || bl.Items[0].Config.VillageCreditPct != 90 {
			t.Errorf("batch conditions kept: %d %+v", st, bl)
		}
		if st, _ := member.Page("/credit/subsidies"); st != 403 {
			t.Errorf("member sees subsidies: %d", st)
		}
		if st, _ := admin.JSON("PUT", "/api/v1/subsidy-rules", map[string]any{"year": 2025, "share_pct": 0}); st != 422 {
			t.Errorf("bad subsidy rule: %d", st)
		}
	})
}
