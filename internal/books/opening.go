package books

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/validate"
)

// Opening balances (期初余额) come from the spreadsheet the organisation kept before: the platform importer stages
// one row per account (upsert: a second import of a corrected sheet replaces the figures), reporting bad rows
// with their line; then "生成期初凭证" checks that the staged debits equal the credits and drafts one opening
// voucher (kind opening) dated the first day of the start period, which is reviewed and posted like any other.
// Staging rows keeps the importer row-by-row (as the platform wants) while the balance is checked over the whole.

// KindOpening marks the opening voucher.
const KindOpening = "opening"

// OpeningRow is one staged opening balance.
type OpeningRow struct {
	AccountCode string `json:"account_code"`
	AccountName string `json:"account_name"`
	Debit       int64  `json:"debit"`
	Credit      int64  `json:"credit"`
}

// OpeningImporter imports opening balances (platform imports: /imports/books_opening).
type OpeningImporter struct{ S *Service }

func (OpeningImporter) Name() string  { return "books_opening" }
func (OpeningImporter) Title() string { return "代账期初余额" }
func (OpeningImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "book", Header: "代账组织", Required: true, Note: "组织名称或代账编号", Aliases: []string{"组织名称", "代账编号", "单位名称"}, Example: "青龙山茶叶专业合作社"},
		{Key: "account", Header: "科目编码", Required: true, Note: "末级科目编码，如 1002 或 1102.001", Aliases: []string{"科目代码", "科目"}, Example: "1002"},
		{Key: "debit", Header: "借方余额", Note: "元，最多两位小数", Aliases: []string{"借方"}, Example: "52000.00"},
		{Key: "credit", Header: "贷方余额", Note: "元，最多两位小数", Aliases: []string{"贷方"}, Example: ""},
	}
}

// ImportRow stages one account's opening balance.
func (i OpeningImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	s := i.S
	fields := map[string]string{}
	key := validate.Normalize(row["book"])
	where, args := scopeSQL(p)
	var id int64
	if n, err := strconv.ParseInt(key, 10, 64); err == nil {
		_ = tx.QueryRowContext(ctx, `SELECT b.id FROM books b WHERE b.id = ? AND `+where, append([]any{n}, args...)...).Scan(&id)
	}
	if id == 0 {
		_ = tx.QueryRowContext(ctx, `SELECT b.id FROM books b WHERE b.name = ? AND `+where, append([]any{key}, args...)...).Scan(&id)
	}
	if id == 0 {
		return false, apperr.FieldErrors(map[string]string{"book": "找不到代账组织（或不在您的管辖范围内）：" + key})
	}
	b, err := s.loadBook(ctx, tx, id)
	if err != nil {
		return false, err
	}
	if err := canWrite(p, b); err != nil {
		return false, apperr.FieldErrors(map[string]string{"book": apperr.MessageOf(err)})
	}
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_vouchers WHERE book_id = ? AND kind = 'opening'`, b.ID).Scan(&applied); err != nil {
		return false, err
	}
	if applied > 0 {
		return false, apperr.FieldErrors(map[string]string{"book": b.Name + " 已生成期初凭证，不能再导入期初余额"})
	}
	accs, err := s.accounts(ctx, tx, b)
	if err != nil {
		return false, err
	}
	ix := newIndex(accs)
	code := strings.TrimSpace(row["account"])
	if a, ok := ix.byCode[code]; !ok {
		fields["account"] = "科目不存在：" + code
	} else if ix.hasSub[code] {
		fields["account"] = "科目 " + a.Name + " 设有明细科目，请填写明细科目"
	}
	d, err := ParseYuan(row["debit"])
	if err != nil || d < 0 {
		fields["debit"] = "借方余额格式不正确"
	}
	c, err := ParseYuan(row["credit"])
	if err != nil || c < 0 {
		fields["credit"] = "贷方余额格式不正确"
	}
	if d != 0 && c != 0 {
		fields["credit"] = "一个科目只能填借方或贷方余额"
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return false, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_opening WHERE book_id = ? AND account_code = ?`, b.ID, code).Scan(&n); err != nil {
		return false, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if n > 0 {
		_, err = tx.ExecContext(ctx, `UPDATE books_opening SET debit = ?, credit = ?, updated_at = ? WHERE book_id = ? AND account_code = ?`, d, c, now, b.ID, code)
	} else {
		_, err = tx.ExecContext(ctx, `INSERT INTO books_opening (book_id, account_code, debit, credit, updated_at) VALUES (?, ?, ?, ?, ?)`, b.ID, code, d, c, now)
	}
	if err != nil {
		return false, fmt.Errorf("stage opening balance: %w", err)
	}
	return n == 0, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "import", Entity: "book_opening", EntityID: b.ID,
		Summary: fmt.Sprintf("导入期初余额：%s %s 借 %s 贷 %s", b.Name, code, FormatYuan(d), FormatYuan(c))})
}

