package market

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/web"
)

var zeroTime time.Time

func (s *Service) brandsPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if !canSee(p) {
		return errNoAccess
	}
	brands, err := s.ListBrands(r.Context(), p)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": brands}
	if isMember(p) {
		auths, err := s.ListAuths(r.Context(), p, 0)
		if err != nil {
			return err
		}
		data["Mine"] = auths
	}
	return web.Render(w, r, http.StatusOK, "market/brands.html", data)
}

func (s *Service) brandPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderBrand(w, r, http.StatusOK, nil, url.Values{})
}

func (s *Service) renderBrand(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	b, err := s.GetBrand(r.Context(), p, id)
	if err != nil {
		return err
	}
	auths, err := s.ListAuths(r.Context(), p, id)
	if err != nil {
		return err
	}
	batches, err := s.batchesOf(r.Context(), auths, 5)
	if err != nil {
		return err
	}
	data := map[string]any{"B": b, "Auths": auths, "Batches": batches, "CanAuthorise": isStaff(p), "CanIssue": isStaff(p) || isMember(p),
		"Units": Units, "In": in, "Fields": map[string]string{}, "Today": s.today(), "AuthID": formInt(in.Get("auth_id"))}
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
	return web.Render(w, r, status, "market/brand.html", data)
}

func (s *Service) authPost(w http.ResponseWriter, r *http.Request) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.Authorise(r.Context(), web.Principal(r), id, AuthInput{SubjectID: formInt(f.Get("subject_id")), Product: f.Get("product"),
		DateFrom: f.Get("date_from"), DateTo: f.Get("date_to"), Quota: formInt(f.Get("quota")), Unit: f.Get("unit")})
	if err != nil {
		if isForm(err) {
			return s.renderBrand(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, "已授权 "+a.SubjectName+" 使用“"+a.BrandName+"”")
	web.Redirect(w, r, fmt.Sprintf("/market/brands/%d", id))
	return nil
}

func (s *Service) batchPost(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.getAuth(r.Context(), s.db, p, id)
	if err != nil {
		return err
	}
	b, err := s.IssueBatch(r.Context(), p, id, BatchInput{Quantity: formInt(f.Get("quantity")), HarvestDate: f.Get("harvest_date"), Note: f.Get("note")})
	if err != nil {
		if isForm(err) {
			f.Set("auth_id", strconv.FormatInt(id, 10))
			r.SetPathValue("id", strconv.FormatInt(a.BrandID, 10))
			return s.renderBrand(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, "批次码已生成："+b.Code)
	web.Redirect(w, r, "/trace/"+b.Code)
	return nil
}

// ---------------------------------------------------------------------------------------------------------------
// Public batch page: no login, no personal data.
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) traceURL(r *http.Request, code string) string {
	base := s.BaseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/trace/" + url.PathEscape(code)
}

func (s *Service) publicBatchPage(w http.ResponseWriter, r *http.Request) error {
	b, err := s.LookupBatch(r.Context(), r.PathValue("code"))
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return web.Render(w, r, http.StatusNotFound, "market/trace.html", map[string]any{"Missing": r.PathValue("code")})
		}
		return err
	}
	return web.Render(w, r, http.StatusOK, "market/trace.html", map[string]any{"B": b, "URL": s.traceURL(r, b.Code)})
}

func (s *Service) publicBatchQR(w http.ResponseWriter, r *http.Request) error {
	b, err := s.LookupBatch(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(s.traceURL(r, b.Code), qrcode.Medium, 320)
	if err != nil {
		return fmt.Errorf("qr code: %w", err)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, err = bytes.NewReader(png).WriteTo(w)
	return err
}

// ---------------------------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------------------------

func (s *Service) eventsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderEvents(w, r, http.StatusOK, nil, url.Values{"kind": {"fair"}})
}

func (s *Service) renderEvents(w http.ResponseWriter, r *http.Request, status int, formErr error, in url.Values) error {
	p := web.Principal(r)
	if !canSee(p) {
		return errNoAccess
	}
	items, err := s.ListEvents(r.Context(), p)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": items, "Kinds": EventKinds, "Units": Units, "CanCreate": isStaff(p), "In": in, "Fields": map[string]string{},
		"EventID": formInt(in.Get("event_id"))}
	if formErr != nil {
		formError(data, formErr)
	}
	if isStaff(p) {
		var regions []Option
		for _, pre := range p.Scopes {
			if rg, ok := s.regions.Get(pre); ok {
				regions = append(regions, Option{rg.Code, rg.FullName})
				for _, t := range s.regions.Children(rg.Code) {
					regions = append(regions, Option{t.Code, t.FullName})
				}
			}
		}
		data["Regions"] = regions
		opts, err := s.subjectOptions(r.Context(), p, "cooperative", "family_farm", "enterprise")
		if err != nil {
			return err
		}
		data["Subjects"] = opts
	}
	return web.Render(w, r, status, "market/events.html", data)
}

func (s *Service) eventPost(w http.ResponseWriter, r *http.Request) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	_, err = s.CreateEvent(r.Context(), web.Principal(r), EventInput{Kind: f.Get("kind"), Name: f.Get("name"), RegionCode: f.Get("region_code"),
		Venue: f.Get("venue"), DateFrom: f.Get("date_from"), DateTo: f.Get("date_to"), Note: f.Get("note")})
	if err != nil {
		if isForm(err) {
			return s.renderEvents(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, "活动已登记")
	web.Redirect(w, r, "/market/events")
	return nil
}

func (s *Service) salePost(w http.ResponseWriter, r *http.Request) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	in := SaleInput{SubjectID: formInt(f.Get("subject_id")), Volume: formInt(f.Get("volume")), Unit: f.Get("unit"), SalesFen: formFen(f.Get("sales")), Note: f.Get("note")}
	if in.SalesFen < 0 {
		err = apperr.FieldErrors(map[string]string{"sales_fen": "销售额应为元（最多两位小数）"})
	} else {
		_, err = s.RecordSale(r.Context(), web.Principal(r), id, in)
	}
	if err != nil {
		if isForm(err) {
			f.Set("event_id", strconv.FormatInt(id, 10))
			return s.renderEvents(w, r, http.StatusUnprocessableEntity, err, f)
		}
		return err
	}
	web.Flash(w, "销售额已登记")
	web.Redirect(w, r, "/market/events")
	return nil
}
