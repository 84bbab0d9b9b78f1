package books

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

// Screens of member accounts, the share register, the distribution wizard, the equity statement, opening
// balances and voucher attachments.

func (s *Service) memberRoutes(srv *web.Server) {
	srv.Page("GET /books/{id}/members/{mid}", s.memberPage)
	srv.Page("GET /books/{id}/members/{mid}/certificate", s.certificatePage)
	srv.Page("POST /books/{id}/members", s.formPost("members", func(ctx context.Context, p *auth.Principal, id int64, f url.Values) (string, error) {
		m, err := s.AddMember(ctx, p, id, MemberInput{Name: f.Get("name"), JoinedOn: f.Get("joined_on"), Note: f.Get("note")})
		return fmt.Sprintf("%s 已入册（第 %d 号）", m.Name, m.No), err
	}))
	srv.Page("POST /books/{id}/member-entries", s.formPost("members", func(ctx context.Context, p *auth.Principal, id int64, f url.Values) (string, error) {
		amt, err := ParseYuan(f.Get("amount"))
		if err != nil {
			return "", apperr.FieldErrors(map[string]string{"amount": err.Error()})
		}
		_, err = s.AddEntry(ctx, p, id, EntryInput{MemberID: formInt(f, "member_id"), Date: f.Get("date"), Kind: f.Get("kind"), Quantity: f.Get("quantity"),
			Unit: f.Get("unit"), Amount: amt, Memo: f.Get("memo")})
		return "已记入成员账户", err
	}))
	srv.Page("POST /books/{id}/shares", s.formPost("shares", func(ctx context.Context, p *auth.Principal, id int64, f url.Values) (string, error) {
		amt, err := ParseYuan(f.Get("amount"))
		if err != nil {
			return "", apperr.FieldErrors(map[string]string{"amount": err.Error()})
		}
		sh, err := s.AddShare(ctx, p, id, ShareInput{MemberID: formInt(f, "member_id"), Date: f.Get("date"), AssetKind: f.Get("asset_kind"), Description: f.Get("description"),
			ValuationBasis: f.Get("valuation_basis"), Amount: amt, Shares: formInt(f, "shares")})
		return fmt.Sprintf("已登记 %s 出资 %d 股，凭证待审核记账", sh.MemberName, sh.Shares), err
	}))
	srv.Page("POST /books/{id}/share-transfers", s.formPost("shares", func(ctx context.Context, p *auth.Principal, id int64, f url.Values) (string, error) {
		amt, err := ParseYuan(f.Get("amount"))
		if err != nil {
			return "", apperr.FieldErrors(map[string]string{"amount": err.Error()})
		}
		t, err := s.TransferShares(ctx, p, id, TransferInput{FromMember: formInt(f, "from_member"), ToMember: formInt(f, "to_member"), Date: f.Get("date"),
			Shares: formInt(f, "shares"), Amount: amt, Note: f.Get("note")})
		return fmt.Sprintf("已登记股金转让：%s → %s %d 股", t.From, t.To, t.Shares), err
	}))
	srv.Page("POST /books/{id}/distribution", s.formPost("distribution", func(ctx context.Context, p *auth.Principal, id int64, f url.Values) (string, error) {
		in, err := distInput(f)
		if err != nil {
			return "", err
		}
		d, err := s.Distribute(ctx, p, id, in)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d 年度盈余分配凭证已生成，请由另一位同事审核记账后成员账户生效", d.Year), nil
	}))
	srv.Page("POST /books/{id}/opening/apply", s.formPost("opening", func(ctx context.Context, p *auth.Principal, id int64, f url.Values) (string, error) {
		v, err := s.ApplyOpening(ctx, p, id)
		if err != nil {
			return "", err
		}
		return "期初凭证已生成（待审核记账）：" + v.Summary, nil
	}))
	srv.Page("POST /books/{id}/vouchers/{vid}/attachments", s.attachmentPost)
	srv.Page("GET /books/{id}/attachments/{aid}", s.attachmentGet)
}

func formInt(f url.Values, k string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(f.Get(k)), 10, 64)
	return n
}

// distInput reads the wizard's form: year, reserve in 元, return % or amount in 元.
func distInput(f url.Values) (DistributionInput, error) {
	in := DistributionInput{}
	in.Year, _ = strconv.Atoi(f.Get("year"))
	var err error
	if in.Reserve, err = ParseYuan(f.Get("reserve")); err != nil {
		return in, apperr.FieldErrors(map[string]string{"reserve": err.Error()})
	}
	if v := strings.TrimSpace(f.Get("return_pct")); v != "" {
		if in.ReturnPct, err = strconv.Atoi(v); err != nil {
			return in, apperr.FieldErrors(map[string]string{"return_pct": "返还比例应为整数，如 60"})
		}
	}
	if in.ByVolume, err = ParseYuan(f.Get("by_volume")); err != nil {
		return in, apperr.FieldErrors(map[string]string{"by_volume": err.Error()})
	}
	return in, nil
}

// formPost wraps a form action on a book: success flashes and returns to the tab, a 4xx re-renders the tab with
// the message.
func (s *Service) formPost(tab string, fn func(ctx context.Context, p *auth.Principal, id int64, f url.Values) (string, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return apperr.New(apperr.Invalid, "表单无法读取")
		}
		msg, err := fn(r.Context(), web.Principal(r), id, r.PostForm)
		if err != nil {
			if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
				return s.renderBookErr(w, r, id, tab, err)
			}
			return err
		}
		web.Flash(w, msg)
		web.Redirect(w, r, fmt.Sprintf("/books/%d?tab=%s", id, tab))
		return nil
	}
}

