package imports

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/jobs"
	"nongfu/internal/platform/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// MaxUpload is the largest accepted upload.
const MaxUpload = 64 << 20

// Routes serves upload pages, templates, background import jobs with progress, and the import API for the given
// importers. Only county admins and township operators import; each row is still checked against their scope.
func Routes(srv *web.Server, d *db.DB, js *jobs.Service, importers ...Importer) {
	srv.Pages.AddFS("imports", templatesFS, "templates/*.html")
	by := map[string]Importer{}
	for _, imp := range importers {
		by[imp.Name()] = imp
	}
	get := func(r *http.Request) (Importer, error) {
		imp, ok := by[r.PathValue("name")]
		if !ok {
			return nil, apperr.New(apperr.NotFound, "没有这种导入")
		}
		p := web.Principal(r)
		if !p.Is(auth.CountyAdmin, auth.TownshipOperator) {
			return nil, apperr.New(apperr.Forbidden, "您的角色不能批量导入")
		}
		return imp, nil
	}
	srv.Page("GET /import/{name}", func(w http.ResponseWriter, r *http.Request) error {
		imp, err := get(r)
		if err != nil {
			return err
		}
		return web.Render(w, r, http.StatusOK, "imports/upload.html", map[string]any{"Imp": imp, "Cols": imp.Columns(), "All": importers})
	})
	srv.Page("GET /import/{name}/template", func(w http.ResponseWriter, r *http.Request) error {
		imp, err := get(r)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="template.xlsx"; filename*=UTF-8''%s`, url.PathEscape(imp.Title()+"导入模板.xlsx")))
		return Template(w, imp)
	})
	srv.Page("POST /import/{name}", func(w http.ResponseWriter, r *http.Request) error {
		imp, err := get(r)
		if err != nil {
			return err
		}
		data, filename, err := readUpload(r)
		if err != nil {
			return web.Render(w, r, http.StatusUnprocessableEntity, "imports/upload.html", map[string]any{"Imp": imp, "Cols": imp.Columns(), "All": importers, "Error": apperr.MessageOf(err)})
		}
		p := web.Principal(r)
		id, err := js.Start(p, "import:"+imp.Name(), "导入"+imp.Title()+"："+filename, importJob(d, imp, p, data, filename))
		if err != nil {
			return err
		}
		web.Redirect(w, r, fmt.Sprintf("/jobs/%d", id))
		return nil
	})
	srv.Page("GET /jobs/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		j, err := js.Get(r.Context(), web.Principal(r), id)
		if err != nil {
			return err
		}
		return web.Render(w, r, http.StatusOK, "imports/job.html", map[string]any{"Job": j})
	})
	srv.Page("GET /jobs/{id}/files/{file}", func(w http.ResponseWriter, r *http.Request) error {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		b, err := js.File(r.Context(), web.Principal(r), id, r.PathValue("file"))
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="errors.xlsx"; filename*=UTF-8''%s`, url.PathEscape(r.PathValue("file"))))
		_, err = w.Write(b)
		return err
	})

	type apiResult struct {
		Result
		Summary string `json:"summary"`
		JobID   int64  `json:"job_id,omitempty"`
	}
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/imports/{name}", Summary: "批量导入（multipart 字段 file；name 为 subjects、members、plots、memberships）。加 ?async=1 在后台运行并返回任务编号", Tag: "imports",
		Query: []string{"async"}, Response: apiResult{}, Roles: "county_admin, township_operator"},
		func(w http.ResponseWriter, r *http.Request) error {
			imp, err := get(r)
			if err != nil {
				return err
			}
			data, filename, err := readUpload(r)
			if err != nil {
				return err
			}
			p := web.Principal(r)
			if r.URL.Query().Get("async") != "" {
				id, err := js.Start(p, "import:"+imp.Name(), "导入"+imp.Title()+"："+filename, importJob(d, imp, p, data, filename))
				if err != nil {
					return err
				}
				web.WriteJSON(w, http.StatusAccepted, apiResult{JobID: id})
				return nil
			}
			res, err := Run(r.Context(), d, imp, p, bytes.NewReader(data), filename, nil)
			if err != nil {
				return err
			}
			if res.Errors == nil {
				res.Errors = []RowError{}
			}
			web.WriteJSON(w, http.StatusOK, apiResult{Result: res, Summary: res.Summary()})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/jobs/{id}", Summary: "后台任务进度与结果", Tag: "imports", Response: jobs.Job{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
			j, err := js.Get(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, j)
			return nil
		})
}

func importJob(d *db.DB, imp Importer, p *auth.Principal, data []byte, filename string) jobs.Func {
	return func(ctx contextT, progress func(done, total int)) (string, map[string][]byte, error) {
		res, err := Run(ctx, d, imp, p, bytes.NewReader(data), filename, progress)
		if err != nil {
			return "", nil, err
		}
		files := map[string][]byte{}
		if b, err := res.ErrorWorkbookBytes(); err != nil {
			return "", nil, err
		} else if b != nil {
			files[imp.Title()+"-有误的行.xlsx"] = b
		}
		sum := res.SummaryZH()
		for i, e := range res.Errors {
			if i == 20 {
				sum += fmt.Sprintf("\n……另有 %d 处错误，见错误报告", len(res.Errors)-20)
				break
			}
			sum += fmt.Sprintf("\n第 %d 行 %s：%s", e.Line, e.Column, e.Message)
		}
		return sum, files, nil
	}
}

func readUpload(r *http.Request) ([]byte, string, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, MaxUpload)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return nil, "", apperr.New(apperr.Invalid, "请选择要上传的文件（.xlsx 或 .csv，不超过64MB）")
	}
	f, h, err := r.FormFile("file")
	if err != nil {
		return nil, "", apperr.New(apperr.Invalid, "请选择要上传的文件（.xlsx 或 .csv）")
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, "", apperr.New(apperr.Invalid, "文件读取失败："+err.Error())
	}
	if len(b) == 0 {
		return nil, "", apperr.New(apperr.Invalid, "文件是空的")
	}
	return b, h.Filename, nil
}
