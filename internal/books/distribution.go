package books

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// 盈余分配 (year-end surplus distribution), by 《中华人民共和国农民专业合作社法》(2017 年修订):
//   - 第四十二条: reserves (公积金) may be drawn from the year's surplus and are quantified (量化) into each member's
//     share every year;
//   - 第四十四条: the surplus left after covering losses and drawing reserves is the distributable surplus (可分配
//     盈余); it is returned mainly by the members' transactions with the cooperative, and the return by
//     transaction volume (交易量（额）) must total at least 60 % of the distributable surplus; the rest is shared in
//     proportion to the capital and reserve shares recorded in the member accounts, together with the shares of
//     assets formed from state subsidies and donations quantified to members.
// The wizard computes the plan from posted vouchers, refuses a return below 60 %, splits every amount over the
// members exactly to the 分 (Allocate: largest remainders), drafts the carry and distribution vouchers, and writes
// the member-account entries tied to them — they count once a colleague has reviewed and posted the vouchers.

// MinReturnPct is the legal floor of the return by transaction volume, in % of the distributable surplus.
const MinReturnPct = 60

// DistributionInput is what the wizard asks.
type DistributionInput struct {
	Year      int   `json:"year"`
	Reserve   int64 `json:"reserve" doc:"提取盈余公积（分）"`
	ReturnPct int   `json:"return_pct" doc:"按交易量返还占可分配盈余的百分比（不低于 60），by_volume 为 0 时使用"`
	ByVolume  int64 `json:"by_volume" doc:"按交易量返还总额（分）；0 表示按 return_pct 计算"`
}

// DistRow is one member's part of a distribution.
type DistRow struct {
	MemberID int64  `json:"member_id"`
	No       int    `json:"no"`
	Name     string `json:"name"`
	Trade    int64  `json:"trade" doc:"本年交易额（返还依据）"`
	Equity   int64  `json:"equity" doc:"出资额+公积金份额+补助与捐赠量化份额（剩余盈余分配依据，含本次量化的公积金）"`
	Reserve  int64  `json:"reserve" doc:"本次量化的公积金份额"`
	Return   int64  `json:"return" doc:"按交易量返还"`
	Rest     int64  `json:"rest" doc:"剩余盈余分配"`
}

// Distribution is a computed (or executed) distribution.
type Distribution struct {
	ID            int64     `json:"id,omitempty"`
	Year          int       `json:"year"`
	Undistributed int64     `json:"undistributed" doc:"年末未分配盈余（本年盈余+年初未分配）"`
	Reserve       int64     `json:"reserve"`
	Distributable int64     `json:"distributable" doc:"可分配盈余 = 未分配盈余 − 提取盈余公积"`
	ByVolume      int64     `json:"by_volume"`
	ByShares      int64     `json:"by_shares"`
	ReturnPctX100 int64     `json:"return_pct_x100" doc:"返还比例×100（如 6000 = 60.00%）"`
	NeedsCarry    bool      `json:"needs_carry" doc:"损益尚未结转，执行时一并生成结转凭证"`
	Rows          []DistRow `json:"rows"`
	CarryVoucher  int64     `json:"carry_voucher_id,omitempty"`
	Voucher       int64     `json:"voucher_id,omitempty"`
	MadeBy        string    `json:"made_by,omitempty"`
	CreatedAt     time.Time `json:"created_at,omitempty"`
}

