package indicator

import (
	"embed"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// RegionChoice is a region a form offers.
type RegionChoice struct{ Code, Name string }

var pageRoles = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Taskforce, auth.Department, auth.Viewer, auth.Sysadmin}

func (s *Service) pageRoutes(srv *web.Server) {
	srv.Pages.AddFS("indicator", templatesFS, "templates/*.html")
	srv.AddMenu(web.MenuItem{Group: "改革督办", Label: "指标与目标", Path: "/indicators", Order: 73, Roles: pageRoles},
		web.MenuItem{Group: "改革督办", Label: "指标填报审核", Path: "/indicators/reports", Order: 74,
			Roles: []auth.Role{auth.CountyAdmin, auth.Taskforce, auth.Department, auth.TownshipOperator}})
	srv.Page("GET /indicators", s.listPage)
	srv.Page("POST /indicators", s.createPost)
	srv.Page("GET /indicators/reports", s.reportsPage)
	srv.Page("POST /indicators/reports", s.reportPost)
	srv.Page("POST /indicators/reports/{id}/review", s.reviewPost)
	srv.Page("GET /indicators/{key}", s.detailPage)
	srv.Page("POST /indicators/{key}", s.updatePost)
	srv.Page("POST /indicators/{key}/targets", s.targetPost)
}

func (s *Service) regionName(code string) string {
	if s.RegionName != nil {
		if n := s.RegionName(code); n != "" {
			return n
		}
	}
	return code
}

func (s *Service) choices(p *auth.Principal) []RegionChoice {
	if s.RegionChoices == nil {
		return nil
	}
	return s.RegionChoices(p)
}

// formIndicator reads an indicator from a form; the filter is written one "key=value" per line.
func formIndicator(f url.Values) Indicator {
	x := Indicator{Key: f.Get("key"), Name: f.Get("name"), Unit: f.Get("unit"), Format: f.Get("format"), Aggregation: f.Get("aggregation"),
		Source: f.Get("source"), Denominator: f.Get("denominator"), Description: f.Get("description"), Filter: map[string]string{}}
	for _, line := range strings.Split(f.Get("filter"), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) != "" {
			x.Filter[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return x
}

// FilterText writes a filter one "key=value" per line (the form's spelling).
func FilterText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + m[k] + "\n")
	}
	return strings.TrimSpace(b.String())
}

type indicatorRow struct {
	Indicator
	Computed   bool
	SourceName string
	FilterText string
}

func (s *Service) rows(xs []Indicator) []indicatorRow {
	out := make([]indicatorRow, 0, len(xs))
	for _, x := range xs {
		e := s.Effective(x)
		r := indicatorRow{Indicator: x, Computed: s.Sources.Computable(e), FilterText: FilterText(x.Filter)}
		if src, ok := s.Sources.Get(x.Source); ok {
			r.SourceName = src.Name()
		} else if src, ok := s.Sources.Get(e.Source); ok && e.Source != x.Source {
			r.SourceName = "首选数据源未注册，暂用代用数据源：" + src.Name() + "（" + FilterText(e.Filter) + "）"
		} else {
			r.SourceName = "未注册（填报）"
		}
		out = append(out, r)
	}
	return out
}

func (s *Service) formData(p *auth.Principal) map[string]any {
	return map[string]any{"Sources": s.Sources.List(), "Units": Units, "Formats": Formats, "CanEdit": canConfigure(p) == nil}
}

func (s *Service) listPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderList(w, r, http.StatusOK, nil, Indicator{Filter: map[string]string{}})
}

func (s *Service) renderList(w http.ResponseWriter, r *http.Request, status int, ferr error, in Indicator) error {
	p := web.Principal(r)
	if err := CanRead(p); err != nil {
		return err
	}
	xs, err := s.ListIndicators(r.Context())
	if err != nil {
		return err
	}
	data := s.formData(p)
	data["Items"] = s.rows(xs)
	data["In"] = in
	data["InFilter"] = FilterText(in.Filter)
	data["Fields"] = apperr.FieldsOf(ferr)
	if ferr != nil {
		data["Error"] = apperr.MessageOf(ferr)
	}
	return web.Render(w, r, status, "indicator/indicators.html", data)
}

func (s *Service) createPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	in := formIndicator(r.PostForm)
	x, err := s.CreateIndicator(r.Context(), web.Principal(r), in)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderList(w, r, http.StatusUnprocessableEntity, err, in)
		}
		return err
	}
	web.Flash(w, "已新建指标："+x.Name)
	web.Redirect(w, r, "/indicators/"+x.Key)
	return nil
}

func (s *Service) detailPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderDetail(w, r, http.StatusOK, nil, nil)
}

