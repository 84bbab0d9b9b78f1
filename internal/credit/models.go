package credit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/solve/scorecard"
)

// Model statuses: a draft is edited, approval makes it the county's current model and retires the one before.
const (
	ModelDraft    = "draft"
	ModelApproved = "approved"
	ModelRetired  = "retired"
)

// ModelStatusLabel is the Chinese label.
func ModelStatusLabel(s string) string {
	switch s {
	case ModelDraft:
		return "草稿"
	case ModelApproved:
		return "现行"
	case ModelRetired:
		return "已停用"
	}
	return s
}

// RatingModel is one version of a county's rating model.
type RatingModel struct {
	ID             int64      `json:"id"`
	CountyCode     string     `json:"county_code"`
	Version        int        `json:"version"`
	Name           string     `json:"name"`
	Status         string     `json:"status" doc:"draft 草稿 / approved 现行 / retired 已停用"`
	StatusLabel    string     `json:"status_label"`
	Origin         string     `json:"origin" doc:"manual 手工 / default 默认 / fitted 由历史数据拟合"`
	Definition     ModelDef   `json:"definition"`
	Note           string     `json:"note"`
	CreatedByName  string     `json:"created_by_name"`
	CreatedAt      time.Time  `json:"created_at"`
	ApprovedByName string     `json:"approved_by_name"`
	ApprovedAt     *time.Time `json:"approved_at,omitempty"`
}

// ModelInput creates a draft (from a definition, a copy of another version, or the default) or edits one.
type ModelInput struct {
	Name       string    `json:"name"`
	Note       string    `json:"note"`
	FromID     int64     `json:"from_id" doc:"复制此版本的定义（不填且无 definition 时用默认模型）"`
	Definition *ModelDef `json:"definition"`
	CountyCode string    `json:"county_code" doc:"县级区划代码（12 位）；只管辖一个县时可省略"`
	origin     string
}

var errNoModel = apperr.New(apperr.NotFound, "评级模型不存在或您无权查看")

const modelCols = `id, county_code, version, name, status, origin, definition, note, created_by_name, created_at, approved_by_name, approved_at`

func scanModel(sc interface{ Scan(...any) error }) (*RatingModel, error) {
	var m RatingModel
	var def string
	var appr sql.NullTime
	if err := sc.Scan(&m.ID, &m.CountyCode, &m.Version, &m.Name, &m.Status, &m.Origin, &def, &m.Note, &m.CreatedByName, &m.CreatedAt, &m.ApprovedByName, &appr); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(def), &m.Definition); err != nil {
		return nil, fmt.Errorf("model %d definition: %w", m.ID, err)
	}
	m.CreatedAt = m.CreatedAt.UTC()
	if appr.Valid {
		t := appr.Time.UTC()
		m.ApprovedAt = &t
	}
	m.StatusLabel = ModelStatusLabel(m.Status)
	return &m, nil
}

// canSeeModels: every signed-in role of the county except members and providers (banks rate with them).
func canSeeModels(p *auth.Principal) bool { return p != nil && !isSelf(p) }

func countyOf(p *auth.Principal, want string) (string, error) {
	cs := counties(p)
	if want != "" {
		if len(want) < 6 {
			return "", apperr.FieldErrors(map[string]string{"county_code": "应为县级区划代码"})
		}
		for _, c := range cs {
			if c == want[:6] {
				return c + "000000", nil
			}
		}
		if isBank(p) && len(cs) == 0 {
			return want[:6] + "000000", nil
		}
		return "", apperr.New(apperr.Forbidden, "该县不在您的管辖范围内")
	}
	if len(cs) == 1 {
		return cs[0] + "000000", nil
	}
	return "", apperr.FieldErrors(map[string]string{"county_code": "请指定县"})
}

