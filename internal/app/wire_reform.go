package app

import (
	"context"
	"time"

	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/reform"
)

// Wiring of the plan rooms: the indicator engine over every room's sources, the plan (reform), importers and demo
// data.

// indicatorCacheTTL bounds how long a cached cell lives when no write moves the change stamp (sources that
// depend on today's date).
const indicatorCacheTTL = 5 * time.Minute

func (a *App) newPlan(ctx context.Context) error {
	a.Indicators = indicator.NewService(a.DB, indicator.NewRegistry(a.planSources()...))
	a.Indicators.UseCache(indicator.AuditStamp(a.DB), indicatorCacheTTL)
	a.Indicators.RegionName = a.Regions.Name
	a.Indicators.RegionChoices = a.regionChoices
	a.Plan = reform.NewService(a.DB, a.Regions, a.Indicators)
	return a.Plan.Init(ctx)
}

// regionChoices are the counties and townships in a principal's scope, for the target and report forms.
func (a *App) regionChoices(p *auth.Principal) []indicator.RegionChoice {
	var out []indicator.RegionChoice
	for _, c := range a.Regions.Counties() {
		if len(p.Scopes) == 0 || p.InRegion(c.Code) {
			out = append(out, indicator.RegionChoice{Code: c.Code, Name: c.Name})
		}
		for _, t := range a.Regions.Children(c.Code) {
			if len(p.Scopes) == 0 || p.InRegion(t.Code) {
				out = append(out, indicator.RegionChoice{Code: t.Code, Name: c.Name + " · " + t.Name})
			}
		}
	}
	return out
}

func (a *App) reformSources() []indicator.Source { return nil }

func (a *App) reformImporters() []imports.Importer { return nil }

func (a *App) seedReform(ctx context.Context, tx *db.Tx, res demo.Result) error { return nil }
