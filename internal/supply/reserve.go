package supply

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// 淡储旺供 (reserve in the slack season, supply in the peak): reserve plans say how much of a key input a node must
// hold in a season, with a safety threshold; stock against plan is read from the ledger. Reserve financing
// contracts carry the interest subsidy (贴息):
//
//	subsidy = principal × annual rate × days / 360 × subsidy ratio
//
// computed exactly in integers — principal in 分, the rate in millionths (3.65 % = 36 500), the ratio in
// ten-thousandths (50 % = 5 000), days = end − start in calendar days — and rounded once, half up, to the 分. A
// contract's subsidy counts for the year its term ends (it is paid on settlement); each year has a budget (at
// least 10 万元) that contracts may not exceed.

// MinReserveBudgetFen is the smallest yearly subsidy budget (10 万元).
const MinReserveBudgetFen = 10_000_000

// Subsidy is principal × ratePPM/10^6 × days/360 × ratioBP/10^4 in 分, rounded half up.
func Subsidy(principalFen, ratePPM int64, days int, ratioBP int64) int64 {
	num := new(big.Int).Mul(big.NewInt(principalFen), big.NewInt(ratePPM))
	num.Mul(num, big.NewInt(int64(days)))
	num.Mul(num, big.NewInt(ratioBP))
	den := big.NewInt(360 * 1_000_000 * 10_000)
	// half up: floor((2·num + den) / (2·den))
	num.Mul(num, big.NewInt(2)).Add(num, den)
	den.Mul(den, big.NewInt(2))
	return num.Quo(num, den).Int64()
}

// ReservePlanInput sets a node's reserve of one goods item for a season.
type ReservePlanInput struct {
	NodeID    int64  `json:"node_id"`
	GoodsID   int64  `json:"goods_id"`
	Season    string `json:"season" doc:"如 2027年春耕"`
	FromOn    string `json:"from_on"`
	ToOn      string `json:"to_on"`
	PlanQty   int64  `json:"plan_qty" doc:"计划储备量（最小单位）"`
	SafetyQty int64  `json:"safety_qty" doc:"安全库存（最小单位），低于则预警"`
}

// ReservePlan is a plan with its current stock.
type ReservePlan struct {
	ID          int64  `json:"id"`
	NodeID      int64  `json:"node_id"`
	NodeName    string `json:"node_name"`
	RegionCode  string `json:"region_code"`
	GoodsID     int64  `json:"goods_id"`
	GoodsName   string `json:"goods_name"`
	Unit        string `json:"unit"`
	Decimals    int    `json:"decimals"`
	Season      string `json:"season"`
	FromOn      string `json:"from_on"`
	ToOn        string `json:"to_on"`
	PlanQty     int64  `json:"plan_qty"`
	SafetyQty   int64  `json:"safety_qty"`
	OnHand      int64  `json:"on_hand"`
	CoveragePct int    `json:"coverage_pct"`
	Alert       string `json:"alert" doc:"below_safety（低于安全库存）、below_plan（未达计划）或空"`
	AlertLabel  string `json:"alert_label"`
}

// ReserveContractInput records a reserve financing contract.
type ReserveContractInput struct {
	No           string `json:"no"`
	NodeID       int64  `json:"node_id" doc:"承储节点"`
	BorrowerID   int64  `json:"borrower_id" doc:"借款主体（主体库编号，可空）"`
	Lender       string `json:"lender" doc:"贷款银行"`
	PrincipalFen int64  `json:"principal_fen"`
	RatePPM      int64  `json:"rate_ppm" doc:"年利率（百万分之一）：3.65% = 36500"`
	StartOn      string `json:"start_on"`
	EndOn        string `json:"end_on"`
	RatioBP      int64  `json:"ratio_bp" doc:"贴息比例（万分之一）：50% = 5000"`
}

