package credit

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

type option struct{ Value, Label string }

func (s *Service) pageRoutes(srv *web.Server) {
	srv.Page("GET /credit/consents", s.consentsPage)
	srv.Page("GET /credit/consents/new", func(w http.ResponseWriter, r *http.Request) error {
		in := ConsentInput{SubjectID: mustInt(r.URL.Query().Get("subject_id")), ValidFrom: FormatDate(s.today()), ValidTo: FormatDate(AddMonths(s.today(), 12))}
		return s.renderConsentForm(w, r, http.StatusOK, in, nil, "")
	})
	srv.Page("POST /credit/consents/new", func(w http.ResponseWriter, r *http.Request) error {
		in, err := consentInput(r)
		if err == nil {
			var c *Consent
			if c, err = s.CreateConsent(r.Context(), web.Principal(r), in); err == nil {
				web.Flash(w, fmt.Sprintf("已记录 %s 对 %s 的授权", c.SubjectName, c.InstitutionName))
				web.Redirect(w, r, "/credit/consents")
				return nil
			}
		}
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderConsentForm(w, r, web.Status(c), in, apperr.FieldsOf(err), apperr.MessageOf(err))
		}
		return err
	})
	srv.Page("POST /credit/consents/{id}/revoke", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		_ = r.ParseForm()
		c, err := s.RevokeConsent(r.Context(), web.Principal(r), id, r.PostForm.Get("reason"))
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("已撤销 %s 对 %s 的授权", c.SubjectName, c.InstitutionName))
		web.Redirect(w, r, "/credit/consents")
		return nil
	})
	srv.Page("GET /credit/consents/{id}/scan", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		sc, err := s.ConsentScan(r.Context(), web.Principal(r), id)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", sc.ContentType)
		w.Header().Set("Content-Disposition", "inline; filename*=UTF-8''"+url.PathEscape(sc.FileName))
		_, err = w.Write(sc.Data)
		return err
	})
	srv.Page("GET /credit/files/me", func(w http.ResponseWriter, r *http.Request) error {
		p := web.Principal(r)
		if p.SubjectID == 0 || !isSelf(p) {
			return apperr.New(apperr.NotFound, "您的账号未关联主体")
		}
		http.Redirect(w, r, fmt.Sprintf("/credit/files/%d", p.SubjectID), http.StatusSeeOther)
		return nil
	})
	srv.Page("GET /credit/files/{id}", s.filePage)
	srv.Page("GET /credit/products", s.productsPage)
	srv.Page("GET /credit/products/new", func(w http.ResponseWriter, r *http.Request) error {
		return s.renderProductForm(w, r, http.StatusOK, ProductInput{Method: string(Annuity), LoanType: "信用"}, nil, "")
	})
	srv.Page("POST /credit/products/new", s.productPost)
	srv.Page("GET /credit/loans", s.loansPage)
	srv.Page("GET /credit/loans/apply", func(w http.ResponseWriter, r *http.Request) error {
		return s.renderApply(w, r, http.StatusOK, ApplyInput{ProductID: mustInt(r.URL.Query().Get("product_id")), SubjectID: mustInt(r.URL.Query().Get("subject_id"))}, nil, "")
	})
	srv.Page("POST /credit/loans/apply", s.applyPost)
	srv.Page("GET /credit/loans/{id}", func(w http.ResponseWriter, r *http.Request) error { return s.renderLoan(w, r, http.StatusOK, "", nil) })
	srv.Page("POST /credit/loans/{id}/{action}", s.actionPost)
}

func (s *Service) consentsPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	pg := web.ParsePage(r, 50, 200)
	items, total, err := s.ListConsents(r.Context(), p, ConsentFilter{State: r.URL.Query().Get("state"), SubjectID: mustInt(r.URL.Query().Get("subject_id")), Page: pg.Page, PerPage: pg.PerPage})
	data := map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "CanFile": isSelf(p) || isStaff(p), "Staff": isStaff(p),
		"States": []option{{"live", "生效中"}, {"pending", "未到生效日"}, {"expired", "已过期"}, {"revoked", "已撤销"}}, "Bank": isBank(p)}
	if err != nil {
		if apperr.CodeOf(err) != apperr.Invalid {
			return err
		}
		data["Error"] = apperr.MessageOf(err)
	}
	return web.Render(w, r, http.StatusOK, "credit/consents.html", data)
}

