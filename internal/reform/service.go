// Package reform is the plan itself as data (一、目标任务, 附件1, 附件2 of the 巫山县 “三位一体” work plan): its KPIs
// with their 2024 and 2027 targets, each bound to an indicator of the indicator engine. A KPI whose source room
// does not exist yet is "reported" (its last reported value) until a room registers the source; then it is
// computed from live platform data. The plan ships embedded (plan.json, every number cited to its paragraph of the
// seed text) and is loaded into tables at first start.
package reform

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

//go:embed migrations
var migrationsFS embed.FS

//go:embed plan.json
var planJSON []byte

// Migrations is the room's schema (it references indicators, so it is applied after the indicator room).
var Migrations = db.RoomMigrations("reform", migrationsFS, "migrations")

// Cite is where a number stands in the plan text.
type Cite struct {
	Where string `json:"where" doc:"方案中的位置，如 一、目标任务 第1段、附件2 第1项"`
	Text  string `json:"text" doc:"原文"`
}

// PlanKPI is one quantified target of the plan as the embedded file writes it.
type PlanKPI struct {
	Key          string             `json:"key"`
	Name         string             `json:"name"`
	Unit         string             `json:"unit"`
	Format       string             `json:"format"`
	Comparator   string             `json:"comparator"`
	Source       string             `json:"source"`
	Filter       map[string]string  `json:"filter"`
	Fallback     string             `json:"fallback"`
	FallbackF    map[string]string  `json:"fallback_filter"`
	Targets      map[string]float64 `json:"targets"`
	AltTargets   map[string]float64 `json:"alt_targets"`
	Inconsistent string             `json:"inconsistent"`
	Note         string             `json:"note"`
	Cite         []Cite             `json:"cite"`
}

// Plan is the embedded work plan.
type Plan struct {
	Title    string    `json:"title"`
	IssuedBy string    `json:"issued_by"`
	IssuedOn string    `json:"issued_on"`
	Region   string    `json:"region"`
	Seed     string    `json:"seed"`
	KPIs     []PlanKPI `json:"kpis"`
}

// LoadPlan parses the embedded plan file.
func LoadPlan() (Plan, error) {
	var p Plan
	if err := json.Unmarshal(planJSON, &p); err != nil {
		return p, fmt.Errorf("plan.json: %w", err)
	}
	seen := map[string]bool{}
	for _, k := range p.KPIs {
		if k.Key == "" || seen[k.Key] {
			return p, fmt.Errorf("plan.json: empty or duplicate KPI key %q", k.Key)
		}
		seen[k.Key] = true
		for y := range k.Targets {
			if _, err := strconv.Atoi(y); err != nil {
				return p, fmt.Errorf("plan.json: KPI %s: year %q", k.Key, y)
			}
		}
	}
	return p, nil
}

// Service is the room's use cases.
type Service struct {
	db         *db.DB
	regions    *region.Service
	Indicators *indicator.Service
	now        func() time.Time
	// Tasks counts the plan's work items by status (the supervision room; nil until wired).
	Tasks TaskStatusSource
	// Subjects lists the records behind a number (wired by the app over the rooms' Go APIs; nil: no drill-down).
	Subjects SubjectLister
	// Register is the master register, for the subjects' change feed (set by the wiring).
	Register *registry.Service
	// Layers are the 产业数字化地图's layers from other rooms (wired by the app).
	Layers []MapLayer
}

// NewService wires the room.
func NewService(d *db.DB, regions *region.Service, ind *indicator.Service) *Service {
	return &Service{db: d, regions: regions, Indicators: ind, now: time.Now}
}

