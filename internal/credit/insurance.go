package credit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// Agricultural insurance: an insurer's products (收入保险, 区域产量保险, 农机具综合保险 …), policies of subjects with the
// premium and its government subsidy, and claims paid up to the sum insured.

// InsuranceKinds are the kinds of products, code → label.
var InsuranceKinds = []struct{ Code, Label string }{
	{"income", "收入保险"},
	{"area_yield", "区域产量保险"},
	{"machinery", "农机具综合保险"},
	{"livestock", "养殖保险"},
	{"planting", "种植保险"},
}

func insuranceKindLabel(code string) string {
	for _, k := range InsuranceKinds {
		if k.Code == code {
			return k.Label
		}
	}
	return code
}

// InsuranceProduct is an insurer's product.
type InsuranceProduct struct {
	ID          int64  `json:"id"`
	InsurerID   int64  `json:"insurer_id"`
	InsurerName string `json:"insurer_name"`
	Name        string `json:"name"`
	Kind        string `json:"kind" doc:"income 收入保险, area_yield 区域产量保险, machinery 农机具综合保险, livestock 养殖保险, planting 种植保险"`
	KindLabel   string `json:"kind_label"`
	PremiumBP   int    `json:"premium_bp" doc:"费率（基点，占保险金额）"`
	SubsidyPct  int    `json:"subsidy_pct" doc:"保费财政补贴比例（%）"`
	Description string `json:"description"`
}

// InsuranceProductInput defines a product.
type InsuranceProductInput struct {
	InsurerID   int64  `json:"insurer_id" doc:"保险机构用户可省略"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	PremiumBP   int    `json:"premium_bp"`
	SubsidyPct  int    `json:"subsidy_pct"`
	Description string `json:"description"`
}

// Policy is an insurance policy.
type Policy struct {
	ID            int64     `json:"id"`
	ProductID     int64     `json:"product_id"`
	ProductName   string    `json:"product_name"`
	KindLabel     string    `json:"kind_label"`
	SubjectID     int64     `json:"subject_id"`
	SubjectName   string    `json:"subject_name"`
	RegionName    string    `json:"region_name"`
	PolicyNo      string    `json:"policy_no"`
	SumInsuredFen int64     `json:"sum_insured_fen"`
	PremiumFen    int64     `json:"premium_fen"`
	SubsidyFen    int64     `json:"subsidy_fen" doc:"财政补贴保费（分）"`
	StartOn       string    `json:"start_on"`
	EndOn         string    `json:"end_on"`
	Status        string    `json:"status" doc:"active 有效 / expired 到期"`
	ClaimedFen    int64     `json:"claimed_fen" doc:"已赔付（分）"`
	Claims        []Claim   `json:"claims,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// PolicyInput issues a policy.
type PolicyInput struct {
	ProductID     int64  `json:"product_id"`
	SubjectID     int64  `json:"subject_id"`
	PolicyNo      string `json:"policy_no"`
	SumInsuredFen int64  `json:"sum_insured_fen"`
	StartOn       string `json:"start_on"`
	EndOn         string `json:"end_on"`
}

// Claim is a claim on a policy.
type Claim struct {
	ID         int64  `json:"id"`
	PolicyID   int64  `json:"policy_id"`
	ReportedOn string `json:"reported_on"`
	Cause      string `json:"cause"`
	LossFen    int64  `json:"loss_fen"`
	PaidFen    int64  `json:"paid_fen"`
	Status     string `json:"status" doc:"paid 已赔付 / rejected 拒赔"`
	Reason     string `json:"reason"`
}

// ClaimInput settles a claim: paid (PaidFen > 0) or rejected with a reason.
type ClaimInput struct {
	PolicyID   int64  `json:"policy_id"`
	ReportedOn string `json:"reported_on"`
	Cause      string `json:"cause" doc:"出险原因，如 冰雹、干旱、价格下跌"`
	LossFen    int64  `json:"loss_fen"`
	PaidFen    int64  `json:"paid_fen" doc:"赔付金额（分）；0 表示拒赔"`
	Reason     string `json:"reason" doc:"拒赔原因"`
}

// insurerOf: an institution user of an insurer, or a county admin choosing one.
func (s *Service) insurerOf(ctx context.Context, p *auth.Principal, id int64) (int64, error) {
	if isBank(p) {
		if id != 0 && id != p.SubjectID {
			return 0, apperr.New(apperr.Forbidden, "只能为本机构办理")
		}
		id = p.SubjectID
	} else if !p.Is(auth.CountyAdmin) {
		return 0, apperr.New(apperr.Forbidden, "只有保险机构和县级管理员可以办理保险")
	}
	x, err := s.subject(ctx, id)
	if err != nil || x.Kind != "insurer" {
		return 0, apperr.FieldErrors(map[string]string{"insurer_id": "请选择保险机构"})
	}
	if p.Is(auth.CountyAdmin) && !p.InRegion(x.RegionCode) {
		return 0, apperr.New(apperr.Forbidden, "该机构不在您的管辖范围内")
	}
	return id, nil
}

// CreateInsuranceProduct defines a product.
func (s *Service) CreateInsuranceProduct(ctx context.Context, p *auth.Principal, in InsuranceProductInput) (*InsuranceProduct, error) {
	ins, err := s.insurerOf(ctx, p, in.InsurerID)
	if err != nil {
		return nil, err
	}
	f := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		f["name"] = "请填写产品名称"
	}
	if !slices.ContainsFunc(InsuranceKinds, func(k struct{ Code, Label string }) bool { return k.Code == in.Kind }) {
		f["kind"] = "险种应为 收入保险、区域产量保险、农机具综合保险、养殖保险 或 种植保险"
	}
	if in.PremiumBP <= 0 || in.PremiumBP > 5000 {
		f["premium_bp"] = "费率应在 0–50% 之间"
	}
	if in.SubsidyPct < 0 || in.SubsidyPct > 100 {
		f["subsidy_pct"] = "补贴比例应在 0–100% 之间"
	}
	if len(f) > 0 {
		return nil, apperr.FieldErrors(f)
	}
	sub, _ := s.subject(ctx, ins)
	id := s.db.IDs.Next()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO insurance_products (id, county_code, insurer_id, name, kind, premium_bp, subsidy_pct, description, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, region.County(sub.RegionCode)+"000000", ins, in.Name, in.Kind, in.PremiumBP, in.SubsidyPct, strings.TrimSpace(in.Description), s.now().UTC()); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "本机构已有同名保险产品")
			}
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "insurance_product", EntityID: id,
			Summary: fmt.Sprintf("%s 设立保险产品：%s", sub.Name, in.Name), After: in})
	})
	if err != nil {
		return nil, err
	}
	return &InsuranceProduct{ID: id, InsurerID: ins, InsurerName: sub.Name, Name: in.Name, Kind: in.Kind, KindLabel: insuranceKindLabel(in.Kind), PremiumBP: in.PremiumBP,
		SubsidyPct: in.SubsidyPct, Description: in.Description}, nil
}

