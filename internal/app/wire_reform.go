package app

import (
	"context"

	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/reform"
)

// Wiring of the plan rooms: the indicator engine over every room's sources, the plan (reform), importers and demo
// data.

func (a *App) newPlan(ctx context.Context) error {
	a.Indicators = indicator.NewService(a.DB, indicator.NewRegistry(a.planSources()...))
	a.Plan = reform.NewService(a.DB, a.Regions, a.Indicators)
	return a.Plan.Init(ctx)
}

func (a *App) reformSources() []indicator.Source { return nil }

func (a *App) reformImporters() []imports.Importer { return nil }

func (a *App) seedReform(ctx context.Context, tx *db.Tx, res demo.Result) error { return nil }
