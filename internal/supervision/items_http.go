package supervision

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/web"
)

func (s *Service) itemRoutes(srv *web.Server) {
	srv.Page("GET /supervision/items/{id}/edit", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		return s.renderItemEdit(w, r, http.StatusOK, id, nil, "", nil)
	})
	srv.Page("POST /supervision/items/{id}/edit", s.itemEditPost)
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/supervision/items/{id}", Summary: "修改重点工作或附件1条目（只改提交的字段）", Tag: "supervision",
		Request: ItemInput{}, Response: Item{}, Roles: rolesEdit},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in ItemInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			it, err := s.UpdateItem(r.Context(), web.Principal(r), id, in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, it)
			return nil
		})
}

func (s *Service) renderItemEdit(w http.ResponseWriter, r *http.Request, status int, id int64, form *Item, msg string, fields map[string]string) error {
	p := web.Principal(r)
	if err := canEditPlan(p); err != nil {
		return err
	}
	it, err := s.GetItem(r.Context(), p, id)
	if err != nil {
		return err
	}
	if form != nil {
		form.ID, form.Kind, form.No, form.Mark, form.Category = it.ID, it.Kind, it.No, it.Mark, it.Category
		it = *form
	}
	units, err := s.Units(r.Context(), p)
	if err != nil {
		return err
	}
	lead, coop := map[int64]bool{}, map[int64]bool{}
	for _, u := range it.Lead {
		lead[u.ID] = true
	}
	for _, u := range it.Coop {
		coop[u.ID] = true
	}
	if fields == nil {
		fields = map[string]string{}
	}
	return web.Render(w, r, status, "supervision/item_edit.html", map[string]any{"I": it, "Units": units, "LeadSet": lead, "CoopSet": coop,
		"KPIText": strings.Join(it.KPIs, ", "), "Error": msg, "Fields": fields})
}

func (s *Service) itemEditPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单格式错误")
	}
	f := r.PostForm
	title, targets, note := f.Get("title"), f.Get("targets"), f.Get("note")
	kpis := strings.FieldsFunc(f.Get("kpis"), func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' })
	ids := func(name string) *[]int64 {
		out := []int64{}
		for _, v := range f[name] {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				out = append(out, n)
			}
		}
		return &out
	}
	in := ItemInput{Title: &title, Targets: &targets, Note: &note, KPIs: &kpis, Lead: ids("lead"), Coop: ids("coop")}
	if _, err := s.UpdateItem(r.Context(), web.Principal(r), id, in); err != nil {
		if !isUserError(err) {
			return err
		}
		msg, fe := pageErr(err)
		form := &Item{Title: title, Targets: targets, Note: note, KPIs: kpis}
		for _, u := range *in.Lead {
			form.Lead = append(form.Lead, UnitRef{ID: u})
		}
		for _, u := range *in.Coop {
			form.Coop = append(form.Coop, UnitRef{ID: u})
		}
		return s.renderItemEdit(w, r, http.StatusUnprocessableEntity, id, form, msg, fe)
	}
	web.Flash(w, "已保存")
	web.Redirect(w, r, fmt.Sprintf("/supervision/plan#item-%d", id))
	return nil
}
