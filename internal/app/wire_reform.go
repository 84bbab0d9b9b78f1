package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"nongfu/internal/demo"
	"nongfu/internal/federation"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/reform"
	"nongfu/internal/registry"
	"nongfu/internal/service"
	"nongfu/internal/supply"
)

// Wiring of the plan rooms: the indicator engine over every room's sources, the plan (reform), importers and demo
// data.

// indicatorCacheTTL bounds how long a cached cell lives when no write moves the change stamp (sources that
// depend on today's date).
const indicatorCacheTTL = 5 * time.Minute

func (a *App) newPlan(ctx context.Context) error {
	a.Indicators = indicator.NewService(a.DB, indicator.NewRegistry(a.withDepends(a.planSources())...))
	a.Indicators.UseCache(indicator.AuditStamp(a.DB), indicatorCacheTTL)
	a.Indicators.RegionName = a.Regions.Name
	a.Indicators.RegionChoices = a.regionChoices
	a.Plan = reform.NewService(a.DB, a.Regions, a.Indicators)
	a.Plan.Register = a.Registry
	a.Plan.Subjects = drillLister{a: a}
	a.Plan.Layers = a.mapLayers()
	return a.Plan.Init(ctx)
}

// sourceDepends are the audit entities each room's adapter source reads (see the wire files): a cached cell of a
// source survives writes to other entities. A source not listed (or one a room adds later) is recomputed after any
// write. Sources that join subjects (members, loans, contracts) also depend on "subject".
var sourceDepends = map[string][]string{
	"registry.subjects":        {"subject"},
	"federation.federations":   {"federation"},
	"federation.members":       {"membership", "federation", "subject"},
	"service.centers":          {"service_center"},
	"service.signed_subjects":  {"service_contract", "service_center", "subject"},
	"supply.outlets":           {"supply_node", "supply_demo"},
	"supply.stations":          {"supply_node", "supply_demo"},
	"credit.disbursed_yuan":    {"loan", "credit", "subject"},
	"digital.smart_agri_bases": {"digital_base"},
}

func (a *App) withDepends(sources []indicator.Source) []indicator.Source {
	out := make([]indicator.Source, len(sources))
	for i, s := range sources {
		out[i] = s
		switch s.Key() {
		case "registry.subjects":
			s = subjectBatch{Source: s, a: a}
		case "federation.members":
			s = memberBatch{Source: s, a: a}
		}
		out[i] = s
		if _, ok := s.(indicator.Dependent); ok {
			continue // the room declared its own
		}
		if deps, ok := sourceDepends[s.Key()]; ok {
			out[i] = indicator.WithDepends(s, deps...)
		}
	}
	return out
}

// subjectBatch gives the register's source a batch answer: the register's own count table, one query for every
// township (registry.Service.CountsByPrefix) instead of one list per township, each of which walks the register to
// fill its page (~80 ms per township with a kind filter on SQLite on the 38-county demo). Same rule as the room's
// source: active subjects, kind and industry filters. The register's wiring could adopt it.
type subjectBatch struct {
	indicator.Source
	a *App
}

func (s subjectBatch) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := s.Values(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (s subjectBatch) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	out := make([]float64, len(prefixes))
	p := s.a.platformReader("plan-indicators", commonPrefix(prefixes))
	if len(p.Scopes) == 0 {
		return out, nil
	}
	n, err := s.a.Registry.CountsByPrefix(ctx, p, q.Filter["kind"], q.Filter["industry"], prefixes)
	if err != nil {
		return nil, err
	}
	for i, v := range n {
		out[i] = float64(v)
	}
	return out, nil
}

// memberBatch gives the federation room's member source a batch answer for townships and villages: one pass over
// the county's approved memberships, distinct subjects per prefix, with the room source's own rule (a membership
// counts under the region of its subject or the township it was filed in); whole counties go to the room's source
// (its overview's distinct count).
type memberBatch struct {
	indicator.Source
	a *App
}

