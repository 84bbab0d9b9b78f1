package credit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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

// 整村授信: a batch rates every subject of a village, township or county with the current model, applies the 信用户
// conditions, decides each village's 信用村 status and gives every 信用户 a pre-approved credit line. A re-run is a
// new version; old versions are kept. The work is set-based: subjects are streamed from the register, the credit
// room's own tables are read once per region (collect), ratings and results are written with multi-row inserts in
// transactions of batchChunk subjects.

// LineRule is the formula of the pre-approved credit line (预授信额度) of a 信用户:
// min(Cap[grade], Base[grade] + PerMu × 经营面积 + PerHead × 养殖规模 + AssetPct% × 登记资产), rounded down to Round 元.
type LineRule struct {
	BaseYuan    map[string]int64 `json:"base_yuan" doc:"各等级基础额度（元）"`
	CapYuan     map[string]int64 `json:"cap_yuan" doc:"各等级额度上限（元）"`
	PerMuYuan   int64            `json:"per_mu_yuan" doc:"每亩经营面积增加（元）"`
	PerHeadYuan int64            `json:"per_head_yuan" doc:"每头（只）养殖规模增加（元）"`
	AssetPct    int64            `json:"asset_pct" doc:"登记资产估值计入比例（%）"`
	RoundYuan   int64            `json:"round_yuan" doc:"向下取整到（元）"`
}

// BatchConfig holds the 信用户 conditions, the 信用村 thresholds and the line rule.
type BatchConfig struct {
	MinGrade         string   `json:"min_grade" doc:"信用户最低等级，默认 A"`
	NoArrears        bool     `json:"no_arrears" doc:"信用户须无当前欠款"`
	NoBadRecord      bool     `json:"no_bad_record" doc:"信用户须无不良记录"`
	VillageCreditPct float64  `json:"village_credit_pct" doc:"信用村：信用户占农户比例下限（%），默认 70"`
	VillageCleanPct  float64  `json:"village_clean_pct" doc:"信用村：有贷农户中无欠款比例下限（%），默认 85"`
	VillageMaxNPLPct float64  `json:"village_max_npl_pct" doc:"信用村：不良贷款率上限（%），默认 5"`
	Line             LineRule `json:"line"`
}

// DefaultBatchConfig is the default.
func DefaultBatchConfig() BatchConfig {
	return BatchConfig{MinGrade: "A", NoArrears: true, NoBadRecord: true, VillageCreditPct: 70, VillageCleanPct: 85, VillageMaxNPLPct: 5,
		Line: LineRule{
			BaseYuan:  map[string]int64{"AAA": 100000, "AA": 60000, "A": 30000},
			CapYuan:   map[string]int64{"AAA": 300000, "AA": 200000, "A": 100000},
			PerMuYuan: 1000, PerHeadYuan: 100, AssetPct: 30, RoundYuan: 1000,
		}}
}

func (c *BatchConfig) validate() error {
	f := map[string]string{}
	if gradeRank(c.MinGrade) == len(GradeOrder) {
		f["min_grade"] = "等级应为 AAA、AA、A、BBB、BB、B 或 C"
	}
	for k, v := range map[string]float64{"village_credit_pct": c.VillageCreditPct, "village_clean_pct": c.VillageCleanPct, "village_max_npl_pct": c.VillageMaxNPLPct} {
		if v < 0 || v > 100 {
			f[k] = "比例应在 0–100 之间"
		}
	}
	l := c.Line
	if l.PerMuYuan < 0 || l.PerHeadYuan < 0 || l.AssetPct < 0 || l.AssetPct > 100 || l.RoundYuan < 0 {
		f["line"] = "额度公式的系数不能为负，资产比例不超过 100%"
	}
	for g, v := range l.BaseYuan {
		if v < 0 || gradeRank(g) == len(GradeOrder) {
			f["line.base_yuan"] = "基础额度应按等级填写非负金额"
		}
	}
	for g, v := range l.CapYuan {
		if v < 0 || gradeRank(g) == len(GradeOrder) {
			f["line.cap_yuan"] = "额度上限应按等级填写非负金额"
		}
	}
	if len(f) > 0 {
		return apperr.FieldErrors(f)
	}
	return nil
}

