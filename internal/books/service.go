package books

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"nongfu/internal/platform/web"
	"strconv"
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

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema (applied after registry: books refer to subjects by id).
var Migrations = db.RoomMigrations("books", migrationsFS, "migrations")

// Service is the room's use cases.
type Service struct {
	db       *db.DB
	subjects *registry.Service
	now      func() time.Time
}

// NewService wires the room.
func NewService(d *db.DB, subjects *registry.Service) *Service {
	return &Service{db: d, subjects: subjects, now: time.Now}
}

// ---------------------------------------------------------------------------------------------------------------
// Books (organisations under service)
// ---------------------------------------------------------------------------------------------------------------

const bookCols = `b.id, b.county_code, b.subject_id, b.name, b.kind, b.region_code, b.chart, b.start_period, b.bookkeeper_id,
	b.bookkeeper_name, b.status, b.note, b.created_at, b.updated_at`

func scanBook(sc interface{ Scan(...any) error }) (*Book, error) {
	b := &Book{}
	err := sc.Scan(&b.ID, &b.countyCode, &b.SubjectID, &b.Name, &b.Kind, &b.RegionCode, &b.Chart, &b.StartPeriod, &b.BookkeeperID,
		&b.BookkeeperName, &b.Status, &b.Note, &b.CreatedAt, &b.UpdatedAt)
	if err != nil {
		return nil, err
	}
	b.KindLabel = registry.KindLabel(b.Kind)
	b.StatusLabel = BookStatusLabel(b.Status)
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, nil
}

// BookFilter selects books.
type BookFilter struct {
	Q       string
	Page    int
	PerPage int
}

// ListBooks returns the books p may read, by name.
func (s *Service) ListBooks(ctx context.Context, p *auth.Principal, f BookFilter) ([]*Book, int, error) {
	where, args := scopeSQL(p)
	if q := strings.TrimSpace(f.Q); q != "" {
		where += ` AND b.name LIKE ? ESCAPE '\'`
		args = append(args, db.Like(q))
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM books b WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count books: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+bookCols+` FROM books b WHERE `+where+` ORDER BY b.name, b.id LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list books: %w", err)
	}
	defer rows.Close()
	var out []*Book
	for rows.Next() {
		b, err := scanBook(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	if err := s.decorate(ctx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// decorate fills region names, voucher counts and the last closed period.
func (s *Service) decorate(ctx context.Context, list []*Book) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(list))
	sids := make([]int64, 0, len(list))
	byID := map[int64]*Book{}
	for _, b := range list {
		ids = append(ids, b.ID)
		sids = append(sids, b.SubjectID)
		byID[b.ID] = b
	}
	subs, err := s.subjects.Lookup(ctx, sids)
	if err != nil {
		return err
	}
	for _, b := range list {
		if x, ok := subs[b.SubjectID]; ok {
			b.RegionName = x.RegionName
		}
	}
	ph, args := db.InList(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT book_id, status, COUNT(*) FROM books_vouchers WHERE book_id IN (`+ph+`) GROUP BY book_id, status`, args...)
	if err != nil {
		return fmt.Errorf("count vouchers: %w", err)
	}
	for rows.Next() {
		var id int64
		var st string
		var n int
		if err := rows.Scan(&id, &st, &n); err != nil {
			rows.Close()
			return err
		}
		if st == StatusPosted {
			byID[id].Vouchers += n
		} else {
			byID[id].Pending += n
		}
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, `SELECT book_id, MAX(period) FROM books_closes WHERE book_id IN (`+ph+`) GROUP BY book_id`, args...)
	if err != nil {
		return fmt.Errorf("closed periods: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			return err
		}
		byID[id].ClosedThrough = p
	}
	return rows.Err()
}