func (m memberBatch) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	out := make([]float64, len(prefixes))
	var deep []int
	for i, pre := range prefixes {
		if len(pre) <= 6 {
			qi := q
			qi.RegionPrefix = pre
			v, err := m.Source.Value(ctx, qi)
			if err != nil {
				return nil, err
			}
			out[i] = v
			continue
		}
		deep = append(deep, i)
	}
	if len(deep) == 0 {
		return out, nil
	}
	var asked []string
	for _, i := range deep {
		asked = append(asked, prefixes[i])
	}
	p := m.a.platformReader("plan-indicators", commonPrefix(asked))
	if len(p.Scopes) == 0 {
		return out, nil
	}
	seen := make([]map[int64]bool, len(prefixes))
	for _, i := range deep {
		seen[i] = map[int64]bool{}
	}
	for page := 1; ; page++ {
		items, total, err := m.a.Federation.ListMemberships(ctx, p, federation.MembershipFilter{Status: federation.StatusApproved, Page: page, PerPage: 1000})
		if err != nil {
			return nil, err
		}
		for _, x := range items {
			for _, i := range deep {
				pre := prefixes[i]
				// the room's source asks by the township the membership was filed in, then matches either code
				if len(x.TownshipCode) >= 9 && strings.HasPrefix(pre, x.TownshipCode[:9]) && (strings.HasPrefix(x.RegionCode, pre) || strings.HasPrefix(x.TownshipCode, pre)) {
					seen[i][x.SubjectID] = true
				}
			}
		}
		if page*1000 >= total || len(items) == 0 {
			break
		}
	}
	for _, i := range deep {
		out[i] = float64(len(seen[i]))
	}
	return out, nil
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

func (a *App) reformSources() []indicator.Source { return []indicator.Source{baseSource{a: a}} }

func (a *App) reformImporters() []imports.Importer { return nil }

// baseSource counts the bases of the 产业数字化地图 (filter type — default smart_agri, "all" for every type —,
// level, status — default operating —, industry); a period counts those built in it.
type baseSource struct{ a *App }

func (baseSource) Key() string { return "digital.smart_agri_bases" }
func (baseSource) Name() string {
	return "数字农业基地（产业数字化地图，建成运行的智慧农业实验示范基地）"
}

