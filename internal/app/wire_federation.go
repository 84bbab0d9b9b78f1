package app

import (
	"context"
	"strings"

	"nongfu/internal/demo"
	"nongfu/internal/federation"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
)

// Wiring of the 农合联 room: indicator sources, importers and demo data.

func (a *App) newFederation(ctx context.Context) error {
	a.Federation = federation.NewService(a.DB, a.Regions, a.Registry)
	return nil
}

func (a *App) federationSources() []indicator.Source {
	return []indicator.Source{fedSource{a: a}, memberSource{a: a}}
}

func (a *App) federationImporters() []imports.Importer {
	return []imports.Importer{federation.MembershipImporter{S: a.Federation}}
}

func (a *App) seedFederation(ctx context.Context, tx *db.Tx, res demo.Result) error {
	return a.Federation.SeedDemo(ctx, tx, federation.DemoSubjects{County: res.County, Townships: res.Townships, Orgs: res.Orgs, Households: res.HouseholdsByTownship})
}

// fedSource counts active federations whose region code starts with the prefix; filter level = county, township
// or industry. A 片区 federation counts under its first township (its region code).
type fedSource struct{ a *App }

func (fedSource) Key() string  { return "federation.federations" }
func (fedSource) Name() string { return "农合联名录（农合联模块）" }

func (s fedSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := s.Values(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (s fedSource) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	p := s.a.platformReader("plan-indicators", commonPrefix(prefixes))
	feds, _, err := s.a.Federation.ListFederations(ctx, p, federation.FedFilter{Level: q.Filter["level"], Status: federation.FedActive, PerPage: 100000})
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(prefixes))
	for _, f := range feds {
		if !inPeriod(f.EstablishedOn, q) {
			continue
		}
		for i, pre := range prefixes {
			if strings.HasPrefix(f.RegionCode, pre) {
				out[i]++
			}
		}
	}
	return out, nil
}

// memberSource counts distinct subjects with an approved federation membership (会员单位), by the township the
// membership was filed in.
type memberSource struct{ a *App }

func (memberSource) Key() string { return "federation.members" }
func (memberSource) Name() string {
	return "农合联会员（已入会的不同主体，农合联模块）"
}

func (s memberSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	pre := q.RegionPrefix
	p := s.a.platformReader("plan-indicators", pre)
	if len(p.Scopes) == 0 {
		return 0, nil
	}
	if len(pre) <= 6 {
		// whole counties: the room's own distinct count
		o, err := s.a.Federation.Overview(ctx, p)
		if err != nil {
			return 0, err
		}
		return float64(o.Subjects), nil
	}
	// a township or village: the approved memberships filed in that township, distinct subjects
	town := pad12(pre[:min(9, len(pre))])
	seen := map[int64]bool{}
	for page := 1; ; page++ {
		items, total, err := s.a.Federation.ListMemberships(ctx, p, federation.MembershipFilter{Status: federation.StatusApproved, Township: town, Page: page, PerPage: 1000})
		if err != nil {
			return 0, err
		}
		for _, m := range items {
			if strings.HasPrefix(m.RegionCode, pre) || strings.HasPrefix(m.TownshipCode, pre) {
				seen[m.SubjectID] = true
			}
		}
		if page*1000 >= total || len(items) == 0 {
			break
		}
	}
	return float64(len(seen)), nil
}
