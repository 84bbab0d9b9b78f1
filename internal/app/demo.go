package app

import (
	"context"

	"nongfu/internal/demo"
	"nongfu/internal/federation"
	"nongfu/internal/platform/db"
)

// AfterDemo lets rooms add their demo data once the register is loaded.
func (a *App) AfterDemo(ctx context.Context, res demo.Result) error {
	return a.DB.InTx(ctx, func(tx *db.Tx) error {
		return a.Federation.SeedDemo(ctx, tx, federation.DemoSubjects{County: res.County, Townships: res.Townships, Orgs: res.Orgs, Households: res.HouseholdsByTownship})
	})
}
