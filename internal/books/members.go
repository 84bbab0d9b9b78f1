package books

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

// 成员账户 (member accounts): 《农民专业合作社法》第四十三条 requires a cooperative to keep, for each member, the
// capital contributed (出资额), the member's share of the reserves (公积金份额) and the member's transactions with
// the cooperative (交易量（额）). The book keeps a member register (books_members) and a member ledger
// (books_member_entries). Entries that move money are tied to a voucher and count only once that voucher is
// posted; trade records (交易量（额）) are not money of the cooperative and carry no voucher.

// Member-ledger entry kinds.
const (
	EntryCapital  = "capital"  // 出资额（来自股金登记）
	EntryReserve  = "reserve"  // 公积金份额（盈余分配时量化）
	EntrySubsidy  = "subsidy"  // 形成财产的财政补助资金量化份额
	EntryDonation = "donation" // 捐赠财产量化份额
	EntryTrade    = "trade"    // 与本社的交易量（额）
	EntryReturn   = "return"   // 按交易量（额）返还的盈余
	EntryRest     = "rest"     // 按出资额和公积金份额等分配的剩余盈余
)

// EntryKinds lists the kinds in statement order.
var EntryKinds = []string{EntryCapital, EntryReserve, EntrySubsidy, EntryDonation, EntryTrade, EntryReturn, EntryRest}

// EntryKindLabel is the Chinese name of an entry kind.
func EntryKindLabel(k string) string {
	switch k {
	case EntryCapital:
		return "出资额"
	case EntryReserve:
		return "公积金份额"
	case EntrySubsidy:
		return "财政补助量化份额"
	case EntryDonation:
		return "捐赠财产量化份额"
	case EntryTrade:
		return "交易额"
	case EntryReturn:
		return "盈余返还（按交易量）"
	case EntryRest:
		return "剩余盈余返还"
	}
	return k
}

// Member is one member of a cooperative in its member register (成员名册) as the book keeps it.
type Member struct {
	ID        int64  `json:"id"`
	BookID    int64  `json:"book_id"`
	No        int    `json:"no" doc:"成员编号（本社内连续）"`
	Name      string `json:"name"`
	SubjectID int64  `json:"subject_id,omitempty" doc:"对应的主体名录编号（可选）"`
	JoinedOn  string `json:"joined_on" doc:"入社日期 YYYY-MM-DD"`
	Status    string `json:"status" doc:"active 在册 / left 已退社"`
	Note      string `json:"note"`
}

// MemberAccount is a member with the balances of the member account at the end of a year (money in 分; trade of
// the year only).
type MemberAccount struct {
	Member
	Capital   int64  `json:"capital" doc:"出资额"`
	Shares    int64  `json:"shares" doc:"持股数（股金登记）"`
	Reserve   int64  `json:"reserve" doc:"公积金份额"`
	Subsidy   int64  `json:"subsidy" doc:"财政补助量化份额"`
	Donation  int64  `json:"donation" doc:"捐赠财产量化份额"`
	TradeQty  int64  `json:"trade_qty" doc:"本年交易量（千分之一单位）"`
	TradeUnit string `json:"trade_unit"`
	Trade     int64  `json:"trade" doc:"本年交易额"`
	Returned  int64  `json:"returned" doc:"本年分配的盈余返还（按交易量）"`
	Rest      int64  `json:"rest" doc:"本年分配的剩余盈余"`
}

// Equity is what the member's share of the remaining surplus is weighed on: capital, reserve, subsidy and donation
// shares (第四十四条).
func (m MemberAccount) Equity() int64 { return m.Capital + m.Reserve + m.Subsidy + m.Donation }

// Entry is one line of a member account.
type Entry struct {
	ID        int64  `json:"id"`
	MemberID  int64  `json:"member_id"`
	Date      string `json:"date"`
	Year      int    `json:"year"`
	Kind      string `json:"kind" doc:"capital 出资额 / reserve 公积金份额 / subsidy 财政补助量化份额 / donation 捐赠财产量化份额 / trade 交易额 / return 盈余返还 / rest 剩余盈余返还"`
	KindLabel string `json:"kind_label"`
	Quantity  int64  `json:"quantity" doc:"交易量（千分之一单位，如 1500 = 1.5）"`
	Unit      string `json:"unit"`
	Amount    int64  `json:"amount" doc:"金额（分）"`
	VoucherID int64  `json:"voucher_id,omitempty"`
	Posted    bool   `json:"posted" doc:"关联凭证已记账（无凭证的记录恒为 true）"`
	Memo      string `json:"memo"`
}

