package books

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
	"nongfu/internal/registry"
)

//go:embed templates/*.html
var templatesFS embed.FS

var (
	staffRoles  = []auth.Role{auth.CountyAdmin, auth.TownshipOperator}
	bookReaders = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Department, auth.Taskforce, auth.Viewer, auth.Member}
)

// Routes registers the room's pages, API, menu items and home-page counts.
func (s *Service) Routes(srv *web.Server) {
	srv.Pages.AddFS("books", templatesFS, "templates/*.html")
	srv.AddMenu(web.MenuItem{Group: "财务代账", Label: "代账组织", Path: "/books", Order: 40, Roles: bookReaders})
	srv.AddStats(s.homeStats)
	srv.Page("GET /books", s.listPage)
	srv.Page("POST /books", s.createPost)
	srv.Page("GET /books/{id}", s.bookPage)
	srv.Page("GET /books/{id}/export", s.export)
	srv.Page("POST /books/{id}/accounts", s.accountPost)
	srv.Page("POST /books/{id}/close", s.closePost)
	srv.Page("POST /books/{id}/reopen", s.reopenPost)
	srv.Page("GET /books/{id}/vouchers/new", s.voucherFormPage)
	srv.Page("POST /books/{id}/vouchers/new", s.voucherFormPost)
	srv.Page("GET /books/{id}/vouchers/{vid}", s.voucherPage)
	srv.Page("GET /books/{id}/vouchers/{vid}/edit", s.voucherFormPage)
	srv.Page("POST /books/{id}/vouchers/{vid}/edit", s.voucherFormPost)
	srv.Page("POST /books/{id}/vouchers/{vid}/{action}", s.voucherActionPost)
	s.apiRoutes(srv)
	s.memberAPIRoutes(srv)
	s.memberRoutes(srv)
	s.exemplaryRoutes(srv)
}

func (s *Service) homeStats(ctx context.Context, p *auth.Principal) ([]web.Stat, error) {
	if !p.Is(bookReaders...) {
		return nil, nil
	}
	where, args := scopeSQL(p)
	var books, pending int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM books b WHERE `+where, args...).Scan(&books); err != nil {
		return nil, err
	}
	if books == 0 && p.Is(auth.Member) {
		return nil, nil
	}
	per := s.currentPeriod()
	var month int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN v.status <> 'posted' THEN 1 ELSE 0 END), 0)
		FROM books_vouchers v JOIN books b ON b.id = v.book_id WHERE v.period = ? AND `+where, append([]any{per}, args...)...).Scan(&month, &pending); err != nil {
		return nil, err
	}
	return []web.Stat{{Label: "统一财务代账组织", Value: web.FormatInt(books), Hint: fmt.Sprintf("本月凭证 %s 张，待审核记账 %s 张", web.FormatInt(month), web.FormatInt(pending)),
		Link: "/books", Order: 40}}, nil
}

// ---------------------------------------------------------------------------------------------------------------
// List and create
// ---------------------------------------------------------------------------------------------------------------

type option struct{ Value, Label string }

func (s *Service) listPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderList(w, r, http.StatusOK, nil, BookInput{})
}

func (s *Service) renderList(w http.ResponseWriter, r *http.Request, status int, formErr error, in BookInput) error {
	p := web.Principal(r)
	pg := web.ParsePage(r, 50, 200)
	items, total, err := s.ListBooks(r.Context(), p, BookFilter{Q: r.URL.Query().Get("q"), Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	data := map[string]any{"Y": fmtr{}, "Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "CanCreate": isStaff(p),
		"Current": s.currentPeriod(), "In": in, "Fields": map[string]string{}}
	if formErr != nil {
		data["Error"] = apperr.MessageOf(formErr)
		if f := apperr.FieldsOf(formErr); f != nil {
			data["Fields"] = f
		}
	}
	if isStaff(p) {
		var cands []option
		for _, k := range ServiceKinds {
			subs, _, err := s.subjects.List(r.Context(), p, registry.Filter{Kind: k, PerPage: 200, Sort: "name"})
			if err != nil {
				return err
			}
			for _, x := range subs {
				cands = append(cands, option{Value: strconv.FormatInt(x.ID, 10), Label: x.Name + "（" + x.KindLabel + "，" + x.RegionName + "）"})
			}
		}
		data["Candidates"] = cands
	}
	return web.Render(w, r, status, "books/list.html", data)
}

func (s *Service) createPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	in := BookInput{StartPeriod: r.PostForm.Get("start_period"), Bookkeeper: r.PostForm.Get("bookkeeper"), Note: r.PostForm.Get("note")}
	sid, err := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get("subject_id")), 10, 64)
	if err != nil {
		return s.renderList(w, r, http.StatusUnprocessableEntity, apperr.FieldErrors(map[string]string{"subject_id": "请选择要代账的组织"}), in)
	}
	in.SubjectID = sid
	b, err := s.CreateBook(r.Context(), web.Principal(r), in)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderList(w, r, http.StatusUnprocessableEntity, err, in)
		}
		return err
	}
	web.Flash(w, b.Name+" 已纳入统一财务代账")
	web.Redirect(w, r, fmt.Sprintf("/books/%d", b.ID))
	return nil
}

