package credit

import (
	"context"
	"embed"
	"io"
	"math"
	"mime"
	"net/http"
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
	bankRoles  = []auth.Role{auth.Bank}
	applyRoles = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Member, auth.Provider}
	readNote   = "所有已登录角色（本人、本机构或管辖范围内）"
)

// Badge is the loan's status badge class.
func (x Loan) Badge() string { return LoanBadge(x.Status) }

// Badge is the consent state's badge class.
func (c Consent) Badge() string {
	switch c.State {
	case "live":
		return "ok"
	case "pending":
		return "info"
	case "expired":
		return "warn"
	}
	return "bad"
}

// Routes registers the room's pages, API, menu items and home-page counts.
func (s *Service) Routes(srv *web.Server) {
	srv.Pages.AddFS("credit", templatesFS, "templates/*.html")
	srv.AddMenu(
		web.MenuItem{Group: "信用与金融", Label: "征信授权", Path: "/credit/consents", Order: 60},
		web.MenuItem{Group: "信用与金融", Label: "贷款产品", Path: "/credit/products", Order: 61},
		web.MenuItem{Group: "信用与金融", Label: "贷款", Path: "/credit/loans", Order: 62},
		web.MenuItem{Group: "信用与金融", Label: "申请贷款", Path: "/credit/loans/apply", Order: 63, Roles: applyRoles},
		web.MenuItem{Group: "信用与金融", Label: "我的信用档案", Path: "/credit/files/me", Order: 64, Roles: []auth.Role{auth.Member, auth.Provider}},
		web.MenuItem{Group: "信用与金融", Label: "信用评级", Path: "/credit/ratings", Order: 65, Roles: ratingRoles},
		web.MenuItem{Group: "信用与金融", Label: "整村授信", Path: "/credit/batches", Order: 66, Roles: ratingRoles},
		web.MenuItem{Group: "信用与金融", Label: "评级模型", Path: "/credit/models", Order: 67, Roles: []auth.Role{auth.CountyAdmin}},
		web.MenuItem{Group: "信用与金融", Label: "会员互评", Path: "/credit/peer", Order: 65, Roles: []auth.Role{auth.Member, auth.Provider}},
		web.MenuItem{Group: "信用与金融", Label: "农业保险", Path: "/credit/insurance", Order: 68, Roles: financeRoles},
		web.MenuItem{Group: "信用与金融", Label: "贷款贴息", Path: "/credit/subsidies", Order: 69, Roles: []auth.Role{auth.CountyAdmin, auth.Department}},
	)
	srv.AddStats(s.homeStats)
	s.pageRoutes(srv)
	s.apiRoutes(srv)
	s.ratingAPI(srv)
	s.ratingPages(srv)
	s.financeAPI(srv)
	s.financePages(srv)
	s.peerPages(srv)
}

func (s *Service) homeStats(ctx context.Context, p *auth.Principal) ([]web.Stat, error) {
	loans, total, err := s.ListLoans(ctx, p, LoanFilter{Status: LoanDisbursed, PerPage: 1 << 30})
	if err != nil {
		return nil, err
	}
	var bal int64
	overdue := 0
	for _, x := range loans {
		if x.Overdue != nil {
			bal += x.Overdue.OutstandingBalance
			if x.Overdue.Days > 0 {
				overdue++
			}
		}
	}
	_, live, err := s.ListConsents(ctx, p, ConsentFilter{State: "live", PerPage: 1})
	if err != nil {
		return nil, err
	}
	return []web.Stat{
		{Label: "在贷笔数", Value: web.FormatInt(total), Hint: "贷款余额 " + web.FormatFen(bal), Link: "/credit/loans?status=disbursed", Order: 60},
		{Label: "逾期贷款", Value: web.FormatInt(overdue), Hint: "按今天计算", Link: "/credit/loans?status=disbursed&overdue=1", Order: 61},
		{Label: "有效征信授权", Value: web.FormatInt(live), Link: "/credit/consents?state=live", Order: 62},
	}, nil
}

