package credit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
)

// Screens of the rating part: ratings with explanations, rating models, 整村授信 batches and the 外评 form.

// ratingRoles see 信用评级 and 整村授信 in their menu; the read-only roles reach the same pages by link (the plan's
// figures are their view), which keeps their menus short.
var ratingRoles = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Bank, auth.Department}

func (s *Service) ratingPages(srv *web.Server) {
	srv.Page("GET /credit/ratings", s.ratingsPage)
	srv.Page("POST /credit/ratings", func(w http.ResponseWriter, r *http.Request) error {
		_ = r.ParseForm()
		x, err := s.RateSubject(r.Context(), web.Principal(r), mustInt(r.PostForm.Get("subject_id")))
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("%s 评为 %s 级（%s 分）", x.SubjectName, x.Grade, numText(x.Score)))
		web.Redirect(w, r, fmt.Sprintf("/credit/ratings/%d", x.ID))
		return nil
	})
	srv.Page("GET /credit/ratings/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		x, err := s.GetRating(r.Context(), web.Principal(r), id)
		if err != nil {
			return err
		}
		return web.Render(w, r, http.StatusOK, "credit/rating.html", map[string]any{"R": x})
	})
	srv.Page("GET /credit/models", func(w http.ResponseWriter, r *http.Request) error {
		p := web.Principal(r)
		l, err := s.ListModels(r.Context(), p)
		if err != nil {
			return err
		}
		return web.Render(w, r, http.StatusOK, "credit/models.html", map[string]any{"Items": l, "CanEdit": p.Is(auth.CountyAdmin)})
	})
	srv.Page("POST /credit/models", func(w http.ResponseWriter, r *http.Request) error {
		_ = r.ParseForm()
		m, err := s.CreateModel(r.Context(), web.Principal(r), ModelInput{Name: cmpOrStr(r.PostForm.Get("name"), "农户信用评级"), FromID: mustInt(r.PostForm.Get("from_id"))})
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("已新建第 %d 版草稿", m.Version))
		web.Redirect(w, r, fmt.Sprintf("/credit/models/%d", m.ID))
		return nil
	})
	srv.Page("GET /credit/models/{id}", func(w http.ResponseWriter, r *http.Request) error { return s.renderModel(w, r, http.StatusOK, "", nil) })
	srv.Page("POST /credit/models/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		_ = r.ParseForm()
		var def ModelDef
		if err := json.Unmarshal([]byte(r.PostForm.Get("definition")), &def); err != nil {
			return s.renderModel(w, r, http.StatusUnprocessableEntity, r.PostForm.Get("definition"), map[string]string{"definition": "模型定义不是有效的 JSON：" + err.Error()})
		}
		for i := range def.Grades {
			if v := r.PostForm.Get(fmt.Sprintf("grade_%d", i)); v != "" {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return s.renderModel(w, r, http.StatusUnprocessableEntity, r.PostForm.Get("definition"), map[string]string{"grades": "等级最低分应为数字"})
				}
				def.Grades[i].MinScore = f
			}
		}
		if _, err := s.UpdateModel(r.Context(), web.Principal(r), id, ModelInput{Name: r.PostForm.Get("name"), Note: r.PostForm.Get("note"), Definition: &def}); err != nil {
			if apperr.CodeOf(err) == apperr.Invalid {
				return s.renderModel(w, r, http.StatusUnprocessableEntity, r.PostForm.Get("definition"), apperr.FieldsOf(err))
			}
			return err
		}
		web.Flash(w, "已保存草稿")
		web.Redirect(w, r, fmt.Sprintf("/credit/models/%d", id))
		return nil
	})
	srv.Page("POST /credit/models/{id}/approve", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		m, err := s.ApproveModel(r.Context(), web.Principal(r), id)
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("第 %d 版已批准为现行模型", m.Version))
		web.Redirect(w, r, fmt.Sprintf("/credit/models/%d", id))
		return nil
	})
	srv.Page("GET /credit/batches", s.batchesPage)
	srv.Page("POST /credit/batches", func(w http.ResponseWriter, r *http.Request) error {
		_ = r.ParseForm()
		in := BatchInput{RegionCode: r.PostForm.Get("region_code")}
		if r.PostForm.Has("min_grade") {
			cfg := DefaultBatchConfig()
			cfg.MinGrade = r.PostForm.Get("min_grade")
			cfg.NoArrears, cfg.NoBadRecord = r.PostForm.Get("no_arrears") == "1", r.PostForm.Get("no_bad_record") == "1"
			f := map[string]string{}
			for key, dst := range map[string]*float64{"village_credit_pct": &cfg.VillageCreditPct, "village_clean_pct": &cfg.VillageCleanPct, "village_max_npl_pct": &cfg.VillageMaxNPLPct} {
				v, err := strconv.ParseFloat(strings.TrimSpace(r.PostForm.Get(key)), 64)
				if err != nil {
					f[key] = "应为 0–100 的数字"
				}
				*dst = v
			}
			if len(f) > 0 {
				return apperr.FieldErrors(f)
			}
			in.Config = &cfg
		}
		b, err := s.StartBatch(r.Context(), web.Principal(r), in)
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("已发起 %s 整村授信第 %d 版", b.RegionName, b.Version))
		web.Redirect(w, r, fmt.Sprintf("/credit/batches/%d", b.ID))
		return nil
	})
	srv.Page("GET /credit/batches/{id}", s.batchPage)
	srv.Page("GET /credit/batches/{id}/export", s.exportBatch)
	srv.Page("POST /credit/files/{id}/records", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		_ = r.ParseForm()
		f := r.PostForm
		in := RecordInput{SubjectID: id, Category: f.Get("category"), Title: f.Get("title"), Unit: f.Get("unit"), Source: f.Get("source"), Date: f.Get("date")}
		if v := strings.TrimSpace(f.Get("amount")); v != "" {
			fen, ok := parseYuan(v)
			if !ok {
				return apperr.FieldErrors(map[string]string{"amount": "金额应为数字（元）"})
			}
			in.AmountFen = fen
		}
		if v := strings.TrimSpace(f.Get("quantity")); v != "" {
			q, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return apperr.FieldErrors(map[string]string{"quantity": "数量应为数字"})
			}
			in.Quantity = q
		}
		x, err := s.AddRecord(r.Context(), web.Principal(r), in)
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("已登记%s：%s", x.CategoryLabel, x.Title))
		web.Redirect(w, r, fmt.Sprintf("/credit/files/%d", id))
		return nil
	})
	srv.Page("POST /credit/files/{id}/external", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		_ = r.ParseForm()
		in := ExternalInput{SubjectID: id, Scores: map[string]float64{}}
		for k, v := range r.PostForm {
			if strings.HasPrefix(k, "ext.") && strings.TrimSpace(v[0]) != "" {
				f, err := strconv.ParseFloat(strings.TrimSpace(v[0]), 64)
				if err != nil {
					return apperr.FieldErrors(map[string]string{k: "得分应为数字"})
				}
				in.Scores[k] = f
			}
		}
		if err := s.SaveExternalScores(r.Context(), web.Principal(r), in); err != nil {
			return err
		}
		web.Flash(w, "已保存外评得分")
		web.Redirect(w, r, fmt.Sprintf("/credit/files/%d", id))
		return nil
	})
}