// ---------------------------------------------------------------------------------------------------------------
// One organisation's books
// ---------------------------------------------------------------------------------------------------------------

var tabs = []option{{"vouchers", "凭证"}, {"trial", "试算平衡表"}, {"balance", "资产负债表"}, {"surplus", "盈余及盈余分配表"}, {"equity", "成员权益变动表"},
	{"ledger", "总账与明细账"}, {"members", "成员账户"}, {"shares", "股金登记"}, {"distribution", "盈余分配"}, {"accounts", "科目表"}, {"opening", "期初余额"}, {"periods", "结账"}}

func (s *Service) bookPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderBook(w, r, http.StatusOK, "")
}

func (s *Service) renderBook(w http.ResponseWriter, r *http.Request, status int, formErr string) error {
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
	tab := q.Get("tab")
	if tab == "" {
		tab = "vouchers"
	}
	period := q.Get("period")
	if period == "" {
		period = s.currentPeriod()
	}
	data := map[string]any{"Y": fmtr{}, "B": b, "Tab": tab, "Tabs": tabs, "Period": period, "Periods": s.Periods(b), "CanWrite": canWrite(p, b) == nil,
		"CanReopen": p.Is(auth.CountyAdmin) && canWrite(p, b) == nil, "Error": formErr}
	ctx := r.Context()
	switch tab {
	case "vouchers":
		pg := web.ParsePage(r, 50, 200)
		vs, total, err := s.ListVouchers(ctx, p, b.ID, VoucherFilter{Period: q.Get("period"), Status: q.Get("status"), Page: pg.Page, PerPage: pg.PerPage})
		if err != nil {
			return err
		}
		data["Vouchers"], data["Total"], data["Page"], data["Pages"] = vs, total, pg.Page, pg.Pages(total)
		data["VPeriod"] = q.Get("period")
	case "trial":
		tb, err := s.TrialBalance(ctx, p, b.ID, "", period)
		if err != nil {
			return err
		}
		data["TB"] = tb
	case "balance":
		bs, err := s.BalanceSheet(ctx, p, b.ID, period)
		if err != nil {
			return err
		}
		data["BS"] = bs
	case "surplus":
		st, err := s.SurplusStatement(ctx, p, b.ID, period)
		if err != nil {
			return err
		}
		data["ST"] = st
	case "ledger", "accounts":
		accs, err := s.Accounts(ctx, b)
		if err != nil {
			return err
		}
		data["Accounts"] = accs
		if tab == "ledger" {
			code := q.Get("account")
			if code == "" {
				code = "1002"
			}
			lg, err := s.Ledger(ctx, p, b.ID, code, q.Get("from"), period)
			if err != nil {
				return err
			}
			data["LG"], data["Account"] = lg, code
		}
	case "periods":
		cl, err := s.Closes(ctx, p, b.ID)
		if err != nil {
			return err
		}
		data["Closes"] = cl
		next := b.StartPeriod
		if len(cl) > 0 {
			next = NextPeriod(cl[0].Period)
		}
		data["NextClose"] = next
		data["CanClose"] = next <= s.currentPeriod()
	default:
		if err := s.extraTab(r, p, b, tab, data); err != nil {
			return err
		}
	}
	return web.Render(w, r, status, "books/book.html", data)
}

func (s *Service) accountPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	a, err := s.AddAccount(r.Context(), web.Principal(r), id, r.PostForm.Get("parent"), r.PostForm.Get("name"), 0)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderBookErr(w, r, id, "accounts", err)
		}
		return err
	}
	web.Flash(w, "已增设明细科目 "+a.Code+" "+a.FullName)
	web.Redirect(w, r, fmt.Sprintf("/books/%d?tab=accounts", id))
	return nil
}

func (s *Service) renderBookErr(w http.ResponseWriter, r *http.Request, id int64, tab string, err error) error {
	msg := apperr.MessageOf(err)
	for _, f := range apperr.FieldsOf(err) {
		msg += "：" + f
		break
	}
	r.URL.RawQuery = url.Values{"tab": {tab}}.Encode()
	return s.renderBook(w, r, http.StatusUnprocessableEntity, msg)
}

