package reform

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
	"nongfu/internal/registry"
	"nongfu/internal/tabular"
)

// Data exchange (⑰). Other systems pull through the API with a machine token (POST /api/v1/auth/tokens, kind
// api_token): subjects and figures change by a cursor — the audit sequence of the write, gap-free and shared by every
// room, so one number says "everything up to here" — and a catalogue lists each dataset with its fields, owner room
// and last change. Pushing figures is POST /api/v1/indicator-reports (reported values, approved by the task
// force). Any indicator table exports to .xlsx or CSV.

// Dataset is an entry of the data catalogue.
type Dataset struct {
	Key       string     `json:"key"`
	Name      string     `json:"name"`
	Owner     string     `json:"owner" doc:"负责模块"`
	Endpoint  string     `json:"endpoint"`
	Sync      string     `json:"sync,omitempty" doc:"增量同步接口"`
	Fields    []Field    `json:"fields"`
	UpdatedAt *time.Time `json:"updated_at" doc:"最近一次变更时间"`
	Cursor    int64      `json:"cursor" doc:"最近一次变更的序号"`
	entities  []string
}

// Field is a dataset field.
type Field struct {
	Name string `json:"name"`
	Note string `json:"note"`
}

func f(name, note string) Field { return Field{Name: name, Note: note} }

// catalogue is the datasets the platform exchanges.
func catalogue() []Dataset {
	return []Dataset{
		{Key: "subjects", Name: "经营主体名录", Owner: "主体登记（一数一源）", Endpoint: "/api/v1/subjects", Sync: "/api/v1/exchange/subjects?after=",
			Fields: []Field{f("id", "主体编号"), f("kind", "类型"), f("name", "名称"), f("credit_code", "统一社会信用代码"), f("id_number", "身份证号（脱敏）"),
				f("region_code", "区划代码"), f("industries", "主导产业"), f("status", "状态"), f("updated_at", "更新时间")}, entities: []string{"subject"}},
		{Key: "indicators", Name: "指标定义", Owner: "指标引擎", Endpoint: "/api/v1/indicators", Sync: "/api/v1/exchange/figures?after=",
			Fields:   []Field{f("key", "标识"), f("name", "名称"), f("unit", "单位"), f("aggregation", "汇总方式"), f("source", "数据源"), f("filter", "筛选")},
			entities: []string{"indicator"}},
		{Key: "targets", Name: "指标目标值", Owner: "指标引擎", Endpoint: "/api/v1/indicators/{key}/targets", Sync: "/api/v1/exchange/figures?after=",
			Fields: []Field{f("indicator_key", "指标"), f("region_code", "区划"), f("year", "年度"), f("value", "目标值")}, entities: []string{"indicator_target"}},
		{Key: "reports", Name: "指标填报值", Owner: "指标引擎（工作专班审核）", Endpoint: "/api/v1/indicator-reports", Sync: "/api/v1/exchange/figures?after=",
			Fields:   []Field{f("indicator_key", "指标"), f("region_code", "区划"), f("as_of", "截至日期"), f("value", "数值"), f("unit_name", "填报单位"), f("status", "审核状态")},
			entities: []string{"indicator_report"}},
		{Key: "plan_kpis", Name: "工作方案量化指标（实际值与目标）", Owner: "改革督办", Endpoint: "/api/v1/plan/kpis?region=",
			Fields:   []Field{f("key", "标识"), f("name", "名称"), f("actual", "实际值"), f("targets", "按年度目标"), f("source", "computed / reported")},
			entities: []string{"plan", "indicator", "indicator_target", "indicator_report"}},
		{Key: "kpi_table", Name: "指标分区表（下级区划×指标）", Owner: "改革督办", Endpoint: "/api/v1/dashboard/table?region=&format=xlsx|csv",
			Fields: []Field{f("区划代码", ""), f("区划", ""), f("各指标", "按指标格式")}, entities: []string{"indicator", "indicator_report"}},
		{Key: "bases", Name: "数字农业基地", Owner: "改革督办（产业数字化地图）", Endpoint: "/api/v1/digital-bases", Sync: "/api/v1/exchange/figures?after=",
			Fields:   []Field{f("name", "名称"), f("type", "类型"), f("level", "级别"), f("status", "状态"), f("region_code", "区划"), f("lng/lat", "坐标")},
			entities: []string{"digital_base"}},
		{Key: "map", Name: "产业数字化地图图层", Owner: "改革督办（汇集各模块）", Endpoint: "/api/v1/map?region=&layer=&industry=",
			Fields: []Field{f("layer", "图层"), f("name", "名称"), f("kind", "类型"), f("industry", "产业"), f("lng/lat", "坐标")}, entities: []string{"digital_base", "subject"}},
	}
}