func (s *Service) loadBook(ctx context.Context, q db.Querier, id int64) (*Book, error) {
	b, err := scanBook(q.QueryRowContext(ctx, `SELECT `+bookCols+` FROM books b WHERE b.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoBook
	}
	if err != nil {
		return nil, fmt.Errorf("get book %d: %w", id, err)
	}
	return b, nil
}

// GetBook returns a book p may read.
func (s *Service) GetBook(ctx context.Context, p *auth.Principal, id int64) (*Book, error) {
	b, err := s.loadBook(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canRead(p, b) {
		return nil, errNoBook
	}
	if err := s.decorate(ctx, []*Book{b}); err != nil {
		return nil, err
	}
	return b, nil
}

// BookOfSubject returns the book of an organisation, if it is under service and p may read it.
func (s *Service) BookOfSubject(ctx context.Context, p *auth.Principal, subjectID int64) (*Book, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM books WHERE subject_id = ?`, subjectID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoBook
	}
	if err != nil {
		return nil, err
	}
	return s.GetBook(ctx, p, id)
}

// CreateBook puts an organisation under bookkeeping service.
func (s *Service) CreateBook(ctx context.Context, p *auth.Principal, in BookInput) (*Book, error) {
	if in.SubjectID <= 0 {
		return nil, apperr.FieldErrors(map[string]string{"subject_id": "请选择要代账的组织"})
	}
	subs, err := s.subjects.Lookup(ctx, []int64{in.SubjectID})
	if err != nil {
		return nil, err
	}
	x, ok := subs[in.SubjectID]
	if !ok {
		return nil, apperr.FieldErrors(map[string]string{"subject_id": "组织不存在"})
	}
	if err := canWriteRegion(p, x.RegionCode); err != nil {
		return nil, err
	}
	if !serviceKind(x.Kind) {
		return nil, apperr.FieldErrors(map[string]string{"subject_id": "只有农民专业合作社、村集体经济组织和家庭农场可以代账，该主体是" + x.KindLabel})
	}
	if x.Status != registry.StatusActive {
		return nil, apperr.FieldErrors(map[string]string{"subject_id": "该主体已注销"})
	}
	start := s.now().In(web.Shanghai).Format("2006-01")
	if strings.TrimSpace(in.StartPeriod) != "" {
		if start, err = ParsePeriod(in.StartPeriod); err != nil {
			return nil, apperr.FieldErrors(map[string]string{"start_period": err.Error()})
		}
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		return nil, apperr.FieldErrors(map[string]string{"note": "备注不能超过 500 字"})
	}
	keeperID, keeper := p.UserID, strings.TrimSpace(in.Bookkeeper)
	if in.BookkeeperID > 0 {
		keeperID = in.BookkeeperID
	}
	if keeper == "" {
		keeper = displayName(p)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.createBookTx(ctx, tx, p.Actor(), bookRow{subjectID: x.ID, name: x.Name, kind: x.Kind, region: x.RegionCode,
			start: start, keeperID: keeperID, keeper: keeper, note: strings.TrimSpace(in.Note)})
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.GetBook(ctx, p, id)
}

func serviceKind(k string) bool {
	for _, x := range ServiceKinds {
		if x == k {
			return true
		}
	}
	return false
}

func displayName(p *auth.Principal) string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Username
}

type bookRow struct {
	subjectID     int64
	name, kind    string
	region, start string
	keeperID      int64
	keeper, note  string
	createdAt     time.Time
}

func (s *Service) createBookTx(ctx context.Context, tx *db.Tx, actor audit.Actor, r bookRow) (int64, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books WHERE subject_id = ?`, r.subjectID).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, apperr.Errorf(apperr.Conflict, "%s 已在代账服务中", r.name)
	}
	now := r.createdAt
	if now.IsZero() {
		now = s.now().UTC().Truncate(time.Microsecond)
	}
	id := tx.NextID()
	_, err := tx.ExecContext(ctx, `INSERT INTO books (id, county_code, subject_id, name, kind, region_code, chart, start_period, bookkeeper_id,
		bookkeeper_name, status, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, region.County(r.region), r.subjectID, r.name, r.kind, r.region, DefaultChart, r.start, r.keeperID, r.keeper, BookActive, r.note, now, now)
	if db.IsUniqueViolation(err) {
		return 0, apperr.Errorf(apperr.Conflict, "%s 已在代账服务中", r.name)
	}
	if err != nil {
		return 0, fmt.Errorf("insert book: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "book", EntityID: id,
		Summary: "纳入统一财务代账：" + r.name, After: map[string]any{"subject_id": r.subjectID, "start_period": r.start, "bookkeeper": r.keeper}})
}

// ---------------------------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------------------------

// Accounts returns the book's chart with its sub-accounts, in code order (sub-accounts after their parent).
func (s *Service) Accounts(ctx context.Context, b *Book) ([]Account, error) {
	return s.accounts(ctx, s.db, b)
}

func (s *Service) accounts(ctx context.Context, q db.Querier, b *Book) ([]Account, error) {
	chart := ChartOf(b.Chart)
	subs := map[string][]Account{}
	rows, err := q.QueryContext(ctx, `SELECT code, name, parent_code FROM books_accounts WHERE book_id = ? ORDER BY code`, b.ID)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Account
		if err := rows.Scan(&a.Code, &a.Name, &a.Parent); err != nil {
			return nil, err
		}
		subs[a.Parent] = append(subs[a.Parent], a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Account, 0, len(chart.Accounts)+len(subs))
	for _, a := range chart.Accounts {
		out = append(out, a)
		for _, sa := range subs[a.Code] {
			sa.Category, sa.Side, sa.Level = a.Category, a.Side, a.Level+1
			sa.FullName = a.Name + "-" + sa.Name
			out = append(out, sa)
		}
	}
	return out, nil
}

// accountIndex maps codes to accounts and marks which have sub-accounts.
type accountIndex struct {
	list   []Account
	byCode map[string]Account
	hasSub map[string]bool
}

func newIndex(list []Account) *accountIndex {
	ix := &accountIndex{list: list, byCode: map[string]Account{}, hasSub: map[string]bool{}}
	for _, a := range list {
		ix.byCode[a.Code] = a
		if a.Parent != "" {
			ix.hasSub[a.Parent] = true
		}
	}
	return ix
}

// top is the first-level code of a code ("1102.001" → "1102").
func top(code string) string {
	c, _, _ := strings.Cut(code, ".")
	return c
}

// AddAccount adds a sub-account (明细科目) under a first-level account, e.g. 成员往来-张三 as 1102.001.
func (s *Service) AddAccount(ctx context.Context, p *auth.Principal, bookID int64, parent, name string, memberID int64) (Account, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return Account{}, err
	}
	if err := canWrite(p, b); err != nil {
		return Account{}, err
	}
	pa, ok := ChartOf(b.Chart).Account(strings.TrimSpace(parent))
	if !ok {
		return Account{}, apperr.FieldErrors(map[string]string{"parent": "上级科目不存在"})
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 40 {
		return Account{}, apperr.FieldErrors(map[string]string{"name": "请填写明细科目名称（不超过 40 字）"})
	}
	var out Account
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		out, e = s.addAccountTx(ctx, tx, p.Actor(), b.ID, pa, name, memberID)
		return e
	})
	return out, err
}

