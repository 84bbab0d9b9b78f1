package reform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

// Base types, levels and statuses of the 产业数字化地图.
var (
	BaseTypes    = []Option{{"smart_agri", "智慧农业实验示范基地"}, {"seed", "数字种业基地"}, {"livestock", "数字畜牧基地"}, {"fishery", "数字渔业基地"}}
	BaseLevels   = []Option{{"national", "国家级"}, {"municipal", "市级"}, {"county", "县级"}}
	BaseStatuses = []Option{{"planning", "规划"}, {"building", "在建"}, {"operating", "建成运行"}, {"closed", "停用"}}
)

// Option is a value with its Chinese label.
type Option struct{ Value, Label string }

func label(opts []Option, v string) string {
	for _, o := range opts {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

func valid(opts []Option, v string) bool {
	return slices.ContainsFunc(opts, func(o Option) bool { return o.Value == v })
}

// Base is a digital agriculture base.
type Base struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Type          string    `json:"type" doc:"smart_agri 智慧农业实验示范基地 / seed 数字种业 / livestock 数字畜牧 / fishery 数字渔业"`
	TypeLabel     string    `json:"type_label"`
	Level         string    `json:"level" doc:"national / municipal / county"`
	LevelLabel    string    `json:"level_label"`
	Status        string    `json:"status" doc:"planning 规划 / building 在建 / operating 建成运行 / closed 停用"`
	StatusLabel   string    `json:"status_label"`
	RegionCode    string    `json:"region_code"`
	RegionName    string    `json:"region_name"`
	Industry      string    `json:"industry"`
	Operator      string    `json:"operator" doc:"建设运营主体"`
	AreaMu        float64   `json:"area_mu"`
	Lng           float64   `json:"lng"`
	Lat           float64   `json:"lat"`
	EstablishedOn string    `json:"established_on" doc:"建成日期 YYYY-MM-DD（建成运行时必填）"`
	Note          string    `json:"note"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// BaseInput creates or edits a base; Lng/Lat default to the region's seat.
type BaseInput struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Level         string   `json:"level"`
	Status        string   `json:"status"`
	RegionCode    string   `json:"region_code"`
	Industry      string   `json:"industry"`
	Operator      string   `json:"operator"`
	AreaMu        string   `json:"area_mu"`
	Lng           *float64 `json:"lng"`
	Lat           *float64 `json:"lat"`
	EstablishedOn string   `json:"established_on"`
	Note          string   `json:"note"`
}

func canEditBases(p *auth.Principal) error {
	if !p.Is(auth.CountyAdmin, auth.Taskforce, auth.Department) {
		return apperr.New(apperr.Forbidden, "只有县级管理员、工作专班和县级部门可以登记基地")
	}
	return nil
}

func (s *Service) baseFrom(in BaseInput, p *auth.Principal) (Base, error) {
	f := map[string]string{}
	b := Base{Name: strings.TrimSpace(in.Name), Type: in.Type, Level: in.Level, Status: in.Status, RegionCode: strings.TrimSpace(in.RegionCode),
		Industry: strings.TrimSpace(in.Industry), Operator: strings.TrimSpace(in.Operator), EstablishedOn: strings.TrimSpace(in.EstablishedOn), Note: strings.TrimSpace(in.Note)}
	if b.Name == "" {
		f["name"] = "请填写基地名称"
	}
	if !valid(BaseTypes, b.Type) {
		f["type"] = "请选择基地类型"
	}
	if !valid(BaseLevels, b.Level) {
		f["level"] = "请选择级别"
	}
	if !valid(BaseStatuses, b.Status) {
		f["status"] = "请选择状态"
	}
	reg, ok := s.regions.Get(b.RegionCode)
	if !ok || (reg.Level != "township" && reg.Level != "village") {
		f["region_code"] = "请选择基地所在乡镇或村"
	} else if len(p.Scopes) > 0 && !p.InRegion(b.RegionCode) {
		return b, apperr.New(apperr.Forbidden, "该区划不在您的管辖范围内")
	}
	if a := strings.TrimSpace(in.AreaMu); a != "" {
		v, err := strconv.ParseFloat(a, 64)
		if err != nil || v < 0 {
			f["area_mu"] = "面积应为不小于 0 的数字（亩）"
		}
		b.AreaMu = v
	}
	if b.EstablishedOn != "" {
		if _, err := time.Parse("2006-01-02", b.EstablishedOn); err != nil {
			f["established_on"] = "日期格式应为 2025-06-30"
		}
	} else if b.Status == "operating" {
		f["established_on"] = "建成运行的基地请填写建成日期"
	}
	if ok {
		b.Lng, b.Lat = reg.Lng, reg.Lat
	}
	if in.Lng != nil && in.Lat != nil {
		if *in.Lng < 73 || *in.Lng > 136 || *in.Lat < 3 || *in.Lat > 54 {
			f["lng"] = "坐标不在中国境内"
		}
		b.Lng, b.Lat = *in.Lng, *in.Lat
	}
	if len(f) > 0 {
		return b, apperr.FieldErrors(f)
	}
	return b, nil
}

// CreateBase registers a base.
func (s *Service) CreateBase(ctx context.Context, p *auth.Principal, in BaseInput) (Base, error) {
	if err := canEditBases(p); err != nil {
		return Base{}, err
	}
	b, err := s.baseFrom(in, p)
	if err != nil {
		return b, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error { return s.CreateBaseTx(ctx, tx, p.Actor(), &b) })
	return s.present(b), err
}

// CreateBaseTx inserts a validated base with its audit record (demo seeding uses it directly).
func (s *Service) CreateBaseTx(ctx context.Context, tx *db.Tx, actor audit.Actor, b *Base) error {
	b.ID = s.db.IDs.Next()
	now := s.now().UTC().Truncate(time.Microsecond)
	b.CreatedAt, b.UpdatedAt = now, now
	if _, err := tx.ExecContext(ctx, `INSERT INTO digital_bases (id, name, type, level, status, region_code, industry, operator, area_mu, lng, lat, established_on, note, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.ID, b.Name, b.Type, b.Level, b.Status, b.RegionCode, b.Industry, b.Operator, b.AreaMu,
		b.Lng, b.Lat, b.EstablishedOn, b.Note, now, now); err != nil {
		return fmt.Errorf("insert base: %w", err)
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "digital_base", EntityID: b.ID,
		Summary: "登记" + label(BaseTypes, b.Type) + "：" + b.Name, After: b})
}