func queryInt(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, apperr.FieldErrors(map[string]string{name: "应为非负整数"})
	}
	return n, nil
}

// consentInput reads a consent from JSON or from a multipart form (UI and API uploads of large scans).
func consentInput(r *http.Request) (ConsentInput, error) {
	var in ConsentInput
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" && ct != "application/x-www-form-urlencoded" {
		err := web.DecodeJSON(r, &in)
		return in, err
	}
	r.Body = http.MaxBytesReader(nil, r.Body, MaxScanBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil && ct == "multipart/form-data" {
		if strings.Contains(err.Error(), "too large") {
			return in, apperr.FieldErrors(map[string]string{"scan": "扫描件不能超过 5 MB"})
		}
		return in, apperr.New(apperr.Invalid, "表单无法读取")
	} else if ct != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			return in, apperr.New(apperr.Invalid, "表单无法读取")
		}
	}
	in.SubjectID = mustInt(r.FormValue("subject_id"))
	in.InstitutionID = mustInt(r.FormValue("institution_id"))
	in.Purpose, in.ValidFrom, in.ValidTo, in.Note = r.FormValue("purpose"), r.FormValue("valid_from"), r.FormValue("valid_to"), r.FormValue("note")
	if r.MultipartForm != nil {
		if f, h, err := r.FormFile("scan"); err == nil {
			defer f.Close()
			data, err := io.ReadAll(io.LimitReader(f, MaxScanBytes+1))
			if err != nil {
				return in, apperr.New(apperr.Invalid, "扫描件无法读取")
			}
			in.Scan, in.ScanName = data, h.Filename
		}
	}
	return in, nil
}

func mustInt(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n
}

