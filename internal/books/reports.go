package books

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// Every report here sums the lines of posted vouchers: nothing is stored, so nothing can drift.

// sums is what posted lines add up to for one account code: before the range and inside it.
type sums struct {
	openD, openC int64
	d, c         int64
}

func (x sums) openNet() int64  { return x.openD - x.openC }
func (x sums) closeNet() int64 { return x.openD - x.openC + x.d - x.c }

// balances sums posted lines by account code: lines before from are the opening, lines in [from, to] the movement.
// Carry vouchers (期末结转) are left out when withCarry is false.
func (s *Service) balances(ctx context.Context, q db.Querier, bookID int64, from, to string, withCarry bool) (map[string]*sums, error) {
	cond := ""
	if !withCarry {
		cond = " AND v.kind <> 'carry'"
	}
	rows, err := q.QueryContext(ctx, `SELECT l.account_code,
		SUM(CASE WHEN l.period < ? THEN l.debit ELSE 0 END), SUM(CASE WHEN l.period < ? THEN l.credit ELSE 0 END),
		SUM(CASE WHEN l.period >= ? THEN l.debit ELSE 0 END), SUM(CASE WHEN l.period >= ? THEN l.credit ELSE 0 END)
		FROM books_lines l JOIN books_vouchers v ON v.id = l.voucher_id
		WHERE l.book_id = ? AND l.period <= ? AND v.status = 'posted'`+cond+`
		GROUP BY l.account_code`, from, from, from, from, bookID, to)
	if err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	defer rows.Close()
	out := map[string]*sums{}
	for rows.Next() {
		var code string
		x := &sums{}
		if err := rows.Scan(&code, &x.openD, &x.openC, &x.d, &x.c); err != nil {
			return nil, err
		}
		out[code] = x
	}
	return out, rows.Err()
}

// split puts a net balance on its side: positive on the debit side, negative on the credit side.
func split(net int64) (d, c int64) {
	if net >= 0 {
		return net, 0
	}
	return 0, -net
}

// TrialRow is one account of the trial balance (试算平衡表). Amounts in 分.
type TrialRow struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	Category      string `json:"category"`
	Level         int    `json:"level" doc:"1 一级科目（计入合计）/ 2 明细科目"`
	OpeningDebit  int64  `json:"opening_debit"`
	OpeningCredit int64  `json:"opening_credit"`
	PeriodDebit   int64  `json:"period_debit"`
	PeriodCredit  int64  `json:"period_credit"`
	ClosingDebit  int64  `json:"closing_debit"`
	ClosingCredit int64  `json:"closing_credit"`
}

// TrialBalance is the 试算平衡表 of one period (or a range of periods from From to Period).
type TrialBalance struct {
	BookID             int64      `json:"book_id"`
	Name               string     `json:"name"`
	From               string     `json:"from"`
	Period             string     `json:"period"`
	Closed             bool       `json:"closed" doc:"期间是否已结账"`
	OpeningDebitTotal  int64      `json:"opening_debit_total"`
	OpeningCreditTotal int64      `json:"opening_credit_total"`
	PeriodDebitTotal   int64      `json:"period_debit_total" doc:"本期借方发生额合计（分）"`
	PeriodCreditTotal  int64      `json:"period_credit_total" doc:"本期贷方发生额合计（分）"`
	DebitTotal         int64      `json:"debit_total" doc:"期末借方余额合计（分）"`
	CreditTotal        int64      `json:"credit_total" doc:"期末贷方余额合计（分）"`
	Balanced           bool       `json:"balanced"`
	Rows               []TrialRow `json:"rows"`
}

// TrialBalance computes the trial balance of period (from = period) or of the periods from..period.
func (s *Service) TrialBalance(ctx context.Context, p *auth.Principal, bookID int64, from, period string) (*TrialBalance, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	per, err := ParsePeriod(period)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"period": err.Error()})
	}
	fr := per
	if strings.TrimSpace(from) != "" {
		if fr, err = ParsePeriod(from); err != nil || fr > per {
			return nil, apperr.FieldErrors(map[string]string{"from": "起始期间应为 YYYY-MM，且不晚于截止期间"})
		}
	}
	return s.trialBalance(ctx, s.db, b, fr, per)
}