// InsuranceProducts lists the products of the counties p sees (an insurer: its own).
func (s *Service) InsuranceProducts(ctx context.Context, p *auth.Principal) ([]InsuranceProduct, error) {
	q := `SELECT id, insurer_id, name, kind, premium_bp, subsidy_pct, description FROM insurance_products`
	var args []any
	switch {
	case isBank(p):
		q, args = q+` WHERE insurer_id = ?`, []any{p.SubjectID}
	default:
		cs := counties(p)
		if len(cs) == 0 {
			return []InsuranceProduct{}, nil
		}
		in, a := db.InList(cs)
		q, args = q+` WHERE SUBSTR(county_code, 1, 6) IN (`+in+`)`, a
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY kind, name`, args...)
	if err != nil {
		return nil, fmt.Errorf("insurance products: %w", err)
	}
	defer rows.Close()
	out := []InsuranceProduct{}
	var ids []int64
	for rows.Next() {
		var x InsuranceProduct
		if err := rows.Scan(&x.ID, &x.InsurerID, &x.Name, &x.Kind, &x.PremiumBP, &x.SubsidyPct, &x.Description); err != nil {
			return nil, err
		}
		x.KindLabel = insuranceKindLabel(x.Kind)
		out = append(out, x)
		ids = append(ids, x.InsurerID)
	}
	names := s.names(ctx, ids...)
	for i := range out {
		if n := names[out[i].InsurerID]; n != nil {
			out[i].InsurerName = n.Name
		}
	}
	return out, rows.Err()
}

// Premium is the premium of a sum insured at a rate, rounded half-up to the 分, and its subsidised part.
func Premium(sumFen int64, bp, subsidyPct int) (premium, subsidy int64) {
	premium = divRound(sumFen*int64(bp), 10000)
	subsidy = divRound(premium*int64(subsidyPct), 100)
	return premium, subsidy
}

// IssuePolicy issues a policy (the insurer, or staff in scope on the subject's behalf).
func (s *Service) IssuePolicy(ctx context.Context, p *auth.Principal, in PolicyInput) (*Policy, error) {
	var prod InsuranceProduct
	err := s.db.QueryRowContext(ctx, `SELECT id, insurer_id, name, kind, premium_bp, subsidy_pct FROM insurance_products WHERE id = ?`, in.ProductID).
		Scan(&prod.ID, &prod.InsurerID, &prod.Name, &prod.Kind, &prod.PremiumBP, &prod.SubsidyPct)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.FieldErrors(map[string]string{"product_id": "请选择保险产品"})
	}
	if err != nil {
		return nil, err
	}
	sub, err := s.subject(ctx, in.SubjectID)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"subject_id": "投保主体不存在"})
	}
	switch {
	case isBank(p) && p.SubjectID == prod.InsurerID:
	case isStaff(p) && p.InRegion(sub.RegionCode):
	default:
		return nil, apperr.New(apperr.Forbidden, "只有承保机构或管辖范围内的工作人员可以出单")
	}
	f := map[string]string{}
	in.PolicyNo = strings.TrimSpace(in.PolicyNo)
	if in.PolicyNo == "" {
		f["policy_no"] = "请填写保单号"
	}
	if in.SumInsuredFen <= 0 || in.SumInsuredFen > MaxPrincipal {
		f["sum_insured_fen"] = "保险金额应大于 0"
	}
	from, err1 := ParseDate(in.StartOn)
	to, err2 := ParseDate(in.EndOn)
	if err1 != nil || err2 != nil || !to.After(from) {
		f["end_on"] = "保险期间应为 YYYY-MM-DD，且止期晚于起期"
	}
	if len(f) > 0 {
		return nil, apperr.FieldErrors(f)
	}
	premium, subsidy := Premium(in.SumInsuredFen, prod.PremiumBP, prod.SubsidyPct)
	id := s.db.IDs.Next()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO insurance_policies (id, county_code, region_code, product_id, subject_id, policy_no, sum_insured_fen, premium_fen, subsidy_fen, start_on, end_on, status, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)`, id, region.County(sub.RegionCode)+"000000", sub.RegionCode, prod.ID, sub.ID, in.PolicyNo, in.SumInsuredFen,
			premium, subsidy, in.StartOn, in.EndOn, p.Username, s.now().UTC()); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.FieldErrors(map[string]string{"policy_no": "保单号已存在"})
			}
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "insurance_policy", EntityID: id,
			Summary: fmt.Sprintf("%s 投保 %s，保额 %s，保费 %s（补贴 %s）", sub.Name, prod.Name, fenText(in.SumInsuredFen), fenText(premium), fenText(subsidy)), After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.GetPolicy(ctx, p, id)
}