// ListModels lists the model versions of the counties p sees, newest first.
func (s *Service) ListModels(ctx context.Context, p *auth.Principal) ([]*RatingModel, error) {
	if !canSeeModels(p) {
		return nil, apperr.New(apperr.Forbidden, "您无权查看评级模型")
	}
	q := `SELECT ` + modelCols + ` FROM rating_models`
	var args []any
	if !isBank(p) {
		cs := counties(p)
		if len(cs) == 0 {
			return []*RatingModel{}, nil
		}
		in, a := db.InList(cs)
		q += ` WHERE SUBSTR(county_code, 1, 6) IN (` + in + `)`
		args = a
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY county_code, version DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	defer rows.Close()
	out := []*RatingModel{}
	for rows.Next() {
		m, err := scanModel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Service) getModel(ctx context.Context, q db.Querier, id int64) (*RatingModel, error) {
	m, err := scanModel(q.QueryRowContext(ctx, `SELECT `+modelCols+` FROM rating_models WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoModel
	}
	return m, err
}

// GetModel returns one version.
func (s *Service) GetModel(ctx context.Context, p *auth.Principal, id int64) (*RatingModel, error) {
	if !canSeeModels(p) {
		return nil, errNoModel
	}
	m, err := s.getModel(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !isBank(p) && !p.InRegion(m.CountyCode) && !inCounty(p, m.CountyCode) {
		return nil, errNoModel
	}
	return m, nil
}

func inCounty(p *auth.Principal, county string) bool {
	for _, c := range counties(p) {
		if strings.HasPrefix(county, c) {
			return true
		}
	}
	return false
}

// CurrentModel returns the approved model of a county (nil when none is approved yet).
func (s *Service) CurrentModel(ctx context.Context, q db.Querier, countyCode string) (*RatingModel, error) {
	m, err := scanModel(q.QueryRowContext(ctx, `SELECT `+modelCols+` FROM rating_models WHERE county_code = ? AND status = ? ORDER BY version DESC LIMIT 1`,
		countyCode, ModelApproved))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return m, err
}

func canEditModels(p *auth.Principal) error {
	if !p.Is(auth.CountyAdmin) {
		return apperr.New(apperr.Forbidden, "只有县级管理员可以编辑和批准评级模型")
	}
	return nil
}

// CreateModel files a new draft version.
func (s *Service) CreateModel(ctx context.Context, p *auth.Principal, in ModelInput) (*RatingModel, error) {
	if err := canEditModels(p); err != nil {
		return nil, err
	}
	county, err := countyOf(p, in.CountyCode)
	if err != nil {
		return nil, err
	}
	origin := in.origin
	var def ModelDef
	switch {
	case in.Definition != nil:
		def = *in.Definition
		origin = cmpOrStr(origin, "manual")
	case in.FromID != 0:
		src, err := s.GetModel(ctx, p, in.FromID)
		if err != nil {
			return nil, err
		}
		def, origin = src.Definition, "manual"
		if in.Name == "" {
			in.Name = src.Name
		}
	default:
		def, origin = DefaultModel(), "default"
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return nil, apperr.FieldErrors(map[string]string{"name": "模型名称不能为空"})
	}
	if err := def.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.insertModel(ctx, tx, p, county, in.Name, origin, strings.TrimSpace(in.Note), def)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create model: %w", err)
	}
	return s.getModel(ctx, s.db, id)
}

// insertModel stores a new draft version (definition already validated).
func (s *Service) insertModel(ctx context.Context, tx *db.Tx, p *auth.Principal, county, name, origin, note string, def ModelDef) (int64, error) {
	raw, err := json.Marshal(def)
	if err != nil {
		return 0, err
	}
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM rating_models WHERE county_code = ?`, county).Scan(&v); err != nil {
		return 0, err
	}
	id := tx.NextID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO rating_models (id, county_code, version, name, status, origin, definition, note, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, county, v, name, ModelDraft, origin, string(raw), note, p.Username, s.now().UTC()); err != nil {
		if db.IsUniqueViolation(err) {
			return 0, apperr.New(apperr.Conflict, "版本号冲突，请重试")
		}
		return 0, err
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "rating_model", EntityID: id,
		Summary: fmt.Sprintf("新建评级模型“%s”第 %d 版（草稿）", name, v), After: def})
}

func cmpOrStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// UpdateModel edits a draft.
func (s *Service) UpdateModel(ctx context.Context, p *auth.Principal, id int64, in ModelInput) (*RatingModel, error) {
	if err := canEditModels(p); err != nil {
		return nil, err
	}
	if in.Definition == nil {
		return nil, apperr.FieldErrors(map[string]string{"definition": "缺少模型定义"})
	}
	if err := in.Definition.Validate(); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(in.Definition)
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		m, err := s.getModel(ctx, tx, id)
		if err != nil {
			return err
		}
		if !inCounty(p, m.CountyCode) {
			return errNoModel
		}
		if m.Status != ModelDraft {
			return apperr.New(apperr.Conflict, "只能修改草稿；已批准的版本请复制为新版本再修改")
		}
		name := cmpOrStr(strings.TrimSpace(in.Name), m.Name)
		if _, err := tx.ExecContext(ctx, `UPDATE rating_models SET name = ?, note = ?, definition = ? WHERE id = ?`, name, strings.TrimSpace(in.Note), string(raw), id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "rating_model", EntityID: id,
			Summary: fmt.Sprintf("修改评级模型第 %d 版", m.Version), Before: m.Definition, After: in.Definition})
	})
	if err != nil {
		return nil, err
	}
	return s.getModel(ctx, s.db, id)
}