func (s *Service) trialBalance(ctx context.Context, q db.Querier, b *Book, from, per string) (*TrialBalance, error) {
	bal, err := s.balances(ctx, q, b.ID, from, per, true)
	if err != nil {
		return nil, err
	}
	accs, err := s.accounts(ctx, q, b)
	if err != nil {
		return nil, err
	}
	closed, err := s.isClosed(ctx, q, b.ID, per)
	if err != nil {
		return nil, err
	}
	tb := &TrialBalance{BookID: b.ID, Name: b.Name, From: from, Period: per, Closed: closed, Rows: []TrialRow{}}
	// roll sub-accounts (and lines on codes missing from the chart) up into their first-level account
	rolled := map[string]*sums{}
	for code, x := range bal {
		t := top(code)
		r := rolled[t]
		if r == nil {
			r = &sums{}
			rolled[t] = r
		}
		r.openD += x.openD
		r.openC += x.openC
		r.d += x.d
		r.c += x.c
	}
	row := func(a Account, x *sums) TrialRow {
		r := TrialRow{Code: a.Code, Name: a.FullName, Category: a.Category, Level: a.Level, PeriodDebit: x.d, PeriodCredit: x.c}
		r.OpeningDebit, r.OpeningCredit = split(x.openNet())
		r.ClosingDebit, r.ClosingCredit = split(x.closeNet())
		return r
	}
	seen := map[string]bool{}
	for _, a := range accs {
		var x *sums
		if a.Level == 1 {
			x = rolled[a.Code]
			seen[a.Code] = true
		} else {
			x = bal[a.Code]
		}
		if x == nil || (*x == sums{}) {
			continue
		}
		r := row(a, x)
		tb.Rows = append(tb.Rows, r)
		if a.Level == 1 {
			tb.add(r)
		}
	}
	for code, x := range rolled { // codes not in the chart (never expected) still count, so totals stay honest
		if !seen[code] {
			r := row(Account{Code: code, Name: code, FullName: "未知科目 " + code, Level: 1}, x)
			tb.Rows = append(tb.Rows, r)
			tb.add(r)
		}
	}
	tb.Balanced = tb.DebitTotal == tb.CreditTotal && tb.PeriodDebitTotal == tb.PeriodCreditTotal && tb.OpeningDebitTotal == tb.OpeningCreditTotal
	return tb, nil
}

func (tb *TrialBalance) add(r TrialRow) {
	tb.OpeningDebitTotal += r.OpeningDebit
	tb.OpeningCreditTotal += r.OpeningCredit
	tb.PeriodDebitTotal += r.PeriodDebit
	tb.PeriodCreditTotal += r.PeriodCredit
	tb.DebitTotal += r.ClosingDebit
	tb.CreditTotal += r.ClosingCredit
}

// SheetLine is one item of a statement. Amounts in 分.
type SheetLine struct {
	Item     string `json:"item"`
	Accounts string `json:"accounts" doc:"取数科目"`
	Opening  int64  `json:"opening" doc:"年初数"`
	Amount   int64  `json:"amount" doc:"期末数 / 本年累计数"`
	Total    bool   `json:"total,omitempty"`
}

// BalanceSheet is the 资产负债表 at the end of a period, with the figures at the start of its year.
type BalanceSheet struct {
	BookID           int64       `json:"book_id"`
	Name             string      `json:"name"`
	Period           string      `json:"period"`
	Assets           []SheetLine `json:"assets"`
	Liabilities      []SheetLine `json:"liabilities"`
	Equity           []SheetLine `json:"equity"`
	TotalAssets      int64       `json:"total_assets"`
	TotalLiabilities int64       `json:"total_liabilities"`
	TotalEquity      int64       `json:"total_equity"`
	TotalLiabEq      int64       `json:"total_liabilities_equity"`
	OpeningAssets    int64       `json:"opening_assets"`
	OpeningLiabEq    int64       `json:"opening_liabilities_equity"`
	Balanced         bool        `json:"balanced" doc:"资产 = 负债 + 所有者权益"`
}

type sheetItem struct {
	item  string
	codes []string // first-level codes; a leading '-' marks a contra account (shown as 减)
	// memberSide: 1102 成员往来 sub-accounts are split by sign (debit balances are receivables, credit payables)
	member int // +1: debit balances only; -1: credit balances only
	// surplus: 未分配盈余 also takes the unclosed 损益 balances
	surplus bool
}