// canExchange: staff reading across the county (and machine tokens of those roles).
func canExchange(p *auth.Principal) error {
	if !p.Is(auth.CountyAdmin, auth.Sysadmin, auth.Taskforce, auth.Department, auth.Viewer) {
		return apperr.New(apperr.Forbidden, "您的角色不能使用数据交换接口")
	}
	return nil
}

// Catalogue lists the datasets with their last change.
func (s *Service) Catalogue(ctx context.Context, p *auth.Principal) ([]Dataset, error) {
	if err := canExchange(p); err != nil {
		return nil, err
	}
	ds := catalogue()
	for i := range ds {
		seq, at, err := audit.LastChange(ctx, s.db, ds[i].entities)
		if err != nil {
			return nil, err
		}
		if seq > 0 {
			t := at
			ds[i].UpdatedAt, ds[i].Cursor = &t, seq
		}
	}
	return ds, nil
}

// FigureChange is one change of a figure (indicator, target, reported value or base).
type FigureChange struct {
	Cursor   int64           `json:"cursor"`
	At       time.Time       `json:"at"`
	Entity   string          `json:"entity" doc:"indicator / indicator_target / indicator_report / digital_base"`
	EntityID int64           `json:"entity_id"`
	Action   string          `json:"action"`
	Summary  string          `json:"summary"`
	Record   json.RawMessage `json:"record" doc:"变更后的记录"`
}

// Feed is a page of changes.
type Feed[T any] struct {
	Items []T   `json:"items"`
	Next  int64 `json:"next" doc:"下次请求的 after"`
	More  bool  `json:"more" doc:"还有后续变更"`
}

// FigureChanges lists figure changes after a cursor, oldest first.
func (s *Service) FigureChanges(ctx context.Context, p *auth.Principal, after int64, limit int) (Feed[FigureChange], error) {
	if err := canExchange(p); err != nil {
		return Feed[FigureChange]{}, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 500
	}
	recs, err := audit.Since(ctx, s.db, []string{"indicator", "indicator_target", "indicator_report", "digital_base"}, after, limit)
	if err != nil {
		return Feed[FigureChange]{}, err
	}
	out := Feed[FigureChange]{Items: []FigureChange{}, Next: after, More: len(recs) == limit}
	for _, r := range recs {
		out.Next = r.Seq
		rec := json.RawMessage(r.After)
		if len(rec) == 0 || !json.Valid(rec) {
			rec = json.RawMessage("null")
		}
		// a report's region decides who may see it; the others are county-wide configuration
		if r.Entity == "indicator_report" || r.Entity == "digital_base" {
			var x struct {
				RegionCode string `json:"region_code"`
			}
			if json.Unmarshal(rec, &x) == nil && x.RegionCode != "" && len(p.Scopes) > 0 && !p.InRegion(x.RegionCode) {
				continue
			}
		}
		out.Items = append(out.Items, FigureChange{Cursor: r.Seq, At: r.At, Entity: r.Entity, EntityID: r.EntityID, Action: r.Action, Summary: r.Summary, Record: rec})
	}
	return out, nil
}

func cursorArgs(r *http.Request) (int64, int) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	return after, limit
}

