package app

import (
	"context"

	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/platform/jobs"
	"nongfu/internal/supply"
)

// Wiring of the supply room: constructor, indicator sources, importers and demo data.

func (a *App) newSupply(ctx context.Context) error {
	a.Supply = supply.NewService(a.DB, a.Regions, a.Registry)
	// the job runner is built after the rooms: hand over a getter (route plans solve in the background)
	a.Supply.SetJobs(func() *jobs.Service { return a.Jobs })
	return nil
}

func (a *App) supplySources() []indicator.Source {
	out := []indicator.Source{
		nodeSource{a: a, key: "supply.outlets", kind: "outlet", name: "流通网点（双向流通模块）"},
		nodeSource{a: a, key: "supply.stations", kind: "station", name: "一站式站点（双向流通模块）"},
	}
	for _, k := range supply.FigureKeys {
		out = append(out, supplyFigure{a: a, key: k})
	}
	return out
}

func (a *App) supplyImporters() []imports.Importer {
	return []imports.Importer{supply.NodeImporter{S: a.Supply}, supply.DistanceImporter{S: a.Supply}}
}

func (a *App) seedSupply(ctx context.Context, tx *db.Tx, res demo.Result) error {
	operators := append(append([]int64{}, res.Orgs["supply_coop"]...), res.Orgs["service_coop"]...)
	if err := a.Supply.SeedDemo(ctx, tx, res.Townships, operators); err != nil {
		return err
	}
	var households []int64
	for _, t := range res.Townships {
		households = append(households, res.HouseholdsByTownship[t]...)
	}
	return a.Supply.SeedFlows(ctx, tx, households)
}

// nodeSource counts active supply nodes of one kind under the region prefix (current state; periods ignored).
type nodeSource struct {
	a         *App
	key, kind string
	name      string
}

func (n nodeSource) Key() string  { return n.key }
func (n nodeSource) Name() string { return n.name }
func (n nodeSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	c, err := n.a.Supply.CountNodes(ctx, n.kind, q.RegionPrefix)
	return float64(c), err
}

// supplyFigure is one of the room's period figures (pooled volume and saving, delivered volume, reserve coverage,
// subsidy paid, price alerts); it answers many townships in one query.
type supplyFigure struct {
	a   *App
	key string
}

func (f supplyFigure) Key() string  { return f.key }
func (f supplyFigure) Name() string { return supply.FigureName(f.key) }
func (f supplyFigure) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := f.Values(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}
func (f supplyFigure) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	return f.a.Supply.Figures(ctx, f.key, prefixes, q.From, q.To, q.Filter)
}