// ApproveModel makes a draft the county's current model; the approver is recorded and the previous current model
// is retired (its ratings keep pointing at it).
func (s *Service) ApproveModel(ctx context.Context, p *auth.Principal, id int64) (*RatingModel, error) {
	if err := canEditModels(p); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.approveModel(ctx, tx, p, id) })
	if err != nil {
		return nil, err
	}
	return s.getModel(ctx, s.db, id)
}

// approveModel approves a draft in tx.
func (s *Service) approveModel(ctx context.Context, tx *db.Tx, p *auth.Principal, id int64) error {
	m, err := s.getModel(ctx, tx, id)
	if err != nil {
		return err
	}
	if !inCounty(p, m.CountyCode) {
		return errNoModel
	}
	if m.Status != ModelDraft {
		return apperr.New(apperr.Conflict, "只能批准草稿")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rating_models SET status = ? WHERE county_code = ? AND status = ?`, ModelRetired, m.CountyCode, ModelApproved); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rating_models SET status = ?, approved_by_name = ?, approved_at = ? WHERE id = ?`, ModelApproved, p.Username, s.now().UTC(), id); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "approve", Entity: "rating_model", EntityID: id,
		Summary: fmt.Sprintf("批准评级模型“%s”第 %d 版为现行模型", m.Name, m.Version)})
}

// FitModel fits a logistic scorecard on historical outcomes (a CSV with a header; target column and its bad value)
// and files it as a draft version: the fitted bins and points become the model's indicators.
func (s *Service) FitModel(ctx context.Context, p *auth.Principal, name, countyCode string, data scorecard.Dataset) (*RatingModel, *scorecard.Model, error) {
	if err := canEditModels(p); err != nil {
		return nil, nil, err
	}
	m, err := scorecard.Fit(data, scorecard.Options{})
	if err != nil {
		return nil, nil, apperr.New(apperr.Invalid, "无法拟合评分卡："+err.Error())
	}
	def := FromScorecard(m)
	note := fmt.Sprintf("由 %d 条历史记录（坏 %d 条）拟合，入模变量 %d 个", m.Records, m.BadRecords, len(m.Variables))
	rm, err := s.CreateModel(ctx, p, ModelInput{Name: cmpOrStr(name, "拟合评分卡"), Note: note, Definition: &def, CountyCode: countyCode, origin: "fitted"})
	return rm, m, err
}