// UpdateBase edits a base.
func (s *Service) UpdateBase(ctx context.Context, p *auth.Principal, id int64, in BaseInput) (Base, error) {
	if err := canEditBases(p); err != nil {
		return Base{}, err
	}
	before, err := s.GetBase(ctx, p, id)
	if err != nil {
		return Base{}, err
	}
	b, err := s.baseFrom(in, p)
	if err != nil {
		return b, err
	}
	b.ID, b.CreatedAt, b.UpdatedAt = id, before.CreatedAt, s.now().UTC().Truncate(time.Microsecond)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE digital_bases SET name = ?, type = ?, level = ?, status = ?, region_code = ?, industry = ?, operator = ?, area_mu = ?,
			lng = ?, lat = ?, established_on = ?, note = ?, updated_at = ? WHERE id = ?`, b.Name, b.Type, b.Level, b.Status, b.RegionCode, b.Industry, b.Operator,
			b.AreaMu, b.Lng, b.Lat, b.EstablishedOn, b.Note, b.UpdatedAt, id); err != nil {
			return fmt.Errorf("update base: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "digital_base", EntityID: id, Summary: "修改基地：" + b.Name, Before: before, After: b})
	})
	return s.present(b), err
}

func (s *Service) present(b Base) Base {
	b.TypeLabel, b.LevelLabel, b.StatusLabel = label(BaseTypes, b.Type), label(BaseLevels, b.Level), label(BaseStatuses, b.Status)
	b.RegionName = s.regions.Name(b.RegionCode)
	return b
}

const baseCols = `id, name, type, level, status, region_code, industry, operator, area_mu, lng, lat, established_on, note, created_at, updated_at`

func scanBase(sc interface{ Scan(...any) error }) (Base, error) {
	var b Base
	err := sc.Scan(&b.ID, &b.Name, &b.Type, &b.Level, &b.Status, &b.RegionCode, &b.Industry, &b.Operator, &b.AreaMu, &b.Lng, &b.Lat, &b.EstablishedOn, &b.Note, &b.CreatedAt, &b.UpdatedAt)
	return b, err
}

// GetBase returns a base the caller may see.
func (s *Service) GetBase(ctx context.Context, p *auth.Principal, id int64) (Base, error) {
	b, err := scanBase(s.db.QueryRowContext(ctx, `SELECT `+baseCols+` FROM digital_bases WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(p.Scopes) > 0 && !p.InRegion(b.RegionCode)) {
		return b, apperr.New(apperr.NotFound, "基地不存在")
	}
	if err != nil {
		return b, fmt.Errorf("get base: %w", err)
	}
	return s.present(b), nil
}

// BaseFilter selects bases.
type BaseFilter struct {
	RegionPrefix, Type, Level, Status, Industry string
}

// ListBases lists bases (no principal: the source and the map layer call it after their own checks).
func (s *Service) ListBases(ctx context.Context, f BaseFilter) ([]Base, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.RegionPrefix != "" {
		lo, hi := db.PrefixRange(f.RegionPrefix)
		where = append(where, "region_code >= ? AND region_code < ?")
		args = append(args, lo, hi)
	}
	for col, v := range map[string]string{"type": f.Type, "level": f.Level, "status": f.Status, "industry": f.Industry} {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+baseCols+` FROM digital_bases WHERE `+strings.Join(where, " AND ")+` ORDER BY region_code, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list bases: %w", err)
	}
	defer rows.Close()
	var out []Base
	for rows.Next() {
		b, err := scanBase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s.present(b))
	}
	return out, rows.Err()
}

// CountBases counts bases per region prefix for the source digital.smart_agri_bases: filter type (default
// smart_agri), level, status (default operating — a base counts once built); established in [from, to) when the
// period is set.
func (s *Service) CountBases(ctx context.Context, filter map[string]string, from, to time.Time, prefixes []string) ([]float64, error) {
	f := BaseFilter{Type: filter["type"], Level: filter["level"], Status: filter["status"], Industry: filter["industry"]}
	if f.Type == "" {
		f.Type = "smart_agri"
	}
	if f.Status == "" {
		f.Status = "operating"
	}
	if f.Type == "all" {
		f.Type = ""
	}
	if f.Status == "all" {
		f.Status = ""
	}
	bases, err := s.ListBases(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(prefixes))
	for _, b := range bases {
		d := b.EstablishedOn
		if !from.IsZero() && (d == "" || d < from.In(web.Shanghai).Format("2006-01-02")) {
			continue
		}
		if !to.IsZero() && (d == "" || d >= to.In(web.Shanghai).Format("2006-01-02")) {
			continue
		}
		for i, pre := range prefixes {
			if strings.HasPrefix(b.RegionCode, pre) {
				out[i]++
			}
		}
	}
	return out, nil
}
