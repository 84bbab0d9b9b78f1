package credit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

func joinList(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return "|" + strings.Join(l, "|") + "|"
}

func splitList(s string) []string {
	out := []string{}
	for _, x := range strings.Split(strings.Trim(s, "|"), "|") {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------------------------
// Products
// ---------------------------------------------------------------------------------------------------------------

const productCols = `id, county_code, institution_id, name, industry, loan_type, collateral, amount_min, amount_max, term_min, term_max,
	rate_bp, rate_max_bp, method, industries, regions, kinds, description, status, created_at, min_grade, members_only`

func scanProduct(sc interface{ Scan(...any) error }) (*Product, error) {
	var x Product
	var ind, reg, kinds string
	if err := sc.Scan(&x.ID, &x.countyCode, &x.InstitutionID, &x.Name, &x.Industry, &x.LoanType, &x.Collateral, &x.AmountMin, &x.AmountMax,
		&x.TermMin, &x.TermMax, &x.RateBP, &x.RateMaxBP, &x.Method, &ind, &reg, &kinds, &x.Description, &x.Status, &x.CreatedAt, &x.MinGrade, &x.MembersOnly); err != nil {
		return nil, err
	}
	x.Industries, x.Regions, x.Kinds = splitList(ind), splitList(reg), splitList(kinds)
	x.MethodLabel = x.Method.Label()
	x.CreatedAt = x.CreatedAt.UTC()
	return &x, nil
}

func (s *Service) presentProducts(ctx context.Context, l []*Product) {
	var ids []int64
	for _, x := range l {
		ids = append(ids, x.InstitutionID)
	}
	names := s.names(ctx, ids...)
	for _, x := range l {
		if n := names[x.InstitutionID]; n != nil {
			x.InstitutionName = n.Name
		}
	}
}

// ListProducts lists the products p may see: a bank its own; everyone else the products of its county (active
// ones unless all).
func (s *Service) ListProducts(ctx context.Context, p *auth.Principal, all bool) ([]*Product, error) {
	var conds []string
	var args []any
	switch {
	case p == nil:
		return nil, apperr.New(apperr.Unauthorized, "请先登录")
	case isBank(p):
		conds, args = append(conds, "institution_id = ?"), append(args, p.SubjectID)
	default:
		if cs := counties(p); len(cs) > 0 {
			conds = append(conds, "county_code IN ("+strings.TrimSuffix(strings.Repeat("?,", len(cs)), ",")+")")
			for _, c := range cs {
				args = append(args, c)
			}
		} else if !isSelf(p) {
			conds = append(conds, "1 = 0")
		}
		if !all {
			conds = append(conds, "status = 'active'")
		}
	}
	w := ""
	if len(conds) > 0 {
		w = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+productCols+` FROM loan_products`+w+` ORDER BY institution_id, name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	defer rows.Close()
	out := []*Product{}
	for rows.Next() {
		x, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.presentProducts(ctx, out)
	return out, nil
}

func (s *Service) getProduct(ctx context.Context, q db.Querier, id int64) (*Product, error) {
	x, err := scanProduct(q.QueryRowContext(ctx, `SELECT `+productCols+` FROM loan_products WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoProduct
	}
	if err != nil {
		return nil, fmt.Errorf("get product: %w", err)
	}
	s.presentProducts(ctx, []*Product{x})
	return x, nil
}

// GetProduct returns a product p may see.
func (s *Service) GetProduct(ctx context.Context, p *auth.Principal, id int64) (*Product, error) {
	x, err := s.getProduct(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if isBank(p) && x.InstitutionID != p.SubjectID {
		return nil, errNoProduct
	}
	return x, nil
}

// validateProduct checks a product input (inst is the institution).
func (s *Service) validateProduct(in *ProductInput) map[string]string {
	f := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		f["name"] = "请填写产品名称（最多 60 字）"
	}
	if !slices.Contains(LoanTypes, in.LoanType) {
		f["loan_type"] = "担保方式应为 信用、保证、抵押 或 质押"
	} else if opts := Collaterals[in.LoanType]; opts != nil && !slices.Contains(opts, in.Collateral) {
		f["collateral"] = "请选择" + in.LoanType + "物：" + strings.Join(opts, "、")
	} else if opts == nil {
		in.Collateral = ""
	}
	if in.AmountMin <= 0 || in.AmountMax < in.AmountMin || in.AmountMax > MaxPrincipal {
		f["amount_max"] = "金额范围应满足 0 < 最低 ≤ 最高 ≤ 100 亿元"
	}
	if in.TermMin < 1 || in.TermMax < in.TermMin || in.TermMax > MaxMonths {
		f["term_max"] = "期限范围应满足 1 ≤ 最短 ≤ 最长 ≤ 360 个月"
	}
	if in.RateMaxBP == 0 {
		in.RateMaxBP = in.RateBP
	}
	if in.RateBP <= 0 || in.RateMaxBP < in.RateBP || in.RateMaxBP > 2400 {
		f["rate_bp"] = "年利率应大于 0，上限不低于下限且不超过 24%（2400 个基点）"
	}
	m, ok := MethodOf(in.Method)
	if !ok {
		f["method"] = "请选择还款方式：等额本息、等额本金、先息后本、随借随还"
	}
	in.Method = string(m)
	in.Industry = strings.TrimSpace(in.Industry)
	if len(in.Industries) == 0 && in.Industry != "" {
		in.Industries = []string{in.Industry}
	}
	for _, k := range in.Kinds {
		if _, ok := registry.KindOf(k); !ok {
			f["kinds"] = "未知的主体类型：" + k
		}
	}
	for i, k := range in.Kinds {
		kk, _ := registry.KindOf(k)
		in.Kinds[i] = kk.Code
	}
	for _, r := range in.Regions {
		if _, ok := s.regions.Get(r); !ok {
			f["regions"] = "区划代码不存在：" + r
		}
	}
	if in.MinGrade != "" && gradeRank(in.MinGrade) == len(GradeOrder) {
		f["min_grade"] = "最低信用等级应为 AAA、AA、A、BBB、BB、B 或 C"
	}
	if utf8.RuneCountInString(in.Description) > 1000 {
		f["description"] = "说明最多 1000 字"
	}
	return f
}

// CreateProduct defines a product: a bank for its own institution, county_admin for any institution in scope.
func (s *Service) CreateProduct(ctx context.Context, p *auth.Principal, in ProductInput) (*Product, error) {
	switch {
	case isBank(p):
		if in.InstitutionID != 0 && in.InstitutionID != p.SubjectID {
			return nil, apperr.New(apperr.Forbidden, "只能为本机构设立贷款产品")
		}
		in.InstitutionID = p.SubjectID
	case p.Is(auth.CountyAdmin):
	default:
		return nil, apperr.New(apperr.Forbidden, "只有金融机构和县级管理员可以设立贷款产品")
	}
	fields := s.validateProduct(&in)
	inst, err := s.subject(ctx, in.InstitutionID)
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		return nil, err
	}
	if inst == nil || !isInstitution(inst.Kind) {
		fields["institution_id"] = "请选择金融机构"
	} else if p.Is(auth.CountyAdmin) && !p.InRegion(inst.RegionCode) {
		return nil, apperr.New(apperr.Forbidden, "该机构不在您的管辖范围内")
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		id = tx.NextID()
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO loan_products (`+productCols+`, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)`,
			id, region.County(inst.RegionCode), inst.ID, in.Name, in.Industry, in.LoanType, in.Collateral, in.AmountMin, in.AmountMax, in.TermMin, in.TermMax,
			in.RateBP, in.RateMaxBP, in.Method, joinList(in.Industries), joinList(in.Regions), joinList(in.Kinds), strings.TrimSpace(in.Description), now,
			in.MinGrade, in.MembersOnly, now); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "本机构已有同名产品："+in.Name)
			}
			return fmt.Errorf("insert product: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "loan_product", EntityID: id,
			Summary: fmt.Sprintf("%s 设立贷款产品：%s", inst.Name, in.Name), After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.getProduct(ctx, s.db, id)
}

// standing is what a product's eligibility needs beyond the register: the latest grade and membership.
type standing struct {
	grade  string
	member bool
}

func (s *Service) standingOf(ctx context.Context, subjectID int64) (standing, error) {
	var st standing
	err := s.db.QueryRowContext(ctx, `SELECT grade FROM ratings WHERE subject_id = ? ORDER BY id DESC LIMIT 1`, subjectID).Scan(&st.grade)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("standing: %w", err)
	}
	if s.Memberships != nil {
		ms, err := s.Memberships.ApprovedMemberships(ctx, subjectID)
		if err != nil {
			return st, err
		}
		st.member = len(ms) > 0
	}
	return st, nil
}

// judge reports whether sub may borrow under product x, with the reasons it may not.
func judge(x *Product, sub *registry.Subject, st standing) Eligibility {
	e := Eligibility{Product: *x, Reasons: []string{}}
	if x.MinGrade != "" {
		switch {
		case st.grade == "":
			e.Reasons = append(e.Reasons, fmt.Sprintf("尚未评定信用等级，本产品要求 %s 级及以上", x.MinGrade))
		case !GradeAtLeast(st.grade, x.MinGrade):
			e.Reasons = append(e.Reasons, fmt.Sprintf("信用等级 %s 低于本产品要求的 %s 级", st.grade, x.MinGrade))
		}
	}
	if x.MembersOnly && !st.member {
		e.Reasons = append(e.Reasons, "本产品仅面向农合联会员，您尚未入会")
	}
	if x.Status != "active" {
		e.Reasons = append(e.Reasons, "产品已停售")
	}
	if len(x.Kinds) > 0 && !slices.Contains(x.Kinds, sub.Kind) {
		var labels []string
		for _, k := range x.Kinds {
			labels = append(labels, registry.KindLabel(k))
		}
		e.Reasons = append(e.Reasons, fmt.Sprintf("主体类型不符：本产品面向%s，您是%s", strings.Join(labels, "、"), sub.KindLabel))
	}
	if len(x.Industries) > 0 {
		ok := false
		for _, i := range sub.Industries {
			ok = ok || slices.Contains(x.Industries, i)
		}
		if !ok {
			have := strings.Join(sub.Industries, "、")
			if have == "" {
				have = "未登记"
			}
			e.Reasons = append(e.Reasons, fmt.Sprintf("产业不符：本产品面向%s，您的主营产业为%s", strings.Join(x.Industries, "、"), have))
		}
	}
	if len(x.Regions) > 0 {
		ok := false
		for _, r := range x.Regions {
			ok = ok || strings.HasPrefix(sub.RegionCode, auth.RegionPrefix(r))
		}
		if !ok {
			e.Reasons = append(e.Reasons, "所在区域不在本产品的服务范围内")
		}
	}
	if sub.Status != registry.StatusActive {
		e.Reasons = append(e.Reasons, "主体已注销")
	}
	e.Eligible = len(e.Reasons) == 0
	return e
}

// Eligible lists the active products of the subject's county with eligibility and reasons, eligible first.
func (s *Service) Eligible(ctx context.Context, p *auth.Principal, subjectID int64) ([]Eligibility, error) {
	if isSelf(p) && subjectID == 0 {
		subjectID = p.SubjectID
	}
	sub, err := s.subject(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	if !canSeeSubject(p, sub.ID, sub.RegionCode) {
		return nil, errNoSubject
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+productCols+` FROM loan_products WHERE county_code = ? AND status = 'active' ORDER BY rate_bp, name`, region.County(sub.RegionCode))
	if err != nil {
		return nil, fmt.Errorf("eligible: %w", err)
	}
	var ps []*Product
	for rows.Next() {
		x, err := scanProduct(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		ps = append(ps, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.presentProducts(ctx, ps)
	st, err := s.standingOf(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	out := []Eligibility{}
	for _, x := range ps {
		out = append(out, judge(x, sub, st))
	}
	// eligible first; among them the cheapest, then the largest amount
	slices.SortStableFunc(out, func(a, b Eligibility) int {
		if a.Eligible != b.Eligible {
			if a.Eligible {
				return -1
			}
			return 1
		}
		if a.Product.RateBP != b.Product.RateBP {
			return a.Product.RateBP - b.Product.RateBP
		}
		return int(b.Product.AmountMax/100 - a.Product.AmountMax/100)
	})
	return out, nil
}

// ---------------------------------------------------------------------------------------------------------------
// Loans
// ---------------------------------------------------------------------------------------------------------------

const loanCols = `l.id, l.county_code, l.region_code, l.subject_id, l.product_id, l.institution_id, l.consent_id, l.status, l.requested_amount,
	l.requested_months, l.purpose, l.amount, l.rate_bp, l.months, l.method, l.reason, l.disbursed_on, l.maturity_on, l.closed_on, l.on_behalf,
	l.applied_by_name, l.applied_at, COALESCE(p.name, '')`

const loanFrom = ` FROM loans l LEFT JOIN loan_products p ON p.id = l.product_id`

func scanLoan(sc interface{ Scan(...any) error }) (*Loan, error) {
	var x Loan
	if err := sc.Scan(&x.ID, &x.countyCode, &x.RegionCode, &x.SubjectID, &x.ProductID, &x.InstitutionID, &x.ConsentID, &x.Status, &x.RequestedAmount,
		&x.RequestedMonths, &x.Purpose, &x.Amount, &x.RateBP, &x.Months, &x.Method, &x.Reason, &x.DisbursedOn, &x.MaturityOn, &x.ClosedOn, &x.OnBehalf,
		&x.AppliedByName, &x.AppliedAt, &x.ProductName); err != nil {
		return nil, err
	}
	x.AppliedAt = x.AppliedAt.UTC()
	x.StatusLabel = LoanStatusLabel(x.Status)
	x.MethodLabel = x.Method.Label()
	return &x, nil
}

func (s *Service) presentLoans(ctx context.Context, l []*Loan) {
	var ids []int64
	for _, x := range l {
		ids = append(ids, x.SubjectID, x.InstitutionID)
	}
	names := s.names(ctx, ids...)
	for _, x := range l {
		if n := names[x.SubjectID]; n != nil {
			x.SubjectName = n.Name
		}
		if n := names[x.InstitutionID]; n != nil {
			x.InstitutionName = n.Name
		}
		x.RegionName = s.regions.Name(x.RegionCode)
	}
}

// installments loads the schedules of loans.
func (s *Service) installments(ctx context.Context, q db.Querier, ids []int64) (map[int64][]Installment, error) {
	out := map[int64][]Installment{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := q.QueryContext(ctx, `SELECT loan_id, no, due_on, principal, interest, paid_principal, paid_interest, paid_on FROM loan_installments
			WHERE loan_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`) ORDER BY loan_id, no`, args...)
		if err != nil {
			return nil, fmt.Errorf("installments: %w", err)
		}
		for rows.Next() {
			var id int64
			var i Installment
			if err := rows.Scan(&id, &i.No, &i.DueOn, &i.Principal, &i.Interest, &i.PaidPrincipal, &i.PaidInterest, &i.PaidOn); err != nil {
				rows.Close()
				return nil, err
			}
			i.Total = i.Principal + i.Interest
			out[id] = append(out[id], i)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ListLoans lists loans p may see with their overdue status as of f.AsOf (default today); Bucket filters on it.
func (s *Service) ListLoans(ctx context.Context, p *auth.Principal, f LoanFilter) ([]*Loan, int, error) {
	where, args := scopeSQL(p, "l.region_code", "l.subject_id", "l.institution_id")
	conds := []string{where}
	if f.Status != "" {
		if !slices.Contains(LoanStatuses, f.Status) {
			return nil, 0, apperr.FieldErrors(map[string]string{"status": "未知的贷款状态"})
		}
		conds, args = append(conds, "l.status = ?"), append(args, f.Status)
	}
	if f.Bucket != "" {
		if !slices.Contains(Buckets, f.Bucket) {
			return nil, 0, apperr.FieldErrors(map[string]string{"bucket": "逾期分类应为 current、m1、m2、m3 或 m3plus"})
		}
		conds = append(conds, "l.status IN ('disbursed', 'written_off')")
	}
	if f.SubjectID != 0 {
		conds, args = append(conds, "l.subject_id = ?"), append(args, f.SubjectID)
	}
	if f.ProductID != 0 {
		conds, args = append(conds, "l.product_id = ?"), append(args, f.ProductID)
	}
	if f.AsOf.IsZero() {
		f.AsOf = s.today()
	}
	f.Page, f.PerPage = max(f.Page, 1), cmpOr(f.PerPage, 50)
	w := strings.Join(conds, " AND ")
	rows, err := s.db.QueryContext(ctx, `SELECT `+loanCols+loanFrom+` WHERE `+w+` ORDER BY l.id DESC`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list loans: %w", err)
	}
	var all []*Loan
	for rows.Next() {
		x, err := scanLoan(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if f.Bucket != "" {
		var ids []int64
		for _, x := range all {
			ids = append(ids, x.ID)
		}
		inst, err := s.installments(ctx, s.db, ids)
		if err != nil {
			return nil, 0, err
		}
		kept := all[:0]
		for _, x := range all {
			o := OverdueAsOf(inst[x.ID], f.AsOf)
			o.PenaltyFen = PenaltyAsOf(inst[x.ID], x.RateBP, f.AsOf)
			if o.Bucket == f.Bucket {
				x.Overdue = &o
				kept = append(kept, x)
			}
		}
		all = kept
	}
	total := len(all)
	from, to := min((f.Page-1)*f.PerPage, total), min(f.Page*f.PerPage, total)
	page := all[from:to]
	if f.Bucket == "" {
		var ids []int64
		for _, x := range page {
			if x.DisbursedOn != "" {
				ids = append(ids, x.ID)
			}
		}
		inst, err := s.installments(ctx, s.db, ids)
		if err != nil {
			return nil, 0, err
		}
		for _, x := range page {
			if x.DisbursedOn != "" {
				o := OverdueAsOf(inst[x.ID], f.AsOf)
				o.PenaltyFen = PenaltyAsOf(inst[x.ID], x.RateBP, f.AsOf)
				x.Overdue = &o
			}
		}
	}
	s.presentLoans(ctx, page)
	return page, total, nil
}

func (s *Service) getLoan(ctx context.Context, q db.Querier, id int64) (*Loan, error) {
	x, err := scanLoan(q.QueryRowContext(ctx, `SELECT `+loanCols+loanFrom+` WHERE l.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoLoan
	}
	if err != nil {
		return nil, fmt.Errorf("get loan: %w", err)
	}
	return x, nil
}

func canSeeLoan(p *auth.Principal, x *Loan) bool {
	if isBank(p) {
		return p.SubjectID == x.InstitutionID
	}
	return canSeeSubject(p, x.SubjectID, x.RegionCode)
}

// GetLoan returns a loan with its schedule, moves and events.
func (s *Service) GetLoan(ctx context.Context, p *auth.Principal, id int64) (*Loan, error) {
	x, err := s.getLoan(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canSeeLoan(p, x) {
		return nil, errNoLoan
	}
	s.presentLoans(ctx, []*Loan{x})
	inst, err := s.installments(ctx, s.db, []int64{id})
	if err != nil {
		return nil, err
	}
	x.Schedule = inst[id]
	if x.Schedule == nil {
		x.Schedule = []Installment{}
	}
	if x.DisbursedOn != "" {
		o := OverdueAsOf(x.Schedule, s.today())
		o.PenaltyFen = PenaltyAsOf(x.Schedule, x.RateBP, s.today())
		x.Overdue = &o
	}
	x.Moves, err = s.moves(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT at, actor_name, from_status, to_status, note FROM loan_events WHERE loan_id = ? ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("loan events: %w", err)
	}
	defer rows.Close()
	x.Events = []Event{}
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.ActorName, &e.From, &e.To, &e.Note); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		e.ToLabel = LoanStatusLabel(e.To)
		x.Events = append(x.Events, e)
	}
	return x, rows.Err()
}

func (s *Service) moves(ctx context.Context, q db.Querier, id int64) ([]MoveRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, on_date, amount, to_overdue_interest, to_interest, to_principal, created_by_name, created_at
		FROM loan_moves WHERE loan_id = ? ORDER BY on_date, id`, id)
	if err != nil {
		return nil, fmt.Errorf("loan moves: %w", err)
	}
	defer rows.Close()
	out := []MoveRecord{}
	for rows.Next() {
		var m MoveRecord
		if err := rows.Scan(&m.ID, &m.Kind, &m.On, &m.Amount, &m.ToOverdueInterest, &m.ToInterest, &m.ToPrincipal, &m.CreatedByName, &m.CreatedAt); err != nil {
			return nil, err
		}
		m.CreatedAt = m.CreatedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// Apply files a loan application (the subject's user, or staff in scope as 代办). It needs a live consent to the
// product's institution, an eligible subject and amounts within the product's ranges.
func (s *Service) Apply(ctx context.Context, p *auth.Principal, in ApplyInput) (*Loan, error) {
	if isSelf(p) && in.SubjectID == 0 {
		in.SubjectID = p.SubjectID
	}
	if !isSelf(p) && !isStaff(p) {
		return nil, apperr.New(apperr.Forbidden, "只有借款主体本人或乡镇、县级工作人员（代办）可以提交贷款申请")
	}
	sub, err := s.subject(ctx, in.SubjectID)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"subject_id": "请选择申请主体"})
	}
	if err := canActFor(p, sub.ID, sub.RegionCode); err != nil {
		return nil, err
	}
	x, err := s.getProduct(ctx, s.db, in.ProductID)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"product_id": "请选择贷款产品"})
	}
	st, err := s.standingOf(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	fields := map[string]string{}
	if e := judge(x, sub, st); !e.Eligible {
		fields["product_id"] = "不符合本产品的准入条件：" + strings.Join(e.Reasons, "；")
	}
	if in.Amount < x.AmountMin || in.Amount > x.AmountMax {
		fields["amount"] = fmt.Sprintf("申请金额应在 %s 至 %s 之间", fenText(x.AmountMin), fenText(x.AmountMax))
	}
	if in.Months < x.TermMin || in.Months > x.TermMax {
		fields["months"] = fmt.Sprintf("期限应在 %d 至 %d 个月之间", x.TermMin, x.TermMax)
	}
	if utf8.RuneCountInString(in.Purpose) > 500 {
		fields["purpose"] = "用途最多 500 字"
	}
	c, err := s.liveConsent(ctx, s.db, sub.ID, x.InstitutionID)
	if err != nil {
		return nil, err
	}
	if c == nil {
		fields["consent"] = fmt.Sprintf("申请前须先授权%s查询信用档案（授权有效期内）", x.InstitutionName)
	}
	if len(fields) > 0 {
		e := apperr.FieldErrors(fields).(*apperr.Error)
		if m, ok := fields["consent"]; ok && len(fields) == 1 {
			e.Message = m
		}
		return nil, e
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		id = tx.NextID()
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO loans (id, county_code, region_code, subject_id, product_id, institution_id, consent_id, status,
			requested_amount, requested_months, purpose, method, on_behalf, applied_by, applied_by_name, applied_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'applied', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, region.County(sub.RegionCode), sub.RegionCode, sub.ID, x.ID, x.InstitutionID, c.ID, in.Amount, in.Months, strings.TrimSpace(in.Purpose),
			string(x.Method), isStaff(p), p.UserID, p.Username, now, now); err != nil {
			return fmt.Errorf("insert loan: %w", err)
		}
		note := ""
		if isStaff(p) {
			note = "工作人员代办"
		}
		if err := s.event(ctx, tx, p, id, "", LoanApplied, note); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "loan", EntityID: id,
			Summary: fmt.Sprintf("%s 申请 %s %s，%d 个月", sub.Name, x.Name, fenText(in.Amount), in.Months), After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.GetLoan(ctx, p, id)
}

func (s *Service) event(ctx context.Context, tx *db.Tx, p *auth.Principal, loanID int64, from, to, note string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO loan_events (id, loan_id, at, actor_id, actor_name, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tx.NextID(), loanID, s.now().UTC(), p.UserID, p.Username, from, to, note)
	if err != nil {
		return fmt.Errorf("loan event: %w", err)
	}
	return nil
}

// Actions on a loan and the statuses they start from.
var actions = map[string]struct {
	from  []string
	label string
}{
	"approve":   {[]string{LoanApplied}, "批准"},
	"reject":    {[]string{LoanApplied}, "拒绝"},
	"sign":      {[]string{LoanApproved}, "签约"},
	"disburse":  {[]string{LoanSigned}, "放款"},
	"repay":     {[]string{LoanDisbursed}, "还款"},
	"draw":      {[]string{LoanDisbursed}, "用款"},
	"write-off": {[]string{LoanDisbursed}, "核销"},
}

// ActionLabel is the Chinese name of an action.
func ActionLabel(a string) string { return actions[a].label }

// Act performs a lifecycle action on a loan: bank users of the loan's institution only. A wrong starting status is
// a conflict (409); values outside the product's ranges are invalid (422).
func (s *Service) Act(ctx context.Context, p *auth.Principal, id int64, action string, in ActionInput) (*Loan, error) {
	a, ok := actions[action]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "没有该操作")
	}
	x, err := s.getLoan(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canSeeLoan(p, x) {
		return nil, errNoLoan
	}
	if !isBank(p) {
		return nil, apperr.New(apperr.Forbidden, "只有放贷机构可以办理贷款审批、放款和还款登记")
	}
	if !slices.Contains(a.from, x.Status) {
		return nil, apperr.Errorf(apperr.Conflict, "贷款当前为“%s”，不能%s", LoanStatusLabel(x.Status), a.label)
	}
	if action == "draw" && x.Method != Revolving {
		return nil, apperr.New(apperr.Conflict, "只有随借随还贷款可以用款")
	}
	date := s.today()
	if strings.TrimSpace(in.Date) != "" {
		if date, err = ParseDate(strings.TrimSpace(in.Date)); err != nil {
			return nil, apperr.FieldErrors(map[string]string{"date": "日期格式应为 YYYY-MM-DD"})
		}
	}
	if date.After(s.today()) {
		return nil, apperr.FieldErrors(map[string]string{"date": "日期不能晚于今天"})
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// re-read inside the transaction so that concurrent actions see each other
		cur, err := s.getLoan(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Status != x.Status {
			return apperr.Errorf(apperr.Conflict, "贷款当前为“%s”，不能%s", LoanStatusLabel(cur.Status), a.label)
		}
		return s.act(ctx, tx, p, cur, action, in, date)
	})
	if err != nil {
		return nil, err
	}
	return s.GetLoan(ctx, p, id)
}

func (s *Service) setStatus(ctx context.Context, tx *db.Tx, p *auth.Principal, x *Loan, to, note string, sets string, args ...any) error {
	q := `UPDATE loans SET status = ?, updated_at = ?`
	if sets != "" {
		q += ", " + sets
	}
	all := append([]any{to, s.now().UTC()}, args...)
	all = append(all, x.ID)
	if _, err := tx.ExecContext(ctx, q+` WHERE id = ?`, all...); err != nil {
		return fmt.Errorf("update loan: %w", err)
	}
	if err := s.onLoanClosed(ctx, tx, x.ID, to); err != nil {
		return err
	}
	return s.event(ctx, tx, p, x.ID, x.Status, to, note)
}

func (s *Service) act(ctx context.Context, tx *db.Tx, p *auth.Principal, x *Loan, action string, in ActionInput, date time.Time) error {
	entry := audit.Entry{Actor: p.Actor(), Action: strings.ReplaceAll(action, "-", "_"), Entity: "loan", EntityID: x.ID,
		Before: map[string]any{"status": x.Status}}
	entry.Summary = fmt.Sprintf("%s贷款 %d（%s）", ActionLabel(action), x.ID, x.ProductName)
	switch action {
	case "approve":
		prod, err := s.getProduct(ctx, tx, x.ProductID)
		if err != nil {
			return err
		}
		if in.Amount == 0 {
			in.Amount = x.RequestedAmount
		}
		if in.Months == 0 {
			in.Months = x.RequestedMonths
		}
		if in.RateBP == 0 {
			in.RateBP = prod.RateBP
		}
		f := map[string]string{}
		if in.Amount < prod.AmountMin || in.Amount > prod.AmountMax {
			f["amount"] = fmt.Sprintf("批准金额应在 %s 至 %s 之间", fenText(prod.AmountMin), fenText(prod.AmountMax))
		}
		if in.Months < prod.TermMin || in.Months > prod.TermMax {
			f["months"] = fmt.Sprintf("期限应在 %d 至 %d 个月之间", prod.TermMin, prod.TermMax)
		}
		if in.RateBP < prod.RateBP || in.RateBP > prod.RateMaxBP {
			f["rate_bp"] = fmt.Sprintf("年利率应在 %s 至 %s 之间", bpText(prod.RateBP), bpText(prod.RateMaxBP))
		}
		if err := apperr.FieldErrors(f); err != nil {
			return err
		}
		entry.After = map[string]any{"status": LoanApproved, "amount": in.Amount, "rate_bp": in.RateBP, "months": in.Months}
		if err := s.setStatus(ctx, tx, p, x, LoanApproved, fmt.Sprintf("批准 %s，年利率 %s，%d 个月", fenText(in.Amount), bpText(in.RateBP), in.Months),
			"amount = ?, rate_bp = ?, months = ?", in.Amount, in.RateBP, in.Months); err != nil {
			return err
		}
	case "reject", "write-off":
		reason := strings.TrimSpace(in.Reason)
		if reason == "" || utf8.RuneCountInString(reason) > 500 {
			return apperr.FieldErrors(map[string]string{"reason": "请填写原因（最多 500 字）"})
		}
		to := LoanRejected
		sets, args := "reason = ?, closed_on = ?", []any{reason, FormatDate(date)}
		if action == "write-off" {
			to = LoanWrittenOff
		}
		entry.After = map[string]any{"status": to, "reason": reason}
		if err := s.setStatus(ctx, tx, p, x, to, reason, sets, args...); err != nil {
			return err
		}
	case "sign":
		entry.After = map[string]any{"status": LoanSigned}
		if err := s.setStatus(ctx, tx, p, x, LoanSigned, "借款合同已签订", ""); err != nil {
			return err
		}
	case "disburse":
		var inst []Installment
		first := x.Amount
		if x.Method == Revolving {
			if in.Amount != 0 {
				first = in.Amount
			}
			if first <= 0 || first > x.Amount {
				return apperr.FieldErrors(map[string]string{"amount": "首次用款金额应在 0 至授信额度之间"})
			}
			inst = RevolvingSchedule(date, x.Months, x.RateBP, first)
		} else {
			var err error
			if inst, err = Schedule(ScheduleInput{Principal: x.Amount, RateBP: x.RateBP, Months: x.Months, Method: x.Method, Start: date}); err != nil {
				return err
			}
		}
		if err := s.saveSchedule(ctx, tx, x.ID, inst, true); err != nil {
			return err
		}
		if err := s.insertMove(ctx, tx, p, x.ID, "draw", date, first, Allocation{}); err != nil {
			return err
		}
		entry.After = map[string]any{"status": LoanDisbursed, "disbursed_on": FormatDate(date), "amount": first}
		if err := s.setStatus(ctx, tx, p, x, LoanDisbursed, fmt.Sprintf("放款 %s", fenText(first)), "disbursed_on = ?, maturity_on = ?",
			FormatDate(date), inst[len(inst)-1].DueOn); err != nil {
			return err
		}
	case "repay", "draw":
		if x.DisbursedOn != "" && date.Before(mustDate(x.DisbursedOn)) {
			return apperr.FieldErrors(map[string]string{"date": "日期不能早于放款日"})
		}
		ms, err := s.moves(ctx, tx, x.ID)
		if err != nil {
			return err
		}
		if len(ms) > 0 && date.Before(mustDate(ms[len(ms)-1].On)) {
			return apperr.FieldErrors(map[string]string{"date": "日期不能早于上一笔登记（" + ms[len(ms)-1].On + "）"})
		}
		t := Terms{Method: x.Method, RateBP: x.RateBP, Start: mustDate(x.DisbursedOn)}
		for _, m := range ms {
			sign := int64(1)
			if m.Kind == "repay" {
				sign = -1
			}
			if m.Kind == "draw" || m.ToPrincipal > 0 {
				amt := m.Amount
				if m.Kind == "repay" {
					amt = m.ToPrincipal
				}
				t.Moves = append(t.Moves, Move{On: mustDate(m.On), Principal: sign * amt})
			}
		}
		inst, err := s.installments(ctx, tx, []int64{x.ID})
		if err != nil {
			return err
		}
		var next []Installment
		var al Allocation
		if action == "draw" {
			if Outstanding(inst[x.ID])+in.Amount > x.Amount {
				return apperr.FieldErrors(map[string]string{"amount": "用款后余额将超过授信额度 " + fenText(x.Amount)})
			}
			next, err = Draw(inst[x.ID], t, in.Amount, date)
		} else {
			next, al, err = Allocate(inst[x.ID], t, in.Amount, date)
		}
		if err != nil {
			return err
		}
		if err := s.saveSchedule(ctx, tx, x.ID, next, false); err != nil {
			return err
		}
		if err := s.insertMove(ctx, tx, p, x.ID, action, date, in.Amount, al); err != nil {
			return err
		}
		entry.Summary = fmt.Sprintf("贷款 %d %s %s（%s）", x.ID, ActionLabel(action), fenText(in.Amount), FormatDate(date))
		entry.After = map[string]any{"amount": in.Amount, "date": FormatDate(date), "allocation": al}
		if al.Settled {
			if err := s.setStatus(ctx, tx, p, x, LoanSettled, "已还清", "closed_on = ?", FormatDate(date)); err != nil {
				return err
			}
		}
	}
	return audit.Write(ctx, tx, entry)
}

func (s *Service) insertMove(ctx context.Context, tx *db.Tx, p *auth.Principal, loanID int64, kind string, on time.Time, amount int64, al Allocation) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO loan_moves (id, loan_id, kind, on_date, amount, to_overdue_interest, to_interest, to_principal, created_by_name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tx.NextID(), loanID, kind, FormatDate(on), amount, al.ToOverdueInterest, al.ToInterest, al.ToPrincipal, p.Username, s.now().UTC())
	if err != nil {
		return fmt.Errorf("insert move: %w", err)
	}
	return nil
}

// saveSchedule replaces a loan's installments.
func (s *Service) saveSchedule(ctx context.Context, tx *db.Tx, loanID int64, inst []Installment, fresh bool) error {
	if !fresh {
		if _, err := tx.ExecContext(ctx, `DELETE FROM loan_installments WHERE loan_id = ?`, loanID); err != nil {
			return fmt.Errorf("replace schedule: %w", err)
		}
	}
	rows := make([][]any, len(inst))
	for i, x := range inst {
		rows[i] = []any{loanID, x.No, x.DueOn, x.Principal, x.Interest, x.PaidPrincipal, x.PaidInterest, x.PaidOn}
	}
	return tx.InsertRows(ctx, "loan_installments", []string{"loan_id", "no", "due_on", "principal", "interest", "paid_principal", "paid_interest", "paid_on"}, rows, 100)
}

func bpText(bp int) string { return fmt.Sprintf("%d.%02d%%", bp/100, bp%100) }
