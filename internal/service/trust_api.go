package service

import (
	"net/http"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/web"
)

const (
	providerRoles = "读：county_admin、township_operator、department、taskforce、viewer（管辖范围内）；provider（本主体）；member（本县正常的服务主体）。写：county_admin、township_operator（管辖范围内）；provider 可维护本主体的农机和人员"
	orderRoles    = "member（本主体的订单）；provider（承接的订单）；county_admin、township_operator、department、taskforce、viewer（主体在管辖范围内）"
	jobRoles      = "provider（本主体的作业）；county_admin、township_operator（管辖范围内）"
	dispatchRoles = "county_admin、township_operator（管辖范围内）；provider（只排本主体的作业和农机）"
	trainingRoles = "读：county_admin、township_operator、department、taskforce、viewer（管辖范围内）；写：county_admin、township_operator"
)

// AcceptInput is the body of 受理.
type AcceptInput struct {
	ProviderID   int64 `json:"provider_id" doc:"指派的服务主体（下单时已选可省略）"`
	SubsidyFenMu int64 `json:"subsidy_fen_mu" doc:"补贴（分/亩）"`
}

// ReasonInput carries a reason.
type ReasonInput struct {
	Reason string `json:"reason"`
}

// AssignInput fixes a job on a machine (machine_id 0 = unlock).
type AssignInput struct {
	MachineID int64  `json:"machine_id"`
	Day       string `json:"day" doc:"YYYY-MM-DD"`
	Start     int    `json:"start" doc:"开始时间（当天分钟数，如 480 = 08:00）"`
}

// EnrolInput enrols people on a session.
type EnrolInput struct {
	SubjectIDs []int64 `json:"subject_ids"`
	Name       string  `json:"name" doc:"单人报名时的姓名（默认户名）"`
}

// AttendInput records attendance.
type AttendInput struct {
	EnrolmentID int64 `json:"enrolment_id"`
	Attended    bool  `json:"attended"`
}

// FiguresOut is the figures answer.
type FiguresOut struct {
	By    string      `json:"by"`
	Rows  []FigureRow `json:"rows"`
	Total FigureRow   `json:"total"`
}

// TrackOut is a job's stored track.
type TrackOut struct {
	JobID    int64   `json:"job_id"`
	Method   string  `json:"method"`
	GeoJSON  string  `json:"geojson"`
	TrackMu  float64 `json:"track_mu"`
	Reported float64 `json:"reported_mu"`
	Flag     bool    `json:"flag"`
}

func writeJSON[T any](w http.ResponseWriter, status int) func(v T, err error) error {
	return func(v T, err error) error {
		if err != nil {
			return err
		}
		web.WriteJSON(w, status, v)
		return nil
	}
}

