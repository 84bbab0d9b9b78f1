package app

import (
	"context"

	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/supervision"
)

// Wiring of the supervision room (progress reports, 督办, 专项资金): constructor, indicator sources, importers and
// demo data.

func (a *App) newSupervision(ctx context.Context) error {
	a.Supervision = supervision.NewService(a.DB, a.Regions, a.Plan)
	return nil
}

func (a *App) supervisionSources() []indicator.Source { return nil }

func (a *App) supervisionImporters() []imports.Importer { return nil }

func (a *App) seedSupervision(ctx context.Context, tx *db.Tx, res demo.Result) error {
	return a.Supervision.SeedDemo(ctx, tx)
}