// MemberInput adds a member.
type MemberInput struct {
	Name      string `json:"name"`
	SubjectID int64  `json:"subject_id"`
	JoinedOn  string `json:"joined_on" doc:"YYYY-MM-DD，默认今天"`
	Note      string `json:"note"`
}

// EntryInput records a trade (交易量（额）) or a quantified subsidy/donation share.
type EntryInput struct {
	MemberID int64  `json:"member_id"`
	Date     string `json:"date" doc:"YYYY-MM-DD"`
	Kind     string `json:"kind" doc:"trade / subsidy / donation"`
	Quantity string `json:"quantity" doc:"交易量，如 1250.5（仅 trade）"`
	Unit     string `json:"unit" doc:"交易量单位，如 公斤"`
	Amount   int64  `json:"amount" doc:"金额（分）"`
	Memo     string `json:"memo"`
}

// FormatQty shows a quantity in thousandths ("1250.5").
func FormatQty(q int64) string {
	neg := q < 0
	if neg {
		q = -q
	}
	s := strconv.FormatInt(q/1000, 10)
	if f := q % 1000; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%03d", f), "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseQty reads a quantity into thousandths without floating point.
func ParseQty(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(normalizeDigits(s)), ",", "")
	if s == "" {
		return 0, nil
	}
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" {
		ip = "0"
	}
	if len(fp) > 3 || !allDigits(ip) || !allDigits(fp) || len(ip) > 12 {
		return 0, fmt.Errorf("数量格式不正确：%s", s)
	}
	for len(fp) < 3 {
		fp += "0"
	}
	return strconv.ParseInt(ip+fp, 10, 64)
}

// writableBook loads a book p may keep.
func (s *Service) writableBook(ctx context.Context, p *auth.Principal, bookID int64) (*Book, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, b); err != nil {
		return nil, err
	}
	return b, nil
}

const memberCols = `id, book_id, no, name, subject_id, joined_on, status, note`

func scanMember(sc interface{ Scan(...any) error }) (Member, error) {
	var m Member
	err := sc.Scan(&m.ID, &m.BookID, &m.No, &m.Name, &m.SubjectID, &m.JoinedOn, &m.Status, &m.Note)
	return m, err
}

// AddMember puts a member on the book's member register.
func (s *Service) AddMember(ctx context.Context, p *auth.Principal, bookID int64, in MemberInput) (Member, error) {
	b, err := s.writableBook(ctx, p, bookID)
	if err != nil {
		return Member{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	fields := map[string]string{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 50 {
		fields["name"] = "请填写成员姓名或名称（不超过 50 字）"
	}
	joined := s.now().In(web.Shanghai).Format("2006-01-02")
	if strings.TrimSpace(in.JoinedOn) != "" {
		d, err := time.Parse("2006-01-02", strings.TrimSpace(in.JoinedOn))
		if err != nil {
			fields["joined_on"] = "入社日期应为 YYYY-MM-DD"
		} else {
			joined = d.Format("2006-01-02")
		}
	}
	if utf8.RuneCountInString(in.Note) > 200 {
		fields["note"] = "备注不能超过 200 字"
	}
	if len(fields) > 0 {
		return Member{}, apperr.FieldErrors(fields)
	}
	var m Member
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockBook(ctx, tx, b.ID); err != nil {
			return err
		}
		var e error
		m, e = s.addMemberTx(ctx, tx, p.Actor(), b, in.Name, in.SubjectID, joined, strings.TrimSpace(in.Note), time.Time{})
		return e
	})
	return m, err
}

func (s *Service) addMemberTx(ctx context.Context, tx *db.Tx, actor audit.Actor, b *Book, name string, subjectID int64, joined, note string, at time.Time) (Member, error) {
	var no int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(no), 0) + 1 FROM books_members WHERE book_id = ?`, b.ID).Scan(&no); err != nil {
		return Member{}, fmt.Errorf("next member number: %w", err)
	}
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Microsecond)
	}
	m := Member{ID: tx.NextID(), BookID: b.ID, No: no, Name: name, SubjectID: subjectID, JoinedOn: joined, Status: "active", Note: note}
	if _, err := tx.ExecContext(ctx, `INSERT INTO books_members (id, book_id, no, name, subject_id, joined_on, status, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.BookID, m.No, m.Name, m.SubjectID, m.JoinedOn, m.Status, m.Note, at); err != nil {
		return Member{}, fmt.Errorf("insert member: %w", err)
	}
	return m, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "book_member", EntityID: m.ID,
		Summary: fmt.Sprintf("成员入册：%s 第 %d 号 %s", b.Name, no, name), After: m})
}

