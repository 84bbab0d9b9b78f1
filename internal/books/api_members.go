package books

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

// JSON API of member accounts, the share register, distributions, the equity statement, attachments, opening
// balances and 示范社.

// bookPost registers POST path on a book: decode In, call fn, answer 201 with its result.
func bookPost[In, Out any](srv *web.Server, path, summary string, roles string, fn func(ctx context.Context, p *auth.Principal, bookID int64, in In) (Out, error)) {
	var in In
	var out Out
	srv.Handle(web.Op{Method: "POST", Path: path, Summary: summary, Tag: "books", Request: in, Response: out, Status: 201, Roles: roles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in In
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			res, err := fn(r.Context(), web.Principal(r), id, in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, res)
			return nil
		})
}

func yearParam(r *http.Request, def int) int {
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y > 1990 && y < 2200 {
		return y
	}
	return def
}

func (s *Service) thisYear() int { return s.now().In(web.Shanghai).Year() }

// SharesView is the register of a book.
type SharesView struct {
	Shares    []Share    `json:"shares"`
	Transfers []Transfer `json:"transfers"`
}

func (s *Service) memberAPIRoutes(srv *web.Server) {
	const tag = "books"
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/members", Summary: "成员账户（成员名册及年末出资额、公积金份额、本年交易额和返还）", Tag: tag, Query: []string{"year"},
		Response: web.List[MemberAccount]{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		list, err := s.MemberAccounts(r.Context(), web.Principal(r), id, yearParam(r, s.thisYear()))
		if err != nil {
			return err
		}
		if list == nil {
			list = []MemberAccount{}
		}
		web.WriteJSON(w, http.StatusOK, web.List[MemberAccount]{Items: list, Total: len(list), Page: 1, PerPage: len(list)})
		return nil
	})
	bookPost(srv, "/api/v1/books/{id}/members", "成员入册", writeRoles, s.AddMember)
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/members/{mid}", Summary: "成员账户明细（对账单）", Tag: tag, Query: []string{"year"},
		Response: MemberStatement{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		mid, err := web.PathID(r, "mid")
		if err != nil {
			return err
		}
		st, err := s.MemberStatement(r.Context(), web.Principal(r), id, mid, yearParam(r, s.thisYear()))
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, st)
		return nil
	})
	bookPost(srv, "/api/v1/books/{id}/member-entries", "成员账户登记交易量（额）或财政补助、捐赠量化份额", writeRoles, s.AddEntry)
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/shares", Summary: "股金登记簿（出资及转让）", Tag: tag, Response: SharesView{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			sh, tr, err := s.Shares(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			if sh == nil {
				sh = []Share{}
			}
			if tr == nil {
				tr = []Transfer{}
			}
			web.WriteJSON(w, http.StatusOK, SharesView{Shares: sh, Transfers: tr})
			return nil
		})
	bookPost(srv, "/api/v1/books/{id}/shares", "股金登记（货币或作价出资；生成待审核凭证）", writeRoles, s.AddShare)
	bookPost(srv, "/api/v1/books/{id}/share-transfers", "股金转让", writeRoles, s.TransferShares)
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/distribution-plan", Summary: "盈余分配试算（不写入）", Tag: tag,
		Query: []string{"year", "reserve", "return_pct", "by_volume"}, Response: Distribution{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		q := r.URL.Query()
		in := DistributionInput{Year: yearParam(r, s.thisYear()-1)}
		in.Reserve, _ = strconv.ParseInt(q.Get("reserve"), 10, 64)
		in.ReturnPct, _ = strconv.Atoi(q.Get("return_pct"))
		in.ByVolume, _ = strconv.ParseInt(q.Get("by_volume"), 10, 64)
		d, err := s.PlanDistribution(r.Context(), web.Principal(r), id, in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, d)
		return nil
	})
	bookPost(srv, "/api/v1/books/{id}/distributions", "执行盈余分配（生成结转和分配凭证、更新成员账户；按交易量返还不得低于 60%）", writeRoles, s.Distribute)
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/distributions", Summary: "历年盈余分配", Tag: tag, Response: web.List[Distribution]{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			ds, err := s.Distributions(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			if ds == nil {
				ds = []Distribution{}
			}
			web.WriteJSON(w, http.StatusOK, web.List[Distribution]{Items: ds, Total: len(ds), Page: 1, PerPage: len(ds)})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/equity-statement", Summary: "成员权益变动表（本年累计至所选期间）", Tag: tag, Query: []string{"period"},
		Response: EquityStatement{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		st, err := s.EquityStatement(r.Context(), web.Principal(r), id, s.periodParam(r))
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, st)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/vouchers/{vid}/attachments", Summary: "凭证附件（扫描件）列表", Tag: tag, Response: web.List[Attachment]{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, vid, err := ids(r)
			if err != nil {
				return err
			}
			as, err := s.Attachments(r.Context(), web.Principal(r), id, vid)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.List[Attachment]{Items: as, Total: len(as), Page: 1, PerPage: len(as)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/books/{id}/vouchers/{vid}/attachments", Summary: "上传凭证附件（multipart 字段 file；JPEG、PNG 或 PDF，不超过 8 MB）", Tag: tag,
		Response: Attachment{}, Status: 201, Roles: writeRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, vid, err := ids(r)
		if err != nil {
			return err
		}
		name, data, err := readAttachment(r)
		if err != nil {
			return err
		}
		a, err := s.AddAttachment(r.Context(), web.Principal(r), id, vid, name, data)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusCreated, a)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/opening", Summary: "已导入待生成凭证的期初余额（导入用 /api/v1/imports/books_opening）", Tag: tag,
		Response: web.List[OpeningRow]{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		rows, _, _, err := s.Opening(r.Context(), web.Principal(r), id)
		if err != nil {
			return err
		}
		if rows == nil {
			rows = []OpeningRow{}
		}
		web.WriteJSON(w, http.StatusOK, web.List[OpeningRow]{Items: rows, Total: len(rows), Page: 1, PerPage: len(rows)})
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/books/{id}/opening/apply", Summary: "由期初余额生成期初凭证（借贷须平衡）", Tag: tag, Response: Voucher{}, Status: 201, Roles: writeRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			v, err := s.ApplyOpening(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, v)
			return nil
		})
	s.exemplaryAPIRoutes(srv)
}

