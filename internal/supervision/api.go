package supervision

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

const (
	rolesRead   = "county_admin, department, taskforce, viewer, sysadmin（县级部门只看本单位任务的报告和督办）"
	rolesEdit   = "taskforce, county_admin"
	rolesFunds  = "taskforce, county_admin，或资金管理单位绑定的县级部门账号"
	rolesWeekly = "taskforce, county_admin, viewer, sysadmin"
)

// Rules are the status and escalation rules as shown on screen.
type Rules struct {
	Status     string `json:"status"`
	Escalation string `json:"escalation"`
}

func queryID(q url.Values, name string) (int64, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fieldErr(name, "应为数字编号")
	}
	return n, nil
}

func taskFilter(q url.Values) (TaskFilter, error) {
	f := TaskFilter{Status: q.Get("status"), Q: q.Get("q"), Mine: q.Get("mine") == "1"}
	if f.Status != "" && StatusLabel(f.Status) == f.Status {
		return f, fieldErr("status", "状态应为 not_started、ongoing、lagging 或 done")
	}
	var err error
	f.UnitID, err = queryID(q, "unit")
	return f, err
}

// readReportInput reads a report from JSON (files as base64) or from a multipart form (files in field "files").
func readReportInput(r *http.Request) (ReportInput, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" && ct != "application/x-www-form-urlencoded" {
		var in ReportInput
		err := web.DecodeJSON(r, &in)
		return in, err
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 11*MaxFileBytes)
	if ct == "multipart/form-data" {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return ReportInput{}, fieldErr("files", "附件过大或上传不完整（每个附件不超过 5 MB）")
		}
	} else if err := r.ParseForm(); err != nil {
		return ReportInput{}, apperr.New(apperr.Invalid, "表单格式错误")
	}
	f := r.PostForm
	in := ReportInput{Kind: f.Get("kind"), Period: f.Get("period"), Narrative: f.Get("narrative"), Done: f.Get("done") == "1"}
	var err error
	if in.UnitID, err = queryID(f, "unit_id"); err != nil {
		return in, err
	}
	if v := strings.TrimSpace(f.Get("progress_pct")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return in, fieldErr("progress_pct", "完成进度应为 0 到 100 的整数")
		}
		in.ProgressPct = n
	}
	names, values, units := f["figure_name"], f["figure_value"], f["figure_unit"]
	for i := range names {
		if strings.TrimSpace(names[i]) == "" {
			continue
		}
		var v float64
		if i < len(values) {
			if v, err = strconv.ParseFloat(strings.TrimSpace(values[i]), 64); err != nil {
				return in, fieldErr("figures", "数据项“"+names[i]+"”的数值不正确")
			}
		}
		u := ""
		if i < len(units) {
			u = units[i]
		}
		in.Figures = append(in.Figures, Figure{Name: names[i], Value: v, Unit: u})
	}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			if fh.Size == 0 {
				continue
			}
			file, err := fh.Open()
			if err != nil {
				return in, fieldErr("files", "附件读取失败")
			}
			b, err := io.ReadAll(io.LimitReader(file, MaxFileBytes+1))
			file.Close()
			if err != nil {
				return in, fieldErr("files", "附件读取失败")
			}
			in.Files = append(in.Files, FileInput{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), data: b})
		}
	}
	return in, nil
}

