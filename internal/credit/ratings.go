package credit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

// Rating is a stored rating: the model version, the inputs and the points per indicator. Result is re-evaluated
// from the stored inputs with the stored model version; Reproduced says it gives the stored score and grade.
type Rating struct {
	ID           int64               `json:"id"`
	SubjectID    int64               `json:"subject_id"`
	SubjectName  string              `json:"subject_name"`
	RegionCode   string              `json:"region_code"`
	RegionName   string              `json:"region_name"`
	ModelID      int64               `json:"model_id"`
	ModelVersion int                 `json:"model_version"`
	BatchID      int64               `json:"batch_id" doc:"整村授信批次（单独评级为 0）"`
	Score        float64             `json:"score"`
	Internal     float64             `json:"internal"`
	External     *float64            `json:"external,omitempty"`
	Grade        string              `json:"grade"`
	Inputs       map[string]*float64 `json:"inputs" doc:"评级所用输入（键 → 数值，缺失为 null）"`
	Points       map[string]float64  `json:"points" doc:"各指标得分"`
	RatedByName  string              `json:"rated_by_name"`
	RatedAt      time.Time           `json:"rated_at"`
	Result       *Result             `json:"result,omitempty" doc:"按存档输入与模型版本重算的明细与主要原因"`
	Reproduced   bool                `json:"reproduced" doc:"重算结果与存档一致"`
}

var errNoRating = apperr.New(apperr.NotFound, "评级记录不存在或您无权查看")

const ratingCols = `id, subject_id, region_code, model_id, model_version, batch_id, score, internal_score, external_score, grade, inputs, points, rated_by_name, rated_at`

func scanRating(sc interface{ Scan(...any) error }) (*Rating, error) {
	var r Rating
	var ext sql.NullFloat64
	var in, pts string
	if err := sc.Scan(&r.ID, &r.SubjectID, &r.RegionCode, &r.ModelID, &r.ModelVersion, &r.BatchID, &r.Score, &r.Internal, &ext, &r.Grade, &in, &pts, &r.RatedByName, &r.RatedAt); err != nil {
		return nil, err
	}
	if ext.Valid {
		r.External = &ext.Float64
	}
	if err := json.Unmarshal([]byte(in), &r.Inputs); err != nil {
		return nil, fmt.Errorf("rating %d inputs: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(pts), &r.Points); err != nil {
		return nil, fmt.Errorf("rating %d points: %w", r.ID, err)
	}
	r.RatedAt = r.RatedAt.UTC()
	return &r, nil
}

func ratingRow(id int64, sub *registry.Subject, m *RatingModel, batch int64, in Inputs, res Result, by string, at time.Time) []any {
	pts := make(map[string]float64, len(res.Indicators))
	for _, x := range res.Indicators {
		pts[x.Key] = x.Points
	}
	inRaw, _ := json.Marshal(compactInputs(in))
	ptRaw, _ := json.Marshal(pts)
	var ext any
	if res.External != nil {
		ext = *res.External
	}
	return []any{id, region.County(sub.RegionCode) + "000000", sub.RegionCode, sub.ID, m.ID, m.Version, batch, res.Score, res.Internal, ext, res.Grade,
		string(inRaw), string(ptRaw), by, at}
}

var ratingInsertCols = []string{"id", "county_code", "region_code", "subject_id", "model_id", "model_version", "batch_id", "score", "internal_score",
	"external_score", "grade", "inputs", "points", "rated_by_name", "rated_at"}

// period is the current rating period (calendar year in Shanghai).
func (s *Service) period() string { return fmt.Sprint(s.today().Year()) }

// canRate: staff in scope, or a bank with a live consent.
func (s *Service) canRate(ctx context.Context, p *auth.Principal, sub *registry.Subject) error {
	switch {
	case isStaff(p):
		if !p.InRegion(sub.RegionCode) {
			return apperr.New(apperr.Forbidden, "该主体不在您的管辖范围内")
		}
		return nil
	case isBank(p):
		_, err := s.fileAccess(ctx, p, sub)
		return err
	}
	return apperr.New(apperr.Forbidden, "只有工作人员和已获授权的金融机构可以评级")
}

// RateSubject rates one subject with its county's current model and stores the rating.
func (s *Service) RateSubject(ctx context.Context, p *auth.Principal, subjectID int64) (*Rating, error) {
	sub, err := s.subject(ctx, subjectID)
	if err != nil {
		if isBank(p) {
			return nil, errBankNoLive
		}
		return nil, err
	}
	if err := s.canRate(ctx, p, sub); err != nil {
		return nil, err
	}
	county := region.County(sub.RegionCode) + "000000"
	m, err := s.CurrentModel(ctx, s.db, county)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, apperr.New(apperr.Conflict, "本县还没有批准的评级模型，请先在“评级模型”中批准一个版本")
	}
	full, err := s.subjects.Get(ctx, systemPrincipal(sub.RegionCode), sub.ID)
	if err != nil {
		return nil, err
	}
	c, err := s.collect(ctx, s.db, sub.RegionCode, s.period())
	if err != nil {
		return nil, err
	}
	today := FormatDate(s.today())
	in := c.inputs(full, today)
	if _, err := s.addFacts(ctx, sub.ID, in); err != nil {
		return nil, err
	}
	res := Evaluate(&m.Definition, in)
	id := s.db.IDs.Next()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.InsertRows(ctx, "ratings", ratingInsertCols, [][]any{ratingRow(id, full, m, 0, in, res, p.Username, s.now().UTC())}, 1); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "rating", EntityID: id,
			Summary: fmt.Sprintf("用模型第 %d 版评级 %s：%.2f 分，%s 级", m.Version, sub.Name, res.Score, res.Grade)})
	})
	if err != nil {
		return nil, fmt.Errorf("rate: %w", err)
	}
	return s.GetRating(ctx, p, id)
}

