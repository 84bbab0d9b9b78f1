package books

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// The share register (股金登记) records each member's contributions — in cash or in valued assets, as 交叉入股 and
// 合股联营 bring 土地承包经营权, 农民住房财产权 and 集体资产 into cooperatives — with the valuation basis, the shares
// they buy, and transfers of shares between members. A contribution drafts its voucher (借 资产 / 贷 股金) and a
// capital entry on the member account that counts once the voucher is posted.

// Asset kinds of a contribution and the account they are debited to by default.
var AssetKinds = []struct{ Value, Label, Account string }{
	{"cash", "货币资金", "1002"},
	{"land", "土地承包经营权（土地经营权）", "1601"},
	{"house", "农民住房财产权", "1601"},
	{"collective", "集体资产", "1501"},
	{"goods", "实物（农机、产品物资等）", "1501"},
}

// AssetKindLabel is the Chinese label of an asset kind.
func AssetKindLabel(k string) string {
	for _, a := range AssetKinds {
		if a.Value == k {
			return a.Label
		}
	}
	return k
}

func assetAccount(k string) (string, bool) {
	for _, a := range AssetKinds {
		if a.Value == k {
			return a.Account, true
		}
	}
	return "", false
}

// Share is one contribution on the register.
type Share struct {
	ID             int64  `json:"id"`
	MemberID       int64  `json:"member_id"`
	MemberName     string `json:"member_name"`
	Date           string `json:"date"`
	AssetKind      string `json:"asset_kind" doc:"cash 货币 / land 土地承包经营权 / house 农民住房财产权 / collective 集体资产 / goods 实物"`
	AssetLabel     string `json:"asset_label"`
	Description    string `json:"description"`
	ValuationBasis string `json:"valuation_basis" doc:"作价依据（评估报告、成员大会作价决议等）"`
	Amount         int64  `json:"amount" doc:"作价金额（分）"`
	Shares         int64  `json:"shares" doc:"股数"`
	VoucherID      int64  `json:"voucher_id,omitempty"`
	Posted         bool   `json:"posted"`
}

// ShareInput registers a contribution.
type ShareInput struct {
	MemberID       int64  `json:"member_id"`
	Date           string `json:"date" doc:"YYYY-MM-DD"`
	AssetKind      string `json:"asset_kind"`
	Description    string `json:"description" doc:"出资内容，如 承包地 12.5 亩（地块编号…）"`
	ValuationBasis string `json:"valuation_basis" doc:"非货币出资必填"`
	Amount         int64  `json:"amount" doc:"作价金额（分）"`
	Shares         int64  `json:"shares" doc:"折合股数"`
	DebitAccount   string `json:"debit_account" doc:"借方科目（默认按出资方式：货币 1002，土地/住房权益 1601，集体资产/实物 1501）"`
}

// TransferInput moves shares (and the capital behind them) from one member to another.
type TransferInput struct {
	FromMember int64  `json:"from_member"`
	ToMember   int64  `json:"to_member"`
	Date       string `json:"date"`
	Shares     int64  `json:"shares"`
	Amount     int64  `json:"amount" doc:"转让的出资额（分）"`
	Note       string `json:"note"`
}

// Transfer is a recorded share transfer.
type Transfer struct {
	ID       int64  `json:"id"`
	From     string `json:"from"`
	To       string `json:"to"`
	Date     string `json:"date"`
	Shares   int64  `json:"shares"`
	Amount   int64  `json:"amount"`
	Note     string `json:"note"`
	FromID   int64  `json:"from_id"`
	ToID     int64  `json:"to_id"`
	Recorded string `json:"recorded_by"`
}