func (s *Service) ratingsPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	pg := web.ParsePage(r, 50, 200)
	q := r.URL.Query()
	items, total, err := s.ListRatings(r.Context(), p, RatingFilter{Grade: q.Get("grade"), SubjectID: mustInt(q.Get("subject_id")), Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "credit/ratings.html", map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total),
		"Grades": GradeOrder, "CanRate": isStaff(p)})
}

func (s *Service) renderModel(w http.ResponseWriter, r *http.Request, status int, raw string, fields map[string]string) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	m, err := s.GetModel(r.Context(), p, id)
	if err != nil {
		return err
	}
	if raw == "" {
		b, _ := json.MarshalIndent(m.Definition, "", "  ")
		raw = string(b)
	}
	return web.Render(w, r, status, "credit/model.html", map[string]any{"M": m, "Raw": raw, "Fields": fields, "CanEdit": p.Is(auth.CountyAdmin) && m.Status == ModelDraft,
		"CanCopy": p.Is(auth.CountyAdmin), "Catalog": InputCatalog})
}

// regionOptions are the township and village choices of p's scope for a batch.
func (s *Service) regionOptions(p *auth.Principal) []option {
	var out []option
	for _, sc := range p.Scopes {
		rg, ok := s.regions.Get(sc)
		if !ok {
			continue
		}
		var walk func(code string, depth int)
		walk = func(code string, depth int) {
			x, _ := s.regions.Get(code)
			if x == nil || (x.Level != region.LevelCounty && x.Level != region.LevelTownship && x.Level != region.LevelVillage) {
				return
			}
			out = append(out, option{x.Code, strings.Repeat("　", depth) + x.Name})
			if x.Level == region.LevelVillage {
				return
			}
			for _, c := range s.regions.Children(code) {
				walk(c.Code, depth+1)
			}
		}
		walk(rg.Code, 0)
	}
	return out
}