var assetItems = []sheetItem{
	{item: "货币资金", codes: []string{"1001", "1002"}},
	{item: "应收款项", codes: []string{"1101"}, member: 1},
	{item: "存货", codes: []string{"1201", "1202", "1203", "1204", "1205", "1401", "4001"}},
	{item: "对外投资", codes: []string{"1301"}},
	{item: "生物资产", codes: []string{"1402", "-1403", "1404"}},
	{item: "固定资产", codes: []string{"1501", "-1502", "1503", "1504"}},
	{item: "无形资产", codes: []string{"1601", "-1602"}},
	{item: "长期待摊费用", codes: []string{"1701"}},
	{item: "待处理财产损溢", codes: []string{"1801"}},
}

var liabilityItems = []sheetItem{
	{item: "短期借款", codes: []string{"2001"}},
	{item: "应付款项", codes: []string{"2101"}, member: -1},
	{item: "应付工资", codes: []string{"2201"}},
	{item: "应付劳务费", codes: []string{"2202"}},
	{item: "应交税费", codes: []string{"2211"}},
	{item: "应付盈余返还", codes: []string{"2221"}},
	{item: "应付剩余盈余", codes: []string{"2222"}},
	{item: "长期借款", codes: []string{"2301"}},
	{item: "专项应付款", codes: []string{"2311"}},
}

var equityItems = []sheetItem{
	{item: "股金", codes: []string{"3001"}},
	{item: "专项基金", codes: []string{"3101"}},
	{item: "资本公积", codes: []string{"3201"}},
	{item: "盈余公积", codes: []string{"3301"}},
	{item: "未分配盈余", codes: []string{"3401", "3501"}, surplus: true},
}

// BalanceSheet computes the 资产负债表 at the end of period.
func (s *Service) BalanceSheet(ctx context.Context, p *auth.Principal, bookID int64, period string) (*BalanceSheet, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	per, err := ParsePeriod(period)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"period": err.Error()})
	}
	return s.balanceSheet(ctx, s.db, b, per)
}

func (s *Service) balanceSheet(ctx context.Context, q db.Querier, b *Book, per string) (*BalanceSheet, error) {
	yearStart := per[:4] + "-01"
	bal, err := s.balances(ctx, q, b.ID, yearStart, per, true)
	if err != nil {
		return nil, err
	}
	chart := ChartOf(b.Chart)
	// net debit balance by leaf code, at the start of the year and at the end of the period
	open := map[string]int64{}
	end := map[string]int64{}
	for code, x := range bal {
		open[code] = x.openNet()
		end[code] = x.closeNet()
	}
	bs := &BalanceSheet{BookID: b.ID, Name: b.Name, Period: per}
	// sign: +1 for asset items (debit balance), -1 for liabilities and equity (credit balance)
	value := func(it sheetItem, nets map[string]int64, sign int64) int64 {
		var v int64
		for code, net := range nets {
			t := top(code)
			if t == "1102" {
				if it.member == 0 || (it.member > 0) != (net > 0) {
					continue
				}
				v += sign * net
				continue
			}
			a, known := chart.Account(t)
			if it.surplus && known && a.Category == CatPL {
				v += sign * net
				continue
			}
			for _, c := range it.codes {
				// a contra account ("-1502" 累计折旧) has a credit balance, so its net debit balance is already
				// negative: adding it subtracts it
				if strings.TrimPrefix(c, "-") == t {
					v += sign * net
				}
			}
		}
		return v
	}
	build := func(items []sheetItem, sign int64) ([]SheetLine, int64, int64) {
		var out []SheetLine
		var tot, totOpen int64
		for _, it := range items {
			l := SheetLine{Item: it.item, Accounts: strings.Join(it.codes, "、"), Opening: value(it, open, sign), Amount: value(it, end, sign)}
			if it.member != 0 {
				l.Accounts += "、1102（" + map[int]string{1: "借方余额", -1: "贷方余额"}[it.member] + "）"
			}
			if it.surplus {
				l.Accounts += "、未结转损益"
			}
			l.Accounts = strings.ReplaceAll(l.Accounts, "-", "减")
			tot += l.Amount
			totOpen += l.Opening
			out = append(out, l)
		}
		return out, tot, totOpen
	}
	var oa, ol, oe int64
	bs.Assets, bs.TotalAssets, oa = build(assetItems, 1)
	bs.Liabilities, bs.TotalLiabilities, ol = build(liabilityItems, -1)
	bs.Equity, bs.TotalEquity, oe = build(equityItems, -1)
	bs.OpeningAssets, bs.OpeningLiabEq = oa, ol+oe
	bs.TotalLiabEq = bs.TotalLiabilities + bs.TotalEquity
	// anything outside the mapped codes (never expected) would break the identity; report it rather than hide it
	bs.Balanced = bs.TotalAssets == bs.TotalLiabilities+bs.TotalEquity && bs.OpeningAssets == bs.OpeningLiabEq
	return bs, nil
}

