package registry

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"nongfu/internal/platform/web"
	"nongfu/internal/tabular"
)

// exportDownload streams the current filter as .xlsx (default) or .csv (UTF-8 with BOM, opens in Excel).
func (s *Service) exportDownload(w http.ResponseWriter, r *http.Request) error {
	f := filterFrom(r.URL.Query())
	p := web.Principal(r)
	name := "主体名录-" + time.Now().In(web.Shanghai).Format("20060102-1504")
	if r.URL.Query().Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", contentDisposition(name+".csv"))
		var rows [][]string
		if err := s.Each(r.Context(), p, f, func(x *Subject) error { rows = append(rows, s.ExportRow(x)); return nil }); err != nil {
			return err
		}
		return tabular.WriteCSV(w, ExportHeader(), rows, true)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", contentDisposition(name+".xlsx"))
	st, err := tabular.NewXLSXStream(w, tabular.Sheet{Name: "主体名录", Header: ExportHeader()})
	if err != nil {
		return err
	}
	if err := s.Each(r.Context(), p, f, func(x *Subject) error { return st.Write(s.ExportRow(x)) }); err != nil {
		return err
	}
	return st.Close()
}

// exportPlots writes the plots the caller may see, with the list's filter, as .xlsx; the columns import back.
func (s *Service) exportPlots(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := PlotFilter{RegionCode: firstNonEmpty(q.Get("village"), q.Get("township")), Crop: q.Get("crop"), PerPage: 2000}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", contentDisposition("地块-"+time.Now().In(web.Shanghai).Format("20060102-1504")+".xlsx"))
	st, err := tabular.NewXLSXStream(w, tabular.Sheet{Name: "地块", Header: []string{"主体编号", "主体", "地块名称", "区划代码", "村社区", "作物", "面积(亩)", "图斑面积(亩)"}})
	if err != nil {
		return err
	}
	for page := 1; ; page++ {
		f.Page = page
		items, _, err := s.Plots(r.Context(), web.Principal(r), f)
		if err != nil {
			return err
		}
		for _, pl := range items {
			parea := ""
			if pl.PolygonAreaMu > 0 {
				parea = fmt.Sprint(pl.PolygonAreaMu)
			}
			if err := st.Write([]string{fmt.Sprint(pl.SubjectID), pl.SubjectName, pl.Name, pl.RegionCode, pl.RegionName, pl.Crop, fmt.Sprint(pl.AreaMu), parea}); err != nil {
				return err
			}
		}
		if len(items) < f.PerPage {
			break
		}
	}
	return st.Close()
}

func contentDisposition(name string) string {
	return fmt.Sprintf(`attachment; filename="export.%s"; filename*=UTF-8''%s`, ext(name), urlPathEscape(name))
}

func ext(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[i+1:]
		}
	}
	return "bin"
}

func urlPathEscape(s string) string { return url.PathEscape(s) }