// AddShare registers a contribution, drafts its voucher and the member's capital entry.
func (s *Service) AddShare(ctx context.Context, p *auth.Principal, bookID int64, in ShareInput) (Share, error) {
	b, err := s.writableBook(ctx, p, bookID)
	if err != nil {
		return Share{}, err
	}
	fields := map[string]string{}
	d, err := time.Parse("2006-01-02", strings.TrimSpace(in.Date))
	if err != nil {
		fields["date"] = "出资日期应为 YYYY-MM-DD"
	}
	acct, ok := assetAccount(in.AssetKind)
	if !ok {
		fields["asset_kind"] = "请选择出资方式"
	}
	if c := strings.TrimSpace(in.DebitAccount); c != "" {
		acct = c
	}
	in.Description, in.ValuationBasis = strings.TrimSpace(in.Description), strings.TrimSpace(in.ValuationBasis)
	if in.AssetKind != "cash" && ok && in.ValuationBasis == "" {
		fields["valuation_basis"] = "非货币出资须写明作价依据（评估报告或成员大会作价决议）"
	}
	if utf8.RuneCountInString(in.Description) > 200 || utf8.RuneCountInString(in.ValuationBasis) > 200 {
		fields["description"] = "出资内容和作价依据各不超过 200 字"
	}
	if in.Amount <= 0 {
		fields["amount"] = "请填写大于零的作价金额"
	}
	if in.Shares <= 0 {
		fields["shares"] = "请填写大于零的股数"
	}
	if len(fields) > 0 {
		return Share{}, apperr.FieldErrors(fields)
	}
	sh := Share{MemberID: in.MemberID, Date: d.Format("2006-01-02"), AssetKind: in.AssetKind, AssetLabel: AssetKindLabel(in.AssetKind),
		Description: in.Description, ValuationBasis: in.ValuationBasis, Amount: in.Amount, Shares: in.Shares}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		m, err := s.loadMember(ctx, tx, b.ID, in.MemberID)
		if err != nil {
			return err
		}
		sh.MemberName = m.Name
		accs, err := s.accounts(ctx, tx, b)
		if err != nil {
			return err
		}
		summary := fmt.Sprintf("%s %s出资入股 %d 股", m.Name, AssetKindLabel(in.AssetKind), in.Shares)
		v, err := s.validate(ctx, tx, b, newIndex(accs), VoucherInput{Date: sh.Date, Summary: summary, Lines: []LineInput{
			{AccountCode: acct, Debit: in.Amount, Memo: in.Description},
			{AccountCode: "3001", Credit: in.Amount, Memo: "成员股金", MemberID: m.ID, MemberName: m.Name},
		}}, false)
		if err != nil {
			return remapShareErr(err)
		}
		sh.VoucherID, err = s.insertVoucher(ctx, tx, b, v, KindNormal, 0, p.UserID, displayName(p))
		if err != nil {
			return err
		}
		sh.ID, err = s.insertShareTx(ctx, tx, b.ID, sh, displayName(p), time.Time{})
		if err != nil {
			return err
		}
		if _, err := s.insertEntry(ctx, tx, b.ID, Entry{MemberID: m.ID, Date: sh.Date, Year: d.Year(), Kind: EntryCapital, Amount: in.Amount,
			VoucherID: sh.VoucherID, Memo: summary}, sh.ID, displayName(p), time.Time{}); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "book_share", EntityID: sh.ID,
			Summary: "股金登记：" + b.Name + " " + summary + "，" + FormatYuan(in.Amount) + " 元", After: sh})
	})
	return sh, err
}

// remapShareErr turns voucher-field errors into the share form's fields.
func remapShareErr(err error) error {
	f := apperr.FieldsOf(err)
	if len(f) == 0 {
		return err
	}
	out := map[string]string{}
	for k, v := range f {
		switch {
		case k == "date":
			out["date"] = v
		case strings.HasSuffix(k, "account_code"):
			out["debit_account"] = v
		default:
			out["amount"] = v
		}
	}
	return apperr.FieldErrors(out)
}

