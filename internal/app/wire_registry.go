package app

import (
	"context"

	"nongfu/internal/indicator"
	"nongfu/internal/platform/imports"
	"nongfu/internal/registry"
)

// Wiring of the master register: indicator sources and importers.

func (a *App) registrySources() []indicator.Source { return []indicator.Source{subjectSource{a: a}} }

func (a *App) registryImporters() []imports.Importer {
	return []imports.Importer{registry.SubjectImporter{S: a.Registry}, registry.MemberImporter{S: a.Registry}, registry.PlotImporter{S: a.Registry}}
}

// subjectSource counts active subjects of the register under the region; filter kind (registry kind code, e.g.
// service_coop) and industry.
type subjectSource struct{ a *App }

func (subjectSource) Key() string  { return "registry.subjects" }
func (subjectSource) Name() string { return "主体名录（一数一源，主体登记模块）" }

func (s subjectSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	p := s.a.platformReader("plan-indicators", q.RegionPrefix)
	if len(p.Scopes) == 0 {
		return 0, nil
	}
	f := registry.Filter{Kind: q.Filter["kind"], Industry: q.Filter["industry"], PerPage: 1}
	if q.RegionPrefix != "" {
		f.RegionCode = pad12(q.RegionPrefix)
	}
	_, total, err := s.a.Registry.List(ctx, p, f)
	return float64(total), err
}
