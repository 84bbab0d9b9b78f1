package app

import (
	"context"
	"strconv"
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

// svcBatch is a batch source of the services room: one function answers many region prefixes at once.
type svcBatch struct {
	k, n string
	f    func(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error)
}

func (s svcBatch) Key() string  { return s.k }
func (s svcBatch) Name() string { return s.n }
func (s svcBatch) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := s.f(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}
func (s svcBatch) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	return s.f(ctx, q, prefixes)
}

func volumeFilter(q indicator.Query) service.VolumeFilter {
	pid, _ := strconv.ParseInt(q.Filter["provider"], 10, 64)
	return service.VolumeFilter{Service: q.Filter["service"], Mode: q.Filter["mode"], ProviderID: pid}
}

func (a *App) serviceSources() []indicator.Source {
	centers := func(levels ...string) func(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
		return func(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
			out := make([]float64, len(prefixes))
			for i, pre := range prefixes {
				for _, l := range levels {
					n, err := a.Services.CountCenters(ctx, l, pre)
					if err != nil {
						return nil, err
					}
					out[i] += float64(n)
				}
			}
			return out, nil
		}
	}
	return []indicator.Source{
		svcBatch{"service.centers", "为农服务中心（社会化服务模块，运营中的县级和乡镇中心）", centers(service.LevelCounty, service.LevelTownship)},
		svcBatch{"service.coops", "农村综合服务社（社会化服务模块，运营中）", centers(service.LevelCoop)},
		svcBatch{"service.stations", "村级便民服务站（社会化服务模块，运营中）", centers(service.LevelStation)},
		indicator.Func{K: "service.signed_subjects", N: "签约服务主体（社会化服务模块，合同在有效期内的主体）", F: func(ctx context.Context, q indicator.Query) (float64, error) {
			on := time.Now()
			if !q.To.IsZero() && q.To.Before(on) {
				on = q.To.Add(-time.Second)
			}
			n, err := a.Services.SignedSubjects(ctx, q.RegionPrefix, on)
			return float64(n), err
		}},
		svcBatch{"service.mu_times", "社会化服务面积（亩次；按完工日期，验收面积优先；筛选 service、mode、provider）", func(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
			mu, _, err := a.Services.VolumeBatch(ctx, prefixes, q.From, q.To, volumeFilter(q))
			return mu, err
		}},
		svcBatch{"service.standard_mu", "社会化服务标准亩（耕 0.36、种 0.27、防 0.10、收 0.27 折算）", func(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
			_, st, err := a.Services.VolumeBatch(ctx, prefixes, q.From, q.To, volumeFilter(q))
			return st, err
		}},
		svcBatch{"service.providers", "服务主体（正常经营；filter listed=1 只计名录库）", func(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
			return a.Services.CountProviders(ctx, prefixes, q.Filter["listed"] == "1")
		}},
		svcBatch{"service.machines", "服务主体农机（未停用；filter kind 为农机类型）", func(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
			return a.Services.CountMachines(ctx, prefixes, q.Filter["kind"])
		}},
		svcBatch{"training.trained_farmers", "高素质农民培育人数（按人去重，累计到期末）", func(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
			return a.Services.TrainedFarmers(ctx, prefixes, q.To)
		}},
	}
}

func (a *App) serviceImporters() []imports.Importer { return a.Services.Importers() }

func (a *App) seedService(ctx context.Context, tx *db.Tx, res demo.Result) error {
	var households []int64
	for _, t := range res.Townships {
		households = append(households, res.HouseholdsByTownship[t]...)
	}
	if err := a.Services.SeedDemo(ctx, tx, res.Townships, res.Orgs, households); err != nil {
		return err
	}
	start := time.Now()
	if err := a.Services.SeedTrusteeship(ctx, tx, res.Townships, res.Orgs, res.HouseholdsByTownship); err != nil {
		return err
	}
	a.Log.Info("service demo: providers, orders, training", "seconds", time.Since(start).Seconds())
	return nil
}
