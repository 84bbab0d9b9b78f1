package supervision

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

// Fund categories (三、(二) 加强政策支持).
var FundCategories = []struct{ Value, Label string }{
	{"trinity", "“三位一体”专项资金"},
	{"interest", "贷款贴息"},
	{"carrier", "为农服务中心和农村综合服务社建设"},
	{"machinery", "为农服务中心农机购置补助"},
	{"other", "其他"},
}

// FundCategoryLabel is the Chinese label of a category.
func FundCategoryLabel(c string) string {
	for _, x := range FundCategories {
		if x.Value == c {
			return x.Label
		}
	}
	return c
}

// Fund is a special fund or subsidy line with its totals.
type Fund struct {
	ID            int64    `json:"id"`
	Code          string   `json:"code"`
	Name          string   `json:"name"`
	Category      string   `json:"category" doc:"trinity 三位一体专项资金 / interest 贷款贴息 / carrier 服务中心和服务社建设 / machinery 农机购置补助 / other"`
	CategoryLabel string   `json:"category_label"`
	UnitID        int64    `json:"unit_id" doc:"管理单位"`
	UnitName      string   `json:"unit_name"`
	Note          string   `json:"note"`
	BudgetFen     int64    `json:"budget_fen" doc:"预算（分）"`
	AllocatedFen  int64    `json:"allocated_fen" doc:"已下达（分）"`
	DisbursedFen  int64    `json:"disbursed_fen" doc:"已拨付（分）"`
	BalanceFen    int64    `json:"balance_fen" doc:"预算结余 = 预算 − 已拨付（分）"`
	Budgets       []Budget `json:"budgets,omitempty"`
}

// Budget is a fund's budget for one year and purpose.
type Budget struct {
	ID             int64        `json:"id"`
	FundID         int64        `json:"fund_id"`
	Year           int          `json:"year"`
	Purpose        string       `json:"purpose"`
	AmountFen      int64        `json:"amount_fen"`
	AllocatedFen   int64        `json:"allocated_fen"`
	UnallocatedFen int64        `json:"unallocated_fen"`
	Allocations    []Allocation `json:"allocations,omitempty"`
}

// Allocation is money of a budget line allocated to a unit for a project, optionally linked to a task.
type Allocation struct {
	ID            int64          `json:"id"`
	BudgetID      int64          `json:"budget_id"`
	UnitID        int64          `json:"unit_id"`
	UnitName      string         `json:"unit_name"`
	TaskID        int64          `json:"task_id"`
	TaskNo        int            `json:"task_no"`
	Project       string         `json:"project"`
	RegionCode    string         `json:"region_code"`
	AmountFen     int64          `json:"amount_fen"`
	DisbursedFen  int64          `json:"disbursed_fen"`
	BalanceFen    int64          `json:"balance_fen"`
	AllocatedOn   string         `json:"allocated_on"`
	Note          string         `json:"note"`
	Disbursements []Disbursement `json:"disbursements,omitempty"`
}

// Disbursement is a payment out of an allocation, with its voucher.
type Disbursement struct {
	ID           int64     `json:"id"`
	AllocationID int64     `json:"allocation_id"`
	VoucherNo    string    `json:"voucher_no" doc:"凭证号（全局唯一）"`
	AmountFen    int64     `json:"amount_fen"`
	PaidOn       string    `json:"paid_on"`
	Payee        string    `json:"payee"`
	Note         string    `json:"note"`
	UserName     string    `json:"user_name"`
	CreatedAt    time.Time `json:"created_at"`
	Files        []File    `json:"files"`
}

// FundInput creates a fund.
type FundInput struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Category string `json:"category"`
	UnitID   int64  `json:"unit_id" doc:"管理单位编号（默认县财政局）"`
	Note     string `json:"note"`
}

// BudgetInput adds a budget line.
type BudgetInput struct {
	Year      int    `json:"year"`
	Purpose   string `json:"purpose"`
	AmountFen int64  `json:"amount_fen"`
}