// GetRating returns a rating with its explanation (same access as the credit file).
func (s *Service) GetRating(ctx context.Context, p *auth.Principal, id int64) (*Rating, error) {
	r, err := scanRating(s.db.QueryRowContext(ctx, `SELECT `+ratingCols+` FROM ratings WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoRating
	}
	if err != nil {
		return nil, err
	}
	sub, err := s.subject(ctx, r.SubjectID)
	if err != nil {
		return nil, err
	}
	if _, err := s.fileAccess(ctx, p, sub); err != nil {
		if isBank(p) {
			return nil, err
		}
		return nil, errNoRating
	}
	return s.explain(ctx, r, sub)
}

func (s *Service) explain(ctx context.Context, r *Rating, sub *registry.Subject) (*Rating, error) {
	m, err := s.getModel(ctx, s.db, r.ModelID)
	if err != nil {
		return nil, err
	}
	in := Inputs{}
	for k, v := range r.Inputs {
		name, src := catalogEntry(k)
		in[k] = Input{Key: k, Name: name, Number: v, Source: src}
	}
	res := Evaluate(&m.Definition, in)
	r.Result = &res
	r.Reproduced = math.Abs(res.Score-r.Score) < 0.005 && res.Grade == r.Grade
	r.SubjectName, r.RegionName = sub.Name, s.regions.Name(r.RegionCode)
	return r, nil
}

// LatestRating is a subject's newest rating (nil when never rated); callers have checked access.
func (s *Service) LatestRating(ctx context.Context, subjectID int64) (*Rating, error) {
	r, err := scanRating(s.db.QueryRowContext(ctx, `SELECT `+ratingCols+` FROM ratings WHERE subject_id = ? ORDER BY id DESC LIMIT 1`, subjectID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sub, err := s.subject(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	return s.explain(ctx, r, sub)
}

// RatingFilter selects ratings.
type RatingFilter struct {
	SubjectID int64
	Grade     string
	Region    string
	Page      int
	PerPage   int
}

// ListRatings lists ratings p may see (staff and read-only roles in scope; members their own; a bank only those of
// subjects with a live consent to it), newest first.
func (s *Service) ListRatings(ctx context.Context, p *auth.Principal, f RatingFilter) ([]*Rating, int, error) {
	var conds []string
	var args []any
	switch {
	case isSelf(p):
		conds, args = append(conds, "r.subject_id = ?"), append(args, p.SubjectID)
	case isBank(p):
		today := FormatDate(s.today())
		conds = append(conds, `EXISTS (SELECT 1 FROM consents c WHERE c.subject_id = r.subject_id AND c.institution_id = ? AND c.status = 'active' AND c.valid_from <= ? AND c.valid_to >= ?)`)
		args = append(args, p.SubjectID, today, today)
	default:
		w, a := regionSQL(p, "r.region_code")
		conds, args = append(conds, w), append(args, a...)
	}
	if f.SubjectID != 0 {
		conds, args = append(conds, "r.subject_id = ?"), append(args, f.SubjectID)
	}
	if f.Grade != "" {
		conds, args = append(conds, "r.grade = ?"), append(args, f.Grade)
	}
	if f.Region != "" {
		w, a := rangeCond("r.region_code", f.Region)
		conds, args = append(conds, w), append(args, a...)
	}
	w := strings.Join(conds, " AND ")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ratings r WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count ratings: %w", err)
	}
	f.Page, f.PerPage = max(f.Page, 1), cmpOr(f.PerPage, 50)
	rows, err := s.db.QueryContext(ctx, `SELECT r.`+strings.ReplaceAll(ratingCols, ", ", ", r.")+` FROM ratings r WHERE `+w+` ORDER BY r.id DESC LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list ratings: %w", err)
	}
	defer rows.Close()
	out := []*Rating{}
	var ids []int64
	for rows.Next() {
		r, err := scanRating(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
		ids = append(ids, r.SubjectID)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	names := s.names(ctx, ids...)
	for _, r := range out {
		if x := names[r.SubjectID]; x != nil {
			r.SubjectName = x.Name
		}
		r.RegionName = s.regions.Name(r.RegionCode)
	}
	return out, total, nil
}

// ExternalInput is the village rating group's scores (外评) of one subject for a period.
type ExternalInput struct {
	SubjectID int64              `json:"subject_id"`
	Period    string             `json:"period" doc:"年份，默认今年"`
	Scores    map[string]float64 `json:"scores" doc:"外评项键 → 得分（0 到该项满分）"`
}

// SaveExternalScores stores 外评 scores against the items of the county's current model (a re-entry replaces).
func (s *Service) SaveExternalScores(ctx context.Context, p *auth.Principal, in ExternalInput) error {
	sub, err := s.subject(ctx, in.SubjectID)
	if err != nil {
		return err
	}
	if !isStaff(p) || !p.InRegion(sub.RegionCode) {
		return apperr.New(apperr.Forbidden, "外评由管辖范围内的工作人员代村评议小组录入")
	}
	if in.Period == "" {
		in.Period = s.period()
	}
	if _, _, err := periodRange(in.Period); err != nil {
		return err
	}
	m, err := s.CurrentModel(ctx, s.db, region.County(sub.RegionCode)+"000000")
	if err != nil {
		return err
	}
	if m == nil {
		return apperr.New(apperr.Conflict, "本县还没有批准的评级模型")
	}
	items := map[string]ModelIndicator{}
	for _, ind := range m.Definition.Indicators {
		if ind.Part == PartExternal {
			items[ind.Key] = ind
		}
	}
	f := map[string]string{}
	if len(in.Scores) == 0 {
		f["scores"] = "请至少填写一项外评得分"
	}
	keys := make([]string, 0, len(in.Scores))
	for k, v := range in.Scores {
		ind, ok := items[k]
		switch {
		case !ok:
			f["scores."+k] = "现行模型没有这个外评项"
		case v < 0 || v > ind.MaxPoints || math.IsNaN(v):
			f["scores."+k] = fmt.Sprintf("%s 的得分应在 0–%s 之间", ind.Name, numText(ind.MaxPoints))
		}
		keys = append(keys, k)
	}
	if len(f) > 0 {
		return apperr.FieldErrors(f)
	}
	sort.Strings(keys)
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM external_scores WHERE subject_id = ? AND period = ? AND item_key = ?`, sub.ID, in.Period, k); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO external_scores (subject_id, period, item_key, region_code, points, rater_name, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				sub.ID, in.Period, k, sub.RegionCode, in.Scores[k], p.Username, s.now().UTC()); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "external_score", EntityID: sub.ID,
			Summary: fmt.Sprintf("录入 %s %s 年度外评（村评议小组）", sub.Name, in.Period), After: in.Scores})
	})
}
