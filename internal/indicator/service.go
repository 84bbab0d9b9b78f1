package indicator

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema.
var Migrations = db.RoomMigrations("indicator", migrationsFS, "migrations")

// Service keeps indicators and targets and evaluates indicators over the registered sources.
type Service struct {
	db      *db.DB
	Sources *Registry
	now     func() time.Time
	cache   *cache // nil: every evaluation recomputes (UseCache turns it on)
	// RegionName and RegionChoices name regions and list those a principal's forms offer (set by the wiring; the
	// engine itself knows region codes only).
	RegionName    func(code string) string
	RegionChoices func(p *auth.Principal) []RegionChoice
}

// NewService wires the engine; sources may be registered on reg later (at start).
func NewService(d *db.DB, reg *Registry) *Service {
	if reg == nil {
		reg = NewRegistry()
	}
	s := &Service{db: d, Sources: reg, now: time.Now}
	if _, ok := reg.Get(ReportedSourceKey); !ok {
		if err := reg.Register(reportedSource{s: s}); err != nil {
			panic(err)
		}
	}
	return s
}

// Access rules: every staff and read-only role reads indicators and targets; county_admin and taskforce (the
// plan's owners) create indicators and set targets in their scope.
func canConfigure(p *auth.Principal) error {
	if !p.Is(auth.CountyAdmin, auth.Taskforce) {
		return apperr.New(apperr.Forbidden, "只有县级管理员和工作专班可以配置指标和目标")
	}
	return nil
}

const indCols = `key, name, unit, format, aggregation, source, denominator, filter, description, created_at, updated_at, fallback, fallback_filter`

func scanIndicator(sc interface{ Scan(...any) error }) (Indicator, error) {
	var x Indicator
	var filter, ffilter string
	if err := sc.Scan(&x.Key, &x.Name, &x.Unit, &x.Format, &x.Aggregation, &x.Source, &x.Denominator, &filter, &x.Description, &x.CreatedAt, &x.UpdatedAt,
		&x.Fallback, &ffilter); err != nil {
		return x, err
	}
	if ffilter != "" && ffilter != "{}" {
		if err := json.Unmarshal([]byte(ffilter), &x.FallbackFilter); err != nil {
			return x, fmt.Errorf("indicator %s: fallback filter: %w", x.Key, err)
		}
	}
	x.Filter = map[string]string{}
	if filter != "" {
		if err := json.Unmarshal([]byte(filter), &x.Filter); err != nil {
			return x, fmt.Errorf("indicator %s: filter: %w", x.Key, err)
		}
	}
	return x, nil
}

// ListIndicators returns every indicator ordered by key.
func (s *Service) ListIndicators(ctx context.Context) ([]Indicator, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+indCols+` FROM indicators ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("list indicators: %w", err)
	}
	defer rows.Close()
	var out []Indicator
	for rows.Next() {
		x, err := scanIndicator(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

var errNoIndicator = apperr.New(apperr.NotFound, "指标不存在")

// GetIndicator returns one indicator.
func (s *Service) GetIndicator(ctx context.Context, key string) (Indicator, error) {
	x, err := scanIndicator(s.db.QueryRowContext(ctx, `SELECT `+indCols+` FROM indicators WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return x, errNoIndicator
	}
	if err != nil {
		return x, fmt.Errorf("get indicator: %w", err)
	}
	return x, nil
}

var reKey = regexp.MustCompile(`^[a-z][a-z0-9_]{1,47}$`)

// validate checks an indicator; requireSources asks that its sources be registered (new indicators from the UI
// must be computable; the plan may bind a KPI to a source whose room does not exist yet).
func (s *Service) validate(x *Indicator, requireSources bool) error {
	f := map[string]string{}
	x.Key, x.Name, x.Source, x.Denominator = strings.TrimSpace(x.Key), strings.TrimSpace(x.Name), strings.TrimSpace(x.Source), strings.TrimSpace(x.Denominator)
	if !reKey.MatchString(x.Key) {
		f["key"] = "标识应为小写英文字母开头的字母、数字或下划线（2–48位）"
	} else if x.Key == "reports" {
		f["key"] = "该标识为系统保留"
	}
	if x.Name == "" {
		f["name"] = "请填写指标名称"
	}
	if !slices.Contains(Units, x.Unit) {
		f["unit"] = "单位应为 " + strings.Join(Units, "、")
	}
	if x.Format == "" {
		x.Format = FormatInt
		if x.Unit == "%" {
			x.Format = FormatPercent
		}
	}
	if !slices.Contains(Formats, x.Format) {
		f["format"] = "显示格式应为 " + strings.Join(Formats, "、")
	}
	if x.Aggregation == "" {
		x.Aggregation = AggValue
	}
	switch x.Aggregation {
	case AggValue:
		x.Denominator = ""
	case AggRatio:
		if x.Denominator == "" {
			f["denominator"] = "比率指标须指定分母数据源"
		} else if _, ok := s.Sources.Get(x.Denominator); requireSources && !ok {
			f["denominator"] = "未注册的数据源"
		}
	default:
		f["aggregation"] = "汇总方式应为 value 或 ratio"
	}
	if x.Source == "" {
		f["source"] = "请选择数据源"
	} else if _, ok := s.Sources.Get(x.Source); requireSources && !ok {
		f["source"] = "未注册的数据源"
	}
	if x.Filter == nil {
		x.Filter = map[string]string{}
	}
	if len(f) > 0 {
		return apperr.FieldErrors(f)
	}
	return nil
}