func (s *Service) closePost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	per := r.PostForm.Get("period")
	if err := s.ClosePeriod(r.Context(), web.Principal(r), id, per); err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderBookErr(w, r, id, "periods", err)
		}
		return err
	}
	web.Flash(w, PeriodLabel(per)+"已结账")
	web.Redirect(w, r, fmt.Sprintf("/books/%d?tab=periods", id))
	return nil
}

func (s *Service) reopenPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	per := r.PostForm.Get("period")
	if err := s.ReopenPeriod(r.Context(), web.Principal(r), id, per, r.PostForm.Get("reason")); err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderBookErr(w, r, id, "periods", err)
		}
		return err
	}
	web.Flash(w, PeriodLabel(per)+"已反结账")
	web.Redirect(w, r, fmt.Sprintf("/books/%d?tab=periods", id))
	return nil
}

// ---------------------------------------------------------------------------------------------------------------
// Vouchers
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) voucherPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	id, vid, err := ids(r)
	if err != nil {
		return err
	}
	b, err := s.GetBook(r.Context(), p, id)
	if err != nil {
		return err
	}
	v, err := s.loadVoucher(r.Context(), s.db, b, vid)
	if err != nil {
		return err
	}
	can := canWrite(p, b) == nil
	atts, err := s.Attachments(r.Context(), p, b.ID, v.ID)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "books/voucher.html", map[string]any{"Y": fmtr{}, "B": b, "V": v, "CanWrite": can, "Files": atts,
		"CanReview": can && v.Status == StatusDraft && v.MakerID != p.UserID, "SelfMade": v.MakerID == p.UserID})
}

// formLine is a voucher line as typed.
type formLine struct {
	Account, Debit, Credit, Memo, Member string
}

func (s *Service) voucherFormPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	id, vid, err := ids(r)
	if err != nil {
		return err
	}
	b, err := s.GetBook(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := canWrite(p, b); err != nil {
		return err
	}
	f := voucherForm{Date: s.now().In(web.Shanghai).Format("2006-01-02")}
	if vid != 0 {
		v, err := s.loadVoucher(r.Context(), s.db, b, vid)
		if err != nil {
			return err
		}
		if v.Status != StatusDraft || v.Kind != KindNormal {
			return apperr.Errorf(apperr.Conflict, "凭证%s，不能修改", v.StatusLabel)
		}
		f = voucherForm{ID: v.ID, Date: v.Date, Summary: v.Summary, Attachments: strconv.Itoa(v.Attachments)}
		for _, l := range v.Lines {
			fl := formLine{Account: l.AccountCode, Memo: l.Memo, Member: l.MemberName}
			if l.Debit != 0 {
				fl.Debit = plainYuan(l.Debit)
			}
			if l.Credit != 0 {
				fl.Credit = plainYuan(l.Credit)
			}
			f.Lines = append(f.Lines, fl)
		}
	}
	for len(f.Lines) < 4 {
		f.Lines = append(f.Lines, formLine{})
	}
	return s.renderForm(w, r, http.StatusOK, b, f, nil)
}

func plainYuan(fen int64) string { return strings.ReplaceAll(FormatYuan(fen), ",", "") }

type voucherForm struct {
	ID                         int64
	Date, Summary, Attachments string
	Lines                      []formLine
	Debit, Credit              int64
}