// CreditLine computes the line in 分 for a 信用户.
func (l LineRule) CreditLine(grade string, mu float64, head int64, assetsFen int64) int64 {
	base, ok := l.BaseYuan[grade]
	if !ok {
		return 0
	}
	fen := base*100 + int64(mu*float64(l.PerMuYuan)*100) + head*l.PerHeadYuan*100 + assetsFen*l.AssetPct/100
	if c, ok := l.CapYuan[grade]; ok && fen > c*100 {
		fen = c * 100
	}
	if r := l.RoundYuan * 100; r > 0 {
		fen = fen / r * r
	}
	return max(fen, 0)
}

// MaskName masks a person's name for a public notice (公示) as custom requires: 张三 → 张*, 王小明 → 王*明;
// organisation names stay whole.
func MaskName(name, kind string) string {
	if kind != "household" {
		return name
	}
	r := []rune(strings.TrimSpace(name))
	switch {
	case len(r) <= 1:
		return string(r)
	case len(r) == 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}

// Batch is one version of a region's 整村授信 run.
type Batch struct {
	ID               int64       `json:"id"`
	RegionCode       string      `json:"region_code"`
	RegionName       string      `json:"region_name"`
	Version          int         `json:"version"`
	ModelID          int64       `json:"model_id"`
	ModelVersion     int         `json:"model_version"`
	Config           BatchConfig `json:"config"`
	Status           string      `json:"status" doc:"running 进行中 / done 完成 / failed 失败"`
	StatusLabel      string      `json:"status_label"`
	JobID            int64       `json:"job_id" doc:"后台任务编号，进度见 /api/v1/jobs/{id}"`
	Subjects         int         `json:"subjects"`
	Households       int         `json:"households"`
	CreditHouseholds int         `json:"credit_households"`
	Villages         int         `json:"villages"`
	CreditVillages   int         `json:"credit_villages"`
	LinesFen         int64       `json:"lines_fen" doc:"预授信额度合计（分）"`
	Message          string      `json:"message"`
	CreatedByName    string      `json:"created_by_name"`
	CreatedAt        time.Time   `json:"created_at"`
	FinishedAt       *time.Time  `json:"finished_at,omitempty"`
}

// BatchRow is one subject's result.
type BatchRow struct {
	SubjectID       int64   `json:"subject_id"`
	RatingID        int64   `json:"rating_id"`
	VillageCode     string  `json:"village_code"`
	VillageName     string  `json:"village_name"`
	Kind            string  `json:"kind"`
	Name            string  `json:"name" doc:"公示名单中为脱敏姓名"`
	Score           float64 `json:"score"`
	Grade           string  `json:"grade"`
	CreditHousehold bool    `json:"credit_household" doc:"信用户"`
	Reasons         string  `json:"reasons" doc:"未评为信用户的原因"`
	LineFen         int64   `json:"line_fen" doc:"预授信额度（分）"`
}

// BatchVillage is one village's 信用村 result.
type BatchVillage struct {
	VillageCode      string `json:"village_code"`
	VillageName      string `json:"village_name"`
	Households       int    `json:"households"`
	CreditHouseholds int    `json:"credit_households"`
	Borrowers        int    `json:"borrowers" doc:"有在贷的农户"`
	CleanBorrowers   int    `json:"clean_borrowers" doc:"有在贷且无欠款的农户"`
	BalanceFen       int64  `json:"balance_fen"`
	NPLFen           int64  `json:"npl_fen" doc:"逾期 90 天以上贷款余额"`
	CreditVillage    bool   `json:"credit_village"`
	Reasons          string `json:"reasons" doc:"未评为信用村的原因"`
}

// BatchInput starts a batch.
type BatchInput struct {
	RegionCode string       `json:"region_code" doc:"村、乡镇或县的区划代码"`
	Config     *BatchConfig `json:"config" doc:"不填用默认条件"`
}

func batchStatusLabel(s string) string {
	switch s {
	case "running":
		return "进行中"
	case "done":
		return "完成"
	case "failed":
		return "失败"
	}
	return s
}

const batchCols = `id, region_code, region_name, version, model_id, model_version, config, status, job_id, subjects, households, credit_households, villages,
	credit_villages, lines_fen, message, created_by_name, created_at, finished_at`

func scanBatch(sc interface{ Scan(...any) error }) (*Batch, error) {
	var b Batch
	var cfg string
	var fin sql.NullTime
	if err := sc.Scan(&b.ID, &b.RegionCode, &b.RegionName, &b.Version, &b.ModelID, &b.ModelVersion, &cfg, &b.Status, &b.JobID, &b.Subjects, &b.Households,
		&b.CreditHouseholds, &b.Villages, &b.CreditVillages, &b.LinesFen, &b.Message, &b.CreatedByName, &b.CreatedAt, &fin); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cfg), &b.Config); err != nil {
		return nil, fmt.Errorf("batch %d config: %w", b.ID, err)
	}
	b.CreatedAt = b.CreatedAt.UTC()
	if fin.Valid {
		t := fin.Time.UTC()
		b.FinishedAt = &t
	}
	b.StatusLabel = batchStatusLabel(b.Status)
	return &b, nil
}