func (s *Service) apiRoutes(srv *web.Server) {
	get := func(path, summary string, query []string, resp any, roles string, fn func(r *http.Request, p *auth.Principal) (any, error)) {
		srv.Handle(web.Op{Method: "GET", Path: path, Summary: summary, Tag: "supervision", Query: query, Response: resp, Roles: roles},
			func(w http.ResponseWriter, r *http.Request) error {
				out, err := fn(r, web.Principal(r))
				if err != nil {
					return err
				}
				web.WriteJSON(w, http.StatusOK, out)
				return nil
			})
	}
	post := func(method, path, summary string, req, resp any, status int, roles string, fn func(r *http.Request, p *auth.Principal, id int64) (any, error)) {
		srv.Handle(web.Op{Method: method, Path: path, Summary: summary, Tag: "supervision", Request: req, Response: resp, Status: status, Roles: roles},
			func(w http.ResponseWriter, r *http.Request) error {
				var id int64
				if strings.Contains(path, "{id}") {
					var err error
					if id, err = web.PathID(r, "id"); err != nil {
						return err
					}
				}
				out, err := fn(r, web.Principal(r), id)
				if err != nil {
					return err
				}
				if status == 0 {
					status = http.StatusOK
				}
				web.WriteJSON(w, status, out)
				return nil
			})
	}
	pathID := func(r *http.Request) (int64, error) { return web.PathID(r, "id") }

	get("/api/v1/supervision/rules", "任务状态判定规则与督办升级规则", nil, Rules{}, rolesRead, func(r *http.Request, p *auth.Principal) (any, error) {
		if err := canRead(p); err != nil {
			return nil, err
		}
		return Rules{Status: StatusRule, Escalation: EscalationRule}, nil
	})
	get("/api/v1/supervision/units", "方案中的责任单位和配合单位（含绑定账号、主体名录编号）", nil, []Unit{}, rolesRead, func(r *http.Request, p *auth.Principal) (any, error) {
		return s.Units(r.Context(), p)
	})
	post("POST", "/api/v1/supervision/units/sync", "把尚未登记的单位登记到主体名录（按名称幂等）", nil, map[string]int{}, 200, rolesEdit, func(r *http.Request, p *auth.Principal, _ int64) (any, error) {
		n, err := s.SyncUnits(r.Context(), p)
		return map[string]int{"linked": n}, err
	})
	type linkReq struct {
		Username string `json:"username"`
	}
	post("POST", "/api/v1/supervision/units/{id}/users", "绑定账号到单位（县级部门或县级管理员角色）", linkReq{}, []Unit{}, 200, rolesEdit, func(r *http.Request, p *auth.Principal, id int64) (any, error) {
		var in linkReq
		if err := web.DecodeJSON(r, &in); err != nil {
			return nil, err
		}
		if err := s.LinkUser(r.Context(), p, id, in.Username, true); err != nil {
			return nil, err
		}
		return s.Units(r.Context(), p)
	})
	srv.Handle(web.Op{Method: "DELETE", Path: "/api/v1/supervision/units/{id}/users/{username}", Summary: "解除账号与单位的绑定", Tag: "supervision", Status: 204, Roles: rolesEdit},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := pathID(r)
			if err != nil {
				return err
			}
			if err := s.LinkUser(r.Context(), web.Principal(r), id, r.PathValue("username"), false); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
	get("/api/v1/supervision/items", "重点工作①–⑱（kind=work）或附件1“四个重大”（kind=major）", []string{"kind"}, []Item{}, rolesRead, func(r *http.Request, p *auth.Principal) (any, error) {
		kind := r.URL.Query().Get("kind")
		if kind == "" {
			kind = "work"
		}
		if kind != "work" && kind != "major" {
			return nil, fieldErr("kind", "应为 work 或 major")
		}
		return s.Items(r.Context(), p, kind)
	})
	get("/api/v1/supervision/tasks", "附件2 重点任务及计算状态（status、unit、mine=1、q 筛选）", []string{"status", "unit", "mine", "q"}, []Task{}, rolesRead,
		func(r *http.Request, p *auth.Principal) (any, error) {
			f, err := taskFilter(r.URL.Query())
			if err != nil {
				return nil, err
			}
			out, err := s.Tasks(r.Context(), p, f)
			if out == nil && err == nil {
				out = []Task{}
			}
			return out, err
		})
	get("/api/v1/supervision/tasks/{id}", "重点任务详情：状态及判定依据、报告、督办（按权限）", nil, TaskDetail{}, rolesRead, func(r *http.Request, p *auth.Principal) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		return s.GetTask(r.Context(), p, id)
	})
	post("PUT", "/api/v1/supervision/tasks/{id}", "修改重点任务（只改提交的字段）", TaskInput{}, Task{}, 200, rolesEdit, func(r *http.Request, p *auth.Principal, id int64) (any, error) {
		var in TaskInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return nil, err
		}
		return s.UpdateTask(r.Context(), p, id, in)
	})
	post("POST", "/api/v1/supervision/tasks/{id}/reports", "报送进展报告（责任单位）或配合情况（配合单位，kind=contribution）；JSON（附件 base64）或 multipart（字段 files）",
		ReportInput{}, Report{}, 201, "与任务绑定的县级部门或县级管理员账号", func(r *http.Request, p *auth.Principal, id int64) (any, error) {
			if err := canRead(p); err != nil {
				return nil, err
			}
			in, err := readReportInput(r)
			if err != nil {
				return nil, err
			}
			return s.FileReport(r.Context(), p, id, in)
		})
	get("/api/v1/supervision/reports", "进展报告列表（按权限；task、unit、kind、period 筛选，分页）", []string{"task", "unit", "kind", "period", "page", "per_page"}, web.List[Report]{}, rolesRead,
		func(r *http.Request, p *auth.Principal) (any, error) {
			q := r.URL.Query()
			pg := web.ParsePage(r, 50, 500)
			f := ReportFilter{Kind: q.Get("kind"), Period: q.Get("period"), Page: pg.Page, PerPage: pg.PerPage}
			var err error
			if f.TaskID, err = queryID(q, "task"); err != nil {
				return nil, err
			}
			if f.UnitID, err = queryID(q, "unit"); err != nil {
				return nil, err
			}
			items, total, err := s.Reports(r.Context(), p, f)
			if err != nil {
				return nil, err
			}
			return web.List[Report]{Items: items, Total: total, Page: pg.Page, PerPage: pg.PerPage}, nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/supervision/files/{id}", Summary: "下载附件（报告附件按任务权限）", Tag: "supervision", Roles: rolesRead},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := pathID(r)
			if err != nil {
				return err
			}
			f, data, err := s.FileData(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", f.ContentType)
			w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="file"; filename*=UTF-8''%s`, url.PathEscape(f.Name)))
			w.Header().Set("X-Content-Type-Options", "nosniff")
			_, err = w.Write(data)
			return err
		})
	get("/api/v1/supervision/notices", "督办通知（state=open/overdue/answered/answered_late/unanswered；县级部门只看本单位）", []string{"state", "unit"}, []Notice{}, rolesRead,
		func(r *http.Request, p *auth.Principal) (any, error) {
			unit, err := queryID(r.URL.Query(), "unit")
			if err != nil {
				return nil, err
			}
			return s.Notices(r.Context(), p, NoticeFilter{State: r.URL.Query().Get("state"), UnitID: unit})
		})
	get("/api/v1/supervision/notices/{id}", "督办通知详情（状态与级别在读取时按期限计算）", nil, Notice{}, rolesRead, func(r *http.Request, p *auth.Principal) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		n, _, err := s.GetNotice(r.Context(), p, id)
		return n, err
	})
	post("POST", "/api/v1/supervision/notices", "下发督办通知", NoticeInput{}, Notice{}, 201, "taskforce", func(r *http.Request, p *auth.Principal, _ int64) (any, error) {
		var in NoticeInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return nil, err
		}
		return s.IssueNotice(r.Context(), p, in)
	})
	post("POST", "/api/v1/supervision/notices/{id}/answer", "答复督办通知（被督办单位的账号）", AnswerInput{}, Notice{}, 200, "被督办单位绑定的账号", func(r *http.Request, p *auth.Principal, id int64) (any, error) {
		var in AnswerInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return nil, err
		}
		return s.AnswerNotice(r.Context(), p, id, in)
	})
	get("/api/v1/supervision/weekly", "领导周报：本周报告、状态变化、督办下发/答复/逾期、指标变化（week=该周任一天）", []string{"week"}, Weekly{}, rolesWeekly,
		func(r *http.Request, p *auth.Principal) (any, error) {
			return s.WeeklySummary(r.Context(), p, r.URL.Query().Get("week"))
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/supervision/weekly.xlsx", Summary: "领导周报导出 .xlsx", Tag: "supervision", Query: []string{"week"}, Roles: rolesWeekly},
		func(w http.ResponseWriter, r *http.Request) error { return s.weeklyXLSX(w, r) })
	get("/api/v1/supervision/funds", "专项资金列表（预算、已下达、已拨付、结余，单位：分）", nil, []Fund{}, rolesRead, func(r *http.Request, p *auth.Principal) (any, error) {
		out, err := s.Funds(r.Context(), p)
		if out == nil && err == nil {
			out = []Fund{}
		}
		return out, err
	})
	get("/api/v1/supervision/funds/{id}", "专项资金详情：年度预算、下达、拨付", nil, Fund{}, rolesRead, func(r *http.Request, p *auth.Principal) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		return s.GetFund(r.Context(), p, id)
	})
	post("POST", "/api/v1/supervision/funds", "设立专项资金", FundInput{}, Fund{}, 201, rolesEdit, func(r *http.Request, p *auth.Principal, _ int64) (any, error) {
		var in FundInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return nil, err
		}
		return s.CreateFund(r.Context(), p, in)
	})
	post("POST", "/api/v1/supervision/funds/{id}/budgets", "新增年度预算（年度×用途）", BudgetInput{}, Budget{}, 201, rolesFunds, func(r *http.Request, p *auth.Principal, id int64) (any, error) {
		var in BudgetInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return nil, err
		}
		return s.AddBudget(r.Context(), p, id, in)
	})
	post("POST", "/api/v1/supervision/budgets/{id}/allocations", "下达资金到单位和项目（可关联重点任务；不得超出预算）", AllocationInput{}, Allocation{}, 201, rolesFunds,
		func(r *http.Request, p *auth.Principal, id int64) (any, error) {
			var in AllocationInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return nil, err
			}
			return s.Allocate(r.Context(), p, id, in)
		})
	post("POST", "/api/v1/supervision/allocations/{id}/disbursements", "登记拨付（凭证号、附件；不得超出下达额度）", DisbursementInput{}, Disbursement{}, 201, rolesFunds,
		func(r *http.Request, p *auth.Principal, id int64) (any, error) {
			var in DisbursementInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return nil, err
			}
			return s.Disburse(r.Context(), p, id, in)
		})
}

// SyncUnits registers the units in the register (units page, API).
func (s *Service) SyncUnits(ctx context.Context, p *auth.Principal) (int, error) {
	if err := canEditPlan(p); err != nil {
		return 0, err
	}
	var n int
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		n, err = s.SyncUnitsTx(ctx, tx, p)
		return err
	})
	return n, err
}
