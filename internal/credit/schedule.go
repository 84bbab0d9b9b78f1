package credit

// Repayment schedules, allocation of repayments and overdue status: pure functions on plain values, exact to the 分.
//
// Conventions (documented in one place):
//   - Money is int64 分; annual rates are basis points (435 = 4.35 % per year).
//   - 等额本息, 等额本金 and 先息后本 charge interest per monthly period on the outstanding principal at the monthly
//     rate (annual rate / 12): interest = balance × bp / 120000, rounded half-up to the 分 (0.5 分 goes up; amounts
//     are never negative, so "half-up" and "half away from zero" agree and no banker's rounding is involved).
//   - 等额本息: the installment A = P·r·(1+r)^n / ((1+r)^n − 1) is computed exactly with integers (math/big) and
//     rounded half-up to the 分; each period's principal is A − interest; the last period takes the remaining
//     principal, so the principal column sums exactly to P and the last installment absorbs the rounding.
//   - 等额本金: principal ⌊P/n⌋ per period, the last period takes the remainder.
//   - 先息后本: interest every period, the whole principal with the last period.
//   - 随借随还 (revolving): daily interest on the drawn balance, day count ACT/360 (日利率 = 年利率 / 360, the PBOC
//     convention), counting the draw day and not the repayment day (算头不算尾); interest is settled on each monthly
//     anniversary of the disbursement, the principal is due at maturity and may be repaid at any time.
//   - Due dates are monthly anniversaries of the start date; a day that does not exist in the month is clamped to
//     the month's last day (01-31 → 02-28/29 → 03-31).
//   - Prepayment keeps the term and reduces the installments: the unpaid future installments are rebuilt on the
//     reduced principal with the same due dates and method. The next period's interest is charged on the reduced
//     balance (the prepayment counts from the start of the period in which it is made).

import (
	"fmt"
	"math/big"
	"time"

	"nongfu/internal/apperr"
)

// Method is a repayment method.
type Method string

const (
	Annuity        Method = "annuity"         // 等额本息
	EqualPrincipal Method = "equal_principal" // 等额本金
	InterestOnly   Method = "interest_only"   // 先息后本
	Revolving      Method = "revolving"       // 随借随还
)

// Methods lists the repayment methods in display order.
var Methods = []Method{Annuity, EqualPrincipal, InterestOnly, Revolving}

// Label is the Chinese name.
func (m Method) Label() string {
	switch m {
	case Annuity:
		return "等额本息"
	case EqualPrincipal:
		return "等额本金"
	case InterestOnly:
		return "先息后本"
	case Revolving:
		return "随借随还"
	}
	return string(m)
}

// Valid reports whether m is a known method.
func (m Method) Valid() bool {
	for _, x := range Methods {
		if x == m {
			return true
		}
	}
	return false
}

// MethodOf accepts a code or the Chinese name.
func MethodOf(s string) (Method, bool) {
	for _, m := range Methods {
		if string(m) == s || m.Label() == s {
			return m, true
		}
	}
	return "", false
}

// Limits of the calculator.
const (
	MaxPrincipal = int64(1_000_000_000_000) // 100 亿元 in 分
	MaxRateBP    = 10000                    // 100 % a year
	MaxMonths    = 360
)

// Installment is one period of a schedule.
type Installment struct {
	No            int    `json:"no"`
	DueOn         string `json:"due_on" doc:"应还日期 YYYY-MM-DD"`
	Principal     int64  `json:"principal" doc:"应还本金（分）"`
	Interest      int64  `json:"interest" doc:"应还利息（分）"`
	Total         int64  `json:"total" doc:"应还合计（分）"`
	PaidPrincipal int64  `json:"paid_principal" doc:"已还本金（分）"`
	PaidInterest  int64  `json:"paid_interest" doc:"已还利息（分）"`
	PaidOn        string `json:"paid_on,omitempty" doc:"结清日期"`
}

// Due is what is still owed on the installment.
func (i Installment) Due() int64 { return i.Principal - i.PaidPrincipal + i.Interest - i.PaidInterest }

// Paid reports whether the installment is fully paid.
func (i Installment) Paid() bool {
	return i.PaidPrincipal >= i.Principal && i.PaidInterest >= i.Interest
}