var errNoBatch = apperr.New(apperr.NotFound, "授信批次不存在或您无权查看")

// StartBatch records a new version of a region's batch and runs it in the background (inline when no job runner
// is wired, as in the room's own tests). Staff run batches in their scope.
func (s *Service) StartBatch(ctx context.Context, p *auth.Principal, in BatchInput) (*Batch, error) {
	if !isStaff(p) {
		return nil, apperr.New(apperr.Forbidden, "只有县、乡镇工作人员可以发起整村授信")
	}
	reg, ok := s.regions.Get(strings.TrimSpace(in.RegionCode))
	if !ok || (reg.Level != region.LevelVillage && reg.Level != region.LevelTownship && reg.Level != region.LevelCounty) {
		return nil, apperr.FieldErrors(map[string]string{"region_code": "请选择村、乡镇或县"})
	}
	if !p.InRegion(reg.Code) {
		return nil, apperr.New(apperr.Forbidden, "该区域不在您的管辖范围内")
	}
	cfg := DefaultBatchConfig()
	if in.Config != nil {
		cfg = *in.Config
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	county := region.County(reg.Code) + "000000"
	m, err := s.CurrentModel(ctx, s.db, county)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, apperr.New(apperr.Conflict, "本县还没有批准的评级模型，请先批准一个版本")
	}
	var id int64
	var version int
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		id, version, err = s.createBatch(ctx, tx, p, reg, m, cfg)
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.Jobs != nil && s.Jobs() != nil {
		jobID, err := s.Jobs().Start(p, "credit-batch", fmt.Sprintf("%s 整村授信第 %d 版", reg.Name, version), func(ctx context.Context, progress func(done, total int)) (string, map[string][]byte, error) {
			b, err := s.RunBatch(ctx, id, p.Username, progress)
			if err != nil {
				return "", nil, err
			}
			return fmt.Sprintf("评级 %d 户（主体），信用户 %d 户，信用村 %d / %d 个", b.Subjects, b.CreditHouseholds, b.CreditVillages, b.Villages), nil, nil
		})
		if err != nil {
			return nil, err
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE credit_batches SET job_id = ? WHERE id = ?`, jobID, id); err != nil {
			return nil, err
		}
	} else if _, err := s.RunBatch(ctx, id, p.Username, func(int, int) {}); err != nil {
		return nil, err
	}
	return s.getBatch(ctx, id)
}

func (s *Service) getBatch(ctx context.Context, id int64) (*Batch, error) {
	b, err := scanBatch(s.db.QueryRowContext(ctx, `SELECT `+batchCols+` FROM credit_batches WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoBatch
	}
	return b, err
}

// createBatch records a running batch in tx and returns its id and version.
func (s *Service) createBatch(ctx context.Context, tx *db.Tx, p *auth.Principal, reg *region.Region, m *RatingModel, cfg BatchConfig) (int64, int, error) {
	raw, _ := json.Marshal(cfg)
	id := tx.NextID()
	var version, running int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_batches WHERE region_code = ? AND status = 'running'`, reg.Code).Scan(&running); err != nil {
		return 0, 0, err
	}
	if running > 0 {
		return 0, 0, apperr.New(apperr.Conflict, "该区域已有进行中的授信批次，请等待完成")
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM credit_batches WHERE region_code = ?`, reg.Code).Scan(&version); err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO credit_batches (id, county_code, region_code, region_name, version, model_id, model_version, config, status, created_by_name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)`, id, region.County(reg.Code)+"000000", reg.Code, reg.Name, version, m.ID, m.Version, string(raw), p.Username, s.now().UTC()); err != nil {
		return 0, 0, err
	}
	return id, version, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "credit_batch", EntityID: id,
		Summary: fmt.Sprintf("发起 %s 整村授信第 %d 版（评级模型第 %d 版）", reg.Name, version, m.Version), After: cfg})
}

// batchChunk is the number of subjects written per transaction.
const batchChunk = 5000

// RunBatch does the work of a recorded batch and marks it done (or failed with the reason).
func (s *Service) RunBatch(ctx context.Context, id int64, by string, progress func(done, total int)) (*Batch, error) {
	b, err := s.getBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	err = s.runBatch(ctx, s.db, s.db.InTx, b, by, progress)
	if err != nil {
		_, _ = s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE credit_batches SET status = 'failed', message = ?, finished_at = ? WHERE id = ?`,
			apperr.MessageOf(err), s.now().UTC(), id)
		return nil, err
	}
	return s.getBatch(ctx, id)
}

