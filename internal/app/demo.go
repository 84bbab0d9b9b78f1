package app

import (
	"context"
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
		return a.Books.SeedDemo(ctx, tx, res.Orgs["cooperative"], time.Now().Year())
	})
}
