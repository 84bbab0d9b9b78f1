package market

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
	"nongfu/internal/tabular"
)

//go:embed templates/*.html
var templatesFS embed.FS

var (
	readers   = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Department, auth.Taskforce, auth.Viewer}
	allRoles  = append(append([]auth.Role{}, readers...), auth.Member)
	menuGroup = "产销对接"
)

// Routes registers the room's pages, API, menu items, home-page counts and the public batch page.
func (s *Service) Routes(srv *web.Server) {
	srv.Pages.AddFS("market", templatesFS, "templates/*.html")
	srv.AddMenu(
		web.MenuItem{Group: menuGroup, Label: "供求信息", Path: "/market/listings", Order: 70, Roles: allRoles},
		web.MenuItem{Group: menuGroup, Label: "订单合同", Path: "/market/contracts", Order: 71, Roles: allRoles},
		web.MenuItem{Group: menuGroup, Label: "采购商", Path: "/market/buyers", Order: 72, Roles: readers},
		web.MenuItem{Group: menuGroup, Label: "区域公用品牌", Path: "/market/brands", Order: 73, Roles: allRoles},
		web.MenuItem{Group: menuGroup, Label: "营销活动", Path: "/market/events", Order: 74, Roles: allRoles},
	)
	srv.AddStats(s.homeStats)
	srv.Page("GET /market/listings", s.listingsPage)
	srv.Page("POST /market/listings", s.listingPost)
	srv.Page("GET /market/listings.xlsx", s.listingsExport)
	srv.Page("GET /market/listings/{id}", s.listingPage)
	srv.Page("POST /market/listings/{id}/status", s.listingStatusPost)
	srv.Page("POST /market/listings/{id}", s.listingEditPost)
	srv.Page("GET /market/buyers", s.buyersPage)
	srv.Page("POST /market/buyers", s.buyerPost)
	srv.Page("GET /market/contracts", s.contractsPage)
	srv.Page("GET /market/contracts.xlsx", s.contractsExport)
	srv.Page("POST /market/contracts", s.contractPost)
	srv.Page("GET /market/contracts/{id}", s.contractPage)
	srv.Page("POST /market/contracts/{id}/{action}", s.contractActionPost)
	srv.Page("GET /market/brands", s.brandsPage)
	srv.Page("GET /market/brands/{id}", s.brandPage)
	srv.Page("POST /market/brands/{id}/authorisations", s.authPost)
	srv.Page("POST /market/authorisations/{id}/batches", s.batchPost)
	srv.Page("GET /market/events", s.eventsPage)
	srv.Page("POST /market/events", s.eventPost)
	srv.Page("POST /market/events/{id}/sales", s.salePost)
	srv.Public("GET /trace/{code}", s.publicBatchPage)
	srv.Public("GET /trace/{code}/qr.png", s.publicBatchQR)
	s.apiRoutes(srv)
}

func (s *Service) homeStats(ctx context.Context, p *auth.Principal) ([]web.Stat, error) {
	if !isReader(p) {
		return nil, nil
	}
	var contracts, value, members int64
	for _, pre := range p.ScopePrefixes() {
		n, v, err := s.ContractFigures(ctx, []string{pre}, zeroTime, zeroTime)
		if err != nil {
			return nil, err
		}
		m, err := s.BrandMembers(ctx, []string{pre}, 0, zeroTime)
		if err != nil {
			return nil, err
		}
		contracts, value, members = contracts+n[0], value+v[0], members+m[0]
	}
	return []web.Stat{
		{Label: "订单农业合同", Value: web.FormatInt(contracts), Hint: "合同金额 " + web.FormatFen(value) + " 元", Link: "/market/contracts", Order: 70},
		{Label: "品牌授权主体", Value: web.FormatInt(members), Hint: "区域公用品牌授权在有效期内", Link: "/market/brands", Order: 71},
	}, nil
}

func formError(data map[string]any, err error) {
	data["Error"] = apperr.MessageOf(err)
	if f := apperr.FieldsOf(err); f != nil {
		data["Fields"] = f
	}
}

func isForm(err error) bool {
	c := apperr.CodeOf(err)
	return c == apperr.Invalid || c == apperr.Conflict
}

func formInt(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n
}