// Init loads the embedded plan at first start (an indicator per KPI, the targets, the KPI rows) in one
// transaction with one summary audit record; it does nothing once the plan is loaded, so edits are kept.
func (s *Service) Init(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM plan_kpis`).Scan(&n); err != nil {
		return fmt.Errorf("reform init: %w", err)
	}
	if n > 0 {
		return s.rebind(ctx)
	}
	plan, err := LoadPlan()
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var inds []indicator.Indicator
		for _, k := range plan.KPIs {
			inds = append(inds, indicator.Indicator{Key: k.Key, Name: k.Name, Unit: k.Unit, Format: k.Format, Aggregation: indicator.AggValue,
				Source: k.Source, Filter: k.Filter, Fallback: k.Fallback, FallbackFilter: k.FallbackF, Description: "工作方案指标：" + k.Name})
		}
		if _, err := s.Indicators.SeedTx(ctx, tx, inds); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		for i, k := range plan.KPIs {
			years := make([]string, 0, len(k.Targets))
			for y := range k.Targets {
				years = append(years, y)
			}
			sort.Strings(years)
			for _, y := range years {
				yi, _ := strconv.Atoi(y)
				if err := s.Indicators.SetTargetTx(ctx, tx, audit.System, indicator.Target{IndicatorKey: k.Key, RegionCode: plan.Region, Year: yi, Value: k.Targets[y], Note: "工作方案"}); err != nil {
					return fmt.Errorf("target %s %s: %w", k.Key, y, err)
				}
			}
			cmp := k.Comparator
			if cmp == "" {
				cmp = ">="
			}
			alt, _ := json.Marshal(orEmpty(k.AltTargets))
			cite, _ := json.Marshal(k.Cite)
			if _, err := tx.ExecContext(ctx, `INSERT INTO plan_kpis (key, name, unit, indicator_key, region_code, sort, comparator, alt_targets, inconsistent, note, cite, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				k.Key, k.Name, k.Unit, k.Key, plan.Region, i+1, cmp, string(alt), k.Inconsistent, k.Note, string(cite), now, now); err != nil {
				return fmt.Errorf("insert plan KPI %s: %w", k.Key, err)
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "create", Entity: "plan",
			Summary: fmt.Sprintf("载入工作方案《%s》的 %d 项量化指标及其目标值", plan.Title, len(plan.KPIs)),
			After:   map[string]any{"issued_by": plan.IssuedBy, "issued_on": plan.IssuedOn, "region": plan.Region, "kpis": len(plan.KPIs)}})
	})
}

// rebinds are the plan KPIs moved to better sources after databases were loaded with the first plan file.
var rebinds = []struct {
	key, from string
}{
	{"service_coops", "registry.subjects"},
	{"interest_subsidy_yuan", "market.reserve_interest_subsidy_yuan"},
}

// rebind moves the plan's KPIs still bound to an old source onto the plan file's source (kept if staff re-pointed).
func (s *Service) rebind(ctx context.Context) error {
	plan, err := LoadPlan()
	if err != nil {
		return err
	}
	by := map[string]PlanKPI{}
	for _, k := range plan.KPIs {
		by[k.Key] = k
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, r := range rebinds {
			k := by[r.key]
			if _, err := s.Indicators.Rebind(ctx, tx, r.key, r.from, k.Source, k.Filter, k.Fallback, k.FallbackF); err != nil {
				return err
			}
		}
		return nil
	})
}