// ReserveContract is a contract with its subsidy.
type ReserveContract struct {
	ID           int64  `json:"id"`
	No           string `json:"no"`
	NodeID       int64  `json:"node_id"`
	NodeName     string `json:"node_name"`
	BorrowerID   int64  `json:"borrower_id"`
	Lender       string `json:"lender"`
	PrincipalFen int64  `json:"principal_fen"`
	RatePPM      int64  `json:"rate_ppm"`
	StartOn      string `json:"start_on"`
	EndOn        string `json:"end_on"`
	Days         int    `json:"days"`
	RatioBP      int64  `json:"ratio_bp"`
	SubsidyFen   int64  `json:"subsidy_fen"`
	Year         int    `json:"year"`
	Status       string `json:"status" doc:"accrued（已核定）或 paid（已拨付）"`
	PaidOn       string `json:"paid_on"`
}

// BudgetYear is a year's subsidy budget and use.
type BudgetYear struct {
	Year         int   `json:"year"`
	BudgetFen    int64 `json:"budget_fen"`
	CommittedFen int64 `json:"committed_fen" doc:"已核定贴息（含已拨付）"`
	PaidFen      int64 `json:"paid_fen"`
	RemainingFen int64 `json:"remaining_fen"`
	Contracts    int   `json:"contracts"`
}

func canManageReserve(p *auth.Principal) error {
	if !p.Is(auth.CountyAdmin) {
		return apperr.New(apperr.Forbidden, "只有县级管理员可以维护储备计划和贴息合同")
	}
	return nil
}

// SaveReservePlan creates or replaces the plan of a node × goods × season.
func (s *Service) SaveReservePlan(ctx context.Context, p *auth.Principal, in ReservePlanInput) (*ReservePlan, error) {
	if err := canManageReserve(p); err != nil {
		return nil, err
	}
	fe := map[string]string{}
	n, err := s.loadNode(ctx, s.db, in.NodeID)
	if err != nil || canWrite(p, n) != nil {
		fe["node_id"] = "承储节点不存在或不在您的管辖范围内"
	}
	if _, err := s.loadGoods(ctx, s.db, in.GoodsID); err != nil {
		fe["goods_id"] = "商品不存在"
	}
	in.Season = strings.TrimSpace(in.Season)
	if in.Season == "" || utf8.RuneCountInString(in.Season) > 20 {
		fe["season"] = "请填写储备季节（如 2027年春耕）"
	}
	if !validDate(in.FromOn) || !validDate(in.ToOn) || in.ToOn < in.FromOn {
		fe["to_on"] = "储备期格式为 YYYY-MM-DD，且结束不早于开始"
	}
	if in.PlanQty <= 0 {
		fe["plan_qty"] = "计划储备量须大于 0"
	}
	if in.SafetyQty < 0 || in.SafetyQty > in.PlanQty {
		fe["safety_qty"] = "安全库存须在 0 到计划储备量之间"
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.saveReservePlanTx(ctx, tx, p.Actor(), n, in)
		return e
	})
	if err != nil {
		return nil, err
	}
	list, err := s.reservePlans(ctx, "r.id = ?", id)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

