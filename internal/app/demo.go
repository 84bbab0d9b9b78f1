package app

import (
	"context"

	"nongfu/internal/demo"
	"nongfu/internal/platform/db"
)

// AfterDemo lets rooms add their demo data once the register is loaded; each room's seeding lives in its wiring
// file, called in dependency order (credit reads services and market history; supervision reports on the plan).
func (a *App) AfterDemo(ctx context.Context, res demo.Result) error {
	return a.DB.InTx(ctx, func(tx *db.Tx) error {
		for _, seed := range []func(context.Context, *db.Tx, demo.Result) error{a.seedFederation, a.seedBooks, a.seedService,
			a.seedSupply, a.seedMarket, a.seedCredit, a.seedReform, a.seedSupervision} {
			if err := seed(ctx, tx, res); err != nil {
				return err
			}
		}
		return nil
	})
}