// ScheduleInput is what a schedule is computed from.
type ScheduleInput struct {
	Principal int64     // 分
	RateBP    int       // annual, basis points
	Months    int       // term
	Method    Method    //
	Start     time.Time // disbursement date
}

// Validate checks the input's ranges; field names match the preview API's query parameters.
func (in ScheduleInput) Validate() error {
	f := map[string]string{}
	if in.Principal <= 0 || in.Principal > MaxPrincipal {
		f["principal"] = "本金应为 1 分至 100 亿元之间的整数（单位：分）"
	}
	if in.RateBP < 0 || in.RateBP > MaxRateBP {
		f["rate_bp"] = "年利率应在 0 至 10000 个基点（0–100%）之间"
	}
	if in.Months < 1 || in.Months > MaxMonths {
		f["months"] = "期限应为 1 至 360 个月"
	}
	if !in.Method.Valid() {
		f["method"] = "还款方式应为 等额本息、等额本金、先息后本 或 随借随还"
	}
	if in.Start.IsZero() {
		f["start"] = "请填写放款日期（YYYY-MM-DD）"
	}
	return apperr.FieldErrors(f)
}

// Schedule computes the repayment schedule. For 随借随还 it assumes the whole principal is drawn on the start date
// and kept until maturity (the preview); a loan's real revolving schedule follows its draws and repayments.
func Schedule(in ScheduleInput) ([]Installment, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	start := dateOnly(in.Start)
	dues := make([]time.Time, in.Months)
	for i := range dues {
		dues[i] = AddMonths(start, i+1)
	}
	if in.Method == Revolving {
		return RevolvingSchedule(start, in.Months, in.RateBP, in.Principal), nil
	}
	return build(in.Method, in.Principal, in.RateBP, dues, 1), nil
}

// build makes the installments of a non-revolving method for principal p over the given due dates, numbered from
// first.
func build(m Method, p int64, bp int, dues []time.Time, first int) []Installment {
	n := len(dues)
	out := make([]Installment, n)
	bal := p
	var a int64
	if m == Annuity {
		a = annuityPayment(p, bp, n)
	}
	for i := range out {
		interest := monthlyInterest(bal, bp)
		var prin int64
		switch {
		case i == n-1:
			prin = bal
		case m == Annuity:
			prin = min(max(a-interest, 0), bal)
		case m == EqualPrincipal:
			prin = min(p/int64(n), bal)
		default: // InterestOnly
			prin = 0
		}
		out[i] = Installment{No: first + i, DueOn: FormatDate(dues[i]), Principal: prin, Interest: interest}
		bal -= prin
	}
	totals(out)
	return out
}

func totals(l []Installment) {
	for i := range l {
		l[i].Total = l[i].Principal + l[i].Interest
	}
}

// monthlyInterest is balance × bp / 120000, rounded half-up.
func monthlyInterest(balance int64, bp int) int64 { return divRound(balance*int64(bp), 120000) }

// dailyInterest turns a sum of daily balances (分·days) into ACT/360 interest: Σbalance × bp / (10000 × 360).
func dailyInterest(balanceDays int64, bp int) int64 {
	return divRound(balanceDays*int64(bp), 3_600_000)
}

// divRound is a/b rounded half-up for a ≥ 0, b > 0.
func divRound(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (2*a + b) / (2 * b)
}

// annuityPayment is P·r·(1+r)^n/((1+r)^n − 1) with r = bp/120000, exactly, rounded half-up to the 分. With a zero
// rate it is ⌊P/n⌋ (the last installment takes the remainder).
func annuityPayment(p int64, bp, n int) int64 {
	if bp == 0 {
		return p / int64(n)
	}
	base := big.NewInt(120000)
	num := new(big.Int).Exp(big.NewInt(int64(120000+bp)), big.NewInt(int64(n)), nil)
	den := new(big.Int).Exp(base, big.NewInt(int64(n)), nil)
	// A = P·bp·num / (120000·(num − den))
	top := new(big.Int).Mul(big.NewInt(p), big.NewInt(int64(bp)))
	top.Mul(top, num)
	bot := new(big.Int).Sub(num, den)
	bot.Mul(bot, base)
	// half-up: (2·top + bot) / (2·bot)
	top.Lsh(top, 1).Add(top, bot)
	bot.Lsh(bot, 1)
	return top.Quo(top, bot).Int64()
}

