package credit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
)

// Guarantees (政府性融资担保), pledges (质押) of order contracts and receivables, and the rules of what happens to them
// when a loan closes: a settled loan releases its pledges and its guarantee; a written-off loan keeps them (the
// guarantor may have to compensate, recorded on the guarantee).

// Guarantee statuses.
const (
	GuaranteeActive      = "active"
	GuaranteeReleased    = "released"
	GuaranteeCompensated = "compensated"
)

// Guarantee is a guarantee on a loan.
type Guarantee struct {
	ID             int64     `json:"id"`
	LoanID         int64     `json:"loan_id"`
	SubjectName    string    `json:"subject_name"`
	GuarantorID    int64     `json:"guarantor_id"`
	GuarantorName  string    `json:"guarantor_name"`
	AmountFen      int64     `json:"amount_fen" doc:"担保金额（分）"`
	FeeBP          int       `json:"fee_bp" doc:"担保费率（基点/年）"`
	StartOn        string    `json:"start_on"`
	EndOn          string    `json:"end_on"`
	Status         string    `json:"status" doc:"active 在保 / released 解除 / compensated 已代偿"`
	StatusLabel    string    `json:"status_label"`
	CompensatedFen int64     `json:"compensated_fen"`
	Note           string    `json:"note"`
	CreatedByName  string    `json:"created_by_name"`
	CreatedAt      time.Time `json:"created_at"`
}

// GuaranteeInput records a guarantee.
type GuaranteeInput struct {
	LoanID      int64  `json:"loan_id"`
	GuarantorID int64  `json:"guarantor_id" doc:"担保机构（主体类型 guarantor）"`
	AmountFen   int64  `json:"amount_fen"`
	FeeBP       int    `json:"fee_bp"`
	Note        string `json:"note"`
}

func guaranteeLabel(s string) string {
	switch s {
	case GuaranteeActive:
		return "在保"
	case GuaranteeReleased:
		return "已解除"
	case GuaranteeCompensated:
		return "已代偿"
	}
	return s
}

// canHandleLoan: the lending bank, or a county admin in scope.
func canHandleLoan(p *auth.Principal, x *Loan) error {
	switch {
	case isBank(p) && p.SubjectID == x.InstitutionID:
		return nil
	case p.Is(auth.CountyAdmin) && p.InRegion(x.RegionCode):
		return nil
	}
	return apperr.New(apperr.Forbidden, "只有放贷机构或县级管理员可以办理")
}

// AddGuarantee links a guarantee to an approved or running loan; one live guarantee per loan.
func (s *Service) AddGuarantee(ctx context.Context, p *auth.Principal, in GuaranteeInput) (*Guarantee, error) {
	x, err := s.getLoan(ctx, s.db, in.LoanID)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"loan_id": "贷款不存在"})
	}
	if err := canHandleLoan(p, x); err != nil {
		return nil, err
	}
	f := map[string]string{}
	switch x.Status {
	case LoanApproved, LoanSigned, LoanDisbursed:
	default:
		f["loan_id"] = "只有已批准、已签约或还款中的贷款可以登记担保"
	}
	g, err := s.subject(ctx, in.GuarantorID)
	if err != nil || g.Kind != "guarantor" {
		f["guarantor_id"] = "请选择担保机构"
	}
	if in.AmountFen <= 0 || (x.Amount > 0 && in.AmountFen > x.Amount) {
		f["amount_fen"] = "担保金额应大于 0 且不超过贷款金额"
	}
	if in.FeeBP < 0 || in.FeeBP > 500 {
		f["fee_bp"] = "担保费率应在 0–5%（500 基点）之间"
	}
	if len(f) > 0 {
		return nil, apperr.FieldErrors(f)
	}
	start := x.DisbursedOn
	if start == "" {
		start = FormatDate(s.today())
	}
	end := x.MaturityOn
	if end == "" {
		end = FormatDate(AddMonths(mustDate(start), x.Months))
	}
	id := s.db.IDs.Next()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM guarantees WHERE loan_id = ? AND status = ?`, x.ID, GuaranteeActive).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.New(apperr.Conflict, "该笔贷款已有在保的担保")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO guarantees (id, county_code, region_code, loan_id, guarantor_id, amount_fen, fee_bp, start_on, end_on, status, note, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, region.County(x.RegionCode)+"000000", x.RegionCode, x.ID, g.ID, in.AmountFen, in.FeeBP, start, end,
			GuaranteeActive, strings.TrimSpace(in.Note), p.Username, s.now().UTC()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "guarantee", EntityID: id,
			Summary: fmt.Sprintf("%s 为 %s 的贷款担保 %s", g.Name, x.SubjectName, fenText(in.AmountFen)), After: in})
	})
	if err != nil {
		return nil, err
	}
	l, err := s.Guarantees(ctx, p, x.ID)
	if err != nil || len(l) == 0 {
		return nil, err
	}
	return &l[0], nil
}

// Guarantees lists the guarantees of a loan (anyone who may see the loan), newest first.
func (s *Service) Guarantees(ctx context.Context, p *auth.Principal, loanID int64) ([]Guarantee, error) {
	x, err := s.getLoan(ctx, s.db, loanID)
	if err != nil {
		return nil, err
	}
	if !canSeeLoan(p, x) {
		return nil, errNoLoan
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, loan_id, guarantor_id, amount_fen, fee_bp, start_on, end_on, status, compensated_fen, note, created_by_name, created_at
		FROM guarantees WHERE loan_id = ? ORDER BY id DESC`, loanID)
	if err != nil {
		return nil, fmt.Errorf("guarantees: %w", err)
	}
	defer rows.Close()
	out := []Guarantee{}
	var ids []int64
	for rows.Next() {
		var g Guarantee
		if err := rows.Scan(&g.ID, &g.LoanID, &g.GuarantorID, &g.AmountFen, &g.FeeBP, &g.StartOn, &g.EndOn, &g.Status, &g.CompensatedFen, &g.Note, &g.CreatedByName, &g.CreatedAt); err != nil {
			return nil, err
		}
		g.StatusLabel, g.SubjectName, g.CreatedAt = guaranteeLabel(g.Status), x.SubjectName, g.CreatedAt.UTC()
		out = append(out, g)
		ids = append(ids, g.GuarantorID)
	}
	names := s.names(ctx, ids...)
	for i := range out {
		if n := names[out[i].GuarantorID]; n != nil {
			out[i].GuarantorName = n.Name
		}
	}
	return out, rows.Err()
}

