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