// AllocationInput allocates budget money.
type AllocationInput struct {
	UnitID      int64  `json:"unit_id"`
	TaskID      int64  `json:"task_id" doc:"关联的重点任务（可选）"`
	Project     string `json:"project"`
	RegionCode  string `json:"region_code" doc:"项目所在区划（默认全县）"`
	AmountFen   int64  `json:"amount_fen"`
	AllocatedOn string `json:"allocated_on"`
	Note        string `json:"note"`
}

// DisbursementInput records a payment.
type DisbursementInput struct {
	VoucherNo string      `json:"voucher_no"`
	AmountFen int64       `json:"amount_fen"`
	PaidOn    string      `json:"paid_on"`
	Payee     string      `json:"payee"`
	Note      string      `json:"note"`
	Files     []FileInput `json:"files"`
}

// canWriteFund: taskforce, county_admin, or an account of the fund's managing unit.
func (s *Service) canWriteFund(ctx context.Context, q db.Querier, p *auth.Principal, unitID int64) error {
	if p.Is(auth.Taskforce, auth.CountyAdmin) {
		return nil
	}
	if p.Is(auth.Department) && unitID != 0 {
		mine, err := s.myUnits(ctx, q, p)
		if err != nil {
			return err
		}
		if mine[unitID] {
			return nil
		}
	}
	return apperr.New(apperr.Forbidden, "只有工作专班、县级管理员或资金管理单位可以管理专项资金")
}

// Funds lists funds with totals; with detail, budgets, allocations and disbursements too.
func (s *Service) Funds(ctx context.Context, p *auth.Principal) ([]Fund, error) {
	if err := canRead(p); err != nil {
		return nil, err
	}
	return s.funds(ctx, s.db, 0)
}