// Compensate records the guarantor's compensation (代偿) of a loan in default (overdue or written off).
func (s *Service) Compensate(ctx context.Context, p *auth.Principal, guaranteeID, amountFen int64) error {
	var loanID int64
	var amt int64
	var st string
	err := s.db.QueryRowContext(ctx, `SELECT loan_id, amount_fen, status FROM guarantees WHERE id = ?`, guaranteeID).Scan(&loanID, &amt, &st)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "担保记录不存在")
	}
	if err != nil {
		return err
	}
	x, err := s.getLoan(ctx, s.db, loanID)
	if err != nil {
		return err
	}
	if err := canHandleLoan(p, x); err != nil {
		return err
	}
	if st != GuaranteeActive {
		return apperr.New(apperr.Conflict, "只有在保的担保可以代偿")
	}
	if amountFen <= 0 || amountFen > amt {
		return apperr.FieldErrors(map[string]string{"amount_fen": "代偿金额应大于 0 且不超过担保金额"})
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE guarantees SET status = ?, compensated_fen = ? WHERE id = ?`, GuaranteeCompensated, amountFen, guaranteeID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "compensate", Entity: "guarantee", EntityID: guaranteeID,
			Summary: fmt.Sprintf("担保代偿 %s（%s 的贷款）", fenText(amountFen), x.SubjectName)})
	})
}

// Pledge statuses.
const (
	PledgeLive     = "live"
	PledgeReleased = "released"
)

// Pledge is a contract or receivable pledged to a loan.
type Pledge struct {
	ID            int64      `json:"id"`
	LoanID        int64      `json:"loan_id"`
	ContractID    int64      `json:"contract_id"`
	ContractNo    string     `json:"contract_no"`
	BuyerName     string     `json:"buyer_name"`
	Product       string     `json:"product"`
	ReceivableFen int64      `json:"receivable_fen"`
	Status        string     `json:"status" doc:"live 质押中 / released 已解除"`
	PledgedByName string     `json:"pledged_by_name"`
	PledgedAt     time.Time  `json:"pledged_at"`
	ReleasedAt    *time.Time `json:"released_at,omitempty"`
}

// PledgeContract pledges a signed order contract (or its receivable) of the borrower to one of its loans. A
// contract is pledged to one loan at a time: a second pledge is refused until the first is released.
func (s *Service) PledgeContract(ctx context.Context, p *auth.Principal, loanID, contractID int64) (*Pledge, error) {
	x, err := s.getLoan(ctx, s.db, loanID)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"loan_id": "贷款不存在"})
	}
	if err := canHandleLoan(p, x); err != nil {
		return nil, err
	}
	switch x.Status {
	case LoanApproved, LoanSigned, LoanDisbursed:
	default:
		return nil, apperr.FieldErrors(map[string]string{"loan_id": "只有已批准、已签约或还款中的贷款可以办理质押"})
	}
	if s.Contracts == nil {
		return nil, apperr.New(apperr.Conflict, "订单合同来源尚未接入，暂不能办理订单质押")
	}
	c, err := s.Contracts.PledgeableContract(ctx, contractID)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"contract_id": "找不到该订单合同"})
	}
	f := map[string]string{}
	switch {
	case !c.Signed:
		f["contract_id"] = "合同尚未签订，不能质押"
	case c.SellerID != x.SubjectID:
		f["contract_id"] = "只能质押借款人本人作为卖方的合同"
	case c.ReceivableFen <= 0:
		f["contract_id"] = "该合同没有未收的应收账款"
	}
	if len(f) > 0 {
		return nil, apperr.FieldErrors(f)
	}
	id := s.db.IDs.Next()
	now := s.now().UTC()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT loan_id FROM pledges WHERE contract_id = ? AND status = ?`, c.ID, PledgeLive).Scan(&other)
		if err == nil {
			return apperr.New(apperr.Conflict, fmt.Sprintf("合同 %s 已质押给贷款 #%d，不能重复质押", c.No, other))
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pledges (id, county_code, loan_id, contract_id, contract_no, buyer_name, product, receivable_fen, status, pledged_by_name, pledged_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, region.County(x.RegionCode)+"000000", x.ID, c.ID, c.No, c.BuyerName, c.Product, c.ReceivableFen, PledgeLive, p.Username, now); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "该合同已质押给其他贷款，不能重复质押")
			}
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "pledge", Entity: "pledge", EntityID: id,
			Summary: fmt.Sprintf("%s 的订单合同 %s（应收 %s）质押给贷款 #%d", x.SubjectName, c.No, fenText(c.ReceivableFen), x.ID)})
	})
	if err != nil {
		return nil, err
	}
	return &Pledge{ID: id, LoanID: x.ID, ContractID: c.ID, ContractNo: c.No, BuyerName: c.BuyerName, Product: c.Product, ReceivableFen: c.ReceivableFen,
		Status: PledgeLive, PledgedByName: p.Username, PledgedAt: now}, nil
}