func (s *Service) renderConsentForm(w http.ResponseWriter, r *http.Request, status int, in ConsentInput, fields map[string]string, msg string) error {
	p := web.Principal(r)
	if !isSelf(p) && !isStaff(p) {
		return errReadOnly
	}
	if fields == nil {
		fields = map[string]string{}
	}
	data := map[string]any{"In": in, "Fields": fields, "Error": msg, "Staff": isStaff(p), "Purposes": Purposes, "Institutions": s.institutions(r.Context(), p)}
	if isSelf(p) {
		if x, err := s.subject(r.Context(), p.SubjectID); err == nil {
			data["Own"] = x
		}
	} else if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		found, _, err := s.subjects.List(r.Context(), p, registry.Filter{Q: q, PerPage: 20, Sort: "name"})
		if err == nil {
			data["Found"] = found
		}
		data["Q"] = q
	}
	return web.Render(w, r, status, "credit/consent_form.html", data)
}

func (s *Service) filePage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	f, err := s.File(r.Context(), p, id)
	if err != nil {
		return err
	}
	data := map[string]any{"F": f, "Bank": isBank(p), "CanRate": isStaff(p) || isBank(p), "Categories": RecordCategories, "Staff": isStaff(p),
		"CanRecord": isStaff(p) || (isSelf(p) && p.SubjectID == id)}
	if isStaff(p) {
		if sub, err := s.subject(r.Context(), id); err == nil {
			if m, err := s.CurrentModel(r.Context(), s.db, region.County(sub.RegionCode)+"000000"); err == nil && m != nil {
				var ext []ModelIndicator
				for _, ind := range m.Definition.Indicators {
					if ind.Part == PartExternal {
						ext = append(ext, ind)
					}
				}
				data["External"] = ext
			}
		}
	}
	if !isBank(p) {
		reads, err := s.Reads(r.Context(), p, id)
		if err != nil {
			return err
		}
		data["Reads"] = reads
		consents, _, err := s.ListConsents(r.Context(), p, ConsentFilter{SubjectID: id, PerPage: 100})
		if err != nil {
			return err
		}
		data["Consents"] = consents
	}
	var groups []string
	for _, ind := range f.Indicators {
		if len(groups) == 0 || groups[len(groups)-1] != ind.Group {
			groups = append(groups, ind.Group)
		}
	}
	data["Groups"] = groups
	return web.Render(w, r, http.StatusOK, "credit/file.html", data)
}

func (s *Service) productsPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	items, err := s.ListProducts(r.Context(), p, r.URL.Query().Get("all") == "1")
	if err != nil {
		return err
	}
	data := map[string]any{"Items": items, "CanCreate": isBank(p) || p.Is("county_admin"), "CanApply": isSelf(p) || isStaff(p)}
	if isSelf(p) {
		el, err := s.Eligible(r.Context(), p, p.SubjectID)
		if err == nil {
			data["Eligible"] = el
		}
	}
	return web.Render(w, r, http.StatusOK, "credit/products.html", data)
}

func (s *Service) renderProductForm(w http.ResponseWriter, r *http.Request, status int, in ProductInput, fields map[string]string, msg string) error {
	p := web.Principal(r)
	if !isBank(p) && !p.Is("county_admin") {
		return apperr.New(apperr.Forbidden, "只有金融机构和县级管理员可以设立贷款产品")
	}
	if fields == nil {
		fields = map[string]string{}
	}
	var methods []option
	for _, m := range Methods {
		methods = append(methods, option{string(m), m.Label()})
	}
	var kinds []option
	for _, k := range registry.Kinds {
		if !isInstitution(k.Code) {
			kinds = append(kinds, option{k.Code, k.Label})
		}
	}
	return web.Render(w, r, status, "credit/product_form.html", map[string]any{"In": in, "Fields": fields, "Error": msg, "Bank": isBank(p),
		"Institutions": s.institutions(r.Context(), p), "Methods": methods, "LoanTypes": LoanTypes, "Collaterals": Collaterals,
		"Industries": registry.DefaultIndustries, "Kinds": kinds})
}