func (s baseSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := s.Values(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (s baseSource) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	return s.a.Plan.CountBases(ctx, q.Filter, q.From, q.To, prefixes)
}

// drillLister lists the records behind a KPI's number through the owning room's Go API, with the caller's own
// principal (the room's permissions and masking apply).
type drillLister struct{ a *App }

func (d drillLister) ListSubjects(ctx context.Context, p *auth.Principal, source string, filter map[string]string, regionCode string, page, perPage int) ([]reform.SubjectRow, int, bool, error) {
	a := d.a
	prefix := indicator.Prefix(regionCode)
	var rows []reform.SubjectRow
	// lists a room returns whole: cut the page here
	cut := func(all []reform.SubjectRow) ([]reform.SubjectRow, int, bool, error) {
		from := min((page-1)*perPage, len(all))
		return all[from:min(from+perPage, len(all))], len(all), true, nil
	}
	switch source {
	case "registry.subjects":
		items, total, err := a.Registry.List(ctx, p, registry.Filter{Kind: filter["kind"], Industry: filter["industry"], RegionCode: pad12(prefix), Page: page, PerPage: perPage, Sort: "name"})
		if err != nil {
			return nil, 0, true, err
		}
		for _, x := range items {
			rows = append(rows, reform.SubjectRow{Name: x.Name, Kind: x.KindLabel, RegionName: x.RegionName, Detail: strings.Join(x.Industries, "、"), Link: fmt.Sprintf("/subjects/%d", x.ID)})
		}
		return rows, total, true, nil
	case "federation.federations":
		feds, _, err := a.Federation.ListFederations(ctx, p, federation.FedFilter{Level: filter["level"], Status: federation.FedActive, PerPage: 100000})
		if err != nil {
			return nil, 0, true, err
		}
		for _, f := range feds {
			if strings.HasPrefix(f.RegionCode, prefix) {
				rows = append(rows, reform.SubjectRow{Name: f.Name, Kind: f.LevelLabel, RegionName: f.RegionName, Detail: strings.Join(f.TownshipNames, "、"), Link: fmt.Sprintf("/federations/%d", f.ID)})
			}
		}
		return cut(rows)
	case "service.centers", "service.coops", "service.stations":
		levels := map[string][]string{"service.centers": {service.LevelCounty, service.LevelTownship},
			"service.coops": {service.LevelCoop}, "service.stations": {service.LevelStation}}[source]
		for _, level := range levels {
			cs, _, err := a.Services.ListCenters(ctx, p, service.CenterFilter{Level: level, Status: "operating", Region: regionCode, PerPage: 10000})
			if err != nil {
				return nil, 0, true, err
			}
			for _, c := range cs {
				rows = append(rows, reform.SubjectRow{Name: c.Name, Kind: c.LevelLabel, RegionName: c.RegionName, Detail: c.StatusLabel, Link: fmt.Sprintf("/service/centers/%d", c.ID)})
			}
		}
		return cut(rows)
	case "supply.outlets", "supply.stations":
		kind := strings.TrimSuffix(strings.TrimPrefix(source, "supply."), "s")
		nodes, err := a.supplyNodes(ctx, p, kind, prefix)
		if err != nil {
			return nil, 0, true, err
		}
		for _, n := range nodes {
			rows = append(rows, reform.SubjectRow{Name: n.Name, Kind: n.KindLabel, RegionName: n.RegionName, Detail: n.StatusLabel + " · " + n.OperatorName, Link: fmt.Sprintf("/supply/nodes/%d", n.ID)})
		}
		return cut(rows)
	case "digital.smart_agri_bases":
		counts := map[string]string{"type": filter["type"], "status": filter["status"]}
		if counts["type"] == "" {
			counts["type"] = "smart_agri"
		}
		if counts["status"] == "" {
			counts["status"] = "operating"
		}
		bases, err := a.Plan.ListBases(ctx, reform.BaseFilter{RegionPrefix: prefix, Type: counts["type"], Status: counts["status"], Level: filter["level"]})
		if err != nil {
			return nil, 0, true, err
		}
		for _, b := range bases {
			rows = append(rows, reform.SubjectRow{Name: b.Name, Kind: b.TypeLabel + " · " + b.LevelLabel, RegionName: b.RegionName, Detail: "建成 " + b.EstablishedOn, Link: fmt.Sprintf("/digital-map/bases/%d", b.ID)})
		}
		return cut(rows)
	}
	return nil, 0, false, nil
}

// supplyNodes lists the supply room's nodes of a kind under a prefix that p may read.
func (a *App) supplyNodes(ctx context.Context, p *auth.Principal, kind, prefix string) ([]*supply.Node, error) {
	f := supply.NodeFilter{Kind: kind, PerPage: 100000}
	if len(prefix) >= 9 {
		f.Township = pad12(prefix[:9])
	}
	nodes, _, err := a.Supply.ListNodes(ctx, p, f)
	if err != nil {
		return nil, err
	}
	var out []*supply.Node
	for _, n := range nodes {
		if strings.HasPrefix(n.RegionCode, prefix) && n.Status != "closed" {
			out = append(out, n)
		}
	}
	return out, nil
}

// mapLayers are the 产业数字化地图's layers from other rooms, each read with the caller's principal.
func (a *App) mapLayers() []reform.MapLayer {
	return []reform.MapLayer{
		layerFunc{key: "subjects", name: "新型经营主体", colour: "#1565c0", f: func(ctx context.Context, p *auth.Principal, prefix, industry string) ([]reform.MapPoint, error) {
			var out []reform.MapPoint
			err := a.Registry.Each(ctx, p, registry.Filter{RegionCode: pad12(prefix), Industry: industry}, func(x *registry.Subject) error {
				if x.Kind == "household" || (x.Lng == 0 && x.Lat == 0) {
					return nil
				}
				out = append(out, reform.MapPoint{Layer: "subjects", Name: x.Name, Kind: x.KindLabel, Industry: strings.Join(x.Industries, "、"), RegionCode: x.RegionCode,
					Lng: x.Lng, Lat: x.Lat, Link: fmt.Sprintf("/subjects/%d", x.ID)})
				return nil
			})
			return out, err
		}},
		layerFunc{key: "plots", name: "地块", colour: "#8d6e63", f: func(ctx context.Context, p *auth.Principal, prefix, industry string) ([]reform.MapPoint, error) {
			plots, _, err := a.Registry.Plots(ctx, p, registry.PlotFilter{RegionCode: pad12(prefix), Crop: industry, PerPage: reform.MaxLayerPoints})
			if err != nil {
				return nil, err
			}
			var out []reform.MapPoint
			for _, pl := range plots {
				if pl.Lng == 0 && pl.Lat == 0 {
					continue
				}
				out = append(out, reform.MapPoint{Layer: "plots", Name: pl.Name + "（" + pl.SubjectName + "）", Kind: fmt.Sprintf("%.1f 亩", pl.AreaMu), Industry: pl.Crop,
					RegionCode: pl.RegionCode, Lng: pl.Lng, Lat: pl.Lat})
			}
			return out, nil
		}},
		layerFunc{key: "centers", name: "服务载体（中心、服务社、站）", colour: "#2f7d32", f: func(ctx context.Context, p *auth.Principal, prefix, industry string) ([]reform.MapPoint, error) {
			cs, _, err := a.Services.ListCenters(ctx, p, service.CenterFilter{Region: pad12(prefix), PerPage: 10000})
			if err != nil {
				return nil, err
			}
			var out []reform.MapPoint
			for _, c := range cs {
				if c.Status == "closed" {
					continue
				}
				out = append(out, reform.MapPoint{Layer: "centers", Name: c.Name, Kind: c.LevelLabel + "·" + c.StatusLabel, RegionCode: c.RegionCode, Lng: c.Lng, Lat: c.Lat,
					Link: fmt.Sprintf("/service/centers/%d", c.ID)})
			}
			return out, nil
		}},
		a.nodeLayer("outlets", "outlet", "流通网点", "#ef6c00"),
		a.nodeLayer("stations", "station", "一站式站点", "#6a1b9a"),
	}
}

func (a *App) nodeLayer(key, kind, name, colour string) reform.MapLayer {
	return layerFunc{key: key, name: name, colour: colour, f: func(ctx context.Context, p *auth.Principal, prefix, industry string) ([]reform.MapPoint, error) {
		nodes, err := a.supplyNodes(ctx, p, kind, prefix)
		if err != nil {
			return nil, err
		}
		var out []reform.MapPoint
		for _, n := range nodes {
			out = append(out, reform.MapPoint{Layer: key, Name: n.Name, Kind: n.KindLabel, RegionCode: n.RegionCode, Lng: n.Lng, Lat: n.Lat})
		}
		return out, nil
	}}
}

// layerFunc is a map layer made of a function.
type layerFunc struct {
	key, name, colour string
	f                 func(ctx context.Context, p *auth.Principal, prefix, industry string) ([]reform.MapPoint, error)
}

func (l layerFunc) Key() string    { return l.key }
func (l layerFunc) Name() string   { return l.name }
func (l layerFunc) Colour() string { return l.colour }
func (l layerFunc) Points(ctx context.Context, p *auth.Principal, prefix, industry string) ([]reform.MapPoint, error) {
	return l.f(ctx, p, prefix, industry)
}

// seedReform adds the room's demo data: bases on the map, approved reported values for the KPIs no room on this
// build measures, and township targets for the service scale (the county's 2027 target split by households).
func (a *App) seedReform(ctx context.Context, tx *db.Tx, res demo.Result) error {
	return a.Plan.SeedDemo(ctx, tx, res.County, res.Townships, time.Now())
}