func (s *Service) batchesPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	l, err := s.ListBatches(r.Context(), p, r.URL.Query().Get("region_code"))
	if err != nil {
		return err
	}
	data := map[string]any{"Items": l, "CanRun": isStaff(p), "Config": DefaultBatchConfig()}
	if isStaff(p) {
		data["Regions"] = s.regionOptions(p)
	}
	return web.Render(w, r, http.StatusOK, "credit/batches.html", data)
}

func (s *Service) batchPage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	b, err := s.GetBatch(r.Context(), p, id)
	if err != nil {
		return err
	}
	data := map[string]any{"B": b}
	if b.Status == "running" && b.JobID != 0 && s.Jobs != nil && s.Jobs() != nil {
		if j, err := s.Jobs().Get(r.Context(), p, b.JobID); err == nil {
			data["Job"] = j
		}
	}
	if b.Status == "done" {
		q := r.URL.Query()
		list := cmpOrStr(q.Get("list"), ListNotice)
		if isBank(p) {
			list = ListBank
		}
		pg := web.ParsePage(r, 50, 200)
		rows, total, err := s.BatchRows(r.Context(), p, id, BatchRowFilter{List: list, Village: q.Get("village"), Credit: q.Get("credit"), Page: pg.Page, PerPage: pg.PerPage})
		if err != nil {
			return err
		}
		vs, err := s.BatchVillages(r.Context(), p, id)
		if err != nil {
			return err
		}
		data["Rows"], data["Total"], data["Page"], data["Pages"], data["List"], data["Villages"] = rows, total, pg.Page, pg.Pages(total), list, vs
	}
	return web.Render(w, r, http.StatusOK, "credit/batch.html", data)
}

// Display helpers for the templates.

// ScoreText is the score with at most two decimals.
func (r Rating) ScoreText() string { return numText(r.Score) }

// InternalText is the 内评 score.
func (r Rating) InternalText() string { return numText(r.Internal) }

// ExternalText is the 外评 score or 未评.
func (r Rating) ExternalText() string {
	if r.External == nil {
		return "未评"
	}
	return numText(*r.External)
}

// PointsText is the points of an indicator.
func (x Scored) PointsText() string { return numText(x.Points) }

// MaxText is its maximum.
func (x Scored) MaxText() string { return numText(x.MaxPoints) }

// PartLabel is 内评 or 外评.
func (x Scored) PartLabel() string { return partLabel(x.Part) }

func partLabel(p string) string {
	if p == PartExternal {
		return "外评"
	}
	return "内评"
}

// PartLabel is 内评 or 外评.
func (x ModelIndicator) PartLabel() string { return partLabel(x.Part) }

// PointsText is the signed points of an adjustment.
func (a Applied) PointsText() string {
	if a.Points > 0 {
		return "+" + numText(a.Points)
	}
	return numText(a.Points)
}

// PointsText is the points of a bin.
func (b ModelBin) PointsText() string { return numText(b.Points) }

// Text describes the adjustment's rule.
func (a Adjustment) Text() string {
	sign := ""
	if a.Points > 0 {
		sign = "+"
	}
	return fmt.Sprintf("%s %s %s 时 %s%s 分", a.Key, a.Op, numText(a.Value), sign, numText(a.Points))
}

// MinText is the cut-off.
func (g GradeCut) MinText() string { return numText(g.MinScore) }

// ScoreText is the row's score.
func (b BatchRow) ScoreText() string { return numText(b.Score) }

// CreditPct is the share of 信用户.
func (v BatchVillage) CreditPct() string {
	return fmt.Sprintf("%.1f%%", pct(v.CreditHouseholds, v.Households))
}

// Badge of a batch.
func (b Batch) Badge() string {
	switch b.Status {
	case "done":
		return "ok"
	case "failed":
		return "bad"
	}
	return "warn"
}

// Badge of a model version.
func (m RatingModel) Badge() string {
	switch m.Status {
	case ModelApproved:
		return "ok"
	case ModelDraft:
		return "warn"
	}
	return ""
}