const policyCols = `x.id, x.product_id, x.subject_id, x.region_code, x.policy_no, x.sum_insured_fen, x.premium_fen, x.subsidy_fen, x.start_on, x.end_on, x.status, x.created_at,
	p.name, p.kind, p.insurer_id, COALESCE((SELECT SUM(paid_fen) FROM insurance_claims c WHERE c.policy_id = x.id), 0)`

func (s *Service) scanPolicies(ctx context.Context, rows *sql.Rows) ([]Policy, []int64, error) {
	defer rows.Close()
	out := []Policy{}
	var insurers []int64
	var ids []int64
	for rows.Next() {
		var x Policy
		var region, kind string
		var ins int64
		if err := rows.Scan(&x.ID, &x.ProductID, &x.SubjectID, &region, &x.PolicyNo, &x.SumInsuredFen, &x.PremiumFen, &x.SubsidyFen, &x.StartOn, &x.EndOn, &x.Status,
			&x.CreatedAt, &x.ProductName, &kind, &ins, &x.ClaimedFen); err != nil {
			return nil, nil, err
		}
		x.KindLabel, x.RegionName, x.CreatedAt = insuranceKindLabel(kind), s.regions.Name(region), x.CreatedAt.UTC()
		if x.EndOn < FormatDate(s.today()) {
			x.Status = "expired"
		}
		out = append(out, x)
		insurers = append(insurers, ins)
		ids = append(ids, x.SubjectID)
	}
	names := s.names(ctx, ids...)
	for i := range out {
		if n := names[out[i].SubjectID]; n != nil {
			out[i].SubjectName = n.Name
		}
	}
	return out, insurers, rows.Err()
}