func (s *Service) trustAPI(srv *web.Server) {
	const tag = "service"
	id := func(r *http.Request) int64 { n, _ := web.PathID(r, "id"); return n }
	// providers
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-providers", Summary: "服务主体（名录库）", Tag: tag, Query: []string{"kind", "region", "service", "listed", "q", "page", "per_page"},
		Response: web.List[Provider]{}, Roles: providerRoles}, func(w http.ResponseWriter, r *http.Request) error {
		pg := web.ParsePage(r, 50, 500)
		q := r.URL.Query()
		items, total, err := s.ListProviders(r.Context(), web.Principal(r), ProviderFilter{Kind: q.Get("kind"), Region: q.Get("region"), Service: q.Get("service"),
			Listed: q.Get("listed") == "1" || q.Get("listed") == "true", Q: q.Get("q"), Page: pg.Page, PerPage: pg.PerPage})
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, web.ListOf(items, total, pg))
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-providers", Summary: "登记服务主体", Tag: tag, Request: ProviderInput{}, Response: Provider{}, Status: 201, Roles: providerRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ProviderInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			return writeJSON[*Provider](w, 201)(s.CreateProvider(r.Context(), web.Principal(r), in))
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-providers/{id}", Summary: "服务主体详情（含人员）", Tag: tag, Response: Provider{}, Roles: providerRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			return writeJSON[*Provider](w, 200)(s.GetProvider(r.Context(), web.Principal(r), id(r)))
		})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/service-providers/{id}", Summary: "修改服务主体（整体替换）", Tag: tag, Request: ProviderInput{}, Response: Provider{}, Roles: providerRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ProviderInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			return writeJSON[*Provider](w, 200)(s.UpdateProvider(r.Context(), web.Principal(r), id(r), in))
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-providers/{id}/staff", Summary: "服务主体增加人员", Tag: tag, Request: Staff{}, Response: Staff{}, Status: 201, Roles: providerRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			var in Staff
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			return writeJSON[Staff](w, 201)(s.AddStaff(r.Context(), web.Principal(r), id(r), in))
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-machines", Summary: "农机", Tag: tag, Query: []string{"provider_id", "region", "status", "service", "page", "per_page"},
		Response: web.List[Machine]{}, Roles: providerRoles}, func(w http.ResponseWriter, r *http.Request) error {
		pg := web.ParsePage(r, 100, 1000)
		q := r.URL.Query()
		items, total, err := s.ListMachines(r.Context(), web.Principal(r), MachineFilter{ProviderID: int64Param(r, "provider_id"), Region: q.Get("region"),
			Status: q.Get("status"), Service: q.Get("service"), Page: pg.Page, PerPage: pg.PerPage})
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, web.ListOf(items, total, pg))
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-providers/{id}/machines", Summary: "登记农机（同名则更新）", Tag: tag, Request: MachineInput{}, Response: Machine{}, Status: 201,
		Roles: providerRoles}, func(w http.ResponseWriter, r *http.Request) error {
		var in MachineInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		return writeJSON[*Machine](w, 201)(s.SaveMachine(r.Context(), web.Principal(r), id(r), 0, in))
	})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/service-machines/{id}", Summary: "修改农机（含故障、停用状态）", Tag: tag, Request: MachineInput{}, Response: Machine{}, Roles: providerRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			var in MachineInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			m, err := s.loadMachine(r.Context(), s.db, id(r))
			if err != nil {
				return err
			}
			return writeJSON[*Machine](w, 200)(s.SaveMachine(r.Context(), web.Principal(r), m.ProviderID, m.ID, in))
		})
	// orders
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-orders", Summary: "托管订单", Tag: tag, Query: []string{"status", "mode", "region", "provider_id", "subject_id", "page", "per_page"},
		Response: web.List[Order]{}, Roles: orderRoles}, func(w http.ResponseWriter, r *http.Request) error {
		pg := web.ParsePage(r, 50, 500)
		q := r.URL.Query()
		items, total, err := s.ListOrders(r.Context(), web.Principal(r), OrderFilter{Status: q.Get("status"), Mode: q.Get("mode"), Region: q.Get("region"),
			ProviderID: int64Param(r, "provider_id"), Subject: int64Param(r, "subject_id"), Page: pg.Page, PerPage: pg.PerPage})
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, web.ListOf(items, total, pg))
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-orders", Summary: "托管下单（每块地 × 每项服务生成一项作业）", Tag: tag, Request: OrderInput{}, Response: Order{}, Status: 201,
		Roles: "member（本主体）；county_admin、township_operator（代办，管辖范围内）"}, func(w http.ResponseWriter, r *http.Request) error {
		var in OrderInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		return writeJSON[*Order](w, 201)(s.PlaceOrder(r.Context(), web.Principal(r), in))
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-orders/{id}", Summary: "托管订单详情（作业、办理记录）", Tag: tag, Response: Order{}, Roles: orderRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			return writeJSON[*Order](w, 200)(s.GetOrder(r.Context(), web.Principal(r), id(r)))
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-orders/{id}/accept", Summary: "受理（指派服务主体、补贴）", Tag: tag, Request: AcceptInput{}, Response: Order{},
		Roles: "county_admin、township_operator（管辖范围内）；provider（下单时指定的服务主体）"}, func(w http.ResponseWriter, r *http.Request) error {
		var in AcceptInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		return writeJSON[*Order](w, 200)(s.AcceptOrder(r.Context(), web.Principal(r), id(r), in.ProviderID, in.SubsidyFenMu))
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-orders/{id}/cancel", Summary: "取消订单（开工前）", Tag: tag, Request: ReasonInput{}, Response: Order{},
		Roles: "member（本主体）；county_admin、township_operator（管辖范围内）"}, func(w http.ResponseWriter, r *http.Request) error {
		var in ReasonInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		return writeJSON[*Order](w, 200)(s.CancelOrder(r.Context(), web.Principal(r), id(r), in.Reason))
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-orders/{id}/check", Summary: "验收：确认，或提出面积 / 质量争议", Tag: tag, Request: Acceptance{}, Response: Order{},
		Roles: "member（本主体）；county_admin、township_operator（代办）"}, func(w http.ResponseWriter, r *http.Request) error {
		var in Acceptance
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		return writeJSON[*Order](w, 200)(s.CheckOrder(r.Context(), web.Principal(r), id(r), in))
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-orders/{id}/resolve", Summary: "处理争议（核定面积后验收）", Tag: tag, Request: Acceptance{}, Response: Order{},
		Roles: "county_admin、township_operator（管辖范围内）"}, func(w http.ResponseWriter, r *http.Request) error {
		var in Acceptance
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		return writeJSON[*Order](w, 200)(s.ResolveDispute(r.Context(), web.Principal(r), id(r), in))
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-orders/{id}/settle", Summary: "结算（验收面积 × 单价 − 补贴，单位分）", Tag: tag, Response: Order{},
		Roles: "county_admin、township_operator（管辖范围内）"}, func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON[*Order](w, 200)(s.SettleOrder(r.Context(), web.Principal(r), id(r)))
	})
	// jobs and dispatch
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-jobs", Summary: "作业（服务主体只看本主体的）", Tag: tag, Query: []string{"region", "from", "to", "status", "provider_id", "machine_id"},
		Response: []Job{}, Roles: orderRoles}, func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		return writeJSON[[]Job](w, 200)(s.ListJobs(r.Context(), web.Principal(r), JobFilter{Region: q.Get("region"), From: q.Get("from"), To: q.Get("to"), Status: q.Get("status"),
			ProviderID: int64Param(r, "provider_id"), MachineID: int64Param(r, "machine_id")}))
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-jobs/{id}/report", Summary: "报工（面积，可附 GPX / GeoJSON 轨迹；轨迹面积与报工相差超过 15% 时标记）", Tag: tag,
		Request: WorkReport{}, Response: Job{}, Roles: jobRoles}, func(w http.ResponseWriter, r *http.Request) error {
		var in WorkReport
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		return writeJSON[*Job](w, 200)(s.ReportWork(r.Context(), web.Principal(r), id(r), in))
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-jobs/{id}/assign", Summary: "人工派单并锁定（machine_id 为 0 时解除锁定）", Tag: tag, Request: AssignInput{}, Response: Job{},
		Roles: dispatchRoles}, func(w http.ResponseWriter, r *http.Request) error {
		var in AssignInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		return writeJSON[*Job](w, 200)(s.AssignJob(r.Context(), web.Principal(r), id(r), in.MachineID, in.Day, in.Start))
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-jobs/{id}/track", Summary: "作业的 GPS 轨迹（GeoJSON）与面积比对", Tag: tag, Response: TrackOut{}, Roles: orderRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			js, err := s.jobsOf(r.Context(), s.db, "j.id = ?", []any{id(r)})
			if err != nil || len(js) == 0 {
				return apperr.New(apperr.NotFound, "作业不存在")
			}
			if _, err := s.GetOrder(r.Context(), web.Principal(r), js[0].OrderID); err != nil {
				return err
			}
			geo, method, err := s.TrackOf(r.Context(), js[0].ID)
			if err != nil {
				return err
			}
			web.WriteJSON(w, 200, TrackOut{JobID: js[0].ID, Method: method, GeoJSON: geo, TrackMu: js[0].TrackMu, Reported: js[0].ReportedMu, Flag: js[0].TrackFlag})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-dispatch", Summary: "农机调度：为区域内待派作业排程（锁定、已开工作业不动）", Tag: tag, Request: DispatchInput{}, Response: DispatchRun{},
		Roles: dispatchRoles}, func(w http.ResponseWriter, r *http.Request) error {
		var in DispatchInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		return writeJSON[*DispatchRun](w, 200)(s.Dispatch(r.Context(), web.Principal(r), in))
	})
	// figures and training
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-figures", Summary: "服务统计：亩次、标准亩（by = region / month / service / provider / mode；from、to 为 YYYY-MM-DD，to 不含）", Tag: tag,
		Query: []string{"by", "from", "to"}, Response: FiguresOut{}, Roles: "county_admin、township_operator、department、taskforce、viewer（管辖范围内）；provider（本主体）"},
		func(w http.ResponseWriter, r *http.Request) error {
			q := r.URL.Query()
			var from, to time.Time
			var err error
			if v := q.Get("from"); v != "" {
				if from, err = time.ParseInLocation(time.DateOnly, v, web.Shanghai); err != nil {
					return apperr.FieldErrors(map[string]string{"from": "日期应为 YYYY-MM-DD"})
				}
			}
			if v := q.Get("to"); v != "" {
				if to, err = time.ParseInLocation(time.DateOnly, v, web.Shanghai); err != nil {
					return apperr.FieldErrors(map[string]string{"to": "日期应为 YYYY-MM-DD"})
				}
			}
			by := q.Get("by")
			if by == "" {
				by = "region"
			}
			rows, total, err := s.Figures(r.Context(), web.Principal(r), by, from, to)
			if err != nil {
				return err
			}
			web.WriteJSON(w, 200, FiguresOut{By: by, Rows: rows, Total: total})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/training-sessions", Summary: "培训班", Tag: tag, Query: []string{"page", "per_page"}, Response: web.List[Session]{}, Roles: trainingRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			pg := web.ParsePage(r, 50, 500)
			items, total, err := s.ListSessions(r.Context(), web.Principal(r), pg.Page, pg.PerPage)
			if err != nil {
				return err
			}
			web.WriteJSON(w, 200, web.ListOf(items, total, pg))
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/training-sessions", Summary: "开设培训班", Tag: tag, Request: SessionInput{}, Response: Session{}, Status: 201, Roles: trainingRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			var in SessionInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			return writeJSON[*Session](w, 201)(s.CreateSession(r.Context(), web.Principal(r), in))
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/training-sessions/{id}", Summary: "培训班详情（学员、考勤、证书）", Tag: tag, Response: Session{}, Roles: trainingRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			return writeJSON[*Session](w, 200)(s.GetSession(r.Context(), web.Principal(r), id(r)))
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/training-sessions/{id}/enrolments", Summary: "培训报名（主体名录中的人）", Tag: tag, Request: EnrolInput{}, Response: Session{}, Roles: trainingRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			var in EnrolInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			return writeJSON[*Session](w, 200)(s.Enrol(r.Context(), web.Principal(r), id(r), in.SubjectIDs, in.Name))
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/training-sessions/{id}/attendance", Summary: "登记结业（发证书编号）或撤销", Tag: tag, Request: AttendInput{}, Response: Session{}, Roles: trainingRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			var in AttendInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			return writeJSON[*Session](w, 200)(s.Attend(r.Context(), web.Principal(r), id(r), in.EnrolmentID, in.Attended))
		})
}