// parseYuan reads an amount in 元 with up to two decimals into 分.
func parseYuan(v string) (int64, bool) {
	v = strings.ReplaceAll(strings.TrimSpace(v), ",", "")
	if v == "" {
		return 0, false
	}
	whole, frac, _ := strings.Cut(v, ".")
	if len(frac) > 2 {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > math.MaxInt64/1000 {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		f, err = strconv.ParseInt((frac + "0")[:2], 10, 64)
		if err != nil || f < 0 {
			return 0, false
		}
	}
	return w*100 + f, true
}

// parsePercent reads "4.35" (%) into basis points.
func parsePercent(v string) (int, bool) {
	fen, ok := parseYuan(v)
	return int(fen), ok && fen <= math.MaxInt32
}

func (s *Service) apiRoutes(srv *web.Server) {
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/consents", Summary: "征信授权列表", Tag: "credit", Query: []string{"subject_id", "institution_id", "state", "page", "per_page"},
		Response: web.List[Consent]{}, Roles: readNote},
		func(w http.ResponseWriter, r *http.Request) error {
			sub, err := queryInt(r, "subject_id")
			if err != nil {
				return err
			}
			inst, err := queryInt(r, "institution_id")
			if err != nil {
				return err
			}
			pg := web.ParsePage(r, 50, 500)
			items, total, err := s.ListConsents(r.Context(), web.Principal(r), ConsentFilter{SubjectID: sub, InstitutionID: inst, State: r.URL.Query().Get("state"), Page: pg.Page, PerPage: pg.PerPage})
			if err != nil {
				return err
			}
			out := make([]Consent, len(items))
			for i, c := range items {
				out[i] = *c
			}
			web.WriteJSON(w, http.StatusOK, web.List[Consent]{Items: out, Total: total, Page: pg.Page, PerPage: pg.PerPage})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/consents", Summary: "提交征信授权（本人；工作人员代办须附签字授权书扫描件，JSON base64 或 multipart/form-data）", Tag: "credit",
		Request: ConsentInput{}, Response: Consent{}, Status: 201, Roles: "member、provider（本人）；county_admin、township_operator（代办）"},
		func(w http.ResponseWriter, r *http.Request) error {
			in, err := consentInput(r)
			if err != nil {
				return err
			}
			c, err := s.CreateConsent(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, c)
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/consents/{id}/revoke", Summary: "撤销征信授权", Tag: "credit", Request: ActionInput{}, Response: Consent{},
		Roles: "member、provider（本人）；county_admin、township_operator（管辖范围内）"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in ActionInput
			if r.ContentLength != 0 {
				if err := web.DecodeJSON(r, &in); err != nil {
					return err
				}
			}
			c, err := s.RevokeConsent(r.Context(), web.Principal(r), id, in.Reason)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, c)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/credit-files/{subject_id}", Summary: "信用档案（实时汇集）；金融机构须有生效授权，每次查看均记录", Tag: "credit",
		Response: File{}, Roles: "本人；管辖范围内工作人员；已获授权的金融机构"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "subject_id")
			if err != nil {
				return err
			}
			f, err := s.File(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, f)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/credit-files/{subject_id}/reads", Summary: "信用档案查询记录（谁查看过）", Tag: "credit",
		Response: web.List[Read]{}, Roles: "本人；管辖范围内工作人员"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "subject_id")
			if err != nil {
				return err
			}
			out, err := s.Reads(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.List[Read]{Items: out, Total: len(out), Page: 1, PerPage: len(out)})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/loan-products", Summary: "贷款产品（一业一贷）", Tag: "credit", Query: []string{"all"},
		Response: web.List[Product]{}, Roles: "金融机构看本机构产品；其他角色看本县在售产品"},
		func(w http.ResponseWriter, r *http.Request) error {
			items, err := s.ListProducts(r.Context(), web.Principal(r), r.URL.Query().Get("all") == "1")
			if err != nil {
				return err
			}
			out := make([]Product, len(items))
			for i, x := range items {
				out[i] = *x
			}
			web.WriteJSON(w, http.StatusOK, web.List[Product]{Items: out, Total: len(out), Page: 1, PerPage: len(out)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/loan-products", Summary: "设立贷款产品", Tag: "credit", Request: ProductInput{}, Response: Product{}, Status: 201,
		Roles: "bank（本机构）；county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ProductInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			x, err := s.CreateProduct(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, x)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/loan-products/eligible", Summary: "主体可申请的产品及不符合原因", Tag: "credit", Query: []string{"subject_id"},
		Response: web.List[Eligibility]{}, Roles: "本人；管辖范围内工作人员"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := queryInt(r, "subject_id")
			if err != nil {
				return err
			}
			out, err := s.Eligible(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.List[Eligibility]{Items: out, Total: len(out), Page: 1, PerPage: len(out)})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/loans", Summary: "贷款与申请列表（含逾期天数与分类）", Tag: "credit",
		Query: []string{"status", "bucket", "subject_id", "product_id", "as_of", "page", "per_page"}, Response: web.List[Loan]{}, Roles: readNote},
		func(w http.ResponseWriter, r *http.Request) error {
			f, pg, err := s.loanFilter(r)
			if err != nil {
				return err
			}
			items, total, err := s.ListLoans(r.Context(), web.Principal(r), f)
			if err != nil {
				return err
			}
			out := make([]Loan, len(items))
			for i, x := range items {
				out[i] = *x
			}
			web.WriteJSON(w, http.StatusOK, web.List[Loan]{Items: out, Total: total, Page: pg.Page, PerPage: pg.PerPage})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/loans", Summary: "申请贷款（须已授权该机构）", Tag: "credit", Request: ApplyInput{}, Response: Loan{}, Status: 201,
		Roles: "member、provider（本人）；county_admin、township_operator（代办）"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ApplyInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			x, err := s.Apply(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, x)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/loans/{id}", Summary: "贷款详情（还款计划、还款记录、状态记录）", Tag: "credit", Response: Loan{}, Roles: readNote},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			x, err := s.GetLoan(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, x)
			return nil
		})
	for _, a := range []string{"approve", "reject", "sign", "disburse", "repay", "draw", "write-off"} {
		srv.Handle(web.Op{Method: "POST", Path: "/api/v1/loans/{id}/" + a, Summary: ActionLabel(a) + "（放贷机构）", Tag: "credit", Request: ActionInput{}, Response: Loan{},
			Roles: "bank（本机构贷款）"},
			func(w http.ResponseWriter, r *http.Request) error {
				id, err := web.PathID(r, "id")
				if err != nil {
					return err
				}
				var in ActionInput
				if r.ContentLength != 0 {
					if err := web.DecodeJSON(r, &in); err != nil {
						return err
					}
				}
				x, err := s.Act(r.Context(), web.Principal(r), id, a, in)
				if err != nil {
					return err
				}
				web.WriteJSON(w, http.StatusOK, x)
				return nil
			})
	}
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/schedule-preview", Summary: "还款计划试算（纯计算，不保存）", Tag: "credit",
		Query: []string{"principal", "rate_bp", "months", "method", "start"}, Response: []Installment{}, Roles: "所有已登录角色"},
		func(w http.ResponseWriter, r *http.Request) error {
			in, err := previewInput(r)
			if err != nil {
				return err
			}
			out, err := Schedule(in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, out)
			return nil
		})
}