// SurplusStatement is the basic 盈余及盈余分配表 of a year through a period.
type SurplusStatement struct {
	BookID       int64       `json:"book_id"`
	Name         string      `json:"name"`
	Year         int         `json:"year"`
	Period       string      `json:"period"`
	Surplus      []SheetLine `json:"surplus" doc:"本年盈余部分"`
	Distribution []SheetLine `json:"distribution" doc:"盈余分配部分"`
	NetSurplus   int64       `json:"net_surplus" doc:"本年盈余（分）"`
}

// SurplusStatement computes the year's surplus (from income and expense lines, carry vouchers left out) and its
// distribution through period.
func (s *Service) SurplusStatement(ctx context.Context, p *auth.Principal, bookID int64, period string) (*SurplusStatement, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	per, err := ParsePeriod(period)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"period": err.Error()})
	}
	yearStart := per[:4] + "-01"
	flows, err := s.balances(ctx, s.db, b.ID, yearStart, per, false)
	if err != nil {
		return nil, err
	}
	all, err := s.balances(ctx, s.db, b.ID, yearStart, per, true)
	if err != nil {
		return nil, err
	}
	credit := func(m map[string]*sums, code string) (open, moveC, moveD int64) {
		for c, x := range m {
			if top(c) == code {
				open += -x.openNet()
				moveC += x.c
				moveD += x.d
			}
		}
		return
	}
	income := func(code string) int64 { _, c, d := credit(flows, code); return c - d }
	expense := func(code string) int64 { _, c, d := credit(flows, code); return d - c }
	year, _ := strconv.Atoi(per[:4])
	st := &SurplusStatement{BookID: b.ID, Name: b.Name, Year: year, Period: per}
	rev, inv := income("5001"), income("5111")
	cost, tax, adm := expense("5201"), expense("5301"), expense("5401")
	op := rev + inv - cost - tax - adm
	other, otherExp := income("5101"), expense("5501")
	net := op + other - otherExp
	st.NetSurplus = net
	st.Surplus = []SheetLine{
		{Item: "一、经营收入", Accounts: "5001", Amount: rev},
		{Item: "加：投资收益", Accounts: "5111", Amount: inv},
		{Item: "减：经营支出", Accounts: "5201", Amount: cost},
		{Item: "　　税金及附加", Accounts: "5301", Amount: tax},
		{Item: "　　管理费用", Accounts: "5401", Amount: adm},
		{Item: "二、经营盈余", Amount: op, Total: true},
		{Item: "加：其他收入", Accounts: "5101", Amount: other},
		{Item: "减：其他支出", Accounts: "5501", Amount: otherExp},
		{Item: "三、本年盈余", Amount: net, Total: true},
	}
	// distribution: undistributed surplus at the start of the year (3401 + 3501 + unclosed 损益 brought forward)
	var openUndist int64
	for c, x := range all {
		t := top(c)
		a, _ := ChartOf(b.Chart).Account(t)
		if t == "3401" || t == "3501" || a.Category == CatPL {
			openUndist += -x.openNet()
		}
	}
	_, reserve, _ := credit(all, "3301")
	_, ret, _ := credit(all, "2221")
	_, rest, _ := credit(all, "2222")
	distributable := net + openUndist
	st.Distribution = []SheetLine{
		{Item: "四、本年盈余", Amount: net},
		{Item: "加：年初未分配盈余", Accounts: "3501", Amount: openUndist},
		{Item: "五、可分配盈余", Amount: distributable, Total: true},
		{Item: "减：提取盈余公积", Accounts: "3301", Amount: reserve},
		{Item: "　　盈余返还", Accounts: "2221", Amount: ret},
		{Item: "　　剩余盈余分配", Accounts: "2222", Amount: rest},
		{Item: "六、年末未分配盈余", Amount: distributable - reserve - ret - rest, Total: true},
	}
	return st, nil
}