func (s *Service) saveReservePlanTx(ctx context.Context, tx *db.Tx, actor audit.Actor, n *Node, in ReservePlanInput) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM supply_reserve_plans WHERE node_id = ? AND goods_id = ? AND season = ?`, in.NodeID, in.GoodsID, in.Season).Scan(&id)
	action := "update"
	if err != nil {
		action = "create"
		id = tx.NextID()
		_, err = tx.ExecContext(ctx, `INSERT INTO supply_reserve_plans (id, county_code, node_id, goods_id, season, from_on, to_on, plan_qty, safety_qty, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, region.County(n.RegionCode), in.NodeID, in.GoodsID, in.Season, in.FromOn, in.ToOn, in.PlanQty, in.SafetyQty,
			s.now().UTC())
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE supply_reserve_plans SET from_on = ?, to_on = ?, plan_qty = ?, safety_qty = ? WHERE id = ?`,
			in.FromOn, in.ToOn, in.PlanQty, in.SafetyQty, id)
	}
	if err != nil {
		return 0, fmt.Errorf("save reserve plan: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: action, Entity: "supply_reserve_plan", EntityID: id,
		Summary: fmt.Sprintf("储备计划：%s %s", n.Name, in.Season), After: in})
}

func (s *Service) reservePlans(ctx context.Context, where string, args ...any) ([]*ReservePlan, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.node_id, n.name, n.region_code, r.goods_id, g.name, g.unit, g.decimals, r.season, r.from_on, r.to_on,
		r.plan_qty, r.safety_qty, COALESCE((SELECT SUM(m.qty) FROM supply_moves m WHERE m.node_id = r.node_id AND m.goods_id = r.goods_id), 0)
		FROM supply_reserve_plans r JOIN supply_nodes n ON n.id = r.node_id JOIN supply_goods g ON g.id = r.goods_id
		WHERE `+where+` ORDER BY r.from_on DESC, n.region_code, g.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("reserve plans: %w", err)
	}
	defer rows.Close()
	var out []*ReservePlan
	for rows.Next() {
		r := &ReservePlan{}
		if err := rows.Scan(&r.ID, &r.NodeID, &r.NodeName, &r.RegionCode, &r.GoodsID, &r.GoodsName, &r.Unit, &r.Decimals, &r.Season, &r.FromOn, &r.ToOn,
			&r.PlanQty, &r.SafetyQty, &r.OnHand); err != nil {
			return nil, err
		}
		r.CoveragePct = int(min(r.OnHand, r.PlanQty) * 100 / r.PlanQty)
		switch {
		case r.OnHand < r.SafetyQty:
			r.Alert, r.AlertLabel = "below_safety", "低于安全库存"
		case r.OnHand < r.PlanQty:
			r.Alert, r.AlertLabel = "below_plan", "未达计划"
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReservePlans lists the plans p may read (by node), current ones (to_on ≥ today) first; alertsOnly keeps the
// plans below their safety threshold.
func (s *Service) ReservePlans(ctx context.Context, p *auth.Principal, alertsOnly bool) ([]*ReservePlan, error) {
	where, args := scopeSQL(p)
	list, err := s.reservePlans(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	today := s.today()
	sort.SliceStable(list, func(i, j int) bool { return (list[i].ToOn >= today) && !(list[j].ToOn >= today) })
	if !alertsOnly {
		return list, nil
	}
	out := list[:0]
	for _, r := range list {
		if r.Alert == "below_safety" && r.FromOn <= today && r.ToOn >= today {
			out = append(out, r)
		}
	}
	return out, nil
}

// ReserveCoverage is Σ min(on-hand, plan) / Σ plan in percent over the plans in force on day under regionPrefix
// (-1 when there is none), for the plan KPI supply.reserve_coverage_pct. No access check.
func (s *Service) ReserveCoverage(ctx context.Context, regionPrefix, day string) (float64, error) {
	where, args := "r.from_on <= ? AND r.to_on >= ?", []any{day, day}
	if pre := auth.RegionPrefix(regionPrefix); pre != "" {
		lo, hi := db.PrefixRange(pre)
		where += " AND n.region_code >= ? AND n.region_code < ?"
		args = append(args, lo, hi)
	}
	list, err := s.reservePlans(ctx, where, args...)
	if err != nil {
		return 0, err
	}
	var have, plan int64
	for _, r := range list {
		have += min(r.OnHand, r.PlanQty)
		plan += r.PlanQty
	}
	if plan == 0 {
		return 0, nil
	}
	return float64(have*1000/plan) / 10, nil
}

// SetBudget sets a year's subsidy budget (≥ 10 万元, and not below what contracts of the year already use).
func (s *Service) SetBudget(ctx context.Context, p *auth.Principal, year int, budgetFen int64) (*BudgetYear, error) {
	if err := canManageReserve(p); err != nil {
		return nil, err
	}
	fe := map[string]string{}
	if year < 2000 || year > 2100 {
		fe["year"] = "年度不正确"
	}
	if budgetFen < MinReserveBudgetFen {
		fe["budget_fen"] = "年度贴息预算不少于 10 万元"
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	county := principalCounty(p)
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var used int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(subsidy_fen), 0) FROM supply_reserve_contracts WHERE county_code = ? AND year = ?`, county, year).Scan(&used); err != nil {
			return err
		}
		if budgetFen < used {
			return apperr.FieldErrors(map[string]string{"budget_fen": fmt.Sprintf("该年度已核定贴息 %s 元，预算不能低于此数", yuan(used))})
		}
		res, err := tx.ExecContext(ctx, `UPDATE supply_reserve_budgets SET budget_fen = ? WHERE county_code = ? AND year = ?`, budgetFen, county, year)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO supply_reserve_budgets (county_code, year, budget_fen) VALUES (?, ?, ?)`, county, year, budgetFen); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "supply_reserve_budget", EntityID: int64(year),
			Summary: fmt.Sprintf("%d 年储备贴息预算：%s 元", year, yuan(budgetFen))})
	})
	if err != nil {
		return nil, err
	}
	return s.budgetYear(ctx, county, year)
}

func (s *Service) budgetYear(ctx context.Context, county string, year int) (*BudgetYear, error) {
	b := &BudgetYear{Year: year}
	_ = s.db.QueryRowContext(ctx, `SELECT budget_fen FROM supply_reserve_budgets WHERE county_code = ? AND year = ?`, county, year).Scan(&b.BudgetFen)
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(subsidy_fen), 0), COALESCE(SUM(CASE WHEN status = 'paid' THEN subsidy_fen ELSE 0 END), 0), COUNT(*)
		FROM supply_reserve_contracts WHERE county_code = ? AND year = ?`, county, year).Scan(&b.CommittedFen, &b.PaidFen, &b.Contracts); err != nil {
		return nil, fmt.Errorf("budget year: %w", err)
	}
	b.RemainingFen = b.BudgetFen - b.CommittedFen
	return b, nil
}