// readAttachment reads the "file" field of a multipart upload.
func readAttachment(r *http.Request) (string, []byte, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, MaxAttachmentBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		if strings.Contains(err.Error(), "too large") {
			return "", nil, apperr.FieldErrors(map[string]string{"file": "扫描件不能超过 8 MB"})
		}
		return "", nil, apperr.FieldErrors(map[string]string{"file": "请选择要上传的扫描件"})
	}
	f, h, err := r.FormFile("file")
	if err != nil {
		return "", nil, apperr.FieldErrors(map[string]string{"file": "请选择要上传的扫描件"})
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxAttachmentBytes+1))
	if err != nil {
		return "", nil, apperr.FieldErrors(map[string]string{"file": "扫描件无法读取"})
	}
	return h.Filename, data, nil
}

// DecideInput approves or rejects an application.
type DecideInput struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note"`
}

// ExemplarySummary is the live count against the plan.
type ExemplarySummary struct {
	Total    int            `json:"total" doc:"在册示范社（已认定未撤销）"`
	ByLevel  map[string]int `json:"by_level"`
	Target   int            `json:"target" doc:"规划目标（到2027年100家）"`
	Pending  int            `json:"pending" doc:"待评审、已评分的申报"`
	Warnings int            `json:"warnings" doc:"最近一次监测为预警"`
}

const exReadRoles = "county_admin、township_operator、department、taskforce、viewer（管辖范围内）；member（本社）"

