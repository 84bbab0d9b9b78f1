package books

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
	"nongfu/internal/registry"
)

// Screens of the 示范社 evaluation.

var exReaders = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Department, auth.Taskforce, auth.Viewer}

func (s *Service) exemplaryRoutes(srv *web.Server) {
	srv.AddMenu(web.MenuItem{Group: "财务代账", Label: "示范社评定", Path: "/exemplary", Order: 41, Roles: exReaders})
	srv.AddStats(func(ctx context.Context, p *auth.Principal) ([]web.Stat, error) {
		if !p.Is(exReaders...) {
			return nil, nil
		}
		sum, err := s.ExemplarySummary(ctx, p)
		if err != nil {
			return nil, err
		}
		return []web.Stat{{Label: "农民合作社示范社", Value: web.FormatInt(sum.Total), Hint: fmt.Sprintf("规划目标 %d 家（到2027年），待评审 %d 家", sum.Target, sum.Pending),
			Link: "/exemplary", Order: 41}}, nil
	})
	srv.Page("GET /exemplary", s.exListPage)
	srv.Page("POST /exemplary", s.exApplyPost)
	srv.Page("GET /exemplary/{id}", s.exPage)
	srv.Page("POST /exemplary/{id}/{action}", s.exActionPost)
}

func (s *Service) exListPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderExList(w, r, http.StatusOK, nil)
}

func (s *Service) renderExList(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	p := web.Principal(r)
	q := r.URL.Query()
	y, _ := strconv.Atoi(q.Get("year"))
	list, err := s.ListExemplary(r.Context(), p, ExFilter{Level: q.Get("level"), Status: q.Get("status"), Year: y})
	if err != nil {
		return err
	}
	sum, err := s.ExemplarySummary(r.Context(), p)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": list, "Sum": sum, "CanApply": isStaff(p), "Indicators": ExIndicators, "Year": s.thisYear(),
		"Levels": []option{{LevelCounty, "县级"}, {LevelCity, "市级"}, {LevelNational, "国家级"}}}
	if formErr != nil {
		data["Error"] = apperr.MessageOf(formErr)
		for _, f := range apperr.FieldsOf(formErr) {
			data["Error"] = apperr.MessageOf(formErr) + "：" + f
			break
		}
	}
	if isStaff(p) {
		subs, _, err := s.subjects.List(r.Context(), p, registry.Filter{Kind: "cooperative", PerPage: 300, Sort: "name"})
		if err != nil {
			return err
		}
		var cands []option
		for _, x := range subs {
			cands = append(cands, option{Value: strconv.FormatInt(x.ID, 10), Label: x.Name + "（" + x.RegionName + "）"})
		}
		data["Candidates"] = cands
	}
	return web.Render(w, r, status, "books/exemplary_list.html", data)
}

func (s *Service) exApplyPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	in := ExemplaryInput{SubjectID: formInt(f, "subject_id"), Level: f.Get("level"), Note: f.Get("note"), Declared: map[string]float64{}}
	in.Year, _ = strconv.Atoi(f.Get("year"))
	for _, ind := range ExIndicators {
		if ind.Source != "manual" {
			continue
		}
		if v := strings.TrimSpace(f.Get("d_" + ind.Key)); v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return s.renderExList(w, r, http.StatusUnprocessableEntity, apperr.FieldErrors(map[string]string{ind.Key: "“" + ind.Name + "”应为数字"}))
			}
			in.Declared[ind.Key] = n
		}
	}
	x, err := s.ApplyExemplary(r.Context(), web.Principal(r), in)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderExList(w, r, http.StatusUnprocessableEntity, err)
		}
		return err
	}
	web.Flash(w, x.Name+" 的申报已登记，平台数据已采集")
	web.Redirect(w, r, fmt.Sprintf("/exemplary/%d", x.ID))
	return nil
}

// exRow is one indicator line of the detail page.
type exRow struct {
	Ind       ExIndicator
	Fig       Figure
	Has       bool
	Threshold *float64
	Pass      bool
	Score     int
	Scored    bool
}

func (s *Service) exPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderEx(w, r, http.StatusOK, "")
}

func (s *Service) renderEx(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	x, err := s.GetExemplary(r.Context(), p, id)
	if err != nil {
		return err
	}
	var rows []exRow
	for _, ind := range ExIndicators {
		f, ok := x.Figures[ind.Key]
		t := ind.ThresholdFor(x.Level)
		sc, scored := x.Scores[ind.Key]
		rows = append(rows, exRow{Ind: ind, Fig: f, Has: ok && f.Known, Threshold: t, Pass: t == nil || (ok && f.Known && f.Value >= *t), Score: sc, Scored: scored})
	}
	data := map[string]any{"X": x, "Rows": rows, "Error": msg, "CanManage": canManageEx(p, x.RegionCode) == nil, "CanDecide": p.Is(auth.CountyAdmin) && canManageEx(p, x.RegionCode) == nil,
		"Year": s.thisYear(), "MinScore": MinScore}
	if x.Status == ExApproved {
		sug, why, err := s.SuggestMonitoring(r.Context(), p, id)
		if err != nil {
			return err
		}
		data["Suggest"], data["SuggestLabel"], data["SuggestWhy"] = sug, MonitorLabel(sug), strings.Join(why, "、")
	}
	return web.Render(w, r, status, "books/exemplary.html", data)
}

func (s *Service) exActionPost(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	var done string
	switch r.PathValue("action") {
	case "score":
		in := ScoreInput{Scores: map[string]int{}}
		for _, ind := range ExIndicators {
			if v := strings.TrimSpace(f.Get("s_" + ind.Key)); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					n = -1
				}
				in.Scores[ind.Key] = n
			}
		}
		_, err = s.ScoreExemplary(r.Context(), p, id, in)
		done = "评分已保存"
	case "approve", "reject":
		_, err = s.DecideExemplary(r.Context(), p, id, r.PathValue("action") == "approve", f.Get("note"))
		done = "认定结果已保存"
	case "monitor":
		y, _ := strconv.Atoi(f.Get("year"))
		_, err = s.MonitorExemplary(r.Context(), p, id, MonitorInput{Year: y, Result: f.Get("result"), Note: f.Get("note")})
		done = "监测结果已保存"
	default:
		return apperr.New(apperr.NotFound, "未知操作")
	}
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			msg := apperr.MessageOf(err)
			for _, v := range apperr.FieldsOf(err) {
				if v != msg {
					msg += "：" + v
				}
				break
			}
			return s.renderEx(w, r, http.StatusUnprocessableEntity, msg)
		}
		return err
	}
	web.Flash(w, done)
	web.Redirect(w, r, fmt.Sprintf("/exemplary/%d", id))
	return nil
}