// ---------------------------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------------------------

// DateLayout is the date format of the API and the database.
const DateLayout = "2006-01-02"

// ParseDate reads YYYY-MM-DD as a UTC date.
func ParseDate(s string) (time.Time, error) { return time.Parse(DateLayout, s) }

// FormatDate writes YYYY-MM-DD.
func FormatDate(t time.Time) string { return t.Format(DateLayout) }

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// AddMonths adds n months to a date, clamping the day to the target month's length.
func AddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}

func mustDate(s string) time.Time {
	t, err := ParseDate(s)
	if err != nil {
		panic(fmt.Sprintf("credit: bad stored date %q", s))
	}
	return t
}

func daysBetween(a, b time.Time) int { return int(dateOnly(b).Sub(dateOnly(a)).Hours() / 24) }

// ---------------------------------------------------------------------------------------------------------------
// Repayments
// ---------------------------------------------------------------------------------------------------------------

// Move is a draw or a repayment of principal on a date (the revolving ledger).
type Move struct {
	On        time.Time
	Principal int64 // + drawn, − repaid
}

// balanceDays sums the drawn balance over the days [from, to): a move on day d counts from d on.
func balanceDays(moves []Move, from, to time.Time) int64 {
	var sum int64
	var bal int64
	cur := from
	for _, mv := range moves {
		if !mv.On.After(cur) {
			bal += mv.Principal
			continue
		}
		if !mv.On.Before(to) {
			break
		}
		sum += bal * int64(daysBetween(cur, mv.On))
		cur = mv.On
		bal += mv.Principal
	}
	if to.After(cur) {
		sum += bal * int64(daysBetween(cur, to))
	}
	return sum
}

// Allocation reports how a repayment was split.
type Allocation struct {
	ToOverdueInterest int64 `json:"to_overdue_interest" doc:"归还逾期利息（分）"`
	ToInterest        int64 `json:"to_interest" doc:"归还当期利息（分）"`
	ToPrincipal       int64 `json:"to_principal" doc:"归还本金（分，含提前还款）"`
	Prepaid           int64 `json:"prepaid" doc:"其中提前归还的本金（分）"`
	Settled           bool  `json:"settled" doc:"是否已结清"`
}

// Loan terms the allocator needs.
type Terms struct {
	Method Method
	RateBP int
	Start  time.Time // disbursement date
	Moves  []Move    // revolving: the principal ledger so far (draws +, repayments −), oldest first
}

// Outstanding is the unpaid principal of a schedule.
func Outstanding(inst []Installment) int64 {
	var s int64
	for _, i := range inst {
		s += i.Principal - i.PaidPrincipal
	}
	return s
}