func (s *Service) exemplaryAPIRoutes(srv *web.Server) {
	const tag = "exemplary"
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/exemplary/indicators", Summary: "示范社评定指标体系（数据）", Tag: tag, Response: web.List[ExIndicator]{}, Roles: exReadRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			web.WriteJSON(w, http.StatusOK, web.List[ExIndicator]{Items: ExIndicators, Total: len(ExIndicators), Page: 1, PerPage: len(ExIndicators)})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/exemplary", Summary: "示范社申报与认定", Tag: tag, Query: []string{"level", "status", "year"}, Response: web.List[Exemplary]{}, Roles: exReadRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			q := r.URL.Query()
			y, _ := strconv.Atoi(q.Get("year"))
			list, err := s.ListExemplary(r.Context(), web.Principal(r), ExFilter{Level: q.Get("level"), Status: q.Get("status"), Year: y})
			if err != nil {
				return err
			}
			out := make([]Exemplary, 0, len(list))
			for _, x := range list {
				out = append(out, *x)
			}
			web.WriteJSON(w, http.StatusOK, web.List[Exemplary]{Items: out, Total: len(out), Page: 1, PerPage: len(out)})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/exemplary/summary", Summary: "示范社在册数（按级别）与规划目标", Tag: tag, Response: ExemplarySummary{}, Roles: exReadRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			sum, err := s.ExemplarySummary(r.Context(), web.Principal(r))
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, sum)
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/exemplary", Summary: "示范社申报（自动采集平台数据）", Tag: tag, Request: ExemplaryInput{}, Response: Exemplary{}, Status: 201, Roles: writeRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			var in ExemplaryInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			x, err := s.ApplyExemplary(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, x)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/exemplary/{id}", Summary: "示范社申报详情（数据、评分、监测）", Tag: tag, Response: Exemplary{}, Roles: exReadRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			x, err := s.GetExemplary(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, x)
			return nil
		})
	exPost(srv, "/api/v1/exemplary/{id}/scores", "评审打分（每项指标 0 到满分）", writeRoles, s.ScoreExemplary)
	exPost(srv, "/api/v1/exemplary/{id}/decision", "认定或不予认定（县级管理员；须达到准入门槛和 75 分）", "county_admin", func(ctx context.Context, p *auth.Principal, id int64, in DecideInput) (*Exemplary, error) {
		return s.DecideExemplary(ctx, p, id, in.Approve, in.Note)
	})
	exPost(srv, "/api/v1/exemplary/{id}/monitoring", "年度监测（合格 / 预警 / 撤销）", writeRoles, s.MonitorExemplary)
}

func exPost[In any](srv *web.Server, path, summary, roles string, fn func(ctx context.Context, p *auth.Principal, id int64, in In) (*Exemplary, error)) {
	var in In
	srv.Handle(web.Op{Method: "POST", Path: path, Summary: summary, Tag: "exemplary", Request: in, Response: Exemplary{}, Roles: roles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in In
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			x, err := fn(r.Context(), web.Principal(r), id, in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, x)
			return nil
		})
}

// ExemplarySummary counts the 示范社 p may read.
func (s *Service) ExemplarySummary(ctx context.Context, p *auth.Principal) (ExemplarySummary, error) {
	list, err := s.ListExemplary(ctx, p, ExFilter{})
	if err != nil {
		return ExemplarySummary{}, err
	}
	sum := ExemplarySummary{ByLevel: map[string]int{}, Target: 100}
	for _, x := range list {
		switch x.Status {
		case ExApproved:
			sum.Total++
			sum.ByLevel[x.Level]++
		case ExApplied, ExScored:
			sum.Pending++
		}
	}
	// monitoring warnings: read per approved record only when asked (the list does not load monitoring)
	rows, err := s.db.QueryContext(ctx, `SELECT m.app_id, m.result FROM coop_exemplary_monitoring m ORDER BY m.app_id, m.year DESC`)
	if err != nil {
		return sum, err
	}
	defer rows.Close()
	live := map[int64]bool{}
	for _, x := range list {
		if x.Status == ExApproved {
			live[x.ID] = true
		}
	}
	seen := map[int64]bool{}
	for rows.Next() {
		var id int64
		var res string
		if err := rows.Scan(&id, &res); err != nil {
			return sum, err
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		if live[id] && res == "warn" {
			sum.Warnings++
		}
	}
	return sum, rows.Err()
}