func (s *Service) loadMember(ctx context.Context, q db.Querier, bookID, id int64) (Member, error) {
	m, err := scanMember(q.QueryRowContext(ctx, `SELECT `+memberCols+` FROM books_members WHERE id = ? AND book_id = ?`, id, bookID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, apperr.FieldErrors(map[string]string{"member_id": "成员不存在"})
	}
	return m, err
}

// AddEntry records a trade or a quantified subsidy/donation share on a member account.
func (s *Service) AddEntry(ctx context.Context, p *auth.Principal, bookID int64, in EntryInput) (Entry, error) {
	b, err := s.writableBook(ctx, p, bookID)
	if err != nil {
		return Entry{}, err
	}
	fields := map[string]string{}
	d, err := time.Parse("2006-01-02", strings.TrimSpace(in.Date))
	if err != nil {
		fields["date"] = "日期应为 YYYY-MM-DD"
	}
	switch in.Kind {
	case EntryTrade, EntrySubsidy, EntryDonation:
	default:
		fields["kind"] = "只能手工登记交易额、财政补助量化份额或捐赠财产量化份额；出资额请在股金登记中办理，公积金份额和返还由盈余分配生成"
	}
	qty, err := ParseQty(in.Quantity)
	if err != nil {
		fields["quantity"] = err.Error()
	} else if qty < 0 {
		fields["quantity"] = "交易量不能为负数"
	}
	if in.Amount <= 0 {
		fields["amount"] = "请填写大于零的金额"
	}
	if utf8.RuneCountInString(in.Unit) > 10 {
		fields["unit"] = "单位不能超过 10 字"
	}
	if utf8.RuneCountInString(in.Memo) > 200 {
		fields["memo"] = "摘要不能超过 200 字"
	}
	if len(fields) > 0 {
		return Entry{}, apperr.FieldErrors(fields)
	}
	e := Entry{MemberID: in.MemberID, Date: d.Format("2006-01-02"), Year: d.Year(), Kind: in.Kind, Quantity: qty, Unit: strings.TrimSpace(in.Unit),
		Amount: in.Amount, Memo: strings.TrimSpace(in.Memo), Posted: true}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		m, err := s.loadMember(ctx, tx, b.ID, in.MemberID)
		if err != nil {
			return err
		}
		e.ID, err = s.insertEntry(ctx, tx, b.ID, e, 0, displayName(p), time.Time{})
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "book_member_entry", EntityID: e.ID,
			Summary: fmt.Sprintf("成员账户登记：%s %s %s %s 元", b.Name, m.Name, EntryKindLabel(e.Kind), FormatYuan(e.Amount)), After: e})
	})
	e.KindLabel = EntryKindLabel(e.Kind)
	return e, err
}