// LedgerRow is one line of a ledger: a month (general ledger) or a posted line (detail ledger).
type LedgerRow struct {
	Period     string `json:"period"`
	Date       string `json:"date,omitempty"`
	VoucherID  int64  `json:"voucher_id,omitempty"`
	Word       string `json:"word,omitempty"`
	Summary    string `json:"summary"`
	Account    string `json:"account,omitempty"`
	Debit      int64  `json:"debit"`
	Credit     int64  `json:"credit"`
	Side       string `json:"side" doc:"余额方向：借 / 贷 / 平"`
	Balance    int64  `json:"balance" doc:"余额（按方向的正数）"`
	MemberName string `json:"member_name,omitempty"`
}

// Ledger is the general ledger (总账: one row per month) and detail ledger (明细账: one row per posted line) of an
// account and its sub-accounts for the periods from..to.
type Ledger struct {
	BookID  int64       `json:"book_id"`
	Account Account     `json:"account"`
	From    string      `json:"from"`
	To      string      `json:"to"`
	Opening int64       `json:"opening" doc:"期初余额（借方为正，分）"`
	Closing int64       `json:"closing" doc:"期末余额（借方为正，分）"`
	Months  []LedgerRow `json:"months"`
	Lines   []LedgerRow `json:"lines"`
}

func sideOf(net int64) (string, int64) {
	switch {
	case net > 0:
		return "借", net
	case net < 0:
		return "贷", -net
	}
	return "平", 0
}

// Ledger returns the general and detail ledger of one account (with its sub-accounts) for from..to.
func (s *Service) Ledger(ctx context.Context, p *auth.Principal, bookID int64, code, from, to string) (*Ledger, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	accs, err := s.accounts(ctx, s.db, b)
	if err != nil {
		return nil, err
	}
	ix := newIndex(accs)
	a, ok := ix.byCode[strings.TrimSpace(code)]
	if !ok {
		return nil, apperr.FieldErrors(map[string]string{"account": "请选择科目"})
	}
	t, err := ParsePeriod(to)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"to": err.Error()})
	}
	f := t[:4] + "-01"
	if strings.TrimSpace(from) != "" {
		if f, err = ParsePeriod(from); err != nil || f > t {
			return nil, apperr.FieldErrors(map[string]string{"from": "起始期间应为 YYYY-MM，且不晚于截止期间"})
		}
	}
	lg := &Ledger{BookID: b.ID, Account: a, From: f, To: t, Months: []LedgerRow{}, Lines: []LedgerRow{}}
	like := a.Code + ".%"
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(l.debit - l.credit), 0) FROM books_lines l JOIN books_vouchers v ON v.id = l.voucher_id
		WHERE l.book_id = ? AND (l.account_code = ? OR l.account_code LIKE ?) AND l.period < ? AND v.status = 'posted'`, b.ID, a.Code, like, f).Scan(&lg.Opening); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT l.period, v.voucher_date, v.id, v.number, v.summary, l.account_code, l.debit, l.credit, l.memo, l.member_name
		FROM books_lines l JOIN books_vouchers v ON v.id = l.voucher_id
		WHERE l.book_id = ? AND (l.account_code = ? OR l.account_code LIKE ?) AND l.period >= ? AND l.period <= ? AND v.status = 'posted'
		ORDER BY l.period, v.number, l.line_no`, b.ID, a.Code, like, f, t)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	bal := lg.Opening
	month := map[string]*LedgerRow{}
	var order []string
	for rows.Next() {
		var r LedgerRow
		var num int
		var memo string
		if err := rows.Scan(&r.Period, &r.Date, &r.VoucherID, &num, &r.Summary, &r.Account, &r.Debit, &r.Credit, &memo, &r.MemberName); err != nil {
			return nil, err
		}
		if memo != "" {
			r.Summary = memo
		}
		r.Word = fmt.Sprintf("记-%04d", num)
		if r.Account != a.Code {
			r.Account = ix.byCode[r.Account].FullName
		} else {
			r.Account = ""
		}
		bal += r.Debit - r.Credit
		r.Side, r.Balance = sideOf(bal)
		lg.Lines = append(lg.Lines, r)
		m := month[r.Period]
		if m == nil {
			m = &LedgerRow{Period: r.Period, Summary: "本月合计"}
			month[r.Period] = m
			order = append(order, r.Period)
		}
		m.Debit += r.Debit
		m.Credit += r.Credit
		m.Side, m.Balance = r.Side, r.Balance
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, per := range order {
		lg.Months = append(lg.Months, *month[per])
	}
	lg.Closing = bal
	return lg, nil
}