// PlanDistribution computes the distribution without writing anything.
func (s *Service) PlanDistribution(ctx context.Context, p *auth.Principal, bookID int64, in DistributionInput) (*Distribution, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_distributions WHERE book_id = ? AND year = ?`, b.ID, in.Year).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, apperr.Errorf(apperr.Conflict, "%d 年度已经做过盈余分配，见下方历年分配", in.Year)
	}
	d, _, err := s.planDistribution(ctx, s.db, b, in)
	return d, err
}

// carryPlan is the carry voucher a distribution needs: 损益 and 本年盈余 into 盈余分配.
type carryPlan []LineInput

func (s *Service) planDistribution(ctx context.Context, q db.Querier, b *Book, in DistributionInput) (*Distribution, carryPlan, error) {
	if in.Year < 1990 || in.Year > 2200 {
		return nil, nil, apperr.FieldErrors(map[string]string{"year": "请选择分配年度"})
	}
	per := fmt.Sprintf("%04d-12", in.Year)
	if per < b.StartPeriod {
		return nil, nil, apperr.FieldErrors(map[string]string{"year": "该年度早于建账期间"})
	}
	bal, err := s.balances(ctx, q, b.ID, per, per, true)
	if err != nil {
		return nil, nil, err
	}
	chart := ChartOf(b.Chart)
	codes := make([]string, 0, len(bal))
	for c := range bal {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var carry carryPlan
	var undist, toCarry int64
	for _, c := range codes {
		net := bal[c].closeNet()
		a, _ := chart.Account(top(c))
		switch {
		case a.Category == CatPL || top(c) == "3401":
			if net == 0 {
				continue
			}
			undist -= net
			toCarry -= net
			if net < 0 {
				carry = append(carry, LineInput{AccountCode: c, Debit: -net, Memo: "结转"})
			} else {
				carry = append(carry, LineInput{AccountCode: c, Credit: net, Memo: "结转"})
			}
		case top(c) == "3501":
			undist -= net
		}
	}
	if len(carry) > 0 {
		if toCarry >= 0 {
			carry = append(carry, LineInput{AccountCode: "3501", Credit: toCarry, Memo: "本年盈余转入盈余分配"})
		} else {
			carry = append(carry, LineInput{AccountCode: "3501", Debit: -toCarry, Memo: "本年亏损转入盈余分配"})
		}
	}
	dist := &Distribution{Year: in.Year, Undistributed: undist, Reserve: in.Reserve, NeedsCarry: len(carry) > 0}
	if undist <= 0 {
		return dist, nil, apperr.Errorf(apperr.Invalid, "%d 年度末未分配盈余为 %s 元，没有可分配的盈余", in.Year, FormatYuan(undist))
	}
	if in.Reserve < 0 || in.Reserve >= undist {
		return dist, nil, apperr.FieldErrors(map[string]string{"reserve": fmt.Sprintf("提取盈余公积应在 0 到 %s 元之间", FormatYuan(undist-1))})
	}
	a := undist - in.Reserve
	dist.Distributable = a
	byVol := in.ByVolume
	if byVol == 0 {
		pct := in.ReturnPct
		if pct == 0 {
			pct = MinReturnPct
		}
		if pct < 0 || pct > 100 {
			return dist, nil, apperr.FieldErrors(map[string]string{"return_pct": "返还比例应在 60 到 100 之间"})
		}
		byVol = (a*int64(pct) + 99) / 100 // rounded up, so 60 % never falls a 分 short
	}
	if byVol > a || byVol < 0 {
		return dist, nil, apperr.FieldErrors(map[string]string{"by_volume": "按交易量返还不能超过可分配盈余 " + FormatYuan(a) + " 元"})
	}
	dist.ByVolume, dist.ByShares = byVol, a-byVol
	dist.ReturnPctX100 = byVol * 10000 / a
	if byVol*100 < int64(MinReturnPct)*a {
		minimum := (a*MinReturnPct + 99) / 100
		msg := fmt.Sprintf("按交易量（额）返还 %s 元，只占可分配盈余 %s 元的 %s%%；《农民专业合作社法》第四十四条规定返还总额不得低于可分配盈余的百分之六十，至少应返还 %s 元",
			FormatYuan(byVol), FormatYuan(a), strconv.FormatFloat(float64(dist.ReturnPctX100)/100, 'f', 2, 64), FormatYuan(minimum))
		return dist, nil, &apperr.Error{Code: apperr.Invalid, Message: msg, Fields: map[string]string{"return_pct": msg}}
	}
	accs, err := s.memberAccounts(ctx, q, b.ID, in.Year)
	if err != nil {
		return nil, nil, err
	}
	trade := make([]int64, len(accs))
	var tradeSum int64
	for i, m := range accs {
		trade[i] = m.Trade
		tradeSum += m.Trade
	}
	if tradeSum <= 0 {
		return dist, nil, apperr.Errorf(apperr.Invalid, "%d 年度没有记入成员账户的交易额，无法按交易量（额）返还；请先在成员账户登记交易", in.Year)
	}
	// reserves are quantified by the year's transactions, like the return (our rule; 章程 may differ — documented)
	res, _ := Allocate(in.Reserve, trade)
	ret, _ := Allocate(byVol, trade)
	equity := make([]int64, len(accs))
	for i, m := range accs {
		equity[i] = m.Equity() + res[i]
	}
	rest, ok := Allocate(dist.ByShares, equity)
	if dist.ByShares > 0 && !ok {
		return dist, nil, apperr.New(apperr.Invalid, "成员账户中没有出资额和公积金份额，剩余盈余无法按比例分配；请先办理股金登记，或全部按交易量返还")
	}
	for i, m := range accs {
		dist.Rows = append(dist.Rows, DistRow{MemberID: m.ID, No: m.No, Name: m.Name, Trade: m.Trade, Equity: equity[i], Reserve: res[i], Return: ret[i], Rest: rest[i]})
	}
	return dist, carry, nil
}

// Distribute executes the wizard: it drafts the carry voucher (when 损益 are not yet carried) and the
// distribution voucher, and writes the member-account entries, in one transaction. One distribution per year.
func (s *Service) Distribute(ctx context.Context, p *auth.Principal, bookID int64, in DistributionInput) (*Distribution, error) {
	b, err := s.writableBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	var dist *Distribution
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockBook(ctx, tx, b.ID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_distributions WHERE book_id = ? AND year = ?`, b.ID, in.Year).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.Errorf(apperr.Conflict, "%d 年度已经做过盈余分配", in.Year)
		}
		d, carry, err := s.planDistribution(ctx, tx, b, in)
		if err != nil {
			return err
		}
		dist = d
		return s.distributeTx(ctx, tx, p.Actor(), p.UserID, displayName(p), b, d, carry, time.Time{})
	})
	if err != nil {
		return nil, err
	}
	return dist, nil
}

