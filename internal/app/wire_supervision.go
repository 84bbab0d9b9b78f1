package app

import (
	"context"
	"fmt"

	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/supervision"
)

// Wiring of the supervision room (progress reports, 督办, 专项资金): constructor, indicator sources, importers and
// demo data.

func (a *App) newSupervision(ctx context.Context) error {
	a.Supervision = supervision.NewService(a.DB, a.Regions, a.Registry, a.Auth, a.Plan)
	return a.Supervision.Init(ctx)
}

// supervisionSources: supervision.funds_budget_yuan, supervision.funds_disbursed_yuan, supervision.tasks_lagging;
// they reach the room at query time (it is constructed after the indicator engine).
func (a *App) supervisionSources() []indicator.Source {
	return supervision.Sources(func() *supervision.Service { return a.Supervision })
}

func (a *App) supervisionImporters() []imports.Importer { return nil }

// seedSupervision registers the plan's units in the register, binds the demo department account to 县农业农村委
// and the county admin to 县供销合作社, then adds reports, notices and funds.
func (a *App) seedSupervision(ctx context.Context, tx *db.Tx, res demo.Result) error {
	if _, err := a.Supervision.SyncUnitsTx(ctx, tx, nil); err != nil {
		return fmt.Errorf("supervision units: %w", err)
	}
	links := map[string]string{"department": "县农业农村委", "county_admin": "县供销合作社"}
	for username, unit := range links {
		u, err := a.Auth.UserByUsername(ctx, username) // created and committed before this transaction
		if err != nil {
			continue
		}
		if err := a.Supervision.LinkUserTx(ctx, tx, unit, u.ID); err != nil {
			return err
		}
	}
	return a.Supervision.SeedDemo(ctx, tx)
}