// formFen reads an amount in 元 with at most two decimals into 分, exactly; anything else is -1 (invalid).
func formFen(v string) int64 {
	v = strings.TrimSpace(strings.ReplaceAll(v, ",", ""))
	if v == "" {
		return 0
	}
	whole, frac, _ := strings.Cut(v, ".")
	if len(frac) > 2 || whole == "" {
		return -1
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || w > 1e10 {
		return -1
	}
	return w*100 + f
}

func parseForm(r *http.Request) (url.Values, error) {
	if err := r.ParseForm(); err != nil {
		return nil, apperr.New(apperr.Invalid, "表单无法读取")
	}
	return r.PostForm, nil
}

func (s *Service) subjectOptions(ctx context.Context, p *auth.Principal, kinds ...string) ([]Option, error) {
	var out []Option
	for _, k := range kinds {
		subs, _, err := s.subjects.List(ctx, p, registry.Filter{Kind: k, PerPage: 300, Sort: "region"})
		if err != nil {
			return nil, err
		}
		for _, x := range subs {
			out = append(out, Option{strconv.FormatInt(x.ID, 10), x.Name + "（" + x.RegionName + "）"})
		}
	}
	return out, nil
}

// ---------------------------------------------------------------------------------------------------------------
// Listings
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) listingsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderListings(w, r, http.StatusOK, nil, url.Values{"side": {SideSupply}, "unit": {"公斤"}, "grade": {"一级"}})
}

func (s *Service) renderListings(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	if !canSee(p) {
		return errNoAccess
	}
	pg := web.ParsePage(r, 30, 200)
	f := listingFilter(r, pg)
	if f.Status == "" && r.URL.Query().Get("status") == "" {
		f.Status = ListingOpen
	}
	if r.URL.Query().Get("status") == "all" {
		f.Status = ""
	}
	if r.URL.Query().Get("mine") == "1" && isMember(p) {
		f.SubjectID, f.Status = p.SubjectID, ""
	}
	items, total, err := s.ListListings(r.Context(), p, f)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total), "Grades": Grades, "Units": Units,
		"CanPost": isStaff(p) || isMember(p), "OnBehalf": isStaff(p), "In": in, "Fields": map[string]string{}, "Member": isMember(p),
		"Export": "/market/listings.xlsx?" + r.URL.Query().Encode()}
	if formErr != nil {
		formError(data, formErr)
	}
	if isStaff(p) {
		opts, err := s.subjectOptions(r.Context(), p, "cooperative", "family_farm", "enterprise")
		if err != nil {
			return err
		}
		data["Subjects"] = opts
	}
	return web.Render(w, r, status, "market/listings.html", data)
}

func listingFromForm(f url.Values) ListingInput {
	return ListingInput{Side: f.Get("side"), SubjectID: formInt(f.Get("subject_id")), Product: f.Get("product"), Grade: f.Get("grade"),
		Quantity: formInt(f.Get("quantity")), Unit: f.Get("unit"), PriceFen: formFen(f.Get("price")), DateFrom: f.Get("date_from"), DateTo: f.Get("date_to"),
		BrandID: formInt(f.Get("brand_id")), Note: f.Get("note")}
}