func (s *Service) funds(ctx context.Context, q db.Querier, only int64) ([]Fund, error) {
	where, args := "", []any{}
	if only != 0 {
		where, args = "WHERE f.id = ?", []any{only}
	}
	rows, err := q.QueryContext(ctx, `SELECT f.id, f.code, f.name, f.category, f.unit_id, COALESCE(u.name, ''), f.note,
		COALESCE((SELECT SUM(amount_fen) FROM sup_budgets b WHERE b.fund_id = f.id), 0),
		COALESCE((SELECT SUM(allocated_fen) FROM sup_budgets b WHERE b.fund_id = f.id), 0),
		COALESCE((SELECT SUM(a.disbursed_fen) FROM sup_allocations a JOIN sup_budgets b ON b.id = a.budget_id WHERE b.fund_id = f.id), 0)
		FROM sup_funds f LEFT JOIN sup_units u ON u.id = f.unit_id `+where+` ORDER BY f.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("funds: %w", err)
	}
	defer rows.Close()
	var out []Fund
	for rows.Next() {
		var f Fund
		if err := rows.Scan(&f.ID, &f.Code, &f.Name, &f.Category, &f.UnitID, &f.UnitName, &f.Note, &f.BudgetFen, &f.AllocatedFen, &f.DisbursedFen); err != nil {
			return nil, err
		}
		f.CategoryLabel = FundCategoryLabel(f.Category)
		f.BalanceFen = f.BudgetFen - f.DisbursedFen
		out = append(out, f)
	}
	return out, rows.Err()
}

// GetFund returns a fund with its budget lines, allocations and disbursements.
func (s *Service) GetFund(ctx context.Context, p *auth.Principal, id int64) (Fund, error) {
	if err := canRead(p); err != nil {
		return Fund{}, err
	}
	fs, err := s.funds(ctx, s.db, id)
	if err != nil {
		return Fund{}, err
	}
	if len(fs) == 0 {
		return Fund{}, apperr.New(apperr.NotFound, "专项资金不存在")
	}
	f := fs[0]
	rows, err := s.db.QueryContext(ctx, `SELECT id, fund_id, year, purpose, amount_fen, allocated_fen FROM sup_budgets WHERE fund_id = ? ORDER BY year DESC, purpose`, id)
	if err != nil {
		return f, err
	}
	byID := map[int64]int{}
	for rows.Next() {
		var b Budget
		if err := rows.Scan(&b.ID, &b.FundID, &b.Year, &b.Purpose, &b.AmountFen, &b.AllocatedFen); err != nil {
			rows.Close()
			return f, err
		}
		b.UnallocatedFen = b.AmountFen - b.AllocatedFen
		byID[b.ID] = len(f.Budgets)
		f.Budgets = append(f.Budgets, b)
	}
	rows.Close()
	allocs, err := s.allocations(ctx, s.db, `WHERE b.fund_id = ?`, id)
	if err != nil {
		return f, err
	}
	var aids []int64
	for _, a := range allocs {
		aids = append(aids, a.ID)
	}
	disb, err := s.disbursements(ctx, aids)
	if err != nil {
		return f, err
	}
	for _, a := range allocs {
		a.Disbursements = disb[a.ID]
		i := byID[a.BudgetID]
		f.Budgets[i].Allocations = append(f.Budgets[i].Allocations, a)
	}
	return f, nil
}

func (s *Service) allocations(ctx context.Context, q db.Querier, where string, args ...any) ([]Allocation, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.budget_id, a.unit_id, u.name, COALESCE(a.task_id, 0), COALESCE(t.no, 0), a.project, a.region_code, a.amount_fen, a.disbursed_fen, a.allocated_on, a.note
		FROM sup_allocations a JOIN sup_budgets b ON b.id = a.budget_id JOIN sup_units u ON u.id = a.unit_id LEFT JOIN sup_tasks t ON t.id = a.task_id `+where+` ORDER BY a.allocated_on, a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("allocations: %w", err)
	}
	defer rows.Close()
	var out []Allocation
	for rows.Next() {
		var a Allocation
		if err := rows.Scan(&a.ID, &a.BudgetID, &a.UnitID, &a.UnitName, &a.TaskID, &a.TaskNo, &a.Project, &a.RegionCode, &a.AmountFen, &a.DisbursedFen, &a.AllocatedOn, &a.Note); err != nil {
			return nil, err
		}
		a.BalanceFen = a.AmountFen - a.DisbursedFen
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *Service) disbursements(ctx context.Context, allocIDs []int64) (map[int64][]Disbursement, error) {
	out := map[int64][]Disbursement{}
	if len(allocIDs) == 0 {
		return out, nil
	}
	in, args := db.InList(allocIDs)
	rows, err := s.db.QueryContext(ctx, `SELECT id, allocation_id, voucher_no, amount_fen, paid_on, payee, note, user_name, created_at FROM sup_disbursements WHERE allocation_id IN (`+in+`) ORDER BY paid_on, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("disbursements: %w", err)
	}
	var ids []int64
	var all []Disbursement
	for rows.Next() {
		var d Disbursement
		if err := rows.Scan(&d.ID, &d.AllocationID, &d.VoucherNo, &d.AmountFen, &d.PaidOn, &d.Payee, &d.Note, &d.UserName, &d.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, d)
		ids = append(ids, d.ID)
	}
	rows.Close()
	files, err := s.filesOf(ctx, "disbursement", ids)
	if err != nil {
		return nil, err
	}
	for _, d := range all {
		d.Files = files[d.ID]
		out[d.AllocationID] = append(out[d.AllocationID], d)
	}
	return out, nil
}

func checkDay(fields map[string]string, name, v string) {
	if _, err := parseDay(v); err != nil {
		fields[name] = "日期格式应为 YYYY-MM-DD"
	}
}

// CreateFund adds a fund line.
func (s *Service) CreateFund(ctx context.Context, p *auth.Principal, in FundInput) (Fund, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.CreateFundTx(ctx, tx, p, in)
		return err
	})
	if err != nil {
		return Fund{}, err
	}
	return s.GetFund(ctx, p, id)
}