func previewInput(r *http.Request) (ScheduleInput, error) {
	q := r.URL.Query()
	f := map[string]string{}
	var in ScheduleInput
	var err error
	if in.Principal, err = strconv.ParseInt(q.Get("principal"), 10, 64); err != nil {
		f["principal"] = "请填写本金（分）"
	}
	if in.RateBP, err = strconv.Atoi(q.Get("rate_bp")); err != nil {
		f["rate_bp"] = "请填写年利率（基点）"
	}
	if in.Months, err = strconv.Atoi(q.Get("months")); err != nil {
		f["months"] = "请填写期限（月）"
	}
	m, ok := MethodOf(q.Get("method"))
	if !ok {
		f["method"] = "还款方式应为 annuity、equal_principal、interest_only 或 revolving"
	}
	in.Method = m
	if in.Start, err = ParseDate(q.Get("start")); err != nil {
		f["start"] = "请填写放款日期（YYYY-MM-DD）"
	}
	if len(f) > 0 {
		return in, apperr.FieldErrors(f)
	}
	return in, nil
}

func (s *Service) loanFilter(r *http.Request) (LoanFilter, web.PageReq, error) {
	q := r.URL.Query()
	pg := web.ParsePage(r, 50, 500)
	f := LoanFilter{Status: q.Get("status"), Bucket: q.Get("bucket"), Page: pg.Page, PerPage: pg.PerPage}
	var err error
	if f.SubjectID, err = queryInt(r, "subject_id"); err != nil {
		return f, pg, err
	}
	if f.ProductID, err = queryInt(r, "product_id"); err != nil {
		return f, pg, err
	}
	if v := q.Get("as_of"); v != "" {
		if f.AsOf, err = ParseDate(v); err != nil {
			return f, pg, apperr.FieldErrors(map[string]string{"as_of": "日期格式应为 YYYY-MM-DD"})
		}
	}
	return f, pg, nil
}

// institutions lists the registered banks, guarantors and insurers of p's county for pickers.
func (s *Service) institutions(ctx context.Context, p *auth.Principal) []*registry.Subject {
	var out []*registry.Subject
	var scopes []string
	for _, c := range counties(p) {
		scopes = append(scopes, c+"000000")
	}
	if len(scopes) == 0 && p.SubjectID != 0 {
		if x, err := s.subject(ctx, p.SubjectID); err == nil {
			scopes = []string{x.RegionCode[:6] + "000000"}
		}
	}
	sys := &auth.Principal{Role: auth.CountyAdmin, Scopes: scopes}
	for _, k := range []string{"bank", "guarantor", "insurer"} {
		l, _, err := s.subjects.List(ctx, sys, registry.Filter{Kind: k, PerPage: 200, Sort: "name"})
		if err == nil {
			out = append(out, l...)
		}
	}
	return out
}