func (s *Service) productPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	in := ProductInput{InstitutionID: mustInt(f.Get("institution_id")), Name: f.Get("name"), Industry: f.Get("industry"), LoanType: f.Get("loan_type"),
		Collateral: f.Get("collateral"), Method: f.Get("method"), Industries: f["industries"], Kinds: f["kinds"], Description: f.Get("description"),
		MinGrade: f.Get("min_grade"), MembersOnly: f.Get("members_only") == "1"}
	fields := map[string]string{}
	var ok bool
	if in.AmountMin, ok = parseYuan(f.Get("amount_min")); !ok {
		fields["amount_min"] = "请填写金额（元）"
	}
	if in.AmountMax, ok = parseYuan(f.Get("amount_max")); !ok {
		fields["amount_max"] = "请填写金额（元）"
	}
	in.TermMin, _ = strconv.Atoi(f.Get("term_min"))
	in.TermMax, _ = strconv.Atoi(f.Get("term_max"))
	if in.RateBP, ok = parsePercent(f.Get("rate")); !ok {
		fields["rate_bp"] = "请填写年利率（%），如 4.35"
	}
	if v := f.Get("rate_max"); v != "" {
		in.RateMaxBP, _ = parsePercent(v)
	}
	var x *Product
	err := apperr.FieldErrors(fields)
	if err == nil {
		x, err = s.CreateProduct(r.Context(), web.Principal(r), in)
	}
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderProductForm(w, r, web.Status(c), in, apperr.FieldsOf(err), apperr.MessageOf(err))
		}
		return err
	}
	web.Flash(w, "已设立贷款产品："+x.Name)
	web.Redirect(w, r, "/credit/products")
	return nil
}

func (s *Service) loansPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	f, pg, err := s.loanFilter(r)
	if err != nil {
		return err
	}
	items, total, err := s.ListLoans(r.Context(), p, f)
	data := map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "CanApply": isSelf(p) || isStaff(p)}
	if err != nil {
		if apperr.CodeOf(err) != apperr.Invalid {
			return err
		}
		data["Error"] = apperr.MessageOf(err)
	}
	var sts, bks []option
	for _, st := range LoanStatuses {
		sts = append(sts, option{st, LoanStatusLabel(st)})
	}
	for _, b := range Buckets {
		bks = append(bks, option{b, BucketLabel(b)})
	}
	data["Statuses"], data["Buckets"] = sts, bks
	return web.Render(w, r, http.StatusOK, "credit/loans.html", data)
}

func (s *Service) renderApply(w http.ResponseWriter, r *http.Request, status int, in ApplyInput, fields map[string]string, msg string) error {
	p := web.Principal(r)
	if !isSelf(p) && !isStaff(p) {
		return apperr.New(apperr.Forbidden, "只有借款主体本人或工作人员（代办）可以申请贷款")
	}
	if fields == nil {
		fields = map[string]string{}
	}
	if isSelf(p) {
		in.SubjectID = p.SubjectID
	}
	data := map[string]any{"In": in, "Fields": fields, "Error": msg, "Staff": isStaff(p), "AmountYuan": ""}
	if in.Amount > 0 {
		data["AmountYuan"] = fmt.Sprintf("%d.%02d", in.Amount/100, in.Amount%100)
	}
	if in.SubjectID != 0 {
		if el, err := s.Eligible(r.Context(), p, in.SubjectID); err == nil {
			data["Eligible"] = el
		}
		if x, err := s.subject(r.Context(), in.SubjectID); err == nil {
			data["Subject"] = x
		}
	} else {
		prods, err := s.ListProducts(r.Context(), p, false)
		if err != nil {
			return err
		}
		var el []Eligibility
		for _, x := range prods {
			el = append(el, Eligibility{Product: *x, Eligible: true})
		}
		data["Eligible"] = el
	}
	return web.Render(w, r, status, "credit/apply.html", data)
}

