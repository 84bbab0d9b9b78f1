package books

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/web"
	"nongfu/internal/tabular"
)

func yuanCell(fen int64) string {
	if fen == 0 {
		return ""
	}
	return plainYuan(fen)
}

// export writes a report of one book as .xlsx: report = trial, balance, surplus, ledger or vouchers.
func (s *Service) export(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	b, err := s.GetBook(r.Context(), p, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	per := q.Get("period")
	if per == "" {
		per = s.currentPeriod()
	}
	var sheet tabular.Sheet
	var title string
	switch q.Get("report") {
	case "trial", "":
		tb, err := s.TrialBalance(r.Context(), p, b.ID, "", per)
		if err != nil {
			return err
		}
		title = "试算平衡表"
		sheet = tabular.Sheet{Name: title, Header: []string{"科目编码", "科目名称", "期初借方", "期初贷方", "本期借方", "本期贷方", "期末借方", "期末贷方"}}
		for _, x := range tb.Rows {
			sheet.Rows = append(sheet.Rows, []string{x.Code, x.Name, yuanCell(x.OpeningDebit), yuanCell(x.OpeningCredit), yuanCell(x.PeriodDebit),
				yuanCell(x.PeriodCredit), yuanCell(x.ClosingDebit), yuanCell(x.ClosingCredit)})
		}
		sheet.Rows = append(sheet.Rows, []string{"", "合计", plainYuan(tb.OpeningDebitTotal), plainYuan(tb.OpeningCreditTotal), plainYuan(tb.PeriodDebitTotal),
			plainYuan(tb.PeriodCreditTotal), plainYuan(tb.DebitTotal), plainYuan(tb.CreditTotal)})
	case "balance":
		bs, err := s.BalanceSheet(r.Context(), p, b.ID, per)
		if err != nil {
			return err
		}
		title = "资产负债表"
		sheet = tabular.Sheet{Name: title, Header: []string{"类别", "项目", "年初数（元）", "期末数（元）"}}
		add := func(cat string, ls []SheetLine, open, end int64) {
			for _, l := range ls {
				sheet.Rows = append(sheet.Rows, []string{cat, l.Item, plainYuan(l.Opening), plainYuan(l.Amount)})
			}
			sheet.Rows = append(sheet.Rows, []string{cat, cat + "合计", plainYuan(open), plainYuan(end)})
		}
		var ol, oe int64
		for _, l := range bs.Liabilities {
			ol += l.Opening
		}
		for _, l := range bs.Equity {
			oe += l.Opening
		}
		add("资产", bs.Assets, bs.OpeningAssets, bs.TotalAssets)
		add("负债", bs.Liabilities, ol, bs.TotalLiabilities)
		add("所有者权益", bs.Equity, oe, bs.TotalEquity)
		sheet.Rows = append(sheet.Rows, []string{"", "负债和所有者权益总计", plainYuan(bs.OpeningLiabEq), plainYuan(bs.TotalLiabilities + bs.TotalEquity)})
	case "surplus":
		st, err := s.SurplusStatement(r.Context(), p, b.ID, per)
		if err != nil {
			return err
		}
		title = "盈余及盈余分配表"
		sheet = tabular.Sheet{Name: title, Header: []string{"项目", "取数科目", "本年累计数（元）"}}
		for _, l := range append(append([]SheetLine{}, st.Surplus...), st.Distribution...) {
			sheet.Rows = append(sheet.Rows, []string{l.Item, l.Accounts, plainYuan(l.Amount)})
		}
	case "ledger":
		code := q.Get("account")
		if code == "" {
			code = "1002"
		}
		lg, err := s.Ledger(r.Context(), p, b.ID, code, q.Get("from"), per)
		if err != nil {
			return err
		}
		title = "明细账-" + lg.Account.Code
		sheet = tabular.Sheet{Name: title, Header: []string{"日期", "凭证号", "摘要", "明细科目", "借方", "贷方", "方向", "余额"}}
		side, bal := sideOf(lg.Opening)
		sheet.Rows = append(sheet.Rows, []string{lg.From, "", "期初余额", "", "", "", side, plainYuan(bal)})
		for _, l := range lg.Lines {
			sheet.Rows = append(sheet.Rows, []string{l.Date, l.Word, l.Summary, l.Account, yuanCell(l.Debit), yuanCell(l.Credit), l.Side, plainYuan(l.Balance)})
		}
	case "vouchers":
		title = "凭证"
		sheet = tabular.Sheet{Name: title, Header: []string{"期间", "凭证号", "日期", "摘要", "状态", "行号", "科目编码", "科目名称", "借方", "贷方", "成员", "制单", "审核", "记账"}}
		vs, _, err := s.ListVouchers(r.Context(), p, b.ID, VoucherFilter{Period: per, PerPage: 5000})
		if err != nil {
			return err
		}
		for i := len(vs) - 1; i >= 0; i-- {
			v, err := s.loadVoucher(r.Context(), s.db, b, vs[i].ID)
			if err != nil {
				return err
			}
			for _, l := range v.Lines {
				sheet.Rows = append(sheet.Rows, []string{v.Period, v.Word, v.Date, v.Summary, v.StatusLabel, strconv.Itoa(l.LineNo), l.AccountCode, l.AccountName,
					yuanCell(l.Debit), yuanCell(l.Credit), l.MemberName, v.MakerName, v.ReviewerName, v.PosterName})
			}
		}
	default:
		return apperr.New(apperr.NotFound, "没有这张报表")
	}
	name := fmt.Sprintf("%s-%s-%s.xlsx", b.Name, title, per)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="books.xlsx"; filename*=UTF-8''%s`, url.PathEscape(name)))
	if len(sheet.Name) > 0 && len([]rune(sheet.Name)) > 31 {
		sheet.Name = string([]rune(sheet.Name)[:31])
	}
	return tabular.WriteXLSX(w, sheet)
}