func (s *Service) listingPost(w http.ResponseWriter, r *http.Request) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	in := listingFromForm(f)
	if in.PriceFen < 0 {
		return s.renderListings(w, r, http.StatusUnprocessableEntity, apperr.FieldErrors(map[string]string{"price_fen": "单价应为金额（元，最多两位小数）"}), f)
	}
	l, err := s.CreateListing(r.Context(), web.Principal(r), in)
	if err != nil {
		if isForm(err) {
			return s.renderListings(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, "已发布："+l.Product)
	web.Redirect(w, r, fmt.Sprintf("/market/listings/%d", l.ID))
	return nil
}

func (s *Service) listingsExport(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	f := listingFilter(r, web.PageReq{Page: 1, PerPage: 10000})
	if r.URL.Query().Get("status") == "" {
		f.Status = ListingOpen
	} else if r.URL.Query().Get("status") == "all" {
		f.Status = ""
	}
	f.Page, f.PerPage = 1, 10000
	items, _, err := s.ListListings(r.Context(), p, f)
	if err != nil {
		return err
	}
	sheet := tabular.Sheet{Name: "供求信息", Header: []string{"编号", "类型", "发布主体", "品名", "等级", "数量", "单位", "单价（元）", "开始日期", "结束日期",
		"品牌", "地点", "状态", "代发", "发布时间"}}
	for _, l := range items {
		price := "面议"
		if l.PriceFen > 0 {
			price = web.FormatYuanExact(l.PriceFen)
		}
		proxy := ""
		if l.OnBehalf {
			proxy = "是"
		}
		sheet.Rows = append(sheet.Rows, []string{strconv.FormatInt(l.ID, 10), l.SideLabel, l.SubjectName, l.Product, l.Grade, strconv.FormatInt(l.Quantity, 10),
			l.Unit, price, l.DateFrom, l.DateTo, l.BrandName, l.RegionName, l.StatusLabel, proxy, web.FormatDateTime(l.CreatedAt)})
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="listings.xlsx"; filename*=UTF-8''`+url.PathEscape("供求信息-"+s.today()+".xlsx"))
	return tabular.WriteXLSX(w, sheet)
}

func (s *Service) listingPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderListing(w, r, http.StatusOK, nil, nil)
}

func (s *Service) renderListing(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	l, err := s.GetListing(r.Context(), p, id)
	if err != nil {
		return err
	}
	own := isMember(p) && l.SubjectID == p.SubjectID
	canEdit := canEditListing(p, l.SubjectID, l.RegionCode) == nil && l.Status != ListingMatched
	if in == nil {
		price := ""
		if l.PriceFen > 0 {
			price = web.FormatYuanExact(l.PriceFen)
		}
		in = url.Values{"product": {l.Product}, "grade": {l.Grade}, "quantity": {strconv.FormatInt(l.Quantity, 10)}, "unit": {l.Unit}, "price": {price},
			"date_from": {l.DateFrom}, "date_to": {l.DateTo}, "note": {l.Note}}
	}
	data := map[string]any{"L": l, "CanEdit": canEdit, "Fields": map[string]string{}, "In": in, "Grades": Grades, "Units": Units,
		"Editing": formErr != nil && in.Get("edit") == "1"}
	if formErr != nil {
		formError(data, formErr)
	}
	if l.Status == ListingOpen && (own || isReader(p)) {
		_, cands, err := s.Candidates(r.Context(), p, id, 10)
		if err != nil {
			return err
		}
		data["Candidates"], data["ShowMatches"] = cands, true
		data["CanDraft"] = own || (isStaff(p) && (l.Side == SideDemand || p.InRegion(l.RegionCode)))
	}
	return web.Render(w, r, status, "market/listing.html", data)
}

func (s *Service) listingEditPost(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	l, err := s.GetListing(r.Context(), p, id)
	if err != nil {
		return err
	}
	in := listingFromForm(f)
	in.Side, in.SubjectID, in.RegionCode, in.Lng, in.Lat, in.BrandID, in.Status = l.Side, l.SubjectID, l.RegionCode, l.Lng, l.Lat, l.BrandID, l.Status
	f.Set("edit", "1")
	if in.PriceFen < 0 {
		return s.renderListing(w, r, http.StatusUnprocessableEntity, apperr.FieldErrors(map[string]string{"price_fen": "单价应为金额（元，最多两位小数）"}), f)
	}
	if _, err := s.UpdateListing(r.Context(), p, id, in); err != nil {
		if isForm(err) {
			return s.renderListing(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, "已修改")
	web.Redirect(w, r, fmt.Sprintf("/market/listings/%d", id))
	return nil
}

func (s *Service) listingStatusPost(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	l, err := s.GetListing(r.Context(), p, id)
	if err != nil {
		return err
	}
	in := ListingInput{Side: l.Side, SubjectID: l.SubjectID, RegionCode: l.RegionCode, Lng: l.Lng, Lat: l.Lat, Product: l.Product, Grade: l.Grade,
		Quantity: l.Quantity, Unit: l.Unit, PriceFen: l.PriceFen, DateFrom: l.DateFrom, DateTo: l.DateTo, BrandID: l.BrandID, Note: l.Note, Status: f.Get("status")}
	if _, err := s.UpdateListing(r.Context(), p, id, in); err != nil {
		if isForm(err) {
			return s.renderListing(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, "状态已更新")
	web.Redirect(w, r, fmt.Sprintf("/market/listings/%d", id))
	return nil
}

// ---------------------------------------------------------------------------------------------------------------
// Buyers
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) buyersPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderBuyers(w, r, http.StatusOK, nil, url.Values{})
}

func (s *Service) renderBuyers(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	if !isReader(p) {
		return errNoAccess
	}
	items, err := s.ListBuyers(r.Context(), p, 0)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": items, "Channels": Channels, "CanCreate": isStaff(p), "In": in, "Fields": map[string]string{}}
	if formErr != nil {
		formError(data, formErr)
	}
	if isStaff(p) {
		opts, err := s.subjectOptions(r.Context(), p, "enterprise", "cooperative", "supply_coop", "other")
		if err != nil {
			return err
		}
		data["Subjects"] = opts
	}
	return web.Render(w, r, status, "market/buyers.html", data)
}

func (s *Service) buyerPost(w http.ResponseWriter, r *http.Request) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	b, err := s.RegisterBuyer(r.Context(), web.Principal(r), BuyerInput{SubjectID: formInt(f.Get("subject_id")), Channel: f.Get("channel"), Note: f.Get("note")})
	if err != nil {
		if isForm(err) {
			return s.renderBuyers(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, b.Name+" 已登记为采购商")
	web.Redirect(w, r, "/market/buyers")
	return nil
}