func (s *Service) addAccountTx(ctx context.Context, tx *db.Tx, actor audit.Actor, bookID int64, pa Account, name string, memberID int64) (Account, error) {
	var used int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_accounts WHERE book_id = ? AND parent_code = ? AND name = ?`, bookID, pa.Code, name).Scan(&used); err != nil {
		return Account{}, err
	}
	if used > 0 {
		return Account{}, apperr.FieldErrors(map[string]string{"name": "已有同名明细科目：" + pa.Name + "-" + name})
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_accounts WHERE book_id = ? AND parent_code = ?`, bookID, pa.Code).Scan(&n); err != nil {
		return Account{}, err
	}
	if n >= 999 {
		return Account{}, apperr.New(apperr.Invalid, "明细科目已满 999 个")
	}
	var posted int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_lines WHERE book_id = ? AND account_code = ?`, bookID, pa.Code).Scan(&posted); err != nil {
		return Account{}, err
	}
	if posted > 0 && n == 0 {
		return Account{}, apperr.Errorf(apperr.Conflict, "科目 %s %s 已直接使用，不能再增设明细科目", pa.Code, pa.Name)
	}
	a := Account{Code: fmt.Sprintf("%s.%03d", pa.Code, n+1), Name: name, Parent: pa.Code, Category: pa.Category, Side: pa.Side, Level: 2,
		FullName: pa.Name + "-" + name}
	if _, err := tx.ExecContext(ctx, `INSERT INTO books_accounts (book_id, code, name, parent_code, member_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		bookID, a.Code, a.Name, a.Parent, memberID, s.now().UTC()); err != nil {
		return Account{}, fmt.Errorf("insert account: %w", err)
	}
	return a, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "book_account", EntityID: bookID,
		Summary: "增设明细科目 " + a.Code + " " + a.FullName, After: a})
}

// ---------------------------------------------------------------------------------------------------------------
// Vouchers
// ---------------------------------------------------------------------------------------------------------------

const voucherCols = `v.id, v.book_id, v.period, v.voucher_date, v.number, v.summary, v.status, v.kind, v.reverses_id, v.reversed_by_id,
	v.attachments, v.debit_total, v.credit_total, v.maker_id, v.maker_name, v.made_at, v.reviewer_id, v.reviewer_name, v.reviewed_at,
	v.poster_id, v.poster_name, v.posted_at`

func scanVoucher(sc interface{ Scan(...any) error }) (*Voucher, error) {
	v := &Voucher{}
	var num sql.NullInt64
	var rev, post sql.NullTime
	err := sc.Scan(&v.ID, &v.BookID, &v.Period, &v.Date, &num, &v.Summary, &v.Status, &v.Kind, &v.ReversesID, &v.ReversedByID,
		&v.Attachments, &v.DebitTotal, &v.CreditTotal, &v.MakerID, &v.MakerName, &v.MadeAt, &v.ReviewerID, &v.ReviewerName, &rev,
		&v.PosterID, &v.PosterName, &post)
	if err != nil {
		return nil, err
	}
	v.Number = int(num.Int64)
	v.MadeAt = v.MadeAt.UTC()
	if rev.Valid {
		t := rev.Time.UTC()
		v.ReviewedAt = &t
	}
	if post.Valid {
		t := post.Time.UTC()
		v.PostedAt = &t
	}
	v.StatusLabel = StatusLabel(v.Status)
	v.Word = word(v)
	return v, nil
}

func word(v *Voucher) string {
	if v.Number == 0 {
		return "草稿"
	}
	return fmt.Sprintf("记-%s-%04d", v.Period, v.Number)
}

