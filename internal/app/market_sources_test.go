package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"nongfu/internal/app"
	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/dbtest"
)

// TestMarketSourcesEqualAPICounts: the market.* indicator sources, for the county and each township and for a
// period, equal counts made independently from the room's JSON API; the demo makes every market screen alive.
func TestMarketSourcesEqualAPICounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := app.StartTest(t, d, 60)
		ctx := context.Background()
		admin := s.Token("county_admin", demo.DemoPassword)
		var contracts struct {
			Total int `json:"total"`
			Items []struct {
				Status       string     `json:"status"`
				SellerRegion string     `json:"seller_region"`
				SignedAt     *time.Time `json:"signed_at"`
				Amount       int64      `json:"effective_amount_fen"`
			} `json:"items"`
		}
		if st := s.Call(admin, "GET", "/api/v1/market/contracts?per_page=500", nil, &contracts); st != 200 || contracts.Total < 10 {
			t.Fatalf("contracts: %d %d", st, contracts.Total)
		}
		var brands struct {
			Items []struct {
				ID      int64  `json:"id"`
				Name    string `json:"name"`
				Members int    `json:"members"`
			} `json:"items"`
		}
		if st := s.Call(admin, "GET", "/api/v1/market/brands", nil, &brands); st != 200 || len(brands.Items) != 8 {
			t.Fatalf("brands: %d %d", st, len(brands.Items))
		}
		var listings struct {
			Total int `json:"total"`
		}
		if st := s.Call(admin, "GET", "/api/v1/market/listings?status=&side=demand&per_page=1", nil, &listings); st != 200 || listings.Total == 0 {
			t.Fatalf("listings: %d %d", st, listings.Total)
		}
		src := func(key string) indicator.Source {
			x, ok := s.Indicators.Sources.Get(key)
			if !ok {
				t.Fatalf("source %s not registered", key)
			}
			return x
		}
		year := time.Now().In(shanghai).Year()
		period := indicator.Year(year)
		prefixes := []string{s.Demo.County[:6]}
		for _, tw := range s.Demo.Townships {
			prefixes = append(prefixes, tw[:9])
		}
		for _, pre := range prefixes {
			var n, inYear int
			var value int64
			for _, c := range contracts.Items {
				if (c.Status == "signed" || c.Status == "fulfilled") && strings.HasPrefix(c.SellerRegion, pre) {
					n++
					value += c.Amount
					if !c.SignedAt.Before(period.From) && c.SignedAt.Before(period.To) {
						inYear++
					}
				}
			}
			got, err := src("market.contracts").Value(ctx, indicator.Query{RegionPrefix: pre})
			if err != nil || got != float64(n) {
				t.Errorf("market.contracts %s = %v (%v), API counts %d", pre, got, err, n)
			}
			got, _ = src("market.contracts").Value(ctx, indicator.Query{RegionPrefix: pre, From: period.From, To: period.To})
			if got != float64(inYear) {
				t.Errorf("market.contracts %s in %d = %v, API counts %d", pre, year, got, inYear)
			}
			got, _ = src("market.contract_value_yuan").Value(ctx, indicator.Query{RegionPrefix: pre})
			if got != float64(value)/100 {
				t.Errorf("market.contract_value_yuan %s = %v, API sums %v", pre, got, float64(value)/100)
			}
		}
		// brand members: batch answer equals the single answers; the county equals the distinct authorised subjects
		bs := src("market.brand_members").(indicator.BatchSource)
		vals, err := bs.Values(ctx, indicator.Query{}, prefixes)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for i, pre := range prefixes[1:] {
			one, _ := bs.Value(ctx, indicator.Query{RegionPrefix: pre})
			if one != vals[i+1] {
				t.Errorf("brand members %s: batch %v, single %v", pre, vals[i+1], one)
			}
			sum += one
		}
		if vals[0] == 0 || vals[0] != sum {
			t.Errorf("brand members county %v, townships sum %v", vals[0], sum)
		}
		cuiliMembers := 0
		for _, b := range brands.Items {
			if b.Name == "巫山脆李" {
				cuiliMembers = b.Members
			}
		}
		if got, err := bs.Value(ctx, indicator.Query{RegionPrefix: prefixes[0], Filter: map[string]string{"brand": "巫山脆李"}}); err != nil || got != float64(cuiliMembers) {
			t.Errorf("brand filter: %v %v, brand page says %d", got, err, cuiliMembers)
		}
		if _, err := bs.Value(ctx, indicator.Query{Filter: map[string]string{"brand": "没有的品牌"}}); err == nil {
			t.Error("unknown brand accepted")
		}
		got, err := src("market.listings").Value(ctx, indicator.Query{RegionPrefix: prefixes[0], Filter: map[string]string{"side": "demand"}})
		if err != nil || got != float64(listings.Total) {
			t.Errorf("market.listings demand %v (%v), API %d", got, err, listings.Total)
		}
	})
}