func (s *Service) insertEntry(ctx context.Context, tx *db.Tx, bookID int64, e Entry, ref int64, by string, at time.Time) (int64, error) {
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Microsecond)
	}
	id := tx.NextID()
	_, err := tx.ExecContext(ctx, `INSERT INTO books_member_entries (id, book_id, member_id, entry_date, year, kind, quantity, unit, amount, voucher_id, ref_id, memo,
		created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, bookID, e.MemberID, e.Date, e.Year, e.Kind, e.Quantity, e.Unit, e.Amount, e.VoucherID, ref, e.Memo, by, at)
	if err != nil {
		return 0, fmt.Errorf("insert member entry: %w", err)
	}
	return id, nil
}

// countsSQL is the condition under which an entry counts: no voucher, or its voucher posted and not reversed (a
// posted red reversal sets reversed_by_id on the original, and the entries tied to it stop counting).
const countsSQL = `(e.voucher_id = 0 OR EXISTS (SELECT 1 FROM books_vouchers v WHERE v.id = e.voucher_id AND v.status = 'posted' AND v.reversed_by_id = 0))`

// MemberAccounts lists the member register with each member's account at the end of year (trade, returns and
// rest of that year; capital and shares cumulative).
func (s *Service) MemberAccounts(ctx context.Context, p *auth.Principal, bookID int64, year int) ([]MemberAccount, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	return s.memberAccounts(ctx, s.db, b.ID, year)
}

func (s *Service) memberAccounts(ctx context.Context, q db.Querier, bookID int64, year int) ([]MemberAccount, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+memberCols+` FROM books_members WHERE book_id = ? ORDER BY no`, bookID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	var out []MemberAccount
	at := map[int64]int{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		at[m.ID] = len(out)
		out = append(out, MemberAccount{Member: m})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT e.member_id, e.kind, e.year, SUM(e.amount), SUM(e.quantity), MAX(e.unit) FROM books_member_entries e
		WHERE e.book_id = ? AND e.year <= ? AND `+countsSQL+` GROUP BY e.member_id, e.kind, e.year`, bookID, year)
	if err != nil {
		return nil, fmt.Errorf("member balances: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var mid, amt, qty int64
		var kind, unit string
		var y int
		if err := rows.Scan(&mid, &kind, &y, &amt, &qty, &unit); err != nil {
			return nil, err
		}
		i, ok := at[mid]
		if !ok {
			continue
		}
		m := &out[i]
		switch kind {
		case EntryCapital:
			m.Capital += amt
		case EntryReserve:
			m.Reserve += amt
		case EntrySubsidy:
			m.Subsidy += amt
		case EntryDonation:
			m.Donation += amt
		}
		if y == year {
			switch kind {
			case EntryTrade:
				m.Trade += amt
				m.TradeQty += qty
				m.TradeUnit = unit
			case EntryReturn:
				m.Returned += amt
			case EntryRest:
				m.Rest += amt
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	shares, err := s.sharesByMember(ctx, q, bookID, fmt.Sprintf("%04d-12-31", year))
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Shares = shares[out[i].ID]
	}
	return out, nil
}

// MemberStatement is a member's account statement (成员账户明细): every entry in date order with running totals.
type MemberStatement struct {
	Book    *Book          `json:"-"`
	Account MemberAccount  `json:"account"`
	Entries []Entry        `json:"entries"`
	Totals  map[string]int `json:"-"`
}

// MemberStatement returns one member's statement (all years) and the account at the end of year.
func (s *Service) MemberStatement(ctx context.Context, p *auth.Principal, bookID, memberID int64, year int) (*MemberStatement, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	accs, err := s.memberAccounts(ctx, s.db, b.ID, year)
	if err != nil {
		return nil, err
	}
	st := &MemberStatement{Book: b}
	found := false
	for _, a := range accs {
		if a.ID == memberID {
			st.Account, found = a, true
		}
	}
	if !found {
		return nil, apperr.New(apperr.NotFound, "成员不存在")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT e.id, e.member_id, e.entry_date, e.year, e.kind, e.quantity, e.unit, e.amount, e.voucher_id, e.memo, `+countsSQL+`
		FROM books_member_entries e WHERE e.book_id = ? AND e.member_id = ? ORDER BY e.entry_date, e.id`, b.ID, memberID)
	if err != nil {
		return nil, fmt.Errorf("member entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.MemberID, &e.Date, &e.Year, &e.Kind, &e.Quantity, &e.Unit, &e.Amount, &e.VoucherID, &e.Memo, &e.Posted); err != nil {
			return nil, err
		}
		e.KindLabel = EntryKindLabel(e.Kind)
		st.Entries = append(st.Entries, e)
	}
	return st, rows.Err()
}