// Opening returns the staged opening balances of a book and their totals.
func (s *Service) Opening(ctx context.Context, p *auth.Principal, bookID int64) ([]OpeningRow, int64, int64, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, 0, 0, err
	}
	return s.opening(ctx, s.db, b)
}

func (s *Service) opening(ctx context.Context, q db.Querier, b *Book) ([]OpeningRow, int64, int64, error) {
	accs, err := s.accounts(ctx, q, b)
	if err != nil {
		return nil, 0, 0, err
	}
	ix := newIndex(accs)
	rows, err := q.QueryContext(ctx, `SELECT account_code, debit, credit FROM books_opening WHERE book_id = ? ORDER BY account_code`, b.ID)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("opening balances: %w", err)
	}
	defer rows.Close()
	var out []OpeningRow
	var d, c int64
	for rows.Next() {
		var r OpeningRow
		if err := rows.Scan(&r.AccountCode, &r.Debit, &r.Credit); err != nil {
			return nil, 0, 0, err
		}
		if a, ok := ix.byCode[r.AccountCode]; ok {
			r.AccountName = a.FullName
		}
		d, c = d+r.Debit, c+r.Credit
		out = append(out, r)
	}
	return out, d, c, rows.Err()
}

// ApplyOpening drafts the opening voucher from the staged balances; refused unless debits equal credits.
func (s *Service) ApplyOpening(ctx context.Context, p *auth.Principal, bookID int64) (*Voucher, error) {
	b, err := s.writableBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockBook(ctx, tx, b.ID); err != nil {
			return err
		}
		var applied int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM books_vouchers WHERE book_id = ? AND kind = 'opening'`, b.ID).Scan(&applied); err != nil {
			return err
		}
		if applied > 0 {
			return apperr.New(apperr.Conflict, "已经生成过期初凭证")
		}
		rows, d, c, err := s.opening(ctx, tx, b)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return apperr.New(apperr.Invalid, "还没有导入期初余额")
		}
		if d != c {
			return apperr.New(apperr.Invalid, "期初余额"+ImbalanceMessage(d, c)+"，请更正后重新导入")
		}
		in := VoucherInput{Date: b.StartPeriod + "-01", Summary: "期初余额建账"}
		for _, r := range rows {
			in.Lines = append(in.Lines, LineInput{AccountCode: r.AccountCode, Debit: r.Debit, Credit: r.Credit, Memo: "期初余额"})
		}
		accs, err := s.accounts(ctx, tx, b)
		if err != nil {
			return err
		}
		v, err := s.validate(ctx, tx, b, newIndex(accs), in, false)
		if err != nil {
			return err
		}
		if id, err = s.insertVoucher(ctx, tx, b, v, KindOpening, 0, p.UserID, displayName(p)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM books_opening WHERE book_id = ?`, b.ID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "opening", Entity: "voucher", EntityID: id,
			Summary: fmt.Sprintf("生成期初凭证：%s 借贷合计 %s 元", b.Name, FormatYuan(d)), After: auditView(v)})
	})
	if err != nil {
		return nil, err
	}
	return s.loadVoucher(ctx, s.db, b, id)
}