func (s *Service) renderDetail(w http.ResponseWriter, r *http.Request, status int, ferr error, edit *Indicator) error {
	p := web.Principal(r)
	if err := CanRead(p); err != nil {
		return err
	}
	x, err := s.GetIndicator(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	targets, err := s.ListTargets(r.Context(), p, x.Key)
	if err != nil {
		return err
	}
	type trow struct {
		TargetRow
		RegionName, Text string
	}
	var tr []trow
	for _, t := range targets {
		tr = append(tr, trow{TargetRow: t, RegionName: s.regionName(t.RegionCode), Text: x.FormatValue(t.Value)})
	}
	reports, _, err := s.ListReports(r.Context(), p, ReportFilter{Indicator: x.Key, PerPage: 20})
	if err != nil {
		return err
	}
	if edit == nil {
		edit = &x
	}
	data := s.formData(p)
	data["X"] = s.rows([]Indicator{x})[0]
	data["In"] = edit
	data["InFilter"] = FilterText(edit.Filter)
	data["Targets"] = tr
	data["Reports"] = s.reportRows(reports, x)
	data["Regions"] = s.choices(p)
	data["Fields"] = apperr.FieldsOf(ferr)
	data["CanReport"] = CanReport(p) == nil
	if ferr != nil {
		data["Error"] = apperr.MessageOf(ferr)
	}
	return web.Render(w, r, status, "indicator/indicator.html", data)
}

func (s *Service) updatePost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	in := formIndicator(r.PostForm)
	x, err := s.UpdateIndicator(r.Context(), web.Principal(r), r.PathValue("key"), in)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			in.Key = r.PathValue("key")
			return s.renderDetail(w, r, http.StatusUnprocessableEntity, err, &in)
		}
		return err
	}
	web.Flash(w, "已保存指标定义："+x.Name)
	web.Redirect(w, r, "/indicators/"+x.Key)
	return nil
}

func (s *Service) targetPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	t := Target{IndicatorKey: r.PathValue("key"), RegionCode: f.Get("region_code"), Note: strings.TrimSpace(f.Get("note"))}
	t.Year, _ = strconv.Atoi(strings.TrimSpace(f.Get("year")))
	v, err := parseNumber(f.Get("value"))
	if err != nil {
		return s.renderDetail(w, r, http.StatusUnprocessableEntity, apperr.FieldErrors(map[string]string{"value": "请填写目标值"}), nil)
	}
	t.Value = v
	if _, err := s.SetTarget(r.Context(), web.Principal(r), t); err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			return s.renderDetail(w, r, http.StatusUnprocessableEntity, err, nil)
		}
		return err
	}
	web.Flash(w, "已设定 "+s.regionName(t.RegionCode)+" "+strconv.Itoa(t.Year)+" 年目标")
	web.Redirect(w, r, "/indicators/"+t.IndicatorKey+"#targets")
	return nil
}

type reportRow struct {
	Report
	RegionName, ValueText string
}

func (s *Service) reportRows(rs []Report, x Indicator) []reportRow {
	out := make([]reportRow, 0, len(rs))
	for _, r := range rs {
		out = append(out, reportRow{Report: r, RegionName: s.regionName(r.RegionCode), ValueText: x.FormatValue(r.Value)})
	}
	return out
}

func (s *Service) reportsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderReports(w, r, http.StatusOK, nil, ReportInput{IndicatorKey: r.URL.Query().Get("indicator")})
}

func (s *Service) renderReports(w http.ResponseWriter, r *http.Request, status int, ferr error, in ReportInput) error {
	p := web.Principal(r)
	if err := CanRead(p); err != nil {
		return err
	}
	f := reportFilter(r.URL.Query())
	items, total, err := s.ListReports(r.Context(), p, f)
	if err != nil {
		return err
	}
	xs, err := s.ListIndicators(r.Context())
	if err != nil {
		return err
	}
	byKey := map[string]Indicator{}
	for _, x := range xs {
		byKey[x.Key] = x
	}
	var rows []reportRow
	for _, it := range items {
		rows = append(rows, s.reportRows([]Report{it}, byKey[it.IndicatorKey])...)
	}
	page := max(f.Page, 1)
	data := map[string]any{"Items": rows, "Total": total, "F": f, "Page": page, "Pages": max(1, (total+f.PerPage-1)/f.PerPage), "Indicators": s.rows(xs), "Regions": s.choices(p), "In": in,
		"Fields": apperr.FieldsOf(ferr), "CanReport": CanReport(p) == nil, "CanReview": p.Is(auth.Taskforce, auth.CountyAdmin), "Me": p.Username}
	if ferr != nil {
		data["Error"] = apperr.MessageOf(ferr)
	}
	return web.Render(w, r, status, "indicator/reports.html", data)
}

func (s *Service) reportPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseMultipartForm(MaxEvidence + 1<<20); err != nil {
		return s.renderReports(w, r, http.StatusUnprocessableEntity, apperr.FieldErrors(map[string]string{"evidence": "佐证材料不能超过 5 MB"}), ReportInput{})
	}
	f := r.PostForm
	in := ReportInput{IndicatorKey: f.Get("indicator_key"), RegionCode: f.Get("region_code"), AsOf: f.Get("as_of"), Value: f.Get("value"),
		UnitName: f.Get("unit_name"), Note: f.Get("note")}
	if file, hdr, err := r.FormFile("evidence"); err == nil {
		in.EvidenceName = hdr.Filename
		in.Evidence, _ = io.ReadAll(io.LimitReader(file, MaxEvidence+1))
		file.Close()
	}
	rep, err := s.SubmitReport(r.Context(), web.Principal(r), in)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			in.Evidence = nil
			return s.renderReports(w, r, http.StatusUnprocessableEntity, err, in)
		}
		return err
	}
	web.Flash(w, "已提交填报："+rep.IndicatorName+"，待工作专班审核")
	web.Redirect(w, r, "/indicators/reports")
	return nil
}

func (s *Service) reviewPost(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	rep, err := s.ReviewReport(r.Context(), web.Principal(r), id, ReportReview{Approve: r.PostForm.Get("decision") == "approve", Note: r.PostForm.Get("note")})
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderReports(w, r, http.StatusUnprocessableEntity, err, ReportInput{})
		}
		return err
	}
	web.Flash(w, "填报"+rep.StatusLabel+"："+rep.IndicatorName)
	web.Redirect(w, r, "/indicators/reports")
	return nil
}