func (s *Service) applyPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	in := ApplyInput{ProductID: mustInt(f.Get("product_id")), SubjectID: mustInt(f.Get("subject_id")), Purpose: f.Get("purpose")}
	in.Months, _ = strconv.Atoi(f.Get("months"))
	amt, ok := parseYuan(f.Get("amount"))
	in.Amount = amt
	var x *Loan
	var err error
	if !ok {
		err = apperr.FieldErrors(map[string]string{"amount": "请填写申请金额（元）"})
	} else {
		x, err = s.Apply(r.Context(), web.Principal(r), in)
	}
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderApply(w, r, web.Status(c), in, apperr.FieldsOf(err), apperr.MessageOf(err))
		}
		return err
	}
	web.Flash(w, "贷款申请已提交，等待"+x.InstitutionName+"审批")
	web.Redirect(w, r, fmt.Sprintf("/credit/loans/%d", x.ID))
	return nil
}

func (s *Service) renderLoan(w http.ResponseWriter, r *http.Request, status int, action string, fields map[string]string) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	x, err := s.GetLoan(r.Context(), p, id)
	if err != nil {
		return err
	}
	if fields == nil {
		fields = map[string]string{}
	}
	data := map[string]any{"L": x, "Action": action, "Fields": fields, "Bank": isBank(p) && p.SubjectID == x.InstitutionID, "Today": FormatDate(s.today())}
	if prod, err := s.getProduct(r.Context(), s.db, x.ProductID); err == nil {
		data["P"] = prod
	}
	var sum Installment
	for _, i := range x.Schedule {
		sum.Principal += i.Principal
		sum.Interest += i.Interest
		sum.Total += i.Total
		sum.PaidPrincipal += i.PaidPrincipal
		sum.PaidInterest += i.PaidInterest
	}
	data["Sum"] = sum
	if gs, err := s.Guarantees(r.Context(), web.Principal(r), x.ID); err == nil {
		data["Guarantees"] = gs
	}
	if ps, err := s.Pledges(r.Context(), web.Principal(r), x.ID); err == nil {
		data["Pledges"] = ps
	}
	if canHandleLoan(p, x) == nil && (x.Status == LoanApproved || x.Status == LoanSigned || x.Status == LoanDisbursed) {
		var gs []*registry.Subject
		for _, i := range s.institutions(r.Context(), p) {
			if i.Kind == "guarantor" {
				gs = append(gs, i)
			}
		}
		data["Guarantors"], data["CanPledge"] = gs, s.Contracts != nil
	}
	return web.Render(w, r, status, "credit/loan.html", data)
}

func (s *Service) actionPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	action := r.PathValue("action")
	if _, ok := actions[action]; !ok {
		return apperr.New(apperr.NotFound, "没有该操作")
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	in := ActionInput{Date: f.Get("date"), Reason: f.Get("reason")}
	in.Months, _ = strconv.Atoi(f.Get("months"))
	fields := map[string]string{}
	if v := f.Get("amount"); v != "" {
		var ok bool
		if in.Amount, ok = parseYuan(v); !ok {
			fields["amount"] = "金额格式不正确（元，最多两位小数）"
		}
	}
	if v := f.Get("rate"); v != "" {
		var ok bool
		if in.RateBP, ok = parsePercent(v); !ok {
			fields["rate_bp"] = "年利率格式不正确（%）"
		}
	}
	err = apperr.FieldErrors(fields)
	if err == nil {
		_, err = s.Act(r.Context(), web.Principal(r), id, action, in)
	}
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			fl := apperr.FieldsOf(err)
			if fl == nil {
				fl = map[string]string{}
			}
			fl["_form"] = apperr.MessageOf(err)
			return s.renderLoan(w, r, web.Status(c), action, fl)
		}
		return err
	}
	web.Flash(w, "已办理："+ActionLabel(action))
	web.Redirect(w, r, fmt.Sprintf("/credit/loans/%d", id))
	return nil
}
