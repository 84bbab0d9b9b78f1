package app

import (
	"context"
	"time"

	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/service"
)

// Wiring of the services room: constructor, indicator sources, importers and demo data.

func (a *App) newServices(ctx context.Context) error {
	a.Services = service.NewService(a.DB, a.Regions, a.Registry)
	return nil
}

func (a *App) serviceSources() []indicator.Source {
	return []indicator.Source{
		indicator.Func{K: "service.centers", N: "为农服务中心（社会化服务模块，运营中的县级和乡镇中心）", F: func(ctx context.Context, q indicator.Query) (float64, error) {
			county, err := a.Services.CountCenters(ctx, service.LevelCounty, q.RegionPrefix)
			if err != nil {
				return 0, err
			}
			town, err := a.Services.CountCenters(ctx, service.LevelTownship, q.RegionPrefix)
			return float64(county + town), err
		}},
		indicator.Func{K: "service.signed_subjects", N: "签约服务主体（社会化服务模块，合同在有效期内的主体）", F: func(ctx context.Context, q indicator.Query) (float64, error) {
			n, err := a.Services.SignedSubjects(ctx, q.RegionPrefix, time.Now())
			return float64(n), err
		}},
	}
}

func (a *App) serviceImporters() []imports.Importer { return nil }

func (a *App) seedService(ctx context.Context, tx *db.Tx, res demo.Result) error {
	var households []int64
	for _, t := range res.Townships {
		households = append(households, res.HouseholdsByTownship[t]...)
	}
	return a.Services.SeedDemo(ctx, tx, res.Townships, res.Orgs, households)
}