// Pledges lists a loan's pledges.
func (s *Service) Pledges(ctx context.Context, p *auth.Principal, loanID int64) ([]Pledge, error) {
	x, err := s.getLoan(ctx, s.db, loanID)
	if err != nil {
		return nil, err
	}
	if !canSeeLoan(p, x) {
		return nil, errNoLoan
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, loan_id, contract_id, contract_no, buyer_name, product, receivable_fen, status, pledged_by_name, pledged_at, released_at
		FROM pledges WHERE loan_id = ? ORDER BY id`, loanID)
	if err != nil {
		return nil, fmt.Errorf("pledges: %w", err)
	}
	defer rows.Close()
	out := []Pledge{}
	for rows.Next() {
		var x Pledge
		var rel sql.NullTime
		if err := rows.Scan(&x.ID, &x.LoanID, &x.ContractID, &x.ContractNo, &x.BuyerName, &x.Product, &x.ReceivableFen, &x.Status, &x.PledgedByName, &x.PledgedAt, &rel); err != nil {
			return nil, err
		}
		x.PledgedAt = x.PledgedAt.UTC()
		if rel.Valid {
			t := rel.Time.UTC()
			x.ReleasedAt = &t
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// onLoanClosed releases what secured a loan once it is settled: pledges and the live guarantee.
func (s *Service) onLoanClosed(ctx context.Context, tx *db.Tx, loanID int64, to string) error {
	if to != LoanSettled {
		return nil
	}
	now := s.now().UTC()
	if _, err := tx.ExecContext(ctx, `UPDATE pledges SET status = ?, released_at = ? WHERE loan_id = ? AND status = ?`, PledgeReleased, now, loanID, PledgeLive); err != nil {
		return fmt.Errorf("release pledges: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE guarantees SET status = ? WHERE loan_id = ? AND status = ?`, GuaranteeReleased, loanID, GuaranteeActive); err != nil {
		return fmt.Errorf("release guarantee: %w", err)
	}
	return nil
}