// Budgets lists the years with a budget or contracts.
func (s *Service) Budgets(ctx context.Context, p *auth.Principal) ([]*BudgetYear, error) {
	if !p.Is(scopeRoles...) {
		return nil, apperr.New(apperr.Forbidden, "您的角色不能查看储备贴息")
	}
	county := principalCounty(p)
	rows, err := s.db.QueryContext(ctx, `SELECT year FROM supply_reserve_budgets WHERE county_code = ? UNION SELECT year FROM supply_reserve_contracts WHERE county_code = ?
		ORDER BY 1 DESC`, county, county)
	if err != nil {
		return nil, err
	}
	var years []int
	for rows.Next() {
		var y int
		if err := rows.Scan(&y); err != nil {
			rows.Close()
			return nil, err
		}
		years = append(years, y)
	}
	rows.Close()
	var out []*BudgetYear
	for _, y := range years {
		b, err := s.budgetYear(ctx, county, y)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// CreateReserveContract records a contract and fixes its subsidy; refused when the year's budget would be exceeded.
func (s *Service) CreateReserveContract(ctx context.Context, p *auth.Principal, in ReserveContractInput) (*ReserveContract, error) {
	if err := canManageReserve(p); err != nil {
		return nil, err
	}
	fe := map[string]string{}
	in.No, in.Lender = strings.TrimSpace(in.No), strings.TrimSpace(in.Lender)
	if in.No == "" || utf8.RuneCountInString(in.No) > 40 {
		fe["no"] = "请填写合同编号（不超过 40 字）"
	}
	if in.Lender == "" || utf8.RuneCountInString(in.Lender) > 60 {
		fe["lender"] = "请填写贷款银行"
	}
	n, err := s.loadNode(ctx, s.db, in.NodeID)
	if err != nil || canWrite(p, n) != nil {
		fe["node_id"] = "承储节点不存在或不在您的管辖范围内"
	}
	if in.PrincipalFen <= 0 || in.PrincipalFen > 1_000_000_000_00 {
		fe["principal_fen"] = "贷款本金须大于 0 且不超过 10 亿元"
	}
	if in.RatePPM <= 0 || in.RatePPM > 240_000 {
		fe["rate_ppm"] = "年利率须大于 0 且不超过 24%"
	}
	if in.RatioBP <= 0 || in.RatioBP > 10_000 {
		fe["ratio_bp"] = "贴息比例须在 0 到 100% 之间"
	}
	start, e1 := time.Parse("2006-01-02", in.StartOn)
	end, e2 := time.Parse("2006-01-02", in.EndOn)
	days := int(end.Sub(start).Hours() / 24)
	if e1 != nil || e2 != nil || days <= 0 || days > 3660 {
		fe["end_on"] = "贷款起止日期格式为 YYYY-MM-DD，到期日须晚于起息日（不超过 10 年）"
	}
	if in.BorrowerID != 0 {
		if subs, err := s.subjects.Lookup(ctx, []int64{in.BorrowerID}); err != nil {
			return nil, err
		} else if _, ok := subs[in.BorrowerID]; !ok {
			fe["borrower_id"] = "借款主体不存在"
		}
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	sub := Subsidy(in.PrincipalFen, in.RatePPM, days, in.RatioBP)
	year := end.Year()
	county := region.County(n.RegionCode)
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var budget, used int64
		if err := tx.QueryRowContext(ctx, `SELECT budget_fen FROM supply_reserve_budgets WHERE county_code = ? AND year = ?`, county, year).Scan(&budget); err != nil {
			return apperr.FieldErrors(map[string]string{"end_on": fmt.Sprintf("%d 年尚未设定储备贴息预算，请先设定", year)})
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(subsidy_fen), 0) FROM supply_reserve_contracts WHERE county_code = ? AND year = ?`, county, year).Scan(&used); err != nil {
			return err
		}
		if used+sub > budget {
			return apperr.FieldErrors(map[string]string{"principal_fen": fmt.Sprintf("本合同贴息 %s 元，%d 年预算 %s 元已核定 %s 元，超出预算", yuan(sub), year, yuan(budget), yuan(used))})
		}
		id = tx.NextID()
		_, err := tx.ExecContext(ctx, `INSERT INTO supply_reserve_contracts (id, county_code, no, node_id, borrower_id, lender, principal_fen, rate_ppm, start_on, end_on,
			days, ratio_bp, subsidy_fen, year, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'accrued', ?)`,
			id, county, in.No, n.ID, in.BorrowerID, in.Lender, in.PrincipalFen, in.RatePPM, in.StartOn, in.EndOn, days, in.RatioBP, sub, year, s.now().UTC())
		if db.IsUniqueViolation(err) {
			return apperr.FieldErrors(map[string]string{"no": "合同编号已存在"})
		}
		if err != nil {
			return fmt.Errorf("insert reserve contract: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supply_reserve_contract", EntityID: id,
			Summary: fmt.Sprintf("储备贷款贴息合同 %s：本金 %s 元，%d 天，贴息 %s 元", in.No, yuan(in.PrincipalFen), days, yuan(sub)), After: in})
	})
	if err != nil {
		return nil, err
	}
	list, err := s.reserveContracts(ctx, "c.id = ?", id)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0].ReserveContract, nil
}

// PaySubsidy marks a contract's subsidy as paid on date.
func (s *Service) PaySubsidy(ctx context.Context, p *auth.Principal, id int64, date string) (*ReserveContract, error) {
	if err := canManageReserve(p); err != nil {
		return nil, err
	}
	if date == "" {
		date = s.today()
	}
	if !validDate(date) || date > s.today() {
		return nil, apperr.FieldErrors(map[string]string{"paid_on": "拨付日期格式为 YYYY-MM-DD，且不能晚于今天"})
	}
	list, err := s.reserveContracts(ctx, "c.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 || !inCounty(p, region.County(list[0].nodeRegion)) {
		return nil, apperr.New(apperr.NotFound, "贴息合同不存在")
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE supply_reserve_contracts SET status = 'paid', paid_on = ? WHERE id = ? AND status = 'accrued'`, date, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "该合同贴息已拨付")
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "supply_reserve_contract", EntityID: id,
			Summary: fmt.Sprintf("拨付储备贴息：合同 %s %s 元", list[0].No, yuan(list[0].SubsidyFen))})
	})
	if err != nil {
		return nil, err
	}
	list, err = s.reserveContracts(ctx, "c.id = ?", id)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0].ReserveContract, nil
}