// runBatch reads the room's tables through q and writes through write (its own transactions, or the demo's one).
func (s *Service) runBatch(ctx context.Context, q db.Querier, write func(context.Context, func(*db.Tx) error) error, b *Batch, by string, progress func(done, total int)) error {
	m, err := s.getModel(ctx, q, b.ModelID)
	if err != nil {
		return err
	}
	sys := systemPrincipal(b.RegionCode)
	var subs []*registry.Subject
	err = s.subjects.Each(ctx, sys, registry.Filter{RegionCode: b.RegionCode}, func(x *registry.Subject) error {
		if !isInstitution(x.Kind) {
			subs = append(subs, x)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("batch subjects: %w", err)
	}
	total := len(subs)
	progress(0, total)
	c, err := s.collect(ctx, q, b.RegionCode, s.period())
	if err != nil {
		return err
	}
	today := FormatDate(s.today())
	now := s.now().UTC()
	cfg := b.Config
	villages := map[string]*BatchVillage{}
	var households, creditHH int
	var lines int64
	// rating a chunk (CPU) overlaps with writing the chunk before (the single SQLite writer)
	type chunk struct {
		ratings, results [][]any
		done             int
	}
	// other rooms' facts cost queries per subject: fetch them only when the model scores one
	needFacts := len(s.Facts) > 0 && m.Definition.UsesRoomFacts()
	chunks := make(chan chunk, 1)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var perr error
	go func() {
		defer close(chunks)
		ratingIDs := s.db.IDs
		for start := 0; start < total; start += batchChunk {
			part := subs[start:min(start+batchChunk, total)]
			ck := chunk{ratings: make([][]any, 0, len(part)), results: make([][]any, 0, len(part)), done: start + len(part)}
			for _, sub := range part {
				in := c.inputs(sub, today)
				if needFacts {
					if _, err := s.addFacts(pctx, sub.ID, in); err != nil {
						perr = err
						return
					}
				}
				res := Evaluate(&m.Definition, in)
				rid := ratingIDs.Next()
				ck.ratings = append(ck.ratings, ratingRow(rid, sub, m, b.ID, in, res, by, now))
				ls := c.loans[sub.ID]
				if ls == nil {
					ls = &loanState{}
				}
				var why []string
				if !GradeAtLeast(res.Grade, cfg.MinGrade) {
					why = append(why, fmt.Sprintf("等级 %s 低于 %s", res.Grade, cfg.MinGrade))
				}
				if cfg.NoArrears && ls.arrears > 0 {
					why = append(why, "有当前欠款")
				}
				if cfg.NoBadRecord && c.bad[sub.ID] > 0 {
					why = append(why, "有不良记录")
				}
				ok := len(why) == 0
				var line int64
				if ok {
					line = cfg.Line.CreditLine(res.Grade, sub.ScaleMu, sub.ScaleHead, c.assets[sub.ID])
					lines += line
				}
				village := ""
				if len(sub.RegionCode) == 12 && !strings.HasSuffix(sub.RegionCode, "000") {
					village = sub.RegionCode
				}
				if sub.Kind == "household" {
					households++
					if ok {
						creditHH++
					}
					if village != "" {
						v := villages[village]
						if v == nil {
							v = &BatchVillage{VillageCode: village}
							villages[village] = v
						}
						v.Households++
						if ok {
							v.CreditHouseholds++
						}
						if ls.borrower {
							v.Borrowers++
							if ls.cleanBorrow {
								v.CleanBorrowers++
							}
						}
						v.BalanceFen += ls.balance
						v.NPLFen += ls.npl
					}
				}
				ck.results = append(ck.results, []any{b.ID, sub.ID, rid, cmpOrStr(village, sub.RegionCode), sub.Kind, sub.Name, MaskName(sub.Name, sub.Kind), res.Score, res.Grade,
					boolInt(ok), strings.Join(why, "；"), line})
			}
			select {
			case chunks <- ck:
			case <-pctx.Done():
				return
			}
		}
	}()
	for ck := range chunks {
		err := write(ctx, func(tx *db.Tx) error {
			if err := tx.InsertRows(ctx, "ratings", ratingInsertCols, ck.ratings, 200); err != nil {
				return err
			}
			return tx.InsertRows(ctx, "credit_batch_rows", []string{"batch_id", "subject_id", "rating_id", "village_code", "kind", "name", "masked_name", "score", "grade",
				"credit_household", "reasons", "line_fen"}, ck.results, 300)
		})
		if err != nil {
			cancel()
			for range chunks { // let the producer finish before its counters are read
			}
			return fmt.Errorf("batch write: %w", err)
		}
		progress(ck.done, total)
	}
	// the producer has closed chunks: its counters and perr are final
	if perr != nil {
		return perr
	}
	codes := make([]string, 0, len(villages))
	for k := range villages {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	var vrows [][]any
	creditVillages := 0
	for _, code := range codes {
		v := villages[code]
		v.VillageName = s.regions.ShortName(code)
		var why []string
		if pct(v.CreditHouseholds, v.Households) < cfg.VillageCreditPct {
			why = append(why, fmt.Sprintf("信用户占比 %.1f%% 低于 %.0f%%", pct(v.CreditHouseholds, v.Households), cfg.VillageCreditPct))
		}
		if v.Borrowers > 0 && pct(v.CleanBorrowers, v.Borrowers) < cfg.VillageCleanPct {
			why = append(why, fmt.Sprintf("有贷户无欠款比例 %.1f%% 低于 %.0f%%", pct(v.CleanBorrowers, v.Borrowers), cfg.VillageCleanPct))
		}
		if v.BalanceFen > 0 && float64(v.NPLFen)*100/float64(v.BalanceFen) >= cfg.VillageMaxNPLPct {
			why = append(why, fmt.Sprintf("不良率 %.1f%% 不低于 %.0f%%", float64(v.NPLFen)*100/float64(v.BalanceFen), cfg.VillageMaxNPLPct))
		}
		v.CreditVillage = len(why) == 0
		v.Reasons = strings.Join(why, "；")
		if v.CreditVillage {
			creditVillages++
		}
		vrows = append(vrows, []any{b.ID, code, v.VillageName, v.Households, v.CreditHouseholds, v.Borrowers, v.CleanBorrowers, v.BalanceFen, v.NPLFen,
			boolInt(v.CreditVillage), v.Reasons})
	}
	return write(ctx, func(tx *db.Tx) error {
		if err := tx.InsertRows(ctx, "credit_batch_villages", []string{"batch_id", "village_code", "village_name", "households", "credit_households", "borrowers",
			"clean_borrowers", "balance_fen", "npl_fen", "credit_village", "reasons"}, vrows, 200); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credit_batches SET status = 'done', subjects = ?, households = ?, credit_households = ?, villages = ?, credit_villages = ?,
			lines_fen = ?, finished_at = ? WHERE id = ?`, total, households, creditHH, len(codes), creditVillages, lines, s.now().UTC(), b.ID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: audit.Actor{Name: by}, Action: "complete", Entity: "credit_batch", EntityID: b.ID,
			Summary: fmt.Sprintf("%s 整村授信第 %d 版完成：评级 %d，信用户 %d，信用村 %d/%d", b.RegionName, b.Version, total, creditHH, creditVillages, len(codes))})
	})
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) * 100 / float64(b)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func canSeeBatches(p *auth.Principal) bool { return p != nil && !isSelf(p) }

// ListBatches lists the batches of regions p sees (banks: every batch of their counties), newest first.
func (s *Service) ListBatches(ctx context.Context, p *auth.Principal, regionCode string) ([]*Batch, error) {
	if !canSeeBatches(p) {
		return nil, apperr.New(apperr.Forbidden, "您无权查看授信批次")
	}
	var conds []string
	var args []any
	if !isBank(p) {
		w, a := regionSQL(p, "region_code")
		conds, args = append(conds, w), a
	}
	if regionCode != "" {
		conds, args = append(conds, "region_code = ?"), append(args, regionCode)
	}
	q := `SELECT ` + batchCols + ` FROM credit_batches`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id DESC LIMIT 200`, args...)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	defer rows.Close()
	out := []*Batch{}
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// GetBatch returns a batch p may see.
func (s *Service) GetBatch(ctx context.Context, p *auth.Principal, id int64) (*Batch, error) {
	if !canSeeBatches(p) {
		return nil, errNoBatch
	}
	b, err := s.getBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	if !isBank(p) && !p.InRegion(b.RegionCode) && !regionWithin(p, b.RegionCode) {
		return nil, errNoBatch
	}
	return b, nil
}

// regionWithin: a township operator may see the batch of its township's villages, and a county batch covering it.
func regionWithin(p *auth.Principal, code string) bool {
	for _, sc := range p.ScopePrefixes() {
		if strings.HasPrefix(sc, auth.RegionPrefix(code)) {
			return true
		}
	}
	return false
}

// List kinds of a batch's subject list.
const (
	ListNotice = "notice" // 公示：姓名脱敏，全部评级主体
	ListBank   = "bank"   // 银行名单：信用户全名与额度（银行只看向其授权的主体）
)

// BatchRowFilter selects a page of a batch's rows.
type BatchRowFilter struct {
	List    string
	Village string
	Credit  string // "1" 信用户, "0" 非信用户
	Page    int
	PerPage int
}

// BatchRows lists a batch's results as the public notice (masked names) or the bank's list (full names; a bank
// sees only subjects with a live consent to it).
func (s *Service) BatchRows(ctx context.Context, p *auth.Principal, id int64, f BatchRowFilter) ([]BatchRow, int, error) {
	b, err := s.GetBatch(ctx, p, id)
	if err != nil {
		return nil, 0, err
	}
	conds := []string{"r.batch_id = ?"}
	args := []any{b.ID}
	nameCol := "r.masked_name"
	switch f.List {
	case "", ListNotice:
	case ListBank:
		nameCol = "r.name"
		conds = append(conds, "r.credit_household = 1")
		if isBank(p) {
			today := FormatDate(s.today())
			conds = append(conds, `EXISTS (SELECT 1 FROM consents c WHERE c.subject_id = r.subject_id AND c.institution_id = ? AND c.status = 'active' AND c.valid_from <= ? AND c.valid_to >= ?)`)
			args = append(args, p.SubjectID, today, today)
		} else if !isStaff(p) && !isReadOnly(p) {
			return nil, 0, apperr.New(apperr.Forbidden, "您无权查看银行名单")
		}
	default:
		return nil, 0, apperr.FieldErrors(map[string]string{"list": "应为 notice（公示）或 bank（银行名单）"})
	}
	if f.Village != "" {
		conds, args = append(conds, "r.village_code = ?"), append(args, f.Village)
	}
	switch f.Credit {
	case "":
	case "1", "0":
		conds, args = append(conds, "r.credit_household = ?"), append(args, f.Credit == "1")
	default:
		return nil, 0, apperr.FieldErrors(map[string]string{"credit": "应为 1（信用户）或 0"})
	}
	w := strings.Join(conds, " AND ")
	// booleans are stored as 0/1 integers on both engines
	for i, a := range args {
		if v, ok := a.(bool); ok {
			args[i] = boolInt(v)
		}
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_batch_rows r WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count batch rows: %w", err)
	}
	f.Page, f.PerPage = max(f.Page, 1), cmpOr(f.PerPage, 50)
	rows, err := s.db.QueryContext(ctx, `SELECT r.subject_id, r.rating_id, r.village_code, r.kind, `+nameCol+`, r.score, r.grade, r.credit_household, r.reasons, r.line_fen
		FROM credit_batch_rows r WHERE `+w+` ORDER BY r.village_code, r.subject_id LIMIT ? OFFSET ?`, append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("batch rows: %w", err)
	}
	defer rows.Close()
	out := []BatchRow{}
	for rows.Next() {
		var r BatchRow
		var ch int
		if err := rows.Scan(&r.SubjectID, &r.RatingID, &r.VillageCode, &r.Kind, &r.Name, &r.Score, &r.Grade, &ch, &r.Reasons, &r.LineFen); err != nil {
			return nil, 0, err
		}
		r.CreditHousehold = ch == 1
		r.VillageName = s.regions.ShortName(r.VillageCode)
		if f.List != ListBank {
			r.SubjectID, r.RatingID, r.LineFen = 0, 0, 0 // the public notice carries no identifiers or lines
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// BatchVillages lists a batch's village results.
func (s *Service) BatchVillages(ctx context.Context, p *auth.Principal, id int64) ([]BatchVillage, error) {
	b, err := s.GetBatch(ctx, p, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT village_code, village_name, households, credit_households, borrowers, clean_borrowers, balance_fen, npl_fen, credit_village, reasons
		FROM credit_batch_villages WHERE batch_id = ? ORDER BY village_code`, b.ID)
	if err != nil {
		return nil, fmt.Errorf("batch villages: %w", err)
	}
	defer rows.Close()
	out := []BatchVillage{}
	for rows.Next() {
		var v BatchVillage
		var cv int
		if err := rows.Scan(&v.VillageCode, &v.VillageName, &v.Households, &v.CreditHouseholds, &v.Borrowers, &v.CleanBorrowers, &v.BalanceFen, &v.NPLFen, &cv, &v.Reasons); err != nil {
			return nil, err
		}
		v.CreditVillage = cv == 1
		out = append(out, v)
	}
	return out, rows.Err()
}