// ListVouchers returns the vouchers of a book, newest period first, then by number.
func (s *Service) ListVouchers(ctx context.Context, p *auth.Principal, bookID int64, f VoucherFilter) ([]*Voucher, int, error) {
	if _, err := s.GetBook(ctx, p, bookID); err != nil {
		return nil, 0, err
	}
	where := "v.book_id = ?"
	args := []any{bookID}
	if f.Period != "" {
		per, err := ParsePeriod(f.Period)
		if err != nil {
			return nil, 0, apperr.FieldErrors(map[string]string{"period": err.Error()})
		}
		where += " AND v.period = ?"
		args = append(args, per)
	}
	switch f.Status {
	case "":
	case StatusDraft, StatusReviewed, StatusPosted:
		where += " AND v.status = ?"
		args = append(args, f.Status)
	case "pending":
		where += " AND v.status <> 'posted'"
	default:
		return nil, 0, apperr.FieldErrors(map[string]string{"status": "状态应为 draft、reviewed、posted 或 pending"})
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_vouchers v WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+voucherCols+` FROM books_vouchers v WHERE `+where+`
		ORDER BY v.period DESC, CASE WHEN v.number IS NULL THEN 1 ELSE 0 END DESC, v.number DESC, v.id DESC LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list vouchers: %w", err)
	}
	defer rows.Close()
	var out []*Voucher
	for rows.Next() {
		v, err := scanVoucher(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, rows.Err()
}

// GetVoucher returns a voucher with its lines.
func (s *Service) GetVoucher(ctx context.Context, p *auth.Principal, bookID, id int64) (*Voucher, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	return s.loadVoucher(ctx, s.db, b, id)
}

func (s *Service) loadVoucher(ctx context.Context, q db.Querier, b *Book, id int64) (*Voucher, error) {
	v, err := scanVoucher(q.QueryRowContext(ctx, `SELECT `+voucherCols+` FROM books_vouchers v WHERE v.id = ? AND v.book_id = ?`, id, b.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoVoucher
	}
	if err != nil {
		return nil, fmt.Errorf("get voucher: %w", err)
	}
	accs, err := s.accounts(ctx, q, b)
	if err != nil {
		return nil, err
	}
	ix := newIndex(accs)
	rows, err := q.QueryContext(ctx, `SELECT line_no, account_code, debit, credit, memo, member_id, member_name FROM books_lines WHERE voucher_id = ? ORDER BY line_no`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.LineNo, &l.AccountCode, &l.Debit, &l.Credit, &l.Memo, &l.MemberID, &l.MemberName); err != nil {
			return nil, err
		}
		l.AccountName = ix.byCode[l.AccountCode].FullName
		v.Lines = append(v.Lines, l)
	}
	return v, rows.Err()
}

// validated is a checked voucher input.
type validated struct {
	date, period, summary string
	attachments           int
	lines                 []Line
	debit, credit         int64
}

// ImbalanceMessage is the Chinese message for a voucher whose sides differ.
func ImbalanceMessage(debit, credit int64) string {
	diff := debit - credit
	if diff < 0 {
		diff = -diff
	}
	return fmt.Sprintf("借贷不平衡：借方合计 %s 元，贷方合计 %s 元，相差 %s 元", FormatYuan(debit), FormatYuan(credit), FormatYuan(diff))
}

// validate checks a voucher: date in an open period of the book, a summary, at least two lines on existing leaf
// accounts, one side per line, no negative amounts (unless red, for reversals), and debits equal to credits.
func (s *Service) validate(ctx context.Context, q db.Querier, b *Book, ix *accountIndex, in VoucherInput, red bool) (validated, error) {
	fields := map[string]string{}
	out := validated{summary: strings.TrimSpace(in.Summary), attachments: in.Attachments}
	d, err := time.Parse("2006-01-02", strings.TrimSpace(in.Date))
	if err != nil {
		fields["date"] = "日期应为 YYYY-MM-DD"
	} else {
		out.date = d.Format("2006-01-02")
		out.period = d.Format("2006-01")
		if out.period < b.StartPeriod {
			fields["date"] = "早于建账期间 " + b.StartPeriod
		} else if closed, err := s.isClosed(ctx, q, b.ID, out.period); err != nil {
			return out, err
		} else if closed {
			fields["date"] = PeriodLabel(out.period) + "已结账，不能再录入凭证"
		}
	}
	if out.summary == "" {
		fields["summary"] = "请填写摘要"
	} else if utf8.RuneCountInString(out.summary) > 200 {
		fields["summary"] = "摘要不能超过 200 字"
	}
	if in.Attachments < 0 || in.Attachments > 999 {
		fields["attachments"] = "附单据张数应在 0 到 999 之间"
	}
	n := 0
	for i, li := range in.Lines {
		code := strings.TrimSpace(li.AccountCode)
		if code == "" && li.Debit == 0 && li.Credit == 0 && strings.TrimSpace(li.Memo) == "" {
			continue // an empty row of the form
		}
		n++
		key := "lines." + strconv.Itoa(i) + "."
		a, ok := ix.byCode[code]
		switch {
		case code == "":
			fields[key+"account_code"] = "请选择科目"
		case !ok:
			fields[key+"account_code"] = "科目不存在：" + code
		case ix.hasSub[code]:
			fields[key+"account_code"] = "科目 " + a.Name + " 设有明细科目，请选择明细科目"
		}
		switch {
		case !red && (li.Debit < 0 || li.Credit < 0):
			fields[key+"amount"] = "金额不能为负数（更正请用红字冲销）"
		case li.Debit != 0 && li.Credit != 0:
			fields[key+"amount"] = "一行只能填借方或贷方其中之一"
		case li.Debit == 0 && li.Credit == 0:
			fields[key+"amount"] = "请填写借方或贷方金额"
		}
		if utf8.RuneCountInString(li.Memo) > 200 {
			fields[key+"memo"] = "摘要不能超过 200 字"
		}
		out.debit += li.Debit
		out.credit += li.Credit
		mid, mname, err := s.resolveMember(ctx, q, b.ID, li.MemberID, strings.TrimSpace(li.MemberName))
		if err != nil {
			return out, err
		}
		if li.MemberID != 0 && mid == 0 {
			fields[key+"member_id"] = "成员不存在"
		}
		out.lines = append(out.lines, Line{LineNo: len(out.lines) + 1, AccountCode: code, AccountName: a.FullName, Debit: li.Debit, Credit: li.Credit,
			Memo: strings.TrimSpace(li.Memo), MemberID: mid, MemberName: mname})
	}
	if n < 2 {
		fields["lines"] = "凭证至少要有两行分录"
	}
	if len(fields) > 0 {
		return out, apperr.FieldErrors(fields)
	}
	if out.debit != out.credit {
		msg := ImbalanceMessage(out.debit, out.credit)
		return out, &apperr.Error{Code: apperr.Invalid, Message: msg, Fields: map[string]string{"lines": msg}}
	}
	if out.debit == 0 {
		return out, &apperr.Error{Code: apperr.Invalid, Message: "凭证金额合计不能为零", Fields: map[string]string{"lines": "凭证金额合计不能为零"}}
	}
	return out, nil
}

// resolveMember ties a voucher line to the book's member register: by id (which must be on the register), or by an
// exact name when the register has exactly one such member; any other name stays free text (a non-member).
func (s *Service) resolveMember(ctx context.Context, q db.Querier, bookID, id int64, name string) (int64, string, error) {
	if id != 0 {
		var n string
		err := q.QueryRowContext(ctx, `SELECT name FROM books_members WHERE id = ? AND book_id = ?`, id, bookID).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, name, nil
		}
		return id, n, err
	}
	if name == "" {
		return 0, "", nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id FROM books_members WHERE book_id = ? AND name = ? LIMIT 2`, bookID, name)
	if err != nil {
		return 0, name, fmt.Errorf("member by name: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var x int64
		if err := rows.Scan(&x); err != nil {
			return 0, name, err
		}
		ids = append(ids, x)
	}
	if len(ids) == 1 {
		return ids[0], name, rows.Err()
	}
	return 0, name, rows.Err()
}

func (s *Service) isClosed(ctx context.Context, q db.Querier, bookID int64, period string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_closes WHERE book_id = ? AND period = ?`, bookID, period).Scan(&n); err != nil {
		return false, fmt.Errorf("closed period: %w", err)
	}
	return n > 0, nil
}

// CreateVoucher records a draft voucher (制单).
func (s *Service) CreateVoucher(ctx context.Context, p *auth.Principal, bookID int64, in VoucherInput) (*Voucher, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, b); err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		accs, err := s.accounts(ctx, tx, b)
		if err != nil {
			return err
		}
		v, err := s.validate(ctx, tx, b, newIndex(accs), in, false)
		if err != nil {
			return err
		}
		id, err = s.insertVoucher(ctx, tx, b, v, KindNormal, 0, p.UserID, displayName(p))
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "voucher", EntityID: id,
			Summary: fmt.Sprintf("制单：%s %s %s 元", b.Name, v.summary, FormatYuan(v.debit)), After: auditView(v)})
	})
	if err != nil {
		return nil, err
	}
	return s.loadVoucher(ctx, s.db, b, id)
}

func auditView(v validated) map[string]any {
	return map[string]any{"date": v.date, "summary": v.summary, "debit_total": v.debit, "lines": v.lines}
}

func (s *Service) insertVoucher(ctx context.Context, tx *db.Tx, b *Book, v validated, kind string, reverses int64, makerID int64, maker string) (int64, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	id := tx.NextID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO books_vouchers (id, book_id, period, voucher_date, number, summary, status, kind, reverses_id,
		attachments, debit_total, credit_total, maker_id, maker_name, made_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, b.ID, v.period, v.date, v.summary, StatusDraft, kind, reverses, v.attachments, v.debit, v.credit, makerID, maker, now, now, now); err != nil {
		return 0, fmt.Errorf("insert voucher: %w", err)
	}
	rows := make([][]any, 0, len(v.lines))
	for _, l := range v.lines {
		rows = append(rows, []any{id, l.LineNo, b.ID, v.period, l.AccountCode, l.Debit, l.Credit, l.Memo, l.MemberID, l.MemberName})
	}
	if err := tx.InsertRows(ctx, "books_lines", lineCols, rows, 50); err != nil {
		return 0, err
	}
	return id, nil
}

var lineCols = []string{"voucher_id", "line_no", "book_id", "period", "account_code", "debit", "credit", "memo", "member_id", "member_name"}

// UpdateVoucher changes a draft; the editor becomes the maker (制单人).
func (s *Service) UpdateVoucher(ctx context.Context, p *auth.Principal, bookID, id int64, in VoucherInput) (*Voucher, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, b); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		old, err := s.loadVoucher(ctx, tx, b, id)
		if err != nil {
			return err
		}
		if old.Status != StatusDraft {
			return apperr.Errorf(apperr.Conflict, "凭证%s，不能修改；已记账的凭证请用红字冲销更正", old.StatusLabel)
		}
		if old.Kind != KindNormal {
			return apperr.New(apperr.Conflict, "红字冲销和结转凭证由系统生成，不能修改")
		}
		var fromShare int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_shares WHERE voucher_id = ?`, id).Scan(&fromShare); err != nil {
			return err
		}
		if fromShare > 0 {
			return apperr.New(apperr.Conflict, "股金登记生成的凭证不能修改，金额与成员账户相连")
		}
		accs, err := s.accounts(ctx, tx, b)
		if err != nil {
			return err
		}
		v, err := s.validate(ctx, tx, b, newIndex(accs), in, false)
		if err != nil {
			return err
		}
		if closed, err := s.isClosed(ctx, tx, b.ID, old.Period); err != nil {
			return err
		} else if closed {
			return apperr.Errorf(apperr.Conflict, "%s已结账，不能修改凭证", PeriodLabel(old.Period))
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		res, err := tx.ExecContext(ctx, `UPDATE books_vouchers SET period = ?, voucher_date = ?, summary = ?, attachments = ?, debit_total = ?, credit_total = ?,
			maker_id = ?, maker_name = ?, made_at = ?, updated_at = ? WHERE id = ? AND status = 'draft'`,
			v.period, v.date, v.summary, v.attachments, v.debit, v.credit, p.UserID, displayName(p), now, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "凭证已被他人处理，请刷新")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM books_lines WHERE voucher_id = ?`, id); err != nil {
			return err
		}
		rows := make([][]any, 0, len(v.lines))
		for _, l := range v.lines {
			rows = append(rows, []any{id, l.LineNo, b.ID, v.period, l.AccountCode, l.Debit, l.Credit, l.Memo, l.MemberID, l.MemberName})
		}
		if err := tx.InsertRows(ctx, "books_lines", lineCols, rows, 50); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "voucher", EntityID: id,
			Summary: "修改凭证草稿：" + b.Name + " " + v.summary, Before: old, After: auditView(v)})
	})
	if err != nil {
		return nil, err
	}
	return s.loadVoucher(ctx, s.db, b, id)
}

// lockBook serialises number allocation and period closing of one book: on PostgreSQL it locks the book row;
// SQLite's single writer (BEGIN IMMEDIATE) already serialises every write transaction.
func lockBook(ctx context.Context, tx *db.Tx, bookID int64) error {
	q := `SELECT id FROM books WHERE id = ?`
	if tx.Engine() == db.Postgres {
		q += ` FOR UPDATE`
	}
	var id int64
	if err := tx.QueryRowContext(ctx, q, bookID).Scan(&id); err != nil {
		return fmt.Errorf("lock book: %w", err)
	}
	return nil
}

// Review marks a draft as reviewed (审核); the reviewer must not be the maker.
func (s *Service) Review(ctx context.Context, p *auth.Principal, bookID, id int64) (*Voucher, error) {
	return s.transition(ctx, p, bookID, id, "review")
}

// Unreview sends a reviewed voucher back to draft (取消审核).
func (s *Service) Unreview(ctx context.Context, p *auth.Principal, bookID, id int64) (*Voucher, error) {
	return s.transition(ctx, p, bookID, id, "unreview")
}

// Post records a reviewed voucher in the books (记账) and gives it the next number of its period.
func (s *Service) Post(ctx context.Context, p *auth.Principal, bookID, id int64) (*Voucher, error) {
	return s.transition(ctx, p, bookID, id, "post")
}

func (s *Service) transition(ctx context.Context, p *auth.Principal, bookID, id int64, action string) (*Voucher, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, b); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockBook(ctx, tx, b.ID); err != nil {
			return err
		}
		v, err := s.loadVoucher(ctx, tx, b, id)
		if err != nil {
			return err
		}
		return s.transitionTx(ctx, tx, p.Actor(), p.UserID, displayName(p), b, v, action)
	})
	if err != nil {
		return nil, err
	}
	return s.loadVoucher(ctx, s.db, b, id)
}

// transitionTx applies a workflow step inside tx; the caller has locked the book.
func (s *Service) transitionTx(ctx context.Context, tx *db.Tx, actor audit.Actor, userID int64, name string, b *Book, v *Voucher, action string) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	var res sql.Result
	var err error
	var summary string
	switch action {
	case "review":
		if v.Status != StatusDraft {
			return apperr.Errorf(apperr.Conflict, "凭证%s，不能审核", v.StatusLabel)
		}
		if userID == v.MakerID {
			return apperr.New(apperr.Forbidden, "制单人不能审核自己填制的凭证，请由另一位同事审核")
		}
		res, err = tx.ExecContext(ctx, `UPDATE books_vouchers SET status = 'reviewed', reviewer_id = ?, reviewer_name = ?, reviewed_at = ?, updated_at = ?
			WHERE id = ? AND status = 'draft'`, userID, name, now, now, v.ID)
		summary = "审核凭证"
	case "unreview":
		if v.Status != StatusReviewed {
			return apperr.Errorf(apperr.Conflict, "凭证%s，不能取消审核", v.StatusLabel)
		}
		res, err = tx.ExecContext(ctx, `UPDATE books_vouchers SET status = 'draft', reviewer_id = 0, reviewer_name = '', reviewed_at = NULL, updated_at = ?
			WHERE id = ? AND status = 'reviewed'`, now, v.ID)
		summary = "取消审核"
	case "post":
		if v.Status != StatusReviewed {
			if v.Status == StatusPosted {
				return apperr.New(apperr.Conflict, "凭证已记账")
			}
			return apperr.New(apperr.Conflict, "凭证尚未审核，不能记账")
		}
		closed, err := s.isClosed(ctx, tx, b.ID, v.Period)
		if err != nil {
			return err
		}
		if closed {
			return apperr.Errorf(apperr.Conflict, "%s已结账，不能记账；如需更正请由县级管理员反结账", PeriodLabel(v.Period))
		}
		var next int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM books_vouchers WHERE book_id = ? AND period = ? AND number IS NOT NULL`,
			b.ID, v.Period).Scan(&next); err != nil {
			return fmt.Errorf("next voucher number: %w", err)
		}
		res, err = tx.ExecContext(ctx, `UPDATE books_vouchers SET status = 'posted', number = ?, poster_id = ?, poster_name = ?, posted_at = ?, updated_at = ?
			WHERE id = ? AND status = 'reviewed'`, next, userID, name, now, now, v.ID)
		if err != nil {
			return fmt.Errorf("post voucher: %w", err)
		}
		v.Number = next
		summary = fmt.Sprintf("记账 记-%s-%04d", v.Period, next)
		if v.Kind == KindReversal && v.ReversesID != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE books_vouchers SET reversed_by_id = ? WHERE id = ?`, v.ID, v.ReversesID); err != nil {
				return err
			}
		}
	default:
		return apperr.New(apperr.NotFound, "未知操作")
	}
	if err != nil {
		return fmt.Errorf("%s voucher: %w", action, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "凭证已被他人处理，请刷新")
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: action, Entity: "voucher", EntityID: v.ID,
		Summary: fmt.Sprintf("%s：%s %s %s 元", summary, b.Name, v.Summary, FormatYuan(v.DebitTotal)),
		Before:  map[string]any{"status": v.Status}, After: map[string]any{"status": map[string]string{"review": StatusReviewed, "unreview": StatusDraft, "post": StatusPosted}[action], "number": v.Number}})
}

// Reverse drafts a red reversal (红字冲销) of a posted voucher: the same lines with negated amounts, dated date
// (today when empty), linked to the original. It then goes through review and posting like any voucher.
func (s *Service) Reverse(ctx context.Context, p *auth.Principal, bookID, id int64, date string) (*Voucher, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, b); err != nil {
		return nil, err
	}
	if strings.TrimSpace(date) == "" {
		date = s.now().In(web.Shanghai).Format("2006-01-02")
	}
	var rid int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockBook(ctx, tx, b.ID); err != nil {
			return err
		}
		orig, err := s.loadVoucher(ctx, tx, b, id)
		if err != nil {
			return err
		}
		if orig.Status != StatusPosted {
			return apperr.New(apperr.Conflict, "只有已记账的凭证需要红字冲销；未记账的凭证可以直接修改")
		}
		if orig.Kind == KindReversal {
			return apperr.New(apperr.Conflict, "红字冲销凭证不能再冲销")
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_vouchers WHERE book_id = ? AND reverses_id = ?`, b.ID, orig.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.New(apperr.Conflict, "该凭证已有红字冲销凭证")
		}
		in := VoucherInput{Date: date, Summary: "冲销 " + orig.Word + " " + orig.Summary}
		if utf8.RuneCountInString(in.Summary) > 200 {
			in.Summary = string([]rune(in.Summary)[:200])
		}
		for _, l := range orig.Lines {
			in.Lines = append(in.Lines, LineInput{AccountCode: l.AccountCode, Debit: -l.Debit, Credit: -l.Credit, Memo: l.Memo, MemberID: l.MemberID, MemberName: l.MemberName})
		}
		accs, err := s.accounts(ctx, tx, b)
		if err != nil {
			return err
		}
		ix := newIndex(accs)
		ix.hasSub = map[string]bool{} // the original's accounts stand even if sub-accounts were added since
		v, err := s.validate(ctx, tx, b, ix, in, true)
		if err != nil {
			return err
		}
		rid, err = s.insertVoucher(ctx, tx, b, v, KindReversal, orig.ID, p.UserID, displayName(p))
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "reverse", Entity: "voucher", EntityID: rid,
			Summary: "红字冲销 " + orig.Word + "：" + b.Name, After: map[string]any{"reverses_id": orig.ID, "date": v.date}})
	})
	if err != nil {
		return nil, err
	}
	return s.loadVoucher(ctx, s.db, b, rid)
}