type contractRow struct {
	ReserveContract
	nodeRegion string
}

func (s *Service) reserveContracts(ctx context.Context, where string, args ...any) ([]*contractRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.no, c.node_id, n.name, n.region_code, c.borrower_id, c.lender, c.principal_fen, c.rate_ppm, c.start_on, c.end_on,
		c.days, c.ratio_bp, c.subsidy_fen, c.year, c.status, c.paid_on FROM supply_reserve_contracts c JOIN supply_nodes n ON n.id = c.node_id
		WHERE `+where+` ORDER BY c.year DESC, c.no`, args...)
	if err != nil {
		return nil, fmt.Errorf("reserve contracts: %w", err)
	}
	defer rows.Close()
	var out []*contractRow
	for rows.Next() {
		c := &contractRow{}
		if err := rows.Scan(&c.ID, &c.No, &c.NodeID, &c.NodeName, &c.nodeRegion, &c.BorrowerID, &c.Lender, &c.PrincipalFen, &c.RatePPM, &c.StartOn, &c.EndOn,
			&c.Days, &c.RatioBP, &c.SubsidyFen, &c.Year, &c.Status, &c.PaidOn); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReserveContracts lists the contracts at nodes p may read.
func (s *Service) ReserveContracts(ctx context.Context, p *auth.Principal) ([]ReserveContract, error) {
	if !p.Is(scopeRoles...) {
		return nil, apperr.New(apperr.Forbidden, "您的角色不能查看储备贴息")
	}
	where, args := scopeSQL(p)
	list, err := s.reserveContracts(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	out := make([]ReserveContract, len(list))
	for i, c := range list {
		out[i] = c.ReserveContract
	}
	return out, nil
}

// SubsidyPaid sums the subsidy paid in [from, to) (dates YYYY-MM-DD; "" = open) at nodes under regionPrefix, in
// 分 — for supply.reserve_subsidy_yuan. No access check.
func (s *Service) SubsidyPaid(ctx context.Context, regionPrefix, from, to string) (int64, error) {
	where, args := "c.status = 'paid'", []any{}
	if from != "" {
		where += " AND c.paid_on >= ?"
		args = append(args, from)
	}
	if to != "" {
		where += " AND c.paid_on < ?"
		args = append(args, to)
	}
	if pre := auth.RegionPrefix(regionPrefix); pre != "" {
		lo, hi := db.PrefixRange(pre)
		where += " AND n.region_code >= ? AND n.region_code < ?"
		args = append(args, lo, hi)
	}
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(c.subsidy_fen), 0) FROM supply_reserve_contracts c JOIN supply_nodes n ON n.id = c.node_id WHERE `+where, args...).Scan(&v)
	return v, err
}

// RateText is the annual rate in percent for display.
func (c ReserveContract) RateText() string { return FormatQty(c.RatePPM, 4) + "%" }

// RatioText is the subsidy ratio in percent for display.
func (c ReserveContract) RatioText() string { return FormatQty(c.RatioBP, 2) + "%" }
