package app

import (
	"context"

	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/market"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
)

// Wiring of the market room (产销对接, brands): constructor, indicator sources, importers and demo data.

func (a *App) newMarket(ctx context.Context) error {
	a.Market = market.NewService(a.DB, a.Regions, a.Registry)
	return nil
}

func (a *App) marketSources() []indicator.Source { return nil }

func (a *App) marketImporters() []imports.Importer { return nil }

func (a *App) seedMarket(ctx context.Context, tx *db.Tx, res demo.Result) error {
	return a.Market.SeedDemo(ctx, tx)
}