// ---------------------------------------------------------------------------------------------------------------
// Period close and reopen
// ---------------------------------------------------------------------------------------------------------------

// Closes lists the closed periods of a book, newest first.
func (s *Service) Closes(ctx context.Context, p *auth.Principal, bookID int64) ([]Close, error) {
	if _, err := s.GetBook(ctx, p, bookID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT period, closed_at, closed_by_name FROM books_closes WHERE book_id = ? ORDER BY period DESC`, bookID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Close
	for rows.Next() {
		var c Close
		if err := rows.Scan(&c.Period, &c.ClosedAt, &c.ClosedByName); err != nil {
			return nil, err
		}
		c.ClosedAt = c.ClosedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// ClosePeriod closes a period (结账): every voucher of it must be posted and the periods before it (from the
// start period) closed. No voucher can be entered or posted in a closed period.
func (s *Service) ClosePeriod(ctx context.Context, p *auth.Principal, bookID int64, period string) error {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return err
	}
	if err := canWrite(p, b); err != nil {
		return err
	}
	per, err := ParsePeriod(period)
	if err != nil {
		return apperr.FieldErrors(map[string]string{"period": err.Error()})
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockBook(ctx, tx, b.ID); err != nil {
			return err
		}
		return s.closeTx(ctx, tx, p.Actor(), p.UserID, displayName(p), b, per, time.Time{})
	})
}

func (s *Service) closeTx(ctx context.Context, tx *db.Tx, actor audit.Actor, userID int64, name string, b *Book, per string, at time.Time) error {
	if per < b.StartPeriod {
		return apperr.Errorf(apperr.Invalid, "%s早于建账期间 %s", PeriodLabel(per), b.StartPeriod)
	}
	if per > s.now().In(web.Shanghai).Format("2006-01") {
		return apperr.Errorf(apperr.Invalid, "%s尚未到来，不能结账", PeriodLabel(per))
	}
	if closed, err := s.isClosed(ctx, tx, b.ID, per); err != nil {
		return err
	} else if closed {
		return apperr.Errorf(apperr.Conflict, "%s已结账", PeriodLabel(per))
	}
	var last sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT MAX(period) FROM books_closes WHERE book_id = ?`, b.ID).Scan(&last); err != nil {
		return err
	}
	want := b.StartPeriod
	if last.Valid && last.String != "" {
		want = NextPeriod(last.String)
	}
	if per != want {
		return apperr.Errorf(apperr.Conflict, "请按月顺序结账：下一个应结账的期间是 %s", PeriodLabel(want))
	}
	var pending int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_vouchers WHERE book_id = ? AND period = ? AND status <> 'posted'`, b.ID, per).Scan(&pending); err != nil {
		return err
	}
	if pending > 0 {
		return apperr.Errorf(apperr.Conflict, "%s还有 %d 张凭证未记账，请先审核记账或删除", PeriodLabel(per), pending)
	}
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Microsecond)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO books_closes (book_id, period, closed_at, closed_by_id, closed_by_name) VALUES (?, ?, ?, ?, ?)`,
		b.ID, per, at, userID, name); err != nil {
		return fmt.Errorf("close period: %w", err)
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "close", Entity: "book", EntityID: b.ID,
		Summary: "结账：" + b.Name + " " + PeriodLabel(per), After: map[string]any{"period": per}})
}