func (s *Service) insertShareTx(ctx context.Context, tx *db.Tx, bookID int64, sh Share, by string, at time.Time) (int64, error) {
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Microsecond)
	}
	id := tx.NextID()
	_, err := tx.ExecContext(ctx, `INSERT INTO books_shares (id, book_id, member_id, contributed_on, asset_kind, description, valuation_basis, amount, shares, voucher_id,
		created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, bookID, sh.MemberID, sh.Date, sh.AssetKind, sh.Description, sh.ValuationBasis, sh.Amount, sh.Shares, sh.VoucherID, by, at)
	if err != nil {
		return 0, fmt.Errorf("insert share: %w", err)
	}
	return id, nil
}

// Shares lists the register of a book, newest first.
func (s *Service) Shares(ctx context.Context, p *auth.Principal, bookID int64) ([]Share, []Transfer, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT e.id, e.member_id, m.name, e.contributed_on, e.asset_kind, e.description, e.valuation_basis, e.amount, e.shares, e.voucher_id, `+countsSQL+`
		FROM books_shares e JOIN books_members m ON m.id = e.member_id WHERE e.book_id = ? ORDER BY e.contributed_on DESC, e.id DESC`, b.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("list shares: %w", err)
	}
	var out []Share
	for rows.Next() {
		var x Share
		if err := rows.Scan(&x.ID, &x.MemberID, &x.MemberName, &x.Date, &x.AssetKind, &x.Description, &x.ValuationBasis, &x.Amount, &x.Shares, &x.VoucherID, &x.Posted); err != nil {
			rows.Close()
			return nil, nil, err
		}
		x.AssetLabel = AssetKindLabel(x.AssetKind)
		out = append(out, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT t.id, f.name, o.name, t.transfer_date, t.shares, t.amount, t.note, t.from_member, t.to_member, t.created_by_name
		FROM books_share_transfers t JOIN books_members f ON f.id = t.from_member JOIN books_members o ON o.id = t.to_member
		WHERE t.book_id = ? ORDER BY t.transfer_date DESC, t.id DESC`, b.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("list transfers: %w", err)
	}
	defer rows.Close()
	var trs []Transfer
	for rows.Next() {
		var t Transfer
		if err := rows.Scan(&t.ID, &t.From, &t.To, &t.Date, &t.Shares, &t.Amount, &t.Note, &t.FromID, &t.ToID, &t.Recorded); err != nil {
			return nil, nil, err
		}
		trs = append(trs, t)
	}
	return out, trs, rows.Err()
}

// sharesByMember is each member's share count on date (contributions whose voucher is posted, plus transfers).
func (s *Service) sharesByMember(ctx context.Context, q db.Querier, bookID int64, date string) (map[int64]int64, error) {
	out := map[int64]int64{}
	rows, err := q.QueryContext(ctx, `SELECT e.member_id, SUM(e.shares) FROM books_shares e WHERE e.book_id = ? AND e.contributed_on <= ? AND `+countsSQL+` GROUP BY e.member_id`, bookID, date)
	if err != nil {
		return nil, fmt.Errorf("shares by member: %w", err)
	}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, err
		}
		out[id] += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT from_member, to_member, shares FROM books_share_transfers WHERE book_id = ? AND transfer_date <= ?`, bookID, date)
	if err != nil {
		return nil, fmt.Errorf("share transfers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f, t, n int64
		if err := rows.Scan(&f, &t, &n); err != nil {
			return nil, err
		}
		out[f] -= n
		out[t] += n
	}
	return out, rows.Err()
}

// TransferShares moves shares between members: the register and both member accounts change in one transaction
// (股金 stays one account, so no voucher is needed); the seller must hold the shares and the capital.
func (s *Service) TransferShares(ctx context.Context, p *auth.Principal, bookID int64, in TransferInput) (Transfer, error) {
	b, err := s.writableBook(ctx, p, bookID)
	if err != nil {
		return Transfer{}, err
	}
	fields := map[string]string{}
	d, err := time.Parse("2006-01-02", strings.TrimSpace(in.Date))
	if err != nil {
		fields["date"] = "转让日期应为 YYYY-MM-DD"
	}
	if in.FromMember == in.ToMember {
		fields["to_member"] = "受让成员不能与转让成员相同"
	}
	if in.Shares <= 0 {
		fields["shares"] = "请填写大于零的股数"
	}
	if in.Amount < 0 {
		fields["amount"] = "出资额不能为负数"
	}
	if utf8.RuneCountInString(in.Note) > 200 {
		fields["note"] = "备注不能超过 200 字"
	}
	if len(fields) > 0 {
		return Transfer{}, apperr.FieldErrors(fields)
	}
	t := Transfer{Date: d.Format("2006-01-02"), Shares: in.Shares, Amount: in.Amount, Note: strings.TrimSpace(in.Note), FromID: in.FromMember, ToID: in.ToMember, Recorded: displayName(p)}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockBook(ctx, tx, b.ID); err != nil {
			return err
		}
		from, err := s.loadMember(ctx, tx, b.ID, in.FromMember)
		if err != nil {
			return apperr.FieldErrors(map[string]string{"from_member": "转让成员不存在"})
		}
		to, err := s.loadMember(ctx, tx, b.ID, in.ToMember)
		if err != nil {
			return apperr.FieldErrors(map[string]string{"to_member": "受让成员不存在"})
		}
		t.From, t.To = from.Name, to.Name
		held, err := s.sharesByMember(ctx, tx, b.ID, "9999-12-31")
		if err != nil {
			return err
		}
		if held[from.ID] < in.Shares {
			return apperr.FieldErrors(map[string]string{"shares": fmt.Sprintf("%s 只持有 %d 股（已记账的出资），不能转让 %d 股", from.Name, held[from.ID], in.Shares)})
		}
		accs, err := s.memberAccounts(ctx, tx, b.ID, 9999)
		if err != nil {
			return err
		}
		for _, a := range accs {
			if a.ID == from.ID && a.Capital < in.Amount {
				return apperr.FieldErrors(map[string]string{"amount": fmt.Sprintf("%s 的出资额只有 %s 元", from.Name, FormatYuan(a.Capital))})
			}
		}
		t.ID = tx.NextID()
		now := s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, `INSERT INTO books_share_transfers (id, book_id, from_member, to_member, transfer_date, shares, amount, note, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, b.ID, from.ID, to.ID, t.Date, t.Shares, t.Amount, t.Note, t.Recorded, now); err != nil {
			return fmt.Errorf("insert transfer: %w", err)
		}
		if in.Amount > 0 {
			memo := fmt.Sprintf("股金转让 %d 股：%s → %s", in.Shares, from.Name, to.Name)
			for _, e := range []Entry{{MemberID: from.ID, Amount: -in.Amount}, {MemberID: to.ID, Amount: in.Amount}} {
				e.Date, e.Year, e.Kind, e.Memo = t.Date, d.Year(), EntryCapital, memo
				if _, err := s.insertEntry(ctx, tx, b.ID, e, t.ID, t.Recorded, now); err != nil {
					return err
				}
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "transfer", Entity: "book_share", EntityID: t.ID,
			Summary: fmt.Sprintf("股金转让：%s %s → %s %d 股", b.Name, from.Name, to.Name, in.Shares), After: t})
	})
	return t, err
}