// Allocate applies a repayment of amount on date on to the schedule and returns the new schedule (the input is not
// changed). Order: interest of overdue installments (due before on) oldest first; then the interest of the current
// installment due on that very day (for 随借随还 the interest accrued in the current period up to on); then the
// principal due, oldest first; then the next installment paid early (its interest, then its principal); what is
// left prepays principal and the later installments are rebuilt (see the package conventions). Interest that is
// not yet due never goes before principal that is. Paying more than is owed is refused.
func Allocate(inst []Installment, t Terms, amount int64, on time.Time) ([]Installment, Allocation, error) {
	var al Allocation
	if amount <= 0 {
		return nil, al, apperr.FieldErrors(map[string]string{"amount": "还款金额应大于 0"})
	}
	on = dateOnly(on)
	out := append([]Installment(nil), inst...)
	left := amount
	pay := func(have, owed int64) int64 { return min(left, max(owed-have, 0)) }
	cur := len(out) // index of the current installment
	for i := range out {
		if !mustDate(out[i].DueOn).Before(on) {
			cur = i
			break
		}
	}
	// 1. overdue interest
	for i := 0; i < cur && left > 0; i++ {
		x := pay(out[i].PaidInterest, out[i].Interest)
		out[i].PaidInterest += x
		left -= x
		al.ToOverdueInterest += x
	}
	if t.Method == Revolving {
		return allocateRevolving(out, t, cur, left, on, al)
	}
	today := cur < len(out) && mustDate(out[cur].DueOn).Equal(on)
	// 2. interest due today
	if today && left > 0 {
		x := pay(out[cur].PaidInterest, out[cur].Interest)
		out[cur].PaidInterest += x
		left -= x
		al.ToInterest += x
	}
	// 3. principal due: overdue installments oldest first, then today's
	last := cur
	if today {
		last = cur + 1
	}
	for i := 0; i < last && left > 0; i++ {
		x := pay(out[i].PaidPrincipal, out[i].Principal)
		out[i].PaidPrincipal += x
		left -= x
		al.ToPrincipal += x
	}
	// 4. the next installment, paid early: its interest, then its principal
	next := last
	if next < len(out) && left > 0 {
		x := pay(out[next].PaidInterest, out[next].Interest)
		out[next].PaidInterest += x
		left -= x
		al.ToInterest += x
		x = pay(out[next].PaidPrincipal, out[next].Principal)
		out[next].PaidPrincipal += x
		left -= x
		al.ToPrincipal += x
	}
	// 5. prepayment: rebuild the later installments on the reduced principal
	if left > 0 && next >= len(out) {
		return nil, al, apperr.FieldErrors(map[string]string{"amount": fmt.Sprintf("还款金额超出欠款 %s", fenText(left))})
	}
	if left > 0 {
		keep := min(next+1, len(out))
		rest := out[keep:]
		remaining := Outstanding(rest)
		if left > remaining {
			return nil, al, apperr.FieldErrors(map[string]string{"amount": fmt.Sprintf("还款金额超出欠款 %s", fenText(left-remaining))})
		}
		al.ToPrincipal += left
		al.Prepaid = left
		// the prepaid principal is booked on the installment paid with it, so the principal column still sums
		// to the loan's principal
		out[next].Principal += left
		out[next].PaidPrincipal += left
		newP := remaining - left
		left = 0
		if newP == 0 {
			out = out[:keep]
		} else {
			dues := make([]time.Time, len(rest))
			for i, r := range rest {
				dues[i] = mustDate(r.DueOn)
			}
			rebuilt := build(t.Method, newP, t.RateBP, dues, rest[0].No)
			out = append(out[:keep], rebuilt...)
		}
	}
	markPaid(out, on)
	al.Settled = allPaid(out)
	return out, al, nil
}

// allocateRevolving finishes a 随借随还 repayment after the overdue interest: the interest accrued in the current
// period up to on, then principal; the interest of the current and later periods is recomputed from the ledger.
func allocateRevolving(out []Installment, t Terms, cur int, left int64, on time.Time, al Allocation) ([]Installment, Allocation, error) {
	if cur < len(out) && left > 0 {
		accrued := dailyInterest(balanceDays(t.Moves, periodStart(out, t.Start, cur), on), t.RateBP)
		x := min(left, max(accrued-out[cur].PaidInterest, 0))
		out[cur].PaidInterest += x
		left -= x
		al.ToInterest += x
	}
	moves := t.Moves
	if left > 0 {
		owed := Outstanding(out)
		if left > owed {
			return nil, al, apperr.FieldErrors(map[string]string{"amount": fmt.Sprintf("还款金额超出欠款 %s", fenText(left-owed))})
		}
		out[len(out)-1].PaidPrincipal += left
		al.ToPrincipal += left
		if cur < len(out)-1 || (cur == len(out)-1 && on.Before(mustDate(out[cur].DueOn))) {
			al.Prepaid = left
		}
		moves = append(append([]Move(nil), moves...), Move{On: on, Principal: -left})
	}
	revolvingInterest(out, t.Start, moves, t.RateBP, cur)
	markPaid(out, on)
	al.Settled = allPaid(out)
	return out, al, nil
}