func orEmpty(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

// Source kinds of a KPI's actual value.
const (
	SourceComputed = "computed"
	SourceReported = "reported"
)

// KPI is a plan KPI with its actual value for a region.
type KPI struct {
	Key          string             `json:"key"`
	Name         string             `json:"name"`
	Unit         string             `json:"unit"`
	Actual       float64            `json:"actual" doc:"实际值（元、个、人、亩次、%）"`
	ActualText   string             `json:"actual_text" doc:"按指标格式显示的实际值"`
	Targets      map[string]float64 `json:"targets" doc:"按年度的目标值，如 {\"2024\": 7, \"2027\": 13}"`
	AltTargets   map[string]float64 `json:"alt_targets,omitempty" doc:"方案中另一处写法不同的目标值（口径不一致）"`
	Progress     map[string]float64 `json:"progress" doc:"按年度的完成率（%）"`
	Comparator   string             `json:"comparator" doc:">= 达到 / > 超过"`
	Source       string             `json:"source" doc:"computed 平台实时计算 / reported 尚无数据源，取最近填报值"`
	SourceKey    string             `json:"source_key"`
	SourceName   string             `json:"source_name"`
	Indicator    string             `json:"indicator"`
	Format       string             `json:"format"`
	Inconsistent string             `json:"inconsistent,omitempty" doc:"方案原文前后不一致的说明"`
	Note         string             `json:"note,omitempty"`
	Cite         []Cite             `json:"cite"`
	ReportedOn   string             `json:"reported_on,omitempty"`
	Error        string             `json:"error,omitempty" doc:"数据源计算失败时的说明"`
}

// Board is the plan's KPIs for one region.
type Board struct {
	Region     string `json:"region"`
	RegionName string `json:"region_name"`
	Items      []KPI  `json:"items"`
}

type kpiRow struct {
	key, name, unit, indicator, region, comparator, alt, inconsistent, note, cite, reportedOn string
	reported                                                                                  float64
}

func (s *Service) kpiRows(ctx context.Context) ([]kpiRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, name, unit, indicator_key, region_code, comparator, alt_targets, inconsistent, note, cite, reported_value, reported_on
		FROM plan_kpis ORDER BY sort, key`)
	if err != nil {
		return nil, fmt.Errorf("list plan KPIs: %w", err)
	}
	defer rows.Close()
	var out []kpiRow
	for rows.Next() {
		var r kpiRow
		if err := rows.Scan(&r.key, &r.name, &r.unit, &r.indicator, &r.region, &r.comparator, &r.alt, &r.inconsistent, &r.note, &r.cite, &r.reported, &r.reportedOn); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Region resolves the region a request asks for: the given code, or the caller's (first) scope, or the plan's
// county; it must lie inside the caller's scope.
func (s *Service) Region(p *auth.Principal, code string) (string, error) {
	if err := indicator.CanRead(p); err != nil {
		return "", err
	}
	if code == "" {
		if len(p.Scopes) > 0 {
			code = p.Scopes[0]
		} else if plan, err := LoadPlan(); err == nil {
			code = plan.Region
		}
	}
	if _, ok := s.regions.Get(code); !ok {
		return "", apperr.FieldErrors(map[string]string{"region": "区划代码不存在"})
	}
	if len(p.Scopes) > 0 && !p.InRegion(code) {
		return "", apperr.New(apperr.Forbidden, "该区划不在您的管辖范围内")
	}
	return code, nil
}

// KPIs returns the plan's KPIs for a region: the actual value (computed over the registered sources, rolled up
// over the region, or the last reported value), the targets set for that region by year, and progress.
func (s *Service) KPIs(ctx context.Context, p *auth.Principal, regionCode string) (Board, error) {
	code, err := s.Region(p, regionCode)
	if err != nil {
		return Board{}, err
	}
	rows, err := s.kpiRows(ctx)
	if err != nil {
		return Board{}, err
	}
	inds, err := s.Indicators.ListIndicators(ctx)
	if err != nil {
		return Board{}, err
	}
	byKey := map[string]indicator.Indicator{}
	for _, x := range inds {
		byKey[x.Key] = x
	}
	targets, err := s.Indicators.TargetsIn(ctx, code)
	if err != nil {
		return Board{}, err
	}
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.indicator
	}
	cells, err := s.Indicators.EvaluateMany(ctx, keys, []string{code}, indicator.Period{})
	if err != nil {
		return Board{}, err
	}
	b := Board{Region: code, RegionName: s.regions.Name(code), Items: make([]KPI, 0, len(rows))}
	for i, r := range rows {
		x := byKey[r.indicator]
		k := KPI{Key: r.key, Name: r.name, Unit: r.unit, Indicator: r.indicator, SourceKey: x.Source, Format: x.Format, Comparator: r.comparator,
			Inconsistent: r.inconsistent, Note: r.note, Targets: map[string]float64{}, Progress: map[string]float64{}}
		_ = json.Unmarshal([]byte(r.cite), &k.Cite)
		if alt := map[string]float64{}; json.Unmarshal([]byte(r.alt), &alt) == nil && len(alt) > 0 && code == r.region {
			k.AltTargets = alt
		}
		c := cells[i][0]
		eff := s.Indicators.Effective(x)
		switch {
		case c.Computed:
			k.Source, k.Actual = SourceComputed, c.Value
			if src, ok := s.Indicators.Sources.Get(eff.Source); ok {
				k.SourceName = src.Name()
				if eff.Source != x.Source {
					k.SourceName += "（" + x.Source + " 上线前的代用数据源）"
				}
			}
		case c.Reported:
			k.Source, k.Actual, k.ReportedOn = SourceReported, c.Value, c.AsOf
			k.SourceName = "尚无平台数据源（" + x.Source + "），取责任单位填报并经工作专班审核的最近数值"
			if c.AsOf == "" {
				k.SourceName = "尚无平台数据源（" + x.Source + "），尚无审核通过的填报"
			}
		default:
			// a registered source failed: say so rather than show a wrong number
			k.Source = SourceComputed
			if c.Err != nil {
				k.Error = "数据源计算失败：" + c.Err.Error()
			}
			if src, ok := s.Indicators.Sources.Get(eff.Source); ok {
				k.SourceName = src.Name()
			}
		}
		k.ActualText = indicator.FormatValue(k.Actual, x.Format, x.Unit)
		for y, v := range targets[r.indicator] {
			ys := strconv.Itoa(y)
			k.Targets[ys] = v
			if v > 0 {
				k.Progress[ys] = k.Actual / v * 100
			}
		}
		b.Items = append(b.Items, k)
	}
	return b, nil
}

// Table is computed KPIs × the child regions of a region (townships of a county, villages of a township).
type Table struct {
	KPIs    []KPI       `json:"kpis"`
	Regions []RegionRef `json:"regions"`
	Values  [][]string  `json:"values" doc:"values[区划][指标]，按指标格式显示"`
	Raw     [][]float64 `json:"raw"`
}

// RegionRef is a region in a table.
type RegionRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Breakdown evaluates the computed KPIs of board for every child region of board's region.
func (s *Service) Breakdown(ctx context.Context, b Board) (Table, error) {
	var t Table
	for _, k := range b.Items {
		if k.Source == SourceComputed && k.Error == "" {
			t.KPIs = append(t.KPIs, k)
		}
	}
	children := s.regions.Children(b.Region)
	codes := make([]string, len(children))
	for i, c := range children {
		codes[i] = c.Code
		t.Regions = append(t.Regions, RegionRef{Code: c.Code, Name: c.Name})
	}
	if len(t.KPIs) == 0 || len(codes) == 0 {
		return t, nil
	}
	keys := make([]string, len(t.KPIs))
	for i, k := range t.KPIs {
		keys[i] = k.Indicator
	}
	cells, err := s.Indicators.EvaluateMany(ctx, keys, codes, indicator.Period{})
	if err != nil {
		return t, err
	}
	t.Values = make([][]string, len(codes))
	t.Raw = make([][]float64, len(codes))
	for j := range codes {
		t.Values[j] = make([]string, len(keys))
		t.Raw[j] = make([]float64, len(keys))
		for i, k := range t.KPIs {
			c := cells[i][j]
			if c.Err != nil {
				t.Values[j][i] = "—"
				continue
			}
			t.Raw[j][i] = c.Value
			t.Values[j][i] = indicator.FormatValue(c.Value, k.Format, k.Unit)
		}
	}
	return t, nil
}

func formatValue(v float64, k KPI) string { return indicator.FormatValue(v, k.Format, k.Unit) }