func (s *Service) exchangeRoutes(srv *web.Server) {
	srv.AddMenu(web.MenuItem{Group: "改革督办", Label: "数据目录与交换", Path: "/data/catalog", Order: 75,
		Roles: []auth.Role{auth.CountyAdmin, auth.Sysadmin, auth.Taskforce, auth.Department, auth.Viewer}})
	const roles = "county_admin, sysadmin, taskforce, department, viewer（含其机器令牌）"
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/exchange/catalog", Summary: "数据目录：数据集、字段、负责模块、更新时间", Tag: "exchange",
		Response: web.List[Dataset]{}, Roles: roles},
		func(w http.ResponseWriter, r *http.Request) error {
			ds, err := s.Catalogue(r.Context(), web.Principal(r))
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.List[Dataset]{Items: ds, Total: len(ds), Page: 1, PerPage: len(ds)})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/exchange/subjects", Summary: "主体增量同步：after 之后变更的主体（脱敏），按变更序号升序", Tag: "exchange",
		Query: []string{"after", "limit"}, Response: Feed[registry.Change]{}, Roles: roles},
		func(w http.ResponseWriter, r *http.Request) error {
			if s.Register == nil {
				return apperr.New(apperr.NotFound, "主体同步未启用")
			}
			after, limit := cursorArgs(r)
			if limit <= 0 || limit > 1000 {
				limit = 500
			}
			items, next, err := s.Register.Changes(r.Context(), web.Principal(r), after, limit)
			if err != nil {
				return err
			}
			if items == nil {
				items = []registry.Change{}
			}
			head, err := audit.Head(r.Context(), s.db)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, Feed[registry.Change]{Items: items, Next: next, More: next < head && next > after})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/exchange/figures", Summary: "指标数据增量同步：指标定义、目标值、填报值、基地的变更", Tag: "exchange",
		Query: []string{"after", "limit"}, Response: Feed[FigureChange]{}, Roles: roles},
		func(w http.ResponseWriter, r *http.Request) error {
			after, limit := cursorArgs(r)
			fd, err := s.FigureChanges(r.Context(), web.Principal(r), after, limit)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, fd)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/dashboard/table", Summary: "导出指标分区表（下级区划×指标），format=xlsx（默认）或 csv", Tag: "exchange",
		Query: []string{"region", "format", "kpi"}, Roles: readRolesDoc}, s.tableExport)
	srv.Page("GET /data/catalog", s.catalogPage)
}

// tableExport writes KPIs × the region's children (and the region's own total) as .xlsx or CSV; kpi= limits it to
// one indicator with its targets.
func (s *Service) tableExport(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	q := r.URL.Query()
	code, err := s.Region(p, q.Get("region"))
	if err != nil {
		return err
	}
	b, err := s.KPIs(r.Context(), p, code)
	if err != nil {
		return err
	}
	items := b.Items
	if k := q.Get("kpi"); k != "" {
		items = nil
		for _, it := range b.Items {
			if it.Key == k || it.Indicator == k {
				items = append(items, it)
			}
		}
		if items == nil {
			// any indicator, not only the plan's
			x, err := s.Indicators.GetIndicator(r.Context(), k)
			if err != nil {
				return err
			}
			items = []KPI{{Key: x.Key, Name: x.Name, Unit: x.Unit, Indicator: x.Key, Format: x.Format}}
		}
	}
	keys := make([]string, len(items))
	header := []string{"区划代码", "区划"}
	for i, k := range items {
		keys[i] = k.Indicator
		header = append(header, k.Name+"（"+k.Unit+"）")
	}
	regions := []string{code}
	names := []string{s.regions.Name(code) + "（合计）"}
	for _, c := range s.regions.Children(code) {
		regions = append(regions, c.Code)
		names = append(names, c.Name)
	}
	cells, err := s.Indicators.EvaluateMany(r.Context(), keys, regions, indicator.Period{})
	if err != nil {
		return err
	}
	var rows [][]string
	for j, reg := range regions {
		row := []string{reg, names[j]}
		for i, k := range items {
			c := cells[i][j]
			if c.Err != nil {
				row = append(row, "")
				continue
			}
			v := c.Value
			if k.Unit == "元" {
				row = append(row, strconv.FormatFloat(v, 'f', 2, 64))
			} else {
				row = append(row, strconv.FormatFloat(v, 'f', -1, 64))
			}
		}
		rows = append(rows, row)
	}
	if len(items) == 1 {
		header = append(header, "2024年目标", "2027年目标")
		for j, reg := range regions {
			t, err := s.Indicators.Targets(r.Context(), items[0].Indicator, reg)
			if err != nil {
				return err
			}
			for _, y := range []int{2024, 2027} {
				if v, ok := t[y]; ok {
					rows[j] = append(rows[j], strconv.FormatFloat(v, 'f', -1, 64))
				} else {
					rows[j] = append(rows[j], "")
				}
			}
		}
	}
	name := "指标分区表-" + s.regions.Name(code) + "-" + time.Now().In(web.Shanghai).Format("20060102")
	if q.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name+".csv"))
		return tabular.WriteCSV(w, header, rows, true)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name+".xlsx"))
	return tabular.WriteXLSX(w, tabular.Sheet{Name: "指标分区表", Header: header, Rows: rows})
}

func (s *Service) catalogPage(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.Catalogue(r.Context(), web.Principal(r))
	if err != nil {
		return err
	}
	head, err := audit.Head(r.Context(), s.db)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "reform/catalog.html", map[string]any{"Items": ds, "Head": head})
}