func (s *Service) distributeTx(ctx context.Context, tx *db.Tx, actor audit.Actor, userID int64, name string, b *Book, d *Distribution, carry carryPlan, at time.Time) error {
	date := fmt.Sprintf("%04d-12-31", d.Year)
	accs, err := s.accounts(ctx, tx, b)
	if err != nil {
		return err
	}
	ix := newIndex(accs)
	if len(carry) > 0 {
		v, err := s.validate(ctx, tx, b, ix, VoucherInput{Date: date, Summary: fmt.Sprintf("结转 %d 年度损益和本年盈余", d.Year), Lines: carry}, false)
		if err != nil {
			return err
		}
		if d.CarryVoucher, err = s.insertVoucher(ctx, tx, b, v, KindCarry, 0, userID, name); err != nil {
			return err
		}
	}
	lines := []LineInput{{AccountCode: "3501", Debit: d.Reserve + d.Distributable, Memo: "分配本年盈余"}}
	if d.Reserve > 0 {
		lines = append(lines, LineInput{AccountCode: "3301", Credit: d.Reserve, Memo: "提取盈余公积"})
	}
	for _, r := range d.Rows {
		if r.Return > 0 {
			lines = append(lines, LineInput{AccountCode: "2221", Credit: r.Return, Memo: "按交易量返还", MemberID: r.MemberID, MemberName: r.Name})
		}
	}
	for _, r := range d.Rows {
		if r.Rest > 0 {
			lines = append(lines, LineInput{AccountCode: "2222", Credit: r.Rest, Memo: "剩余盈余分配", MemberID: r.MemberID, MemberName: r.Name})
		}
	}
	v, err := s.validate(ctx, tx, b, ix, VoucherInput{Date: date, Summary: fmt.Sprintf("%d 年度盈余分配（返还 %s%%）", d.Year,
		strconv.FormatFloat(float64(d.ReturnPctX100)/100, 'f', 2, 64)), Lines: lines}, false)
	if err != nil {
		return err
	}
	if d.Voucher, err = s.insertVoucher(ctx, tx, b, v, KindCarry, 0, userID, name); err != nil {
		return err
	}
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Microsecond)
	}
	d.ID, d.MadeBy, d.CreatedAt = tx.NextID(), name, at
	if _, err := tx.ExecContext(ctx, `INSERT INTO books_distributions (id, book_id, year, undistributed, reserve, distributable, by_volume, by_shares, carry_voucher_id,
		voucher_id, made_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, b.ID, d.Year, d.Undistributed, d.Reserve, d.Distributable, d.ByVolume, d.ByShares, d.CarryVoucher, d.Voucher, name, at); err != nil {
		if db.IsUniqueViolation(err) {
			return apperr.Errorf(apperr.Conflict, "%d 年度已经做过盈余分配", d.Year)
		}
		return fmt.Errorf("insert distribution: %w", err)
	}
	for _, r := range d.Rows {
		for _, e := range []Entry{{Kind: EntryReserve, Amount: r.Reserve, Memo: "盈余公积量化"}, {Kind: EntryReturn, Amount: r.Return, Memo: "按交易量（额）返还"},
			{Kind: EntryRest, Amount: r.Rest, Memo: "按出资额和公积金份额分配"}} {
			if e.Amount == 0 {
				continue
			}
			e.MemberID, e.Date, e.Year, e.VoucherID = r.MemberID, date, d.Year, d.Voucher
			e.Memo = fmt.Sprintf("%d 年度%s", d.Year, e.Memo)
			if _, err := s.insertEntry(ctx, tx, b.ID, e, d.ID, name, at); err != nil {
				return err
			}
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "distribute", Entity: "book", EntityID: b.ID,
		Summary: fmt.Sprintf("盈余分配：%s %d 年度，可分配盈余 %s 元，按交易量返还 %s 元", b.Name, d.Year, FormatYuan(d.Distributable), FormatYuan(d.ByVolume)),
		After: map[string]any{"year": d.Year, "reserve": d.Reserve, "distributable": d.Distributable, "by_volume": d.ByVolume, "by_shares": d.ByShares,
			"voucher_id": d.Voucher, "carry_voucher_id": d.CarryVoucher}})
}

// Distributions lists a book's executed distributions, newest first.
func (s *Service) Distributions(ctx context.Context, p *auth.Principal, bookID int64) ([]Distribution, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, year, undistributed, reserve, distributable, by_volume, by_shares, carry_voucher_id, voucher_id, made_by_name, created_at
		FROM books_distributions WHERE book_id = ? ORDER BY year DESC`, b.ID)
	if err != nil {
		return nil, fmt.Errorf("list distributions: %w", err)
	}
	defer rows.Close()
	var out []Distribution
	for rows.Next() {
		var d Distribution
		if err := rows.Scan(&d.ID, &d.Year, &d.Undistributed, &d.Reserve, &d.Distributable, &d.ByVolume, &d.ByShares, &d.CarryVoucher, &d.Voucher, &d.MadeBy, &d.CreatedAt); err != nil {
			return nil, err
		}
		if d.Distributable > 0 {
			d.ReturnPctX100 = d.ByVolume * 10000 / d.Distributable
		}
		d.CreatedAt = d.CreatedAt.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}
