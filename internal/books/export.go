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
	case "equity":
		st, err := s.EquityStatement(r.Context(), p, b.ID, per)
		if err != nil {
			return err
		}
		title = "成员权益变动表"
		sheet = tabular.Sheet{Name: title, Header: []string{"项目", "取数科目", "年初余额（元）", "本年增加（元）", "本年减少（元）", "期末余额（元）"}}
		for _, c := range append(st.Columns, st.Total) {
			sheet.Rows = append(sheet.Rows, []string{c.Item, c.Accounts, plainYuan(c.Opening), plainYuan(c.Increase), plainYuan(c.Decrease), plainYuan(c.Closing)})
		}
	case "members":
		year := yearParam(r, s.thisYear())
		accs, err := s.MemberAccounts(r.Context(), p, b.ID, year)
		if err != nil {
			return err
		}
		title = fmt.Sprintf("成员账户汇总%d", year)
		per = strconv.Itoa(year)
		sheet = tabular.Sheet{Name: title, Header: []string{"编号", "成员", "入社日期", "持股数", "出资额", "公积金份额", "财政补助量化", "捐赠量化", "本年交易量", "单位", "本年交易额",
			"本年盈余返还", "本年剩余盈余返还"}}
		for _, a := range accs {
			sheet.Rows = append(sheet.Rows, []string{strconv.Itoa(a.No), a.Name, a.JoinedOn, strconv.FormatInt(a.Shares, 10), plainYuan(a.Capital), plainYuan(a.Reserve),
				plainYuan(a.Subsidy), plainYuan(a.Donation), FormatQty(a.TradeQty), a.TradeUnit, plainYuan(a.Trade), plainYuan(a.Returned), plainYuan(a.Rest)})
		}
	case "shares":
		sh, tr, err := s.Shares(r.Context(), p, b.ID)
		if err != nil {
			return err
		}
		title = "股金登记簿"
		per = s.currentPeriod()
		sheet = tabular.Sheet{Name: title, Header: []string{"日期", "类型", "成员", "出资方式", "出资内容", "作价依据", "金额（元）", "股数", "凭证已记账"}}
		for _, x := range sh {
			sheet.Rows = append(sheet.Rows, []string{x.Date, "出资", x.MemberName, x.AssetLabel, x.Description, x.ValuationBasis, plainYuan(x.Amount), strconv.FormatInt(x.Shares, 10),
				map[bool]string{true: "是", false: "否"}[x.Posted]})
		}
		for _, t := range tr {
			sheet.Rows = append(sheet.Rows, []string{t.Date, "转让", t.From + " → " + t.To, "", t.Note, "", plainYuan(t.Amount), strconv.FormatInt(t.Shares, 10), ""})
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

// exportMember writes a member account statement as .xlsx.
func (s *Service) exportMember(w http.ResponseWriter, st *MemberStatement, year int) error {
	a := st.Account
	sheet := tabular.Sheet{Name: "成员账户", Header: []string{"日期", "项目", "交易量", "单位", "金额（元）", "凭证已记账", "摘要"}}
	for _, e := range st.Entries {
		q := ""
		if e.Quantity != 0 {
			q = FormatQty(e.Quantity)
		}
		sheet.Rows = append(sheet.Rows, []string{e.Date, e.KindLabel, q, e.Unit, plainYuan(e.Amount), map[bool]string{true: "是", false: "否"}[e.Posted], e.Memo})
	}
	sheet.Rows = append(sheet.Rows, []string{fmt.Sprintf("%d年末", year), "出资额", "", "", plainYuan(a.Capital), "", fmt.Sprintf("持股 %d 股", a.Shares)},
		[]string{"", "公积金份额", "", "", plainYuan(a.Reserve), "", ""},
		[]string{"", "本年交易额", FormatQty(a.TradeQty), a.TradeUnit, plainYuan(a.Trade), "", ""},
		[]string{"", "本年盈余返还", "", "", plainYuan(a.Returned + a.Rest), "", ""})
	name := fmt.Sprintf("%s-成员账户-%s-%d.xlsx", st.Book.Name, a.Name, year)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="member.xlsx"; filename*=UTF-8''%s`, url.PathEscape(name)))
	return tabular.WriteXLSX(w, sheet)
}