// Draw adds a 随借随还 draw of amount on date on: the principal due at maturity grows and the interest of the
// current and later periods is recomputed. The caller checks the line.
func Draw(inst []Installment, t Terms, amount int64, on time.Time) ([]Installment, error) {
	on = dateOnly(on)
	if amount <= 0 {
		return nil, apperr.FieldErrors(map[string]string{"amount": "用款金额应大于 0"})
	}
	if len(inst) == 0 || !on.Before(mustDate(inst[len(inst)-1].DueOn)) {
		return nil, apperr.New(apperr.Conflict, "贷款已到期，不能再用款")
	}
	out := append([]Installment(nil), inst...)
	cur := len(out) - 1
	for i := range out {
		if mustDate(out[i].DueOn).After(on) {
			cur = i
			break
		}
	}
	out[len(out)-1].Principal += amount
	out[len(out)-1].PaidOn = ""
	moves := append(append([]Move(nil), t.Moves...), Move{On: on, Principal: amount})
	revolvingInterest(out, t.Start, moves, t.RateBP, cur)
	totals(out)
	return out, nil
}

// RevolvingSchedule builds a 随借随还 schedule for a line of months periods from its first draw.
func RevolvingSchedule(start time.Time, months, rateBP int, firstDraw int64) []Installment {
	start = dateOnly(start)
	out := make([]Installment, months)
	for i := range out {
		out[i] = Installment{No: i + 1, DueOn: FormatDate(AddMonths(start, i+1))}
	}
	out[months-1].Principal = firstDraw
	revolvingInterest(out, start, []Move{{On: start, Principal: firstDraw}}, rateBP, 0)
	totals(out)
	return out
}

func periodStart(l []Installment, start time.Time, i int) time.Time {
	if i == 0 {
		return dateOnly(start)
	}
	return mustDate(l[i-1].DueOn)
}

// revolvingInterest recomputes the interest of installments from index from on, from the ledger (the balance after
// the last move is assumed to stay until maturity). Interest already paid is never reduced below what was paid.
func revolvingInterest(l []Installment, start time.Time, moves []Move, bp, from int) {
	for i := from; i < len(l); i++ {
		x := dailyInterest(balanceDays(moves, periodStart(l, start, i), mustDate(l[i].DueOn)), bp)
		l[i].Interest = max(x, l[i].PaidInterest)
		l[i].Total = l[i].Principal + l[i].Interest
	}
}

// markPaid sets the paid date of installments that became fully paid.
func markPaid(l []Installment, on time.Time) {
	for i := range l {
		l[i].Total = l[i].Principal + l[i].Interest
		if l[i].PaidOn == "" && l[i].Paid() {
			l[i].PaidOn = FormatDate(on)
		}
	}
}

func allPaid(l []Installment) bool {
	for _, i := range l {
		if !i.Paid() {
			return false
		}
	}
	return true
}

func fenText(f int64) string { return fmt.Sprintf("%d.%02d 元", f/100, f%100) }

// ---------------------------------------------------------------------------------------------------------------
// Overdue
// ---------------------------------------------------------------------------------------------------------------

// Overdue buckets.
const (
	BucketCurrent = "current" // 正常
	BucketM1      = "m1"      // 1–30 days
	BucketM2      = "m2"      // 31–60
	BucketM3      = "m3"      // 61–90
	BucketM3Plus  = "m3plus"  // > 90
)

// Buckets lists the buckets in order.
var Buckets = []string{BucketCurrent, BucketM1, BucketM2, BucketM3, BucketM3Plus}

// BucketOf classifies overdue days.
func BucketOf(days int) string {
	switch {
	case days <= 0:
		return BucketCurrent
	case days <= 30:
		return BucketM1
	case days <= 60:
		return BucketM2
	case days <= 90:
		return BucketM3
	}
	return BucketM3Plus
}

// BucketLabel is the Chinese label.
func BucketLabel(b string) string {
	switch b {
	case BucketCurrent:
		return "正常"
	case BucketM1:
		return "M1（1–30天）"
	case BucketM2:
		return "M2（31–60天）"
	case BucketM3:
		return "M3（61–90天）"
	case BucketM3Plus:
		return "M3+（90天以上）"
	}
	return b
}