// CreateFundTx adds a fund line inside tx (p nil: the system, for demo data).
func (s *Service) CreateFundTx(ctx context.Context, tx *db.Tx, p *auth.Principal, in FundInput) (int64, error) {
	if p != nil && !p.Is(auth.Taskforce, auth.CountyAdmin) {
		return 0, apperr.New(apperr.Forbidden, "只有工作专班或县级管理员可以设立专项资金")
	}
	fields := map[string]string{}
	in.Code, in.Name, in.Note = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Note)
	if in.Code == "" || utf8.RuneCountInString(in.Code) > 30 {
		fields["code"] = "请填写资金编码（30字以内）"
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		fields["name"] = "请填写资金名称（100字以内）"
	}
	if FundCategoryLabel(in.Category) == in.Category {
		fields["category"] = "请选择资金类别"
	}
	if in.UnitID == 0 {
		_ = tx.QueryRowContext(ctx, `SELECT id FROM sup_units WHERE name = '县财政局'`).Scan(&in.UnitID)
	}
	var unitName string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM sup_units WHERE id = ?`, in.UnitID).Scan(&unitName); err != nil {
		fields["unit_id"] = "管理单位不存在"
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return 0, err
	}
	id := tx.NextID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sup_funds (id, code, name, category, unit_id, region_code, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, in.Code, in.Name, in.Category, in.UnitID, planRegion(), in.Note, s.now().UTC()); err != nil {
		if db.IsUniqueViolation(err) {
			return 0, &apperr.Error{Code: apperr.Conflict, Message: "资金编码或名称已存在", Fields: map[string]string{"code": "资金编码或名称已存在"}}
		}
		return 0, fmt.Errorf("insert fund: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supervision_fund", EntityID: id,
		Summary: fmt.Sprintf("设立专项资金 %s %s（%s，管理单位 %s）", in.Code, in.Name, FundCategoryLabel(in.Category), unitName), After: in})
}

// AddBudget adds a budget line (year × purpose) to a fund.
func (s *Service) AddBudget(ctx context.Context, p *auth.Principal, fundID int64, in BudgetInput) (Budget, error) {
	var b Budget
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		b, err = s.AddBudgetTx(ctx, tx, p, fundID, in)
		return err
	})
	return b, err
}

// AddBudgetTx adds a budget line inside tx (p nil: the system).
func (s *Service) AddBudgetTx(ctx context.Context, tx *db.Tx, p *auth.Principal, fundID int64, in BudgetInput) (Budget, error) {
	var unitID int64
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT unit_id, name FROM sup_funds WHERE id = ?`, fundID).Scan(&unitID, &name); err != nil {
		return Budget{}, apperr.New(apperr.NotFound, "专项资金不存在")
	}
	if p != nil {
		if err := s.canWriteFund(ctx, tx, p, unitID); err != nil {
			return Budget{}, err
		}
	}
	fields := map[string]string{}
	in.Purpose = strings.TrimSpace(in.Purpose)
	if in.Year < 2024 || in.Year > 2035 {
		fields["year"] = "年度应在 2024 到 2035 之间"
	}
	if in.Purpose == "" || utf8.RuneCountInString(in.Purpose) > 100 {
		fields["purpose"] = "请填写资金用途（100字以内）"
	}
	if in.AmountFen <= 0 {
		fields["amount_fen"] = "预算金额应大于0"
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return Budget{}, err
	}
	b := Budget{ID: tx.NextID(), FundID: fundID, Year: in.Year, Purpose: in.Purpose, AmountFen: in.AmountFen, UnallocatedFen: in.AmountFen}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sup_budgets (id, fund_id, year, purpose, amount_fen, allocated_fen, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)`,
		b.ID, fundID, b.Year, b.Purpose, b.AmountFen, s.now().UTC()); err != nil {
		if db.IsUniqueViolation(err) {
			return Budget{}, &apperr.Error{Code: apperr.Conflict, Message: "该年度已有同一用途的预算", Fields: map[string]string{"purpose": "该年度已有同一用途的预算"}}
		}
		return Budget{}, fmt.Errorf("insert budget: %w", err)
	}
	return b, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supervision_budget", EntityID: b.ID,
		Summary: fmt.Sprintf("%s %d年预算：%s %s元", name, b.Year, b.Purpose, web.FormatYuanExact(b.AmountFen)), After: b})
}

// Allocate allocates budget money to a unit's project; the budget's allocated total can never exceed the
// budget (one guarded UPDATE, safe under concurrency on both engines).
func (s *Service) Allocate(ctx context.Context, p *auth.Principal, budgetID int64, in AllocationInput) (Allocation, error) {
	var a Allocation
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		a, err = s.AllocateTx(ctx, tx, p, budgetID, in)
		return err
	})
	return a, err
}

// AllocateTx allocates inside tx (p nil: the system).
func (s *Service) AllocateTx(ctx context.Context, tx *db.Tx, p *auth.Principal, budgetID int64, in AllocationInput) (Allocation, error) {
	var fundUnit int64
	var fundName, purpose string
	var year int
	if err := tx.QueryRowContext(ctx, `SELECT f.unit_id, f.name, b.purpose, b.year FROM sup_budgets b JOIN sup_funds f ON f.id = b.fund_id WHERE b.id = ?`, budgetID).
		Scan(&fundUnit, &fundName, &purpose, &year); err != nil {
		return Allocation{}, apperr.New(apperr.NotFound, "预算不存在")
	}
	if p != nil {
		if err := s.canWriteFund(ctx, tx, p, fundUnit); err != nil {
			return Allocation{}, err
		}
	}
	fields := map[string]string{}
	var unitName string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM sup_units WHERE id = ?`, in.UnitID).Scan(&unitName); err != nil {
		fields["unit_id"] = "请选择承担单位"
	}
	var taskNo int
	if in.TaskID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT no FROM sup_tasks WHERE id = ?`, in.TaskID).Scan(&taskNo); err != nil {
			fields["task_id"] = "重点任务不存在"
		}
	}
	in.Project, in.Note = strings.TrimSpace(in.Project), strings.TrimSpace(in.Note)
	if in.Project == "" || utf8.RuneCountInString(in.Project) > 200 {
		fields["project"] = "请填写项目名称（200字以内）"
	}
	if in.RegionCode == "" {
		in.RegionCode = planRegion()
	} else if _, ok := s.regions.Get(in.RegionCode); !ok {
		fields["region_code"] = "区划代码不存在"
	}
	if in.AmountFen <= 0 {
		fields["amount_fen"] = "下达金额应大于0"
	}
	if in.AllocatedOn == "" {
		in.AllocatedOn = s.now().In(web.Shanghai).Format("2006-01-02")
	}
	checkDay(fields, "allocated_on", in.AllocatedOn)
	if err := apperr.FieldErrors(fields); err != nil {
		return Allocation{}, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE sup_budgets SET allocated_fen = allocated_fen + ? WHERE id = ? AND allocated_fen + ? <= amount_fen`, in.AmountFen, budgetID, in.AmountFen)
	if err != nil {
		return Allocation{}, fmt.Errorf("reserve budget: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var amount, allocated int64
		_ = tx.QueryRowContext(ctx, `SELECT amount_fen, allocated_fen FROM sup_budgets WHERE id = ?`, budgetID).Scan(&amount, &allocated)
		return Allocation{}, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("超出预算：该预算尚可下达 %s 元", web.FormatYuanExact(amount-allocated)),
			Fields: map[string]string{"amount_fen": fmt.Sprintf("下达金额超出预算余额（尚可下达 %s 元）", web.FormatYuanExact(amount-allocated))}}
	}
	a := Allocation{ID: tx.NextID(), BudgetID: budgetID, UnitID: in.UnitID, UnitName: unitName, TaskID: in.TaskID, TaskNo: taskNo, Project: in.Project,
		RegionCode: in.RegionCode, AmountFen: in.AmountFen, BalanceFen: in.AmountFen, AllocatedOn: in.AllocatedOn, Note: in.Note}
	var task any
	if in.TaskID != 0 {
		task = in.TaskID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sup_allocations (id, budget_id, unit_id, task_id, project, region_code, amount_fen, disbursed_fen, allocated_on, note, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`, a.ID, budgetID, a.UnitID, task, a.Project, a.RegionCode, a.AmountFen, a.AllocatedOn, a.Note, s.now().UTC()); err != nil {
		return Allocation{}, fmt.Errorf("insert allocation: %w", err)
	}
	return a, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supervision_allocation", EntityID: a.ID,
		Summary: fmt.Sprintf("%s %d年“%s”下达 %s 元给 %s：%s", fundName, year, purpose, web.FormatYuanExact(a.AmountFen), unitName, a.Project), After: a})
}

// Disburse records a payment out of an allocation. Nothing is paid beyond the allocation: the guarded UPDATE
// adds the amount only while the total stays within it, so two concurrent payments cannot both pass (SQLite
// serialises writers; PostgreSQL re-checks the condition on the locked row).
func (s *Service) Disburse(ctx context.Context, p *auth.Principal, allocationID int64, in DisbursementInput) (Disbursement, error) {
	var d Disbursement
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		d, err = s.DisburseTx(ctx, tx, p, allocationID, in)
		return err
	})
	return d, err
}

// DisburseTx records a payment inside tx (p nil: the system).
func (s *Service) DisburseTx(ctx context.Context, tx *db.Tx, p *auth.Principal, allocationID int64, in DisbursementInput) (Disbursement, error) {
	var fundUnit int64
	var project, fundName string
	if err := tx.QueryRowContext(ctx, `SELECT f.unit_id, f.name, a.project FROM sup_allocations a JOIN sup_budgets b ON b.id = a.budget_id JOIN sup_funds f ON f.id = b.fund_id WHERE a.id = ?`, allocationID).
		Scan(&fundUnit, &fundName, &project); err != nil {
		return Disbursement{}, apperr.New(apperr.NotFound, "资金下达记录不存在")
	}
	if p != nil {
		if err := s.canWriteFund(ctx, tx, p, fundUnit); err != nil {
			return Disbursement{}, err
		}
	}
	fields := map[string]string{}
	in.VoucherNo, in.Payee, in.Note = strings.TrimSpace(in.VoucherNo), strings.TrimSpace(in.Payee), strings.TrimSpace(in.Note)
	if in.VoucherNo == "" || utf8.RuneCountInString(in.VoucherNo) > 50 {
		fields["voucher_no"] = "请填写凭证号（50字以内）"
	}
	if in.Payee == "" || utf8.RuneCountInString(in.Payee) > 100 {
		fields["payee"] = "请填写收款单位（100字以内）"
	}
	if in.AmountFen <= 0 {
		fields["amount_fen"] = "拨付金额应大于0"
	}
	if in.PaidOn == "" {
		in.PaidOn = s.now().In(web.Shanghai).Format("2006-01-02")
	}
	checkDay(fields, "paid_on", in.PaidOn)
	for i := range in.Files {
		if msg := checkFile(&in.Files[i], "files"); msg != "" {
			fields["files"] = in.Files[i].Name + "：" + msg
		}
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return Disbursement{}, err
	}
	var dup int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_disbursements WHERE voucher_no = ?`, in.VoucherNo).Scan(&dup); err != nil {
		return Disbursement{}, err
	}
	if dup > 0 {
		return Disbursement{}, &apperr.Error{Code: apperr.Conflict, Message: "凭证号已使用：" + in.VoucherNo, Fields: map[string]string{"voucher_no": "凭证号已使用"}}
	}
	res, err := tx.ExecContext(ctx, `UPDATE sup_allocations SET disbursed_fen = disbursed_fen + ? WHERE id = ? AND disbursed_fen + ? <= amount_fen`, in.AmountFen, allocationID, in.AmountFen)
	if err != nil {
		return Disbursement{}, fmt.Errorf("reserve allocation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var amount, paid int64
		_ = tx.QueryRowContext(ctx, `SELECT amount_fen, disbursed_fen FROM sup_allocations WHERE id = ?`, allocationID).Scan(&amount, &paid)
		left := web.FormatYuanExact(amount - paid)
		return Disbursement{}, &apperr.Error{Code: apperr.Invalid, Message: "拨付金额超出下达额度，不能拨付：该项目尚可拨付 " + left + " 元",
			Fields: map[string]string{"amount_fen": "超出下达额度（尚可拨付 " + left + " 元）"}}
	}
	d := Disbursement{ID: tx.NextID(), AllocationID: allocationID, VoucherNo: in.VoucherNo, AmountFen: in.AmountFen, PaidOn: in.PaidOn, Payee: in.Payee, Note: in.Note,
		CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if p != nil {
		d.UserName = p.Username
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sup_disbursements (id, allocation_id, voucher_no, amount_fen, paid_on, payee, note, user_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, allocationID, d.VoucherNo, d.AmountFen, d.PaidOn, d.Payee, d.Note, d.UserName, d.CreatedAt); err != nil {
		if db.IsUniqueViolation(err) {
			return Disbursement{}, &apperr.Error{Code: apperr.Conflict, Message: "凭证号已使用：" + in.VoucherNo, Fields: map[string]string{"voucher_no": "凭证号已使用"}}
		}
		return Disbursement{}, fmt.Errorf("insert disbursement: %w", err)
	}
	var err2 error
	actor := p
	if actor == nil {
		actor = &auth.Principal{}
	}
	if d.Files, err2 = s.saveFiles(ctx, tx, actor, "disbursement", d.ID, in.Files); err2 != nil {
		return Disbursement{}, err2
	}
	return d, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supervision_disbursement", EntityID: d.ID,
		Summary: fmt.Sprintf("%s 拨付 %s 元（凭证 %s，收款 %s，项目 %s）", fundName, web.FormatYuanExact(d.AmountFen), d.VoucherNo, d.Payee, project),
		After:   map[string]any{"allocation_id": allocationID, "voucher_no": d.VoucherNo, "amount_fen": d.AmountFen, "paid_on": d.PaidOn, "payee": d.Payee, "files": len(d.Files)}})
}

// FundTotals are spending against plan for a region prefix and period (indicator sources).
func (s *Service) FundTotals(ctx context.Context, prefix string, from, to time.Time) (budgetFen, disbursedFen int64, err error) {
	lo, hi := prefixRange(prefix)
	ycond, yargs := "", []any{}
	if !from.IsZero() {
		ycond, yargs = ycond+" AND b.year >= ?", append(yargs, from.In(web.Shanghai).Year())
	}
	if !to.IsZero() {
		ycond, yargs = ycond+" AND b.year <= ?", append(yargs, to.Add(-time.Nanosecond).In(web.Shanghai).Year())
	}
	// a budget is the county's (its region is the county code): it counts for the county and anything above it
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(b.amount_fen), 0) FROM sup_budgets b JOIN sup_funds f ON f.id = b.fund_id
		WHERE f.region_code >= ? AND f.region_code < ?`+ycond, append([]any{lo, hi}, yargs...)...).Scan(&budgetFen)
	if err != nil {
		return 0, 0, fmt.Errorf("fund budget total: %w", err)
	}
	dcond, dargs := "", []any{}
	if !from.IsZero() {
		dcond, dargs = dcond+" AND d.paid_on >= ?", append(dargs, from.In(web.Shanghai).Format("2006-01-02"))
	}
	if !to.IsZero() {
		dcond, dargs = dcond+" AND d.paid_on < ?", append(dargs, to.In(web.Shanghai).Format("2006-01-02"))
	}
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(d.amount_fen), 0) FROM sup_disbursements d JOIN sup_allocations a ON a.id = d.allocation_id
		WHERE a.region_code >= ? AND a.region_code < ?`+dcond, append([]any{lo, hi}, dargs...)...).Scan(&disbursedFen)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, fmt.Errorf("fund disbursed total: %w", err)
	}
	return budgetFen, disbursedFen, nil
}

func prefixRange(pre string) (string, string) { return db.PrefixRange(pre) }