// Policies lists policies p may see: an insurer its own, a subject its own, staff in scope.
func (s *Service) Policies(ctx context.Context, p *auth.Principal, subjectID int64) ([]Policy, error) {
	var conds []string
	var args []any
	switch {
	case isBank(p):
		conds, args = append(conds, "p.insurer_id = ?"), append(args, p.SubjectID)
	case isSelf(p):
		conds, args = append(conds, "x.subject_id = ?"), append(args, p.SubjectID)
	default:
		w, a := regionSQL(p, "x.region_code")
		conds, args = append(conds, w), append(args, a...)
	}
	if subjectID != 0 {
		conds, args = append(conds, "x.subject_id = ?"), append(args, subjectID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+policyCols+` FROM insurance_policies x JOIN insurance_products p ON p.id = x.product_id WHERE `+strings.Join(conds, " AND ")+` ORDER BY x.id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	out, _, err := s.scanPolicies(ctx, rows)
	return out, err
}

// GetPolicy returns a policy with its claims.
func (s *Service) GetPolicy(ctx context.Context, p *auth.Principal, id int64) (*Policy, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+policyCols+` FROM insurance_policies x JOIN insurance_products p ON p.id = x.product_id WHERE x.id = ?`, id)
	if err != nil {
		return nil, err
	}
	l, ins, err := s.scanPolicies(ctx, rows)
	if err != nil {
		return nil, err
	}
	notFound := apperr.New(apperr.NotFound, "保单不存在或您无权查看")
	if len(l) == 0 {
		return nil, notFound
	}
	x := l[0]
	sub, err := s.subject(ctx, x.SubjectID)
	if err != nil {
		return nil, err
	}
	if !(isBank(p) && p.SubjectID == ins[0]) && !canSeeSubject(p, x.SubjectID, sub.RegionCode) {
		return nil, notFound
	}
	crs, err := s.db.QueryContext(ctx, `SELECT id, policy_id, reported_on, cause, loss_fen, paid_fen, status, reason FROM insurance_claims WHERE policy_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer crs.Close()
	for crs.Next() {
		var c Claim
		if err := crs.Scan(&c.ID, &c.PolicyID, &c.ReportedOn, &c.Cause, &c.LossFen, &c.PaidFen, &c.Status, &c.Reason); err != nil {
			return nil, err
		}
		x.Claims = append(x.Claims, c)
	}
	return &x, crs.Err()
}

// SettleClaim records a claim on a policy by its insurer (or a county admin): paid up to what remains of the sum
// insured and not more than the loss, or rejected with a reason. The loss must fall within the policy period.
func (s *Service) SettleClaim(ctx context.Context, p *auth.Principal, in ClaimInput) (*Policy, error) {
	x, err := s.GetPolicy(ctx, p, in.PolicyID)
	if err != nil {
		return nil, err
	}
	var insurer int64
	if err := s.db.QueryRowContext(ctx, `SELECT p.insurer_id FROM insurance_policies x JOIN insurance_products p ON p.id = x.product_id WHERE x.id = ?`, x.ID).Scan(&insurer); err != nil {
		return nil, err
	}
	if !(isBank(p) && p.SubjectID == insurer) && !p.Is(auth.CountyAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有承保机构或县级管理员可以理赔")
	}
	f := map[string]string{}
	if in.ReportedOn < x.StartOn || in.ReportedOn > x.EndOn {
		f["reported_on"] = fmt.Sprintf("出险日期应在保险期间 %s 至 %s 内", x.StartOn, x.EndOn)
	}
	if strings.TrimSpace(in.Cause) == "" {
		f["cause"] = "请填写出险原因"
	}
	if in.LossFen <= 0 {
		f["loss_fen"] = "损失金额应大于 0"
	}
	left := x.SumInsuredFen - x.ClaimedFen
	switch {
	case in.PaidFen < 0 || in.PaidFen > in.LossFen:
		f["paid_fen"] = "赔付金额应在 0 与损失金额之间"
	case in.PaidFen > left:
		f["paid_fen"] = fmt.Sprintf("赔付金额超过剩余保险金额 %s", fenText(left))
	case in.PaidFen == 0 && strings.TrimSpace(in.Reason) == "":
		f["reason"] = "拒赔须填写原因"
	}
	if len(f) > 0 {
		return nil, apperr.FieldErrors(f)
	}
	st := "paid"
	if in.PaidFen == 0 {
		st = "rejected"
	}
	id := s.db.IDs.Next()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO insurance_claims (id, policy_id, reported_on, cause, loss_fen, paid_fen, status, reason, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, x.ID, in.ReportedOn, strings.TrimSpace(in.Cause), in.LossFen, in.PaidFen, st, strings.TrimSpace(in.Reason), p.Username, s.now().UTC()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "claim", Entity: "insurance_policy", EntityID: x.ID,
			Summary: fmt.Sprintf("保单 %s 理赔：损失 %s，赔付 %s", x.PolicyNo, fenText(in.LossFen), fenText(in.PaidFen)), After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.GetPolicy(ctx, p, x.ID)
}