// OverdueStatus is a schedule's overdue position as of a date.
type OverdueStatus struct {
	AsOf               string `json:"as_of"`
	Days               int    `json:"days" doc:"当前逾期天数（最早未还清的到期期次起算）"`
	Bucket             string `json:"bucket" doc:"current, m1, m2, m3, m3plus"`
	BucketLabel        string `json:"bucket_label"`
	ArrearsPrincipal   int64  `json:"arrears_principal" doc:"逾期本金（分）"`
	ArrearsInterest    int64  `json:"arrears_interest" doc:"逾期利息（分）"`
	MaxDays            int    `json:"max_days" doc:"历史最长逾期天数"`
	OutstandingBalance int64  `json:"outstanding_balance" doc:"未还本金（分）"`
	PenaltyFen         int64  `json:"penalty_fen" doc:"应计罚息（分）：逾期本金 × 合同利率 × 1.5 × 逾期天数 / 360"`
}

// PenaltyFactor is the penalty rate over the contract rate (罚息利率 = 合同利率 × 1.5, the usual term of rural
// banks' loan contracts, within the PBOC's 30%–50% surcharge).
const PenaltyFactor = 1.5

// PenaltyAsOf is the penalty interest (罚息) accrued on overdue principal up to asOf: for every installment due before
// asOf, its unpaid principal bears the contract rate × PenaltyFactor, ACT/360, from its due date to asOf; an
// installment paid in full after its due date bears it on its whole principal up to its paid date. The schedule keeps
// no dates of partial payments, so a partly paid installment bears penalty on what is still unpaid, from its due
// date: the figure never overstates. It is accrued and shown, rounded half-up to the 分; it is not taken by the
// repayment order (the bank's core system collects it).
func PenaltyAsOf(inst []Installment, rateBP int, asOf time.Time) int64 {
	asOf = dateOnly(asOf)
	var num int64 // Σ principal × days, in 分·days
	for _, i := range inst {
		due := mustDate(i.DueOn)
		if !due.Before(asOf) {
			continue
		}
		if i.PaidOn != "" {
			if p := mustDate(i.PaidOn); !p.After(asOf) {
				if p.After(due) {
					num += i.Principal * int64(daysBetween(due, p))
				}
				continue
			}
		}
		num += (i.Principal - i.PaidPrincipal) * int64(daysBetween(due, asOf))
	}
	// rate × 1.5 = bp × 3 / 2; per day /360; bp per 10000
	return divRound(num*int64(rateBP)*3, 2*360*10000)
}

// OverdueAsOf computes overdue days (from the oldest installment due before asOf and not paid by asOf), the bucket,
// the arrears (unpaid amounts of installments due before asOf, from the schedule's current paid figures) and the
// longest overdue spell so far (an installment paid late counts from its due date to its paid date).
func OverdueAsOf(inst []Installment, asOf time.Time) OverdueStatus {
	asOf = dateOnly(asOf)
	st := OverdueStatus{AsOf: FormatDate(asOf)}
	for _, i := range inst {
		due := mustDate(i.DueOn)
		st.OutstandingBalance += i.Principal - i.PaidPrincipal
		if !due.Before(asOf) {
			continue
		}
		end, open := asOf, true
		if i.PaidOn != "" {
			if p := mustDate(i.PaidOn); !p.After(asOf) {
				end, open = p, false
			}
		}
		d := daysBetween(due, end)
		st.MaxDays = max(st.MaxDays, d)
		if open { // not paid by asOf
			st.Days = max(st.Days, d)
			st.ArrearsPrincipal += i.Principal - i.PaidPrincipal
			st.ArrearsInterest += i.Interest - i.PaidInterest
		}
	}
	st.Bucket = BucketOf(st.Days)
	st.BucketLabel = BucketLabel(st.Bucket)
	return st
}

// PayoffAmount is what settles the loan on date on: unpaid interest of installments due before on, the current
// installment's interest (for 随借随还 the interest accrued up to on), and all unpaid principal.
func PayoffAmount(inst []Installment, t Terms, on time.Time) int64 {
	on = dateOnly(on)
	total := Outstanding(inst)
	for k, i := range inst {
		if mustDate(i.DueOn).Before(on) {
			total += i.Interest - i.PaidInterest
			continue
		}
		if t.Method == Revolving {
			total += max(dailyInterest(balanceDays(t.Moves, periodStart(inst, t.Start, k), on), t.RateBP)-i.PaidInterest, 0)
		} else {
			total += i.Interest - i.PaidInterest
		}
		break
	}
	return total
}
