package app

import (
	"context"

	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/supply"
)

// Wiring of the supply room: constructor, indicator sources, importers and demo data.

func (a *App) newSupply(ctx context.Context) error {
	a.Supply = supply.NewService(a.DB, a.Regions, a.Registry)
	return nil
}

func (a *App) supplySources() []indicator.Source {
	return []indicator.Source{
		nodeSource{a: a, key: "supply.outlets", kind: "outlet", name: "流通网点（双向流通模块）"},
		nodeSource{a: a, key: "supply.stations", kind: "station", name: "一站式站点（双向流通模块）"},
	}
}

func (a *App) supplyImporters() []imports.Importer { return nil }

func (a *App) seedSupply(ctx context.Context, tx *db.Tx, res demo.Result) error {
	operators := append(append([]int64{}, res.Orgs["supply_coop"]...), res.Orgs["service_coop"]...)
	return a.Supply.SeedDemo(ctx, tx, res.Townships, operators)
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