func (s *Service) renderForm(w http.ResponseWriter, r *http.Request, status int, b *Book, f voucherForm, err error) error {
	accs, aerr := s.Accounts(r.Context(), b)
	if aerr != nil {
		return aerr
	}
	ix := newIndex(accs)
	var leaves []Account
	for _, a := range accs {
		if !ix.hasSub[a.Code] {
			leaves = append(leaves, a)
		}
	}
	members, merr := s.memberAccounts(r.Context(), s.db, b.ID, s.thisYear())
	if merr != nil {
		return merr
	}
	data := map[string]any{"Y": fmtr{}, "B": b, "F": f, "Accounts": leaves, "Members": members, "Fields": map[string]string{}, "Balanced": f.Debit == f.Credit,
		"Diff": FormatYuan(abs(f.Debit - f.Credit))}
	if err != nil {
		data["Error"] = apperr.MessageOf(err)
		if fl := apperr.FieldsOf(err); fl != nil {
			data["Fields"] = fl
		}
	}
	return web.Render(w, r, status, "books/voucher_form.html", data)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func (s *Service) voucherFormPost(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	id, vid, err := ids(r)
	if err != nil {
		return err
	}
	b, err := s.GetBook(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := canWrite(p, b); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	pf := r.PostForm
	f := voucherForm{ID: vid, Date: strings.TrimSpace(pf.Get("date")), Summary: pf.Get("summary"), Attachments: strings.TrimSpace(pf.Get("attachments"))}
	acc, deb, cre, memo, mem := pf["account"], pf["debit"], pf["credit"], pf["memo"], pf["member"]
	at := func(l []string, i int) string {
		if i < len(l) {
			return strings.TrimSpace(l[i])
		}
		return ""
	}
	in := VoucherInput{Date: f.Date, Summary: f.Summary}
	if f.Attachments != "" {
		n, err := strconv.Atoi(f.Attachments)
		if err != nil {
			n = -1
		}
		in.Attachments = n
	}
	fields := map[string]string{}
	for i := range acc {
		fl := formLine{Account: at(acc, i), Debit: at(deb, i), Credit: at(cre, i), Memo: at(memo, i), Member: at(mem, i)}
		f.Lines = append(f.Lines, fl)
		d, err1 := ParseYuan(fl.Debit)
		c, err2 := ParseYuan(fl.Credit)
		if err1 != nil || err2 != nil {
			fields["lines."+strconv.Itoa(i)+".amount"] = "金额格式不正确，如 1200 或 1,200.50"
		}
		f.Debit += d
		f.Credit += c
		in.Lines = append(in.Lines, LineInput{AccountCode: fl.Account, Debit: d, Credit: c, Memo: fl.Memo, MemberName: fl.Member})
	}
	action := pf.Get("action")
	if action == "addline" || action == "check" {
		if action == "addline" {
			f.Lines = append(f.Lines, formLine{})
		}
		return s.renderForm(w, r, http.StatusOK, b, f, nil)
	}
	if len(fields) > 0 {
		return s.renderForm(w, r, http.StatusUnprocessableEntity, b, f, apperr.FieldErrors(fields))
	}
	var v *Voucher
	if vid == 0 {
		v, err = s.CreateVoucher(r.Context(), p, b.ID, in)
	} else {
		v, err = s.UpdateVoucher(r.Context(), p, b.ID, vid, in)
	}
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderForm(w, r, http.StatusUnprocessableEntity, b, f, err)
		}
		return err
	}
	web.Flash(w, "凭证已保存，待另一位同事审核")
	web.Redirect(w, r, fmt.Sprintf("/books/%d/vouchers/%d", b.ID, v.ID))
	return nil
}

func (s *Service) voucherActionPost(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	id, vid, err := ids(r)
	if err != nil {
		return err
	}
	var v *Voucher
	msg := ""
	switch r.PathValue("action") {
	case "review":
		v, err = s.Review(r.Context(), p, id, vid)
		msg = "凭证已审核"
	case "unreview":
		v, err = s.Unreview(r.Context(), p, id, vid)
		msg = "已取消审核，凭证退回待审核"
	case "post":
		v, err = s.Post(r.Context(), p, id, vid)
		msg = "凭证已记账"
	case "reverse":
		if perr := r.ParseForm(); perr != nil {
			return apperr.New(apperr.Invalid, "表单无法读取")
		}
		v, err = s.Reverse(r.Context(), p, id, vid, r.PostForm.Get("date"))
		msg = "已生成红字冲销凭证，请审核记账"
	default:
		return apperr.New(apperr.NotFound, "未知操作")
	}
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict || c == apperr.Forbidden {
			web.Flash(w, apperr.MessageOf(err))
			web.Redirect(w, r, fmt.Sprintf("/books/%d/vouchers/%d", id, vid))
			return nil
		}
		return err
	}
	if v.Number > 0 {
		msg += "：" + v.Word
	}
	web.Flash(w, msg)
	web.Redirect(w, r, fmt.Sprintf("/books/%d/vouchers/%d", id, v.ID))
	return nil
}

// fmtr gives templates the accounting number formats (the shared helpers show 万元, books show 1,234.56).
type fmtr struct{}

// F shows an amount in 分 as 1,234.56, blank for zero.
func (fmtr) F(fen int64) string {
	if fen == 0 {
		return ""
	}
	return FormatYuan(fen)
}

// A shows an amount in 分 as 1,234.56, 0.00 for zero.
func (fmtr) A(fen int64) string { return FormatYuan(fen) }

// P shows a period as 2026年3月.
func (fmtr) P(p string) string { return PeriodLabel(p) }

// Field is the error of a form line's field.
func (fmtr) Field(fields map[string]string, i int, name string) string {
	return fields["lines."+strconv.Itoa(i)+"."+name]
}

// Sum adds two amounts (templates).
func (fmtr) Sum(a, b int64) int64 { return a + b }

// Pct shows a ratio ×100 (6000) as 60.00%.
func (fmtr) Pct(x100 int64) string { return fmt.Sprintf("%d.%02d%%", x100/100, x100%100) }

// Q shows a quantity in thousandths.
func (fmtr) Q(q int64) string { return FormatQty(q) }

// Upper writes an amount in Chinese capital numerals (大写金额), as certificates and receipts carry it.
func (fmtr) Upper(fen int64) string { return UpperYuan(fen) }