// ReopenPeriod reopens the last closed period (反结账); county admins only, with a reason.
func (s *Service) ReopenPeriod(ctx context.Context, p *auth.Principal, bookID int64, period, reason string) error {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return err
	}
	if err := canWrite(p, b); err != nil {
		return err
	}
	if !p.Is(auth.CountyAdmin) {
		return apperr.New(apperr.Forbidden, "反结账须由县级管理员办理")
	}
	per, err := ParsePeriod(period)
	if err != nil {
		return apperr.FieldErrors(map[string]string{"period": err.Error()})
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return apperr.FieldErrors(map[string]string{"reason": "请填写反结账原因（不超过 500 字）"})
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockBook(ctx, tx, b.ID); err != nil {
			return err
		}
		var last sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT MAX(period) FROM books_closes WHERE book_id = ?`, b.ID).Scan(&last); err != nil {
			return err
		}
		if !last.Valid || last.String == "" {
			return apperr.New(apperr.Conflict, "没有已结账的期间")
		}
		if per != last.String {
			return apperr.Errorf(apperr.Conflict, "只能反结账最后一个已结账期间（%s）", PeriodLabel(last.String))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM books_closes WHERE book_id = ? AND period = ?`, b.ID, per); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "reopen", Entity: "book", EntityID: b.ID,
			Summary: "反结账：" + b.Name + " " + PeriodLabel(per) + "，原因：" + reason, Before: map[string]any{"period": per, "closed": true},
			After: map[string]any{"period": per, "closed": false, "reason": reason}})
	})
}

// Periods lists the periods of a book from its start period to the current month, newest first.
func (s *Service) Periods(b *Book) []string {
	cur := s.now().In(web.Shanghai).Format("2006-01")
	var out []string
	for p := cur; p >= b.StartPeriod && len(out) < 240; p = PrevPeriod(p) {
		out = append(out, p)
	}
	return out
}