// CreateIndicator adds an indicator over registered sources.
func (s *Service) CreateIndicator(ctx context.Context, p *auth.Principal, x Indicator) (Indicator, error) {
	if err := canConfigure(p); err != nil {
		return x, err
	}
	if err := s.validate(&x, true); err != nil {
		return x, err
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.insert(ctx, tx, p.Actor(), &x) })
	return x, err
}

// SeedTx adds the indicators that do not exist yet (the plan's built-in ones, loaded at first start) and
// returns how many it added. Their sources need not be registered yet.
func (s *Service) SeedTx(ctx context.Context, tx *db.Tx, xs []Indicator) (int, error) {
	n := 0
	for _, x := range xs {
		var c int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM indicators WHERE key = ?`, x.Key).Scan(&c); err != nil {
			return n, err
		}
		if c > 0 {
			continue
		}
		if err := s.validate(&x, false); err != nil {
			return n, fmt.Errorf("indicator %s: %w", x.Key, err)
		}
		if err := s.insert(ctx, tx, audit.System, &x); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Service) insert(ctx context.Context, tx *db.Tx, actor audit.Actor, x *Indicator) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	x.CreatedAt, x.UpdatedAt = now, now
	filter, _ := json.Marshal(x.Filter)
	ffilter, _ := json.Marshal(orNoFilter(x.FallbackFilter))
	_, err := tx.ExecContext(ctx, `INSERT INTO indicators (`+indCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.Key, x.Name, x.Unit, x.Format, x.Aggregation, x.Source, x.Denominator, string(filter), x.Description, x.CreatedAt, x.UpdatedAt,
		x.Fallback, string(ffilter))
	if db.IsUniqueViolation(err) {
		return apperr.FieldErrors(map[string]string{"key": "该标识已存在"})
	}
	if err != nil {
		return fmt.Errorf("insert indicator: %w", err)
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "indicator", Summary: "新建指标 " + x.Name + "（" + x.Key + "）", After: x})
}

// SetTarget sets (or replaces) the target of an indicator for a region and a year.
func (s *Service) SetTarget(ctx context.Context, p *auth.Principal, t Target) (Target, error) {
	if err := canConfigure(p); err != nil {
		return t, err
	}
	if len(p.Scopes) > 0 && !p.InRegion(t.RegionCode) {
		return t, apperr.New(apperr.Forbidden, "该区划不在您的管辖范围内")
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.SetTargetTx(ctx, tx, p.Actor(), t) })
	return t, err
}

// SetTargetTx sets a target inside tx, with its audit record.
func (s *Service) SetTargetTx(ctx context.Context, tx *db.Tx, actor audit.Actor, t Target) error {
	f := map[string]string{}
	if len(t.RegionCode) != 12 || strings.Trim(t.RegionCode, "0123456789") != "" {
		f["region_code"] = "请填写12位区划代码"
	}
	if t.Year < 2000 || t.Year > 2100 {
		f["year"] = "年度应为 2000–2100"
	}
	if t.Value < 0 {
		f["value"] = "目标值不能为负"
	}
	var c int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM indicators WHERE key = ?`, t.IndicatorKey).Scan(&c); err != nil {
		return err
	}
	if c == 0 {
		f["indicator_key"] = "指标不存在"
	}
	if len(f) > 0 {
		return apperr.FieldErrors(f)
	}
	var before *Target
	var old Target
	err := tx.QueryRowContext(ctx, `SELECT indicator_key, region_code, year, value, note FROM indicator_targets WHERE indicator_key = ? AND region_code = ? AND year = ?`,
		t.IndicatorKey, t.RegionCode, t.Year).Scan(&old.IndicatorKey, &old.RegionCode, &old.Year, &old.Value, &old.Note)
	switch {
	case err == nil:
		before = &old
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("read target: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO indicator_targets (indicator_key, region_code, year, value, note, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (indicator_key, region_code, year) DO UPDATE SET value = excluded.value, note = excluded.note, updated_at = excluded.updated_at`,
		t.IndicatorKey, t.RegionCode, t.Year, t.Value, t.Note, s.now().UTC().Truncate(time.Microsecond)); err != nil {
		return fmt.Errorf("set target: %w", err)
	}
	action := "create"
	if before != nil {
		action = "update"
	}
	var b any
	if before != nil {
		b = before
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: action, Entity: "indicator_target",
		Summary: fmt.Sprintf("设定指标 %s 在 %s 的 %d 年目标值 %g", t.IndicatorKey, t.RegionCode, t.Year, t.Value), Before: b, After: t})
}

// Targets returns the targets of an indicator for a region (exact code), by year.
func (s *Service) Targets(ctx context.Context, key, regionCode string) (map[int]float64, error) {
	all, err := s.TargetsIn(ctx, regionCode)
	if err != nil {
		return nil, err
	}
	if all[key] == nil {
		return map[int]float64{}, nil
	}
	return all[key], nil
}

// TargetsIn returns every indicator's targets for a region (exact code): indicator → year → value.
func (s *Service) TargetsIn(ctx context.Context, regionCode string) (map[string]map[int]float64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT indicator_key, year, value FROM indicator_targets WHERE region_code = ? ORDER BY indicator_key, year`, regionCode)
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	defer rows.Close()
	out := map[string]map[int]float64{}
	for rows.Next() {
		var k string
		var y int
		var v float64
		if err := rows.Scan(&k, &y, &v); err != nil {
			return nil, err
		}
		if out[k] == nil {
			out[k] = map[int]float64{}
		}
		out[k][y] = v
	}
	return out, rows.Err()
}

// Evaluate computes an indicator for a region (any node, rolled up) in a period. An indicator whose source is not
// registered gives an error wrapping ErrNoSource.
func (s *Service) Evaluate(ctx context.Context, key, region string, p Period) (float64, error) {
	x, err := s.GetIndicator(ctx, key)
	if err != nil {
		return 0, err
	}
	v, err := s.Sources.Compute(ctx, x, []string{region}, p)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// Cell is one evaluated indicator × region. Computed: its source is registered and answered. Reported: the source
// is not registered and Value is the approved reported value (AsOf its date, "" when nothing was reported). Err is
// set when a registered source failed.
type Cell struct {
	Value    float64
	Computed bool
	Reported bool
	AsOf     string
	Err      error
}

// EvaluateMany computes indicators × regions for a dashboard: indicators run concurrently, each asks its sources
// once per batch (or once per region, concurrently), through the cache when it is on. Result[i][j] is keys[i] in
// regions[j]. An indicator whose source is not registered gives its approved reported values (Reported).
func (s *Service) EvaluateMany(ctx context.Context, keys, regions []string, p Period) ([][]Cell, error) {
	return s.evaluateMany(ctx, keys, regions, p, s.cache)
}

// EvaluateManyUncached is EvaluateMany recomputing every cell from the sources (the naive baseline the benchmark
// prints beside the cached figure).
func (s *Service) EvaluateManyUncached(ctx context.Context, keys, regions []string, p Period) ([][]Cell, error) {
	return s.evaluateMany(ctx, keys, regions, p, nil)
}

func (s *Service) evaluateMany(ctx context.Context, keys, regions []string, p Period, c *cache) ([][]Cell, error) {
	inds, err := s.ListIndicators(ctx)
	if err != nil {
		return nil, err
	}
	if c != nil {
		if err := c.refresh(ctx, s.now()); err != nil {
			return nil, err
		}
	}
	byKey := map[string]Indicator{}
	for _, x := range inds {
		byKey[x.Key] = x
	}
	prefixes := make([]string, len(regions))
	for i, r := range regions {
		prefixes[i] = Prefix(r)
	}
	out := make([][]Cell, len(keys))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, k := range keys {
		out[i] = make([]Cell, len(regions))
		x, ok := byKey[k]
		if !ok {
			for j := range out[i] {
				out[i][j].Err = errNoIndicator
			}
			continue
		}
		x = s.Effective(x)
		if !s.Sources.Computable(x) {
			vals, asOf, err := s.ReportedValues(ctx, x.Key, prefixes, p)
			for j := range regions {
				if err != nil {
					out[i][j].Err = err
				} else {
					out[i][j] = Cell{Value: vals[j], Reported: true, AsOf: asOf[j]}
				}
			}
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			vals, err := s.compute(ctx, c, x, regions, p)
			for j := range regions {
				if err != nil {
					out[i][j].Err = err
				} else {
					out[i][j] = Cell{Value: vals[j], Computed: true}
				}
			}
		})
	}
	wg.Wait()
	return out, ctx.Err()
}

// compute is Registry.Compute through the cache.
func (s *Service) compute(ctx context.Context, c *cache, x Indicator, regions []string, p Period) ([]float64, error) {
	if c == nil {
		return s.Sources.Compute(ctx, x, regions, p)
	}
	num, err := c.values(ctx, s.Sources, x.Source, x.Filter, regions, p)
	if err != nil {
		return nil, err
	}
	if x.Aggregation != AggRatio {
		return num, nil
	}
	den, err := c.values(ctx, s.Sources, x.Denominator, x.Filter, regions, p)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(num))
	for i := range num {
		if den[i] != 0 {
			out[i] = num[i] / den[i] * 100
		}
	}
	return out, nil
}