// extraTab fills the data of the member, share, distribution, equity and opening tabs.
func (s *Service) extraTab(r *http.Request, p *auth.Principal, b *Book, tab string, data map[string]any) error {
	ctx := r.Context()
	q := r.URL.Query()
	year := yearParam(r, s.thisYear())
	data["Year"] = year
	data["Years"] = s.years(b)
	switch tab {
	case "members", "shares":
		accs, err := s.MemberAccounts(ctx, p, b.ID, year)
		if err != nil {
			return err
		}
		data["Members"] = accs
		var t MemberAccount
		for _, a := range accs {
			t.Capital, t.Shares, t.Reserve, t.Subsidy, t.Donation = t.Capital+a.Capital, t.Shares+a.Shares, t.Reserve+a.Reserve, t.Subsidy+a.Subsidy, t.Donation+a.Donation
			t.Trade, t.Returned, t.Rest = t.Trade+a.Trade, t.Returned+a.Returned, t.Rest+a.Rest
		}
		data["MT"] = t
		data["Today"] = s.now().In(web.Shanghai).Format("2006-01-02")
		if tab == "shares" {
			sh, tr, err := s.Shares(ctx, p, b.ID)
			if err != nil {
				return err
			}
			data["Shares"], data["Transfers"], data["AssetKinds"] = sh, tr, AssetKinds
		}
	case "distribution":
		ds, err := s.Distributions(ctx, p, b.ID)
		if err != nil {
			return err
		}
		data["Distributions"] = ds
		dy := yearParam(r, s.thisYear()-1)
		data["DistYear"] = dy
		if q.Get("preview") != "" {
			in, err := distInput(q)
			if err == nil {
				in.Year = dy
				var plan *Distribution
				if plan, err = s.PlanDistribution(ctx, p, b.ID, in); err == nil {
					data["Plan"] = plan
				}
			}
			if err != nil {
				data["PlanError"] = apperr.MessageOf(err)
				for _, f := range apperr.FieldsOf(err) {
					if f != apperr.MessageOf(err) {
						data["PlanError"] = apperr.MessageOf(err) + "：" + f
					}
					break
				}
			}
		}
	case "equity":
		st, err := s.EquityStatement(ctx, p, b.ID, data["Period"].(string))
		if err != nil {
			return err
		}
		data["EQ"] = st
	case "opening":
		rows, d, c, err := s.Opening(ctx, p, b.ID)
		if err != nil {
			return err
		}
		data["Opening"], data["OpenD"], data["OpenC"] = rows, d, c
	default:
		return apperr.New(apperr.NotFound, "没有这个栏目")
	}
	return nil
}

// years lists the book's years, newest first.
func (s *Service) years(b *Book) []int {
	var out []int
	first, _ := strconv.Atoi(b.StartPeriod[:4])
	for y := s.thisYear(); y >= first && len(out) < 30; y-- {
		out = append(out, y)
	}
	return out
}

func (s *Service) memberPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderMember(w, r, "books/member.html")
}

func (s *Service) certificatePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderMember(w, r, "books/certificate.html")
}

func (s *Service) renderMember(w http.ResponseWriter, r *http.Request, page string) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	mid, err := web.PathID(r, "mid")
	if err != nil {
		return err
	}
	year := yearParam(r, s.thisYear())
	st, err := s.MemberStatement(r.Context(), p, id, mid, year)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "xlsx" {
		return s.exportMember(w, st, year)
	}
	sh, tr, err := s.Shares(r.Context(), p, id)
	if err != nil {
		return err
	}
	var mine []Share
	for _, x := range sh {
		if x.MemberID == mid && x.Posted {
			mine = append(mine, x)
		}
	}
	var myTr []Transfer
	for _, t := range tr {
		if t.FromID == mid || t.ToID == mid {
			myTr = append(myTr, t)
		}
	}
	return web.Render(w, r, http.StatusOK, page, map[string]any{"Y": fmtr{}, "B": st.Book, "S": st, "Year": year, "Years": s.years(st.Book),
		"Shares": mine, "Transfers": myTr, "Today": s.now().In(web.Shanghai).Format("2006年1月2日")})
}

func (s *Service) attachmentPost(w http.ResponseWriter, r *http.Request) error {
	id, vid, err := ids(r)
	if err != nil {
		return err
	}
	name, data, err := readAttachment(r)
	if err == nil {
		_, err = s.AddAttachment(r.Context(), web.Principal(r), id, vid, name, data)
	}
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid {
			msg := apperr.MessageOf(err)
			for _, f := range apperr.FieldsOf(err) {
				msg = f
			}
			web.Flash(w, "上传失败："+msg)
			web.Redirect(w, r, fmt.Sprintf("/books/%d/vouchers/%d", id, vid))
			return nil
		}
		return err
	}
	web.Flash(w, "已上传附件 "+name)
	web.Redirect(w, r, fmt.Sprintf("/books/%d/vouchers/%d", id, vid))
	return nil
}

func (s *Service) attachmentGet(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	aid, err := web.PathID(r, "aid")
	if err != nil {
		return err
	}
	a, data, err := s.AttachmentData(r.Context(), web.Principal(r), id, aid)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="scan"; filename*=UTF-8''%s`, url.PathEscape(a.FileName)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(data)
	return err
}
