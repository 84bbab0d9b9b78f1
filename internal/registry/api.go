package registry

import (
	"net/http"
	"strconv"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/web"
)

func (s *Service) apiRoutes(srv *web.Server) {
	const tag = "subjects"
	type subjectList struct {
		web.List[Subject]
		TotalCapped bool `json:"total_capped" doc:"文字搜索结果超过 1000 条时为 true，total 为 1001"`
	}
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/subjects", Summary: "主体名录列表（搜索：名称、统一社会信用代码、手机号、身份证号或其后4位）", Tag: tag,
		Query: []string{"q", "kind", "region_code", "industry", "status", "new_type", "sort", "page", "per_page"}, Response: subjectList{}},
		func(w http.ResponseWriter, r *http.Request) error {
			f := filterFrom(r.URL.Query())
			pg := web.ParsePage(r, 20, 500)
			f.Page, f.PerPage = pg.Page, pg.PerPage
			items, total, err := s.List(r.Context(), web.Principal(r), f)
			if err != nil {
				return err
			}
			out := make([]Subject, 0, len(items))
			for _, x := range items {
				out = append(out, *x)
			}
			web.WriteJSON(w, http.StatusOK, subjectList{List: web.List[Subject]{Items: out, Total: total, Page: pg.Page, PerPage: pg.PerPage},
				TotalCapped: total > CountCap})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/subjects", Summary: "登记主体", Tag: tag, Request: SubjectInput{}, Response: Subject{}, Status: 201, Roles: "county_admin, township_operator（本乡镇）"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in SubjectInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			x, err := s.Create(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, x)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/subjects/{id}", Summary: "主体详情", Tag: tag, Response: Subject{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			x, err := s.Get(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, x)
			return nil
		})
	update := func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		var in SubjectInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		x, err := s.Update(r.Context(), web.Principal(r), id, in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, x)
		return nil
	}
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/subjects/{id}", Summary: "修改主体（只改提交的字段）", Tag: tag, Request: SubjectInput{}, Response: Subject{}}, update)
	srv.Handle(web.Op{Method: "PATCH", Path: "/api/v1/subjects/{id}", Summary: "修改主体（只改提交的字段）", Tag: tag, Request: SubjectInput{}, Response: Subject{}}, update)
	type reasonReq struct {
		Reason string `json:"reason"`
	}
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/subjects/{id}/deactivate", Summary: "注销主体（保留记录）", Tag: tag, Request: reasonReq{}, Response: Subject{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in reasonReq
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			if err := s.Deactivate(r.Context(), web.Principal(r), id, in.Reason); err != nil {
				return err
			}
			x, err := s.Get(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, x)
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/subjects/{id}/reactivate", Summary: "恢复已注销主体", Tag: tag, Response: Subject{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			if err := s.Reactivate(r.Context(), web.Principal(r), id); err != nil {
				return err
			}
			x, err := s.Get(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, x)
			return nil
		})
	type revealResp struct {
		IDNumber string `json:"id_number"`
		Phone    string `json:"phone"`
	}
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/subjects/{id}/reveal", Summary: "查看完整身份证号与手机号（留痕）", Tag: tag, Response: revealResp{}, Roles: "county_admin, township_operator（本乡镇）"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			idn, phone, err := s.Reveal(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, revealResp{IDNumber: idn, Phone: phone})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/subjects/{id}/members", Summary: "农户家庭成员", Tag: tag, Response: web.List[Member]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			ms, err := s.Members(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			if ms == nil {
				ms = []Member{}
			}
			web.WriteJSON(w, http.StatusOK, web.List[Member]{Items: ms, Total: len(ms), Page: 1, PerPage: len(ms)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/subjects/{id}/members", Summary: "添加家庭成员", Tag: tag, Request: MemberInput{}, Response: Member{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in MemberInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			m, err := s.AddMember(r.Context(), web.Principal(r), id, in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, m)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/plots", Summary: "地块列表", Tag: "plots", Query: []string{"subject_id", "region_code", "crop", "page", "per_page"}, Response: web.List[Plot]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			q := r.URL.Query()
			pg := web.ParsePage(r, 50, 500)
			sid, _ := strconv.ParseInt(q.Get("subject_id"), 10, 64)
			items, total, err := s.Plots(r.Context(), web.Principal(r), PlotFilter{SubjectID: sid, RegionCode: q.Get("region_code"), Crop: q.Get("crop"), Page: pg.Page, PerPage: pg.PerPage})
			if err != nil {
				return err
			}
			if items == nil {
				items = []Plot{}
			}
			web.WriteJSON(w, http.StatusOK, web.List[Plot]{Items: items, Total: total, Page: pg.Page, PerPage: pg.PerPage})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/plots", Summary: "登记地块（同一主体同名地块则更新；可只给 GeoJSON 由系统算面积）", Tag: "plots", Request: PlotInput{}, Response: Plot{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			var in PlotInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			pl, created, err := s.SavePlot(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			st := http.StatusOK
			if created {
				st = http.StatusCreated
			}
			web.WriteJSON(w, st, pl)
			return nil
		})
	type indResp struct {
		Items []string `json:"items"`
	}
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/industries", Summary: "主导产业目录", Tag: "subjects", Response: indResp{}},
		func(w http.ResponseWriter, r *http.Request) error {
			inds, err := s.Industries(r.Context())
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, indResp{Items: inds})
			return nil
		})
	type kindsResp struct {
		Items []KindInfo `json:"items"`
	}
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/subject-kinds", Summary: "主体类型", Tag: "subjects", Response: kindsResp{}},
		func(w http.ResponseWriter, r *http.Request) error {
			web.WriteJSON(w, http.StatusOK, kindsResp{Items: Kinds})
			return nil
		})
	_ = apperr.Invalid
}
