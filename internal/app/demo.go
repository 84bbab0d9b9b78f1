package app

import (
	"context"
	"sort"
	"time"

	"nongfu/internal/demo"
	"nongfu/internal/federation"
	"nongfu/internal/platform/db"
)

// AfterDemo lets rooms add their demo data once the register is loaded.
func (a *App) AfterDemo(ctx context.Context, res demo.Result) error {
	return a.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := a.Federation.SeedDemo(ctx, tx, federation.DemoSubjects{County: res.County, Townships: res.Townships, Orgs: res.Orgs, Households: res.HouseholdsByTownship}); err != nil {
			return err
		}
		if err := a.Books.SeedDemo(ctx, tx, res.Orgs["cooperative"], time.Now().Year()); err != nil {
			return err
		}
		var subjects []int64
		for _, ids := range res.HouseholdsByTownship {
			subjects = append(subjects, ids...)
		}
		for _, kind := range []string{"cooperative", "family_farm", "enterprise"} {
			subjects = append(subjects, res.Orgs[kind]...)
		}
		sort.Slice(subjects, func(i, j int) bool { return subjects[i] < subjects[j] })
		if err := a.Credit.SeedDemo(ctx, tx, res.Orgs["bank"], subjects, time.Now().UTC()); err != nil {
			return err
		}
		operators := append(append([]int64{}, res.Orgs["supply_coop"]...), res.Orgs["service_coop"]...)
		if err := a.Supply.SeedDemo(ctx, tx, res.Townships, operators); err != nil {
			return err
		}
		var households []int64
		for _, t := range res.Townships {
			households = append(households, res.HouseholdsByTownship[t]...)
		}
		return a.Services.SeedDemo(ctx, tx, res.Townships, res.Orgs, households)
	})
}
